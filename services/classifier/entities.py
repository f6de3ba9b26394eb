"""Entity extraction: what a report names, normalised so one thing written three ways is one
entity. Pure functions; the values stay in the classifier's own store, never in events or logs.

Kinds: phone, resident_id (checksum checked), plate, bank_card (Luhn checked), money (yuan),
date (ISO, `--MM-DD` when the year is missing), place (gazetteer), organisation, person.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from services.classifier.taxonomy import Taxonomy

# Kinds that identify one gang or person: sharing one links two reports. Places, dates and
# amounts are shared by unrelated reports all the time, so they never link on their own.
LINKING_KINDS = frozenset({"phone", "resident_id", "plate", "bank_card", "organisation", "person"})


def plate_provinces(text: str, taxonomy: Taxonomy) -> tuple[str, ...]:
    """The province each car plate's prefix names ("湘A·12345" -> "Hunan"), as staff read it."""
    return tuple(
        taxonomy.plate_prefixes[m.group(1)]
        for m in _PLATE.finditer(text)
        if m.group(1) in taxonomy.plate_prefixes
    )


@dataclass(frozen=True, order=True)
class Entity:
    kind: str
    value: str  # normalised

    @property
    def key(self) -> str:
        return f"{self.kind}:{self.value}"


_DIGITS_RUN = re.compile(r"(?<![\dA-Za-z])(?:\d[\d\s-]{10,24}\d[Xx]?)(?![\dA-Za-z])")
_MOBILE = re.compile(
    r"(?<!\d)(?:(?:\+|00)?86[\s-]?|\(\+?86\)\s?)?(1[3-9]\d)[\s-]?(\d{4})[\s-]?(\d{4})(?!\d)"
)
_LANDLINE = re.compile(r"(?<![\d-])(0\d{2,3})[\s-](\d{7,8})(?!\d)")
_RESIDENT_ID = re.compile(r"(?<![\dA-Za-z])(\d{17}[\dXx])(?![\dA-Za-z])")
_CARD = re.compile(r"(?<![\d])(\d{4}(?:[\s-]?\d{4}){2,3}(?:[\s-]?\d{1,3})?)(?!\d)")
_PLATE = re.compile(
    r"([京津沪渝冀晋辽吉黑苏浙皖闽赣鲁豫鄂湘粤琼川贵云陕甘青蒙桂藏宁新])\s?([A-HJ-NP-Z])[\s·•.-]?([A-HJ-NP-Z0-9]{5,6})(?![A-Za-z0-9])",
    re.IGNORECASE,
)
_MONEY_ZH = re.compile(r"(\d+(?:\.\d+)?)\s*(万|亿)?\s*(?:元|块)")
_MONEY_EN = re.compile(
    r"(?:(?:RMB|CNY|¥|￥)\s?(\d[\d,]*(?:\.\d+)?)(\s?(?:million|thousand))?)"
    r"|(?:(\d[\d,]*(?:\.\d+)?)(\s?(?:million|thousand))?\s?(?:yuan|RMB|CNY|kuai)\b)",
    re.IGNORECASE,
)
_DATE_ZH = re.compile(r"(?:(\d{4})年)?(\d{1,2})月(\d{1,2})[日号]")
_DATE_ISO = re.compile(r"(?<!\d)(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})(?!\d)")
_MONTHS = {
    m: i + 1
    for i, m in enumerate(
        (
            "january",
            "february",
            "march",
            "april",
            "may",
            "june",
            "july",
            "august",
            "september",
            "october",
            "november",
            "december",
        )
    )
}
_MONTH_NAMES = "|".join(_MONTHS)
_DATE_EN_MDY = re.compile(
    rf"\b({_MONTH_NAMES})\s+(\d{{1,2}})(?!\d)(?:st|nd|rd|th)?(?:,?\s+(\d{{4}}))?", re.I
)
_DATE_EN_DMY = re.compile(
    rf"\b(\d{{1,2}})(?:st|nd|rd|th)?\s+({_MONTH_NAMES})(?:,?\s+(\d{{4}}))?", re.I
)

