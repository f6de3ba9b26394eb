"""Writes the labelled corpora: `python -m services.classifier.training.corpus` (`make corpus`).

Both files are synthetic: reports assembled from hand-written sentences in Chinese and English
(data/sentences/*.json), with invented people, companies (their parts in data/corpus.json),
phone numbers, plates, cards and ID numbers (checksums valid).
The training set and the evaluation set are kept apart: every sentence pool is split in two,
the training set draws only from one half and the evaluation set only from the other, with
different openings, closings and witness phrasings, and a different random seed. So the
evaluation set measures how the model copes with wording it has never seen, not recall of its
training data. Entity values (names, companies, numbers) are drawn fresh for each incident.

The evaluation set also holds what linking must get right: the same report sent twice with
small edits, the same report retold, the same incident told by other witnesses (who share
names, numbers or plates, not wording), and unrelated reports that share words, places and
crime types.
"""

from __future__ import annotations

import json
import random
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from services.classifier.entities import luhn_check_digit, resident_id_check_character
from services.classifier.model import NONE
from services.classifier.rules import OFFICIAL_ROLES

DATA = Path(__file__).resolve().parents[1] / "data"
TRAIN_FILE = DATA / "train.jsonl"
EVAL_FILE = DATA / "eval.jsonl"
# Every sentence the reports are made of, and the tables of names, as data files.
SENTENCES = DATA / "sentences"

# Each pool: (training half, evaluation half); a data file writes it {"train": [...],
# "eval": [...]}. Slots: {boss} {org} {phone} {plate} {money} {date} {place} {card} {idno}
# {nick}.
Halves = tuple[list[str], list[str]]
Pool = dict[str, Halves]


def _halves(value: Any) -> Any:
    """A data file's {"train": [...], "eval": [...]} as the (training, evaluation) pair."""
    if isinstance(value, dict):
        if set(value) == {"train", "eval"}:
            return (value["train"], value["eval"])
        return {key: _halves(inner) for key, inner in value.items()}
    return value


def _written(name: str) -> Any:
    return _halves(json.loads((SENTENCES / name).read_text(encoding="utf-8")))


# reports_{zh,en}.json: the parts a report is assembled from, in each language.
_ZH, _EN = _written("reports_zh.json"), _written("reports_en.json")
# Crime, official and industry pools; the official pool's sentences have a {role} slot.
CRIME_ZH: Pool = _ZH["crime"]
CRIME_EN: Pool = _EN["crime"]
OFFICIAL_ZH: Halves = _ZH["official"]
OFFICIAL_EN: Halves = _EN["official"]
ROLES_ZH: Halves = _ZH["roles"]
ROLES_EN: Halves = _EN["roles"]
# Industry scene-setting, per industry.
INDUSTRY_ZH: Pool = _ZH["industry"]
INDUSTRY_EN: Pool = _EN["industry"]
# Training only: how people name each crime, put into varied frames ({p}), so the model learns
# the vocabulary of a crime rather than a handful of whole sentences; more crime sentences,
# scenes per industry, and workplaces put into frames ({w}).
PHRASES_ZH: dict[str, list[str]] = _ZH["phrases"]
PHRASES_EN: dict[str, list[str]] = _EN["phrases"]
EXTRA_ZH: dict[str, list[str]] = _ZH["extra"]
EXTRA_EN: dict[str, list[str]] = _EN["extra"]
SCENES_ZH: dict[str, list[str]] = _ZH["scenes"]
SCENES_EN: dict[str, list[str]] = _EN["scenes"]
FRAMES_ZH: list[str] = _ZH["frames"]
FRAMES_EN: list[str] = _EN["frames"]
WORKPLACES_ZH: dict[str, list[str]] = _ZH["workplaces"]
WORKPLACES_EN: dict[str, list[str]] = _EN["workplaces"]
WORK_FRAMES_ZH: list[str] = _ZH["work_frames"]
WORK_FRAMES_EN: list[str] = _EN["work_frames"]
# Reports of no organized crime (complaints, disputes): crime type "other".
OTHER_ZH: Halves = _ZH["other"]
OTHER_EN: Halves = _EN["other"]
# What raises priority.
WEAPON_ZH: Halves = _ZH["weapon"]
WEAPON_EN: Halves = _EN["weapon"]
MINOR_ZH: Halves = _ZH["minor"]
MINOR_EN: Halves = _EN["minor"]
IMMINENT_ZH: Halves = _ZH["imminent"]
IMMINENT_EN: Halves = _EN["imminent"]
OPENINGS_ZH: Halves = _ZH["openings"]
OPENINGS_EN: Halves = _EN["openings"]
CLOSINGS_ZH: Halves = _ZH["closings"]
CLOSINGS_EN: Halves = _EN["closings"]
# How entities appear; each incident uses some of them.
ENTITY_ZH: Pool = _ZH["entity"]
ENTITY_EN: Pool = _EN["entity"]
WITNESS_ZH: Halves = _ZH["witness"]
WITNESS_EN: Halves = _EN["witness"]

