"""Evidence keys: linking reports about one incident that share no wording.

A report retold in other words, by another witness or in the other language shares little text
with the first (MinHash misses it) but often the same facts: the city where it happens, the
crime, a person's or a company's name (compared through pinyin, so 王建国 meets "Wang Jianguo"),
a phone, a plate, an amount (2万元 = RMB 20,000), a date (5月3日 = May 3). None of these depends on
the language.

One fact alone is shared by unrelated reports all the time, so a key stands for a combination
that is enough evidence on its own:

- `place+crime+<kind>`: the same prefecture-level city, the same crime type, and one shared
  name, number, amount or date;
- `<kind>+<kind>`: two shared facts, one of them a name or a number (phone, plate, ID, card):
  an amount and a date alone meet by chance.

Each key is the rule's name (kinds only) and a keyed hash (HMAC under the linking secret) of the
values: equal facts meet in the shared index, and the index holds no value. Two reports sharing a
key are linked, and the link names the rules that matched. Pure functions, no I/O.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import unicodedata
from collections import Counter
from collections.abc import Iterable
from functools import cache
from itertools import combinations
from pathlib import Path

from services.classifier.entities import Entity

# Toneless pinyin of every common CJK character (one line per syllable, its characters after a
# tab), written from pypinyin by `training/pinyin_table.py`: the service does not import pypinyin.
PINYIN_FILE = Path(__file__).resolve().parent / "data" / "pinyin.tsv"

EVIDENCE_VERSION = "evidence-1"
# Amounts below this are everyday sums (a meal, a fine), shared by chance.
MIN_AMOUNT = 1000
# With the place and crime alone, an amount must be at least this to count: two stalls in one
# city paying 2,000 a month to two gangs are common.
PLACE_AMOUNT = 10_000
# At most this many facts per report make keys (pairs grow with the square).
MAX_FACTS = 12
STRONG_KINDS = ("phone", "resident_id", "plate", "bank_card")
NAME_KINDS = ("person", "organisation")
DETAIL_KINDS = ("money", "date")
IDENTITY_KINDS = (*STRONG_KINDS, *NAME_KINDS)
# A report's own identities (`who-<kind>:hash`, one per name or number) are stored with its
# keys but never looked up: they only tell a conflict (below).
WHO = "who-"
# Rules that rest on a place, a crime and a detail only: they do not count when the two reports
# name different people (or phones, plates…) of one kind and none in common.
WEAK_RULES = frozenset({"place+crime+money", "place+crime+date"})
# A weak key already shared by more earlier reports than this says nothing about any one of
# them: in a large city, thousands of loan-sharking reports name 20,000 yuan or the 15th of a
# month. (A real incident told more often than this is linked through its other evidence.)
COMMON_WEAK = 5
# Crime types too vague to count as the same crime.
VAGUE_CRIMES = frozenset({"other"})

# Surnames whose usual reading as a surname is not the character's first reading.
_SURNAME_READINGS = {
    "曾": "zeng",
    "单": "shan",
    "解": "xie",
    "仇": "qiu",
    "朴": "piao",
    "查": "zha",
    "区": "ou",
    "覃": "qin",
    "盖": "ge",
    "乐": "yue",
    "翟": "zhai",
    "尉": "yu",
    "员": "yun",
    "燕": "yan",
    "沈": "shen",
    "柏": "bai",
    "缪": "miao",
    "宓": "mi",
    "万": "wan",
    "长": "chang",
    "重": "chong",
    "秘": "bi",
    "黑": "he",
    "阚": "kan",
    "华": "hua",
    "任": "ren",
}
# Company suffixes and trade words: what is left is the brand ("宏达" of 宏达物流有限公司,
# "hongda" of "Hongda Logistics Co.").
_ORG_SUFFIX_ZH = re.compile(
    r"(有限责任公司|股份有限公司|有限公司|集团|公司|娱乐会所|会所|娱乐城|KTV|典当行|砂场|采石场|"
    r"合作社|洗浴中心|酒店|车队|物流|运输|建筑|建设|工程|贸易|实业|投资|担保|小额贷款|贷款|矿业|"
    r"房地产|置业|开发|科技|文化|娱乐|餐饮|商贸|网络)+$"
)
_EN_WORD = re.compile(r"[a-z]+")
_EN_GENERIC = frozenset(
    {"the", "and", "co", "company", "group", "ltd", "club", "holdings", "ktv", "pawnshop"}
    | {"hotel", "logistics", "fleet", "transport", "construction", "trading", "mining"}
)


@cache
def _table() -> dict[str, str]:
    table = {}
    for line in PINYIN_FILE.read_text(encoding="utf-8").splitlines():
        syllable, chars = line.split("\t")
        table.update(dict.fromkeys(chars, syllable))
    return table


def _syllable(char: str, first: bool) -> str | None:
    if first and char in _SURNAME_READINGS:
        return _SURNAME_READINGS[char]
    return _table().get(char)


def pinyin_of(chinese: str) -> str | None:
    """Toneless pinyin run together ("王建国" -> "wangjianguo"), None if a character has none."""
    out = []
    for i, char in enumerate(chinese):
        syllable = _syllable(char, first=i == 0)
        if syllable is None:
            return None
        out.append(syllable)
    return "".join(out)


def _has_cjk(text: str) -> bool:
    return any("\u4e00" <= c <= "\u9fff" for c in text)


def person_keys(name: str) -> list[str]:
    """A person's full name as pinyin, in both orders when written in Latin letters ("Wang
    Jianguo" and "Jianguo Wang" both give "wangjianguo"); a surname alone ("Mr Wang") says too
    little and gives nothing."""
    if _has_cjk(name):
        if len(name) < 2:
            return []
        flat = pinyin_of(name)
        return [flat] if flat else []
    words = _EN_WORD.findall(unicodedata.normalize("NFKD", name).lower())
    if len(words) < 2:
        return []
    return sorted({"".join(words), "".join(reversed(words))})


def organisation_key(name: str) -> str | None:
    """A company's brand as pinyin: 宏达物流有限公司 and "Hongda Logistics Co." are "hongda"."""
    if _has_cjk(name):
        brand = _ORG_SUFFIX_ZH.sub("", name)
        if len(brand) < 2:
            return None
        return pinyin_of(brand)
    words = [w for w in _EN_WORD.findall(name.lower()) if w not in _EN_GENERIC]
    return words[0] if words and len(words[0]) >= 4 else None