_ORG_ZH = re.compile(
    r"([\u4e00-\u9fff]{1,16}?((?:有限责任公司|股份有限公司|有限公司|集团|公司|娱乐会所|会所|娱乐城|"
    r"KTV|典当行|砂场|采石场|合作社|洗浴中心|酒店|车队)))"
)
_ORG_EN = re.compile(
    r"((?:[A-Z][a-z]+\s(?:and\s|&\s)?){1,4}(?:Co\.|Company|Group|Ltd\.?|Club|Holdings|KTV|Pawnshop|Hotel|"
    r"Logistics|Fleet))"
)
# Where a Chinese organisation name cannot start: it begins after the last of these.
_ORG_ZH_BOUNDARY = re.compile(r".*[以是在的为给到被由从和与跟对向叫了那这家个们上里去来说还有及或]")
_ZH_NAME_CUES = re.compile(
    r"(?:名叫|叫做|老板娘叫|老板叫|老板是|头目叫|头目是|老大是|幕后老板是|是一个叫|叫|外号|老板娘|老板|头目)"
    r"([\u4e00-\u9fff]{2,3}?)(?=[，。、的（(“\s]|$|外号|的男人|的人)"
)
_EN_NAME_CUES = re.compile(
    r"\b(?:called|named|boss|Mr\.?|Mrs\.?|Ms\.?|surnamed)\s+([A-Z][a-z]+(?:\s[A-Z][a-z]+)?)"
)
# A Chinese name written in pinyin needs no cue: a common surname, then a given name of one or
# two pinyin syllables ("Deng Hongwei", "Liu Zhiqiang"), not a street or a place. ("He", a
# surname, is left out: "He Said" starts a sentence.) English words that read as two syllables
# ("Came", "Make") are left out by a short list.
_PINYIN_SYLLABLE = (
    r"(?:zh|ch|sh|[bpmfdtnlgkhjqxrzcsyw])?"
    r"(?:iang|iong|uang|ang|eng|ing|ong|uai|uan|ian|iao|ai|ei|ao|ou|an|en|in|un|ia|ie|iu|ua|uo"
    r"|ue|ui|er|a|o|e|i|u)"
)
_PINYIN_NAME_EN = re.compile(
    r"\b(Wang|Li|Zhang|Liu|Chen|Yang|Huang|Zhao|Wu|Zhou|Xu|Sun|Ma|Zhu|Hu|Guo|Lin|Gao|Luo|"
    r"Zheng|Liang|Xie|Song|Tang|Han|Feng|Deng|Cao|Peng|Zeng|Xiao|Tian|Dong|Pan|Yuan|Cai|Jiang|"
    r"Yu|Du|Ye|Cheng|Wei|Su|Lu|Ding|Ren|Shen|Yao|Jin|Fu|Qian|Fang|Tan|Luo|Jia|Wen|Kong|Bai|Qin)"
    r"\s([A-Z][a-z]{1,9})\b"
    r"(?!\s(?:Road|Street|Lu|Avenue|County|City|District|Village|Town|Township|Bridge|River|"
    r"Lake|Mountain|Square|Market|Park)\b)"
)
_GIVEN_NAME = re.compile(rf"(?:{_PINYIN_SYLLABLE}){{1,2}}")
_ENGLISH_NOT_GIVEN = frozenset(
    {"came", "make", "take", "same", "name", "game", "line", "mine", "hate", "gone", "bang"}
    | {"one", "ran", "sang", "hang", "long", "men", "bin", "pin", "tin", "fan", "pan", "tan"}
    | {"and", "an", "in", "on", "a", "i", "he", "she", "ye", "me", "we", "ban", "den", "ten"}
)
_NOT_NAMES_ZH = frozenset({"他们", "我们", "一个", "大家", "老板", "男人", "什么"})
_SURNAMES = set(
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏"
    "魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵"
    "万钱严覃武戴莫孔向汤欧阳"
)


def resident_id_check_character(first17: str) -> str:
    """GB 11643's ISO 7064 MOD 11-2 check character for the first 17 digits."""
    weights = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
    return "10X98765432"[sum(int(c) * w for c, w in zip(first17, weights, strict=True)) % 11]


def valid_resident_id(number: str) -> bool:
    """GB 11643: 17 digits and the check character, with a plausible birth date."""
    if not re.fullmatch(r"\d{17}[\dX]", number.upper()):
        return False
    check = resident_id_check_character(number[:17])
    year, month, day = int(number[6:10]), int(number[10:12]), int(number[12:14])
    return (
        check == number[17].upper() and 1900 <= year <= 2100 and 1 <= month <= 12 and 1 <= day <= 31
    )