# corpus.json: which industries a crime plausibly happens in, and the invented names.
_TABLES = json.loads((DATA / "corpus.json").read_text(encoding="utf-8"))
CRIME_INDUSTRIES: dict[str, list[str]] = _TABLES["crime_industries"]
PINYIN: dict[str, str] = _TABLES["pinyin"]  # surnames, with their spelling in English
GIVEN: str = _TABLES["given_zh"]  # one character each
GIVEN_EN: list[str] = _TABLES["given_en"]
NICKS_ZH: list[str] = _TABLES["nicks_zh"]
NICKS_EN: list[str] = _TABLES["nicks_en"]
ORG_STEM_ZH: list[str] = _TABLES["org_stem_zh"]
ORG_KIND_ZH: list[str] = _TABLES["org_kind_zh"]
ORG_STEM_EN: list[str] = _TABLES["org_stem_en"]
ORG_KIND_EN: list[str] = _TABLES["org_kind_en"]
PLATE_LETTERS = "ABCDEFGHJKLMNPQRSTUVWXYZ"


def luhn_complete(partial: str) -> str:
    return partial + luhn_check_digit(partial)


def resident_id(rng: random.Random) -> str:
    area = rng.choice(["430102", "440305", "510104", "110105", "320106", "330106", "420106"])
    year, month, day = rng.randint(1960, 2000), rng.randint(1, 12), rng.randint(1, 28)
    body = f"{area}{year}{month:02d}{day:02d}{rng.randint(0, 999):03d}"
    return body + resident_id_check_character(body)


@dataclass
class Incident:
    """One gang or event: what every report about it shares."""

    crimes: list[str]
    industry: str
    province: str | None
    place_zh: str
    place_en: str
    official: bool
    weapon: bool
    minor: bool
    imminent: bool
    values: dict[str, str] = field(default_factory=dict)
    kinds: list[str] = field(default_factory=list)


def _both_rounds(lang: str) -> dict[str, list[str]]:
    first, second = _written(f"crime_{lang}.json"), _written(f"crime2_{lang}.json")
    return {label: first[label] + second[label] for label in first}


MORE_CRIME = {"zh": _both_rounds("zh"), "en": _both_rounds("en")}
MORE_INDUSTRY = _written("industry.json")
# Police, courts and offices named innocently ("I called 110 and they took a statement"), so
# that naming an official is not learnt as collusion. Training reports only: the evaluation
# half is empty, and an empty half draws nothing, which keeps the evaluation set as it was.
_NEUTRAL = _written("officials_neutral.json")
NEUTRAL_OFFICIALS_ZH: tuple[list[str], list[str]] = (_NEUTRAL["zh"], [])
NEUTRAL_OFFICIALS_EN: tuple[list[str], list[str]] = (_NEUTRAL["en"], [])