def facts(entities: Iterable[Entity]) -> list[tuple[str, str]]:
    """(kind, comparable value) of every fact that can count as evidence, each once."""
    found: set[tuple[str, str]] = set()
    for entity in entities:
        if entity.kind in STRONG_KINDS:
            found.add((entity.kind, entity.value))
        elif entity.kind == "person":
            found.update(("person", key) for key in person_keys(entity.value))
        elif entity.kind == "organisation":
            if (brand := organisation_key(entity.value)) is not None:
                found.add(("organisation", brand))
        elif entity.kind == "money":
            if float(entity.value) >= MIN_AMOUNT:
                found.add(("money", entity.value))
        elif entity.kind == "date":
            found.add(("date", entity.value[-5:]))  # month and day: a witness may omit the year
    return sorted(found)[:MAX_FACTS]


def _hash(secret: bytes, *parts: str) -> str:
    return hmac.new(secret, "\x1f".join(parts).encode(), hashlib.sha256).hexdigest()[:24]


def keys(
    entities: Iterable[Entity],
    crime_types: Iterable[str],
    province: str | None,
    city: str | None,
    secret: bytes,
) -> list[str]:
    """The report's evidence keys as the shared index stores them: `rule:hash`."""
    found = facts(entities)
    out: set[str] = set()
    crimes = sorted(set(crime_types) - VAGUE_CRIMES)
    if city and province:
        place = f"{province}/{city}"
        for crime in crimes:
            for kind, value in found:
                if kind == "money" and float(value) < PLACE_AMOUNT:
                    continue
                out.add(f"place+crime+{kind}:{_hash(secret, place, crime, kind, value)}")
    for kind, value in found:
        if kind in IDENTITY_KINDS:
            out.add(f"{WHO}{kind}:{_hash(secret, 'who', kind, value)}")
    for (kind_a, value_a), (kind_b, value_b) in combinations(found, 2):
        if kind_a in DETAIL_KINDS and kind_b in DETAIL_KINDS:
            continue  # an amount and a date meet by chance: a name or a number must be one
        out.add(f"{kind_a}+{kind_b}:{_hash(secret, kind_a, value_a, kind_b, value_b)}")
    return sorted(out)


def lookup_keys(keys: Iterable[str]) -> list[str]:
    """The keys a report's candidates are found by: its rules' keys, not its identities."""
    return [key for key in keys if not key.startswith(WHO)]


def rules_of(shared: Iterable[str]) -> tuple[str, ...]:
    """The rules a set of shared evidence keys stands for ("place+crime+person")."""
    return tuple(sorted({key.split(":", 1)[0] for key in lookup_keys(shared)}))


def _identities(keys: Iterable[str]) -> dict[str, set[str]]:
    found: dict[str, set[str]] = {}
    for key in keys:
        if key.startswith(WHO):
            kind = key[len(WHO) :].split(":", 1)[0]
            found.setdefault(kind, set()).add(key)
    return found


def common_weak(mine: Iterable[str], candidates: Iterable[Iterable[str]]) -> frozenset[str]:
    """The report's weak keys that more than COMMON_WEAK of the candidates share."""
    counts = Counter(k for keys in candidates for k in set(keys) & set(mine))
    return frozenset(
        k for k, n in counts.items() if n > COMMON_WEAK and k.split(":", 1)[0] in WEAK_RULES
    )


def proof(
    mine: Iterable[str], theirs: Iterable[str], common: frozenset[str] = frozenset()
) -> tuple[str, ...]:
    """The rules two reports' evidence keys share, leaving out the `common` ones, or none when
    all of them are weak (a place, a crime and an amount or a date) and the reports name
    different people, companies, phones, plates, IDs or cards of one kind, and none in common."""
    mine, theirs = set(mine), set(theirs)
    rules = rules_of((mine & theirs) - common)
    if rules and set(rules) <= WEAK_RULES:
        own, other = _identities(mine), _identities(theirs)
        if any(own[kind].isdisjoint(other[kind]) for kind in own.keys() & other.keys()):
            return ()
    return rules