def luhn_check_digit(partial: str) -> str:
    """The digit that makes `partial` + digit pass the Luhn check."""
    total = 0
    for i, ch in enumerate(reversed(partial)):
        d = int(ch)
        if i % 2 == 0:
            d = d * 2 - 9 if d * 2 > 9 else d * 2
        total += d
    return str((10 - total % 10) % 10)


def luhn_valid(number: str) -> bool:
    return number[-1:] == luhn_check_digit(number[:-1]) if len(number) > 1 else False


def _digits(text: str) -> str:
    return re.sub(r"\D", "", text)


def _amount(number: str, scale: str | None) -> int:
    value = float(number.replace(",", ""))
    factor = {"万": 10_000, "亿": 100_000_000, "million": 1_000_000, "thousand": 1_000}
    return round(value * factor.get((scale or "").strip().lower(), 1))


def _date(year: str | None, month: int, day: int) -> str | None:
    if not (1 <= month <= 12 and 1 <= day <= 31):
        return None
    return f"{year}-{month:02d}-{day:02d}" if year else f"--{month:02d}-{day:02d}"


def extract(text: str, taxonomy: Taxonomy) -> list[Entity]:
    found: set[Entity] = set()
    taken: list[tuple[int, int]] = []  # spans already read as IDs or cards

    def free(start: int, end: int) -> bool:
        return all(end <= s or start >= e for s, e in taken)

    for match in _RESIDENT_ID.finditer(text):
        if valid_resident_id(match.group(1)):
            found.add(Entity("resident_id", match.group(1).upper()))
            taken.append(match.span())
    for match in _CARD.finditer(text):
        digits = _digits(match.group(1))
        if 16 <= len(digits) <= 19 and luhn_valid(digits) and free(*match.span()):
            found.add(Entity("bank_card", digits))
            taken.append(match.span())
    for match in _MOBILE.finditer(text):
        if free(*match.span()):
            found.add(Entity("phone", "+86" + "".join(match.groups())))
    for match in _LANDLINE.finditer(text):
        if free(*match.span()):
            found.add(Entity("phone", f"+86{match.group(1)[1:]}{match.group(2)}"))
    for match in _PLATE.finditer(text):
        found.add(Entity("plate", "".join(match.groups()).upper()))
    for match in _MONEY_ZH.finditer(text):
        found.add(Entity("money", str(_amount(match.group(1), match.group(2)))))
    for match in _MONEY_EN.finditer(text):
        number = match.group(1) or match.group(3)
        scale = match.group(2) or match.group(4)
        if number:
            found.add(Entity("money", str(_amount(number, scale))))
    for match in _DATE_ZH.finditer(text):
        if (value := _date(match.group(1), int(match.group(2)), int(match.group(3)))) is not None:
            found.add(Entity("date", value))
    for match in _DATE_ISO.finditer(text):
        if (value := _date(match.group(1), int(match.group(2)), int(match.group(3)))) is not None:
            found.add(Entity("date", value))
    for match in _DATE_EN_MDY.finditer(text):
        month = _MONTHS[match.group(1).lower()]
        if (value := _date(match.group(3), month, int(match.group(2)))) is not None:
            found.add(Entity("date", value))
    for match in _DATE_EN_DMY.finditer(text):
        month = _MONTHS[match.group(2).lower()]
        if (value := _date(match.group(3), month, int(match.group(1)))) is not None:
            found.add(Entity("date", value))
    for _, place in taxonomy.places_in(text):
        found.add(Entity("place", place.name))
    for match in _ORG_ZH.finditer(text):
        stem = _ORG_ZH_BOUNDARY.sub("", match.group(1)[: -len(match.group(2))])
        if len(stem) >= 2:  # "一家洗浴中心" names no one
            found.add(Entity("organisation", stem + match.group(2)))
    for match in _ORG_EN.finditer(text):
        found.add(Entity("organisation", match.group(1).rstrip(".").lower()))
    for match in _ZH_NAME_CUES.finditer(text):
        name = match.group(1)
        if name[0] in _SURNAMES and name not in _NOT_NAMES_ZH:
            found.add(Entity("person", name))
    for match in _EN_NAME_CUES.finditer(text):
        found.add(Entity("person", match.group(1).lower()))
    for match in _PINYIN_NAME_EN.finditer(text):
        given = match.group(2).lower()
        if _GIVEN_NAME.fullmatch(given) and given not in _ENGLISH_NOT_GIVEN:
            found.add(Entity("person", f"{match.group(1)} {match.group(2)}".lower()))
    return sorted(found)
