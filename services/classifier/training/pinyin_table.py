"""`python -m services.classifier.training.pinyin_table`: writes data/pinyin.tsv, the toneless
pinyin of every character of the CJK Unified Ideographs block (U+4E00-U+9FFF), for comparing
people's and companies' names across languages (`services/classifier/evidence.py`).

From pypinyin's character table (`pinyin_dict`), each character's first reading, tones and the
diaeresis dropped ("绿" -> "lu"). One line per syllable, its characters after a tab, so the
table is small (about 70 KB) and the service reads it without importing pypinyin, whose phrase
dictionary costs about 50 MB per worker. pypinyin is a development tool here, as for
data/places_en.tsv; a unit test regenerates the table and checks it equals the committed file.
"""

from __future__ import annotations

import sys
import unicodedata
from pathlib import Path

DATA = Path(__file__).resolve().parent.parent / "data"
PINYIN_FILE = DATA / "pinyin.tsv"
FIRST, LAST = 0x4E00, 0x9FFF


def toneless(reading: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFKD", reading) if c.isascii()).lower()


def render() -> str:
    from pypinyin.pinyin_dict import pinyin_dict

    by_syllable: dict[str, list[str]] = {}
    for point in range(FIRST, LAST + 1):
        readings = pinyin_dict.get(point)
        if not readings:
            continue
        syllable = toneless(readings.split(",")[0])
        if syllable.isalpha():
            by_syllable.setdefault(syllable, []).append(chr(point))
    return "".join(f"{s}\t{''.join(chars)}\n" for s, chars in sorted(by_syllable.items()))


def main() -> int:
    PINYIN_FILE.write_text(render(), encoding="utf-8")
    print(f"wrote {PINYIN_FILE}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