class Generator:
    def __init__(self, split: int, seed: int) -> None:
        self.split = split  # 0: training half of every pool, 1: evaluation half
        self.rng = random.Random(seed)
        taxonomy = json.loads((DATA / "taxonomy.json").read_text())
        self.places: list[tuple[str, str, str]] = []  # (province, zh, en)
        for region in taxonomy["regions"]:
            self.places.append((region["id"], region["zh"], region["id"]))
            for city in region["cities"]:
                self.places.append((region["id"], city["zh"], city["en"]))
        self.used_names: set[str] = set()
        self.used_orgs: set[tuple[int, int]] = set()

    def pick(self, pool: tuple[list[str], list[str]]) -> str:
        return self.rng.choice(pool[self.split])

    def _person(self) -> tuple[str, str]:
        if len(self.used_names) > 20_000:
            self.used_names.clear()  # only the evaluation set needs its names unique
        while True:
            surname = self.rng.choice(list(PINYIN))
            zh = surname + "".join(self.rng.choice(GIVEN) for _ in range(self.rng.choice((1, 2))))
            given = self.rng.choice(GIVEN_EN)
            if self.rng.random() < 0.6:
                given += self.rng.choice(GIVEN_EN).lower()
            en = f"{PINYIN[surname]} {given}"
            if zh not in self.used_names and en not in self.used_names:
                self.used_names |= {zh, en}
                return zh, en

    def _money(self) -> tuple[str, str]:
        amount = self.rng.choice([500, 800, 1000, 2000, 3000, 5000, 20000, 50000, 80000, 150000])
        zh = (
            f"{amount // 10000}万元"
            if amount >= 10000 and self.rng.random() < 0.5
            else f"{amount}元"
        )
        en = self.rng.choice([f"{amount:,} yuan", f"RMB {amount:,}", f"¥{amount}"])
        return zh, en

    def incident(self) -> Incident:
        rng = self.rng
        if rng.random() < 0.08:
            crimes = ["other"]
        else:
            kinds = [k for k in CRIME_ZH]
            crimes = [rng.choice(kinds)]
            if rng.random() < 0.3:
                second = rng.choice(kinds)
                if second not in crimes:
                    crimes.append(second)
        industry = rng.choice(CRIME_INDUSTRIES[crimes[0]])
        official = crimes != ["other"] and rng.random() < 0.3
        if official:
            crimes.append("official_collusion")
        if rng.random() < 0.12:
            province, place_zh, place_en = None, "本地", "our town"
        else:
            province, place_zh, place_en = rng.choice(self.places)
        violent = "violent_intimidation" in crimes
        incident = Incident(
            crimes=crimes,
            industry=industry,
            province=province,
            place_zh=place_zh,
            place_en=place_en,
            official=official,
            weapon=crimes != ["other"] and rng.random() < 0.12,
            minor=crimes != ["other"] and rng.random() < 0.08,
            imminent=(violent or "extortion_protection" in crimes) and rng.random() < 0.2,
        )
        boss_zh, boss_en = self._person()
        while True:  # one company per incident: unrelated gangs do not share a company name
            stem = rng.randrange(len(ORG_STEM_ZH))
            kind = rng.randrange(len(ORG_KIND_ZH))
            if (stem, kind) not in self.used_orgs or len(self.used_orgs) > 350:
                self.used_orgs.add((stem, kind))
                break
        money_zh, money_en = self._money()
        date = (rng.randint(2024, 2026), rng.randint(1, 12), rng.randint(1, 28))
        months = [
            "January",
            "February",
            "March",
            "April",
            "May",
            "June",
            "July",
            "August",
            "September",
            "October",
            "November",
            "December",
        ]
        mobile = f"1{rng.choice('35789')}{rng.randint(0, 9)}{rng.randint(10_000_000, 99_999_999)}"
        incident.values = {
            "boss_zh": boss_zh,
            "boss_en": boss_en,
            "nick_zh": rng.choice(NICKS_ZH),
            "nick_en": rng.choice(NICKS_EN),
            "org_zh": (place_zh if province and rng.random() < 0.5 else "")
            + ORG_STEM_ZH[stem]
            + ORG_KIND_ZH[kind],
            "org_en": f"{ORG_STEM_EN[stem]} {ORG_KIND_EN[kind]}",
            "mobile": mobile,
            "plate_zh": rng.choice("京沪粤湘川鄂豫鲁苏浙赣桂云贵陕")
            + rng.choice(PLATE_LETTERS)
            + "".join(rng.choice("0123456789" + PLATE_LETTERS[:8]) for _ in range(5)),
            "card": luhn_complete("62" + "".join(str(rng.randint(0, 9)) for _ in range(15))),
            "idno": resident_id(rng),
            "money_zh": money_zh,
            "money_en": money_en,
            "date_zh": f"{date[0]}年{date[1]}月{date[2]}日",
            "date_en": rng.choice(
                [
                    f"{months[date[1] - 1]} {date[2]}, {date[0]}",
                    f"{date[2]} {months[date[1] - 1]} {date[0]}",
                    f"{date[0]}-{date[1]:02d}-{date[2]:02d}",
                ]
            ),
        }
        strong = ["boss", "org", "phone", "plate"]
        incident.kinds = rng.sample(strong, rng.choice((1, 2, 2, 3)))
        if rng.random() < 0.15:
            incident.kinds.append(rng.choice(["card", "idno"]))
        if rng.random() < 0.5:
            incident.kinds.append("date")
        return incident

    def _phone(self, mobile: str, lang: str) -> str:
        style = self.rng.randrange(4)
        if style == 0:
            return mobile
        if style == 1:
            return f"{mobile[:3]} {mobile[3:7]} {mobile[7:]}"
        if style == 2:
            return f"+86 {mobile[:3]}-{mobile[3:7]}-{mobile[7:]}"
        return f"(+86){mobile}" if lang == "en" else f"{mobile[:3]}-{mobile[3:7]}-{mobile[7:]}"

    def report(self, inc: Incident, lang: str, witness: bool = False) -> str:
        rng = self.rng
        zh = lang == "zh"
        v = inc.values
        slots = {
            "boss": v["boss_zh"] if zh else v["boss_en"],
            "nick": v["nick_zh"] if zh else v["nick_en"],
            "org": v["org_zh"] if zh else v["org_en"],
            "phone": self._phone(v["mobile"], lang),
            "plate": v["plate_zh"]
            if rng.random() < 0.6
            else f"{v['plate_zh'][:2]}·{v['plate_zh'][2:]}",
            "card": v["card"]
            if rng.random() < 0.5
            else " ".join(v["card"][i : i + 4] for i in range(0, len(v["card"]), 4)),
            "idno": v["idno"],
            "money": v["money_zh"] if zh else v["money_en"],
            "date": v["date_zh"] if zh else v["date_en"],
            "place": inc.place_zh if zh else inc.place_en,
        }
        crime_pool, industry_pool, entity_pool = (
            (CRIME_ZH, INDUSTRY_ZH, ENTITY_ZH) if zh else (CRIME_EN, INDUSTRY_EN, ENTITY_EN)
        )
        parts: list[str] = []
        if witness:
            parts.append(self.pick(WITNESS_ZH if zh else WITNESS_EN))
        elif rng.random() < 0.7:
            parts.append(self.pick(OPENINGS_ZH if zh else OPENINGS_EN))
        # The evaluation split never reaches a draw below that starts with `self.split == 0`,
        # so adding training material leaves the evaluation set as it was.
        if self.split == 0 and rng.random() < 0.5:
            parts.append(rng.choice(MORE_INDUSTRY[lang][inc.industry]))
        elif self.split == 0 and rng.random() < 0.35:
            parts.append(rng.choice((SCENES_ZH if zh else SCENES_EN)[inc.industry]))
        elif self.split == 0 and rng.random() < 0.5:
            workplaces = WORKPLACES_ZH if zh else WORKPLACES_EN
            frame = rng.choice(WORK_FRAMES_ZH if zh else WORK_FRAMES_EN)
            parts.append(frame.replace("{w}", rng.choice(workplaces[inc.industry])))
        else:
            parts.append(self.pick(industry_pool[inc.industry]))
        body: list[str] = []
        for crime in inc.crimes:
            if self.split == 0 and rng.random() < 0.5:
                body.extend(rng.sample(MORE_CRIME[lang][crime], rng.choice((1, 2))))
            elif crime == "official_collusion":
                role = self.pick(ROLES_ZH if zh else ROLES_EN)
                body.append(self.pick(OFFICIAL_ZH if zh else OFFICIAL_EN).replace("{role}", role))
            elif crime == "other":
                body.append(self.pick(OTHER_ZH if zh else OTHER_EN))
            elif self.split == 0 and rng.random() < 0.35:
                extra = (EXTRA_ZH if zh else EXTRA_EN)[crime]
                body.extend(rng.sample(extra, rng.choice((1, 2))))
            elif self.split == 0 and rng.random() < 0.5:
                phrases = (PHRASES_ZH if zh else PHRASES_EN)[crime]
                for phrase in rng.sample(phrases, rng.choice((1, 2))):
                    body.append(rng.choice(FRAMES_ZH if zh else FRAMES_EN).replace("{p}", phrase))
            else:
                pool = crime_pool[crime][self.split]
                body.extend(rng.sample(pool, min(len(pool), rng.choice((1, 2)))))
        kinds = inc.kinds if not witness else rng.sample(inc.kinds, max(1, len(inc.kinds) - 1))
        for kind in kinds:
            body.append(self.pick(entity_pool[kind]))
        neutral = NEUTRAL_OFFICIALS_ZH if zh else NEUTRAL_OFFICIALS_EN
        if neutral[self.split] and rng.random() < 0.2:
            body.append(self.pick(neutral))
        if inc.weapon:
            body.append(self.pick(WEAPON_ZH if zh else WEAPON_EN))
        if inc.minor:
            body.append(self.pick(MINOR_ZH if zh else MINOR_EN))
        if inc.imminent:
            body.append(self.pick(IMMINENT_ZH if zh else IMMINENT_EN))
        rng.shuffle(body)
        parts.extend(body)
        if rng.random() < 0.7:
            parts.append(self.pick(CLOSINGS_ZH if zh else CLOSINGS_EN))
        text = ("" if zh else " ").join(parts)
        for key, value in slots.items():
            text = text.replace("{" + key + "}", value)
        return text

    @staticmethod
    def priority(inc: Incident) -> str:
        if inc.weapon or inc.minor or inc.imminent:
            return "critical"
        if inc.official or "violent_intimidation" in inc.crimes:
            return "high"
        if inc.crimes == ["other"]:
            return "low"
        return "normal"

    def record(
        self, rid: str, inc: Incident, lang: str, text: str, group: str | None
    ) -> dict[str, Any]:
        return {
            "id": rid,
            "lang": lang,
            "text": text,
            "crime_types": sorted(inc.crimes),
            "industry": inc.industry,
            "province": inc.province,
            "official_involvement": inc.official,
            "priority": self.priority(inc),
            "group": group,
        }


