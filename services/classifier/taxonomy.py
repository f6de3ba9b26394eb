"""The taxonomy (data/taxonomy.json): label names, their Chinese and English names, and the
region gazetteer. Loaded once at start-up; everything here after loading is pure."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import cache, lru_cache
from pathlib import Path
from typing import Any

from services.classifier.places import PROVINCE, Gazetteer, Resolution
from services.classifier.places import build as build_gazetteer

TAXONOMY_FILE = Path(__file__).with_name("data") / "taxonomy.json"

_ADMINISTRATIVE_SUFFIXES = re.compile(
    r"(壮族自治区|回族自治区|维吾尔自治区|特别行政区|自治区|省|市|\s+(province|city|municipality))$",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Place:
    name: str  # as written in the taxonomy (English), e.g. "Changsha"
    province: str  # the province label, e.g. "Hunan"
    is_city: bool


@dataclass(frozen=True, eq=False)  # hashed by identity: one is loaded per process
class Taxonomy:
    version: str
    crime_types: tuple[str, ...]
    industries: tuple[str, ...]
    provinces: tuple[str, ...]
    names: dict[str, dict[str, str]]  # label -> {"zh": ..., "en": ...}
    # Every way a place is written (lower-case) -> the place.
    gazetteer: dict[str, Place]
    plate_prefixes: dict[str, str]  # "湘" -> "Hunan"
    # Every administrative division (places.py): what a text names, and where it happens.
    places: Gazetteer

    def province_named(self, written: str) -> str | None:
        """The province label for its English name, its id or its Chinese name."""
        wanted = region_id(written)
        for province in self.provinces:
            if region_id(province) == wanted:
                return province
        place = self.place_named(written)
        return place.province if place is not None and not place.is_city else None

    def place_named(self, written: str) -> Place | None:
        """The place a form field names: a province, a city or a county (as its city)."""
        place = self.gazetteer.get(_canonical(written))
        if place is not None:
            return place
        unit = self.places.named(written)
        if unit is None:
            return None
        if unit.level == PROVINCE:
            return Place(unit.province, unit.province, is_city=False)
        city = self.places.units.get(unit.prefecture or "") if unit.prefecture else None
        return Place(city.en, unit.province, is_city=True) if city else None

    def places_in(self, text: str) -> tuple[tuple[int, Place], ...]:
        """Every place a text names where something happens (not streets, dishes or where
        people come from), with where it starts."""
        return tuple(
            (start, Place(unit.en, unit.province, is_city=unit.level != PROVINCE))
            for start, unit in self.where(text).places
        )

    def where(self, text: str, plates: tuple[str, ...] = ()) -> Resolution:
        """Where a text's events happen: province, city and the places kept."""
        return _where(self, text, plates)


# Region and entity extraction both ask for one report's places: the scan is done once.
@lru_cache(maxsize=256)
def _where(taxonomy: Taxonomy, text: str, plates: tuple[str, ...]) -> Resolution:
    return taxonomy.places.resolve(text, plates)


def region_id(name: str) -> str:
    """The id events and routing use for a province or city: "Inner Mongolia" -> "inner_mongolia",
    "Xi'an" -> "xian" (the ids of the first rule-based classifier, which the tracker's routing
    table is keyed by). Evaluation files and the staff API use the English name."""
    return re.sub(r"[^a-z0-9_]", "", name.strip().lower().replace(" ", "_"))


def _canonical(name: str) -> str:
    return _ADMINISTRATIVE_SUFFIXES.sub("", name.strip()).strip().lower()


def parse(document: dict[str, Any]) -> Taxonomy:
    names: dict[str, dict[str, str]] = {}
    for section in ("crime_types", "industries", "priorities"):
        for entry in document[section]:
            names[f"{section}:{entry['id']}"] = {"zh": entry["zh"], "en": entry["en"]}
    gazetteer: dict[str, Place] = {}
    plates: dict[str, str] = {}
    for region in document["regions"]:
        province = region["id"]
        names[f"regions:{province}"] = {"zh": region["zh"], "en": province}
        plates[region["plate_prefix"]] = province
        for written in (province, region["zh"], *region["aliases"]):
            gazetteer[_canonical(written)] = Place(province, province, is_city=False)
        for city in region["cities"]:
            place = Place(city["en"], province, is_city=True)
            for written in (city["en"], city["zh"], *city["aliases"]):
                gazetteer.setdefault(_canonical(written), place)
    return Taxonomy(
        version=document["version"],
        crime_types=tuple(e["id"] for e in document["crime_types"]),
        industries=tuple(e["id"] for e in document["industries"]),
        provinces=tuple(r["id"] for r in document["regions"]),
        names=names,
        gazetteer=gazetteer,
        plate_prefixes=plates,
        places=build_gazetteer(document),
    )


@cache
def load(path: Path = TAXONOMY_FILE) -> Taxonomy:
    return parse(json.loads(path.read_text(encoding="utf-8")))