def light_edit(rng: random.Random, text: str, lang: str) -> str:
    """The same report sent again: a sentence dropped or added, punctuation and typos changed."""
    splitter = "。" if lang == "zh" else ". "
    sentences = [s for s in text.split(splitter) if s]
    if len(sentences) > 3 and rng.random() < 0.5:
        sentences.pop(rng.randrange(1, len(sentences)))
    edited = splitter.join(sentences)
    if rng.random() < 0.5:
        edited = edited.replace("，", ",") if lang == "zh" else edited.replace(",", "")
    extra = (
        ["我之前提交过一次，不知道有没有收到。", "补充：情况还在继续。"],
        ["I sent this before but heard nothing.", "Update: it is still going on."],
    )
    joiner = " " if lang == "en" else ("" if edited.endswith("。") else "。")
    return (edited + joiner + rng.choice(extra[lang == "en"])).strip()


def _mixed(gen: Generator, inc: Incident) -> str:
    zh = gen.report(inc, "zh").split("。")
    en = gen.report(inc, "en").split(". ")
    return "。".join(zh[: max(2, len(zh) // 2)]) + "。" + ". ".join(en[len(en) // 2 :])


def training_set(n: int = 8000, seed: int = 11) -> list[dict[str, Any]]:
    gen = Generator(split=0, seed=seed)
    rows = []
    for i in range(n):
        inc = gen.incident()
        lang = "zh" if i % 2 == 0 else "en"
        if i % 15 == 0:
            rows.append(gen.record(f"train-{i:05d}", inc, "mixed", _mixed(gen, inc), None))
        else:
            rows.append(gen.record(f"train-{i:05d}", inc, lang, gen.report(inc, lang), None))
    return rows


def evaluation_set(seed: int = 20261128) -> list[dict[str, Any]]:
    gen = Generator(split=1, seed=seed)
    rng = gen.rng
    rows: list[dict[str, Any]] = []
    n = 0

    def add(inc: Incident, lang: str, text: str, group: str | None) -> None:
        nonlocal n
        rows.append(gen.record(f"eval-{n:04d}", inc, lang, text, group))
        n += 1

    for g in range(90):  # incidents told more than once
        inc = gen.incident()
        group = f"g{g:03d}"
        lang = "zh" if g % 2 == 0 else "en"
        first = gen.report(inc, lang)
        add(inc, lang, first, group)
        shape = g % 3
        if shape == 0:  # sent again with small edits
            add(inc, lang, light_edit(rng, first, lang), group)
        elif shape == 1:  # retold by the same person in other words
            add(inc, lang, gen.report(inc, lang), group)
        for _ in range(rng.choice((1, 1, 2))):  # other witnesses, sometimes in the other language
            other = lang if rng.random() < 0.8 else ("en" if lang == "zh" else "zh")
            add(inc, other, gen.report(inc, other, witness=True), group)
    for i in range(190):  # unrelated reports: same crimes, places and words, other people
        inc = gen.incident()
        lang = "mixed" if i % 19 == 0 else ("zh" if i % 2 == 0 else "en")
        add(inc, lang, _mixed(gen, inc) if lang == "mixed" else gen.report(inc, lang), None)
    rng.shuffle(rows)
    return rows


def write(path: Path, rows: list[dict[str, Any]]) -> None:
    with path.open("w", encoding="utf-8") as out:
        for row in rows:
            out.write(json.dumps(row, ensure_ascii=False) + "\n")


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    with path.open(encoding="utf-8") as lines:
        return [json.loads(line) for line in lines if line.strip()]


_SLOT = re.compile(r"\{\w+\}")


def official_sentences() -> list[dict[str, Any]]:
    """Training only: single sentences that name an official, labelled collusion or not, for the
    model's sentence reader (`kind: official_sentence` rows of train.jsonl). The negatives are
    the innocent mentions and every other crime's sentences that name an official."""
    rows = []
    for lang, neutral in (("zh", NEUTRAL_OFFICIALS_ZH), ("en", NEUTRAL_OFFICIALS_EN)):
        for label, sentences in MORE_CRIME[lang].items():
            for sentence in sentences:
                if label == "official_collusion" or OFFICIAL_ROLES.search(sentence):
                    rows.append((sentence, label == "official_collusion"))
        rows += [(sentence, False) for sentence in neutral[0]]
    return [
        {"kind": "official_sentence", "text": _SLOT.sub("", text), "collusion": collusion}
        for text, collusion in rows
    ]


def labelled_sentences() -> list[dict[str, Any]]:
    """Training only: every sentence of the training halves with what it tells, for the model's
    sentence readers (`kind: crime_sentence` and `kind: industry_sentence` rows of train.jsonl).
    A sentence that tells no crime (openings, entities, workplaces, weapons) is `none` for the
    crime reader, and one that tells no industry (the crimes, openings, entities) `none` for
    the industry reader."""
    crime: list[tuple[str, str]] = []
    industry: list[tuple[str, str]] = []
    for lang, zh in (("zh", True), ("en", False)):

        def pick(zh_pool: Any, en_pool: Any, zh: bool = zh) -> Any:
            return zh_pool if zh else en_pool

        roles = pick(ROLES_ZH, ROLES_EN)[0]
        frames = pick(FRAMES_ZH, FRAMES_EN)
        work_frames = pick(WORK_FRAMES_ZH, WORK_FRAMES_EN)
        told: list[tuple[str, str]] = []
        for label, pool in pick(CRIME_ZH, CRIME_EN).items():
            told += [(s, label) for s in pool[0]]
        for label, phrases in pick(PHRASES_ZH, PHRASES_EN).items():
            told += [
                (frames[i % len(frames)].replace("{p}", p), label) for i, p in enumerate(phrases)
            ]
        for source in (MORE_CRIME[lang], pick(EXTRA_ZH, EXTRA_EN)):
            told += [(s, label) for label, sentences in source.items() for s in sentences]
        told += [(s, "other") for s in pick(OTHER_ZH, OTHER_EN)[0]]
        told += [
            (s.replace("{role}", roles[i % len(roles)]), "official_collusion")
            for i, s in enumerate(pick(OFFICIAL_ZH, OFFICIAL_EN)[0])
        ]
        workplace: list[tuple[str, str]] = []
        for label, pool in pick(INDUSTRY_ZH, INDUSTRY_EN).items():
            workplace += [(s, label) for s in pool[0]]
        for source in (MORE_INDUSTRY[lang], pick(SCENES_ZH, SCENES_EN)):
            workplace += [(s, label) for label, sentences in source.items() for s in sentences]
        for label, places in pick(WORKPLACES_ZH, WORKPLACES_EN).items():
            workplace += [
                (work_frames[i % len(work_frames)].replace("{w}", w), label)
                for i, w in enumerate(places)
            ]
        neither = [
            s
            for pool in (
                pick(OPENINGS_ZH, OPENINGS_EN),
                pick(CLOSINGS_ZH, CLOSINGS_EN),
                pick(WITNESS_ZH, WITNESS_EN),
                pick(WEAPON_ZH, WEAPON_EN),
                pick(MINOR_ZH, MINOR_EN),
                pick(IMMINENT_ZH, IMMINENT_EN),
                pick(NEUTRAL_OFFICIALS_ZH, NEUTRAL_OFFICIALS_EN),
                *pick(ENTITY_ZH, ENTITY_EN).values(),
            )
            for s in pool[0]
        ]
        crime += told + [(s, NONE) for s, _ in workplace] + [(s, NONE) for s in neither]
        industry += workplace + [(s, NONE) for s, _ in told] + [(s, NONE) for s in neither]
    return [
        {"kind": kind, "text": text, "label": label}
        for kind, rows in (("crime_sentence", crime), ("industry_sentence", industry))
        for text, label in ((_SLOT.sub("", s).strip(), label) for s, label in rows)
        if text
    ]


def training_sentences() -> list[dict[str, Any]]:
    return official_sentences() + labelled_sentences()


def write_corpora() -> str:
    """Writes data/train.jsonl and data/eval.jsonl; says what they hold."""
    reports, evaluation = training_set(), evaluation_set()
    overlap = {r["text"] for r in reports} & {r["text"] for r in evaluation}
    assert not overlap, "a report appears in both sets"
    sentences = training_sentences()
    write(TRAIN_FILE, reports + sentences)
    write(EVAL_FILE, evaluation)
    return (
        f"{TRAIN_FILE.name}: {len(reports)} reports and {len(sentences)} labelled sentences; "
        f"{EVAL_FILE.name}: {len(evaluation)} reports"
    )


def main() -> None:
    print(write_corpora())


if __name__ == "__main__":
    main()
