"""Every word the console shows, in Chinese (the default) and English, from one catalog
(`texts.json`, data a translator edits), so a missing translation fails a unit test. Labels of
stages, roles and account states are there too.

The names of crime types, industries and priorities are the taxonomy's own (the classifier's
`data/taxonomy.json`, shipped in the same package; a data file, not another service's
database), so the console and the classifier never disagree on what a label is called. So are
the names of provinces and main cities (the taxonomy's regions); a team is named after the
jurisdiction it covers in the routing table in use. Codes stay codes in addresses and CSV;
only what a person reads is a name."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from importlib import resources
from pathlib import Path
from typing import Any

from services.classifier.insights.domain import UNKNOWN
from services.classifier.taxonomy import region_id
from services.tracker.domain import CENTRAL, RoutingTable

CONSOLE_TEXTS: dict[str, dict[str, str]] = json.loads(
    (Path(__file__).with_name("texts.json")).read_text(encoding="utf-8")
)

LABEL_KINDS = ("crime_types", "industries", "priorities")


def taxonomy_names(taxonomy: dict[str, object]) -> dict[str, dict[str, dict[str, str]]]:
    """language -> kind -> code -> name, for the kinds the console shows."""
    names: dict[str, dict[str, dict[str, str]]] = {lang: {} for lang in CONSOLE_TEXTS}
    for kind in LABEL_KINDS:
        entries = taxonomy.get(kind)
        assert isinstance(entries, list), f"taxonomy without {kind}"
        for lang in names:
            names[lang][kind] = {e["id"]: e[lang] for e in entries}
    for lang in names:
        # The read model counts reports the classifier gave no industry under this code, and
        # the overview lists them like any industry, so they have a name and a page too.
        names[lang]["industries"][UNKNOWN] = CONSOLE_TEXTS[lang]["not_decided"]
    return names


_TAXONOMY = json.loads(
    (resources.files("services.classifier") / "data" / "taxonomy.json").read_text(encoding="utf-8")
)
LABEL_NAMES = taxonomy_names(_TAXONOMY)


def region_names(taxonomy: dict[str, Any], *, short: bool = False) -> dict[str, dict[str, str]]:
    """language -> jurisdiction id ("hunan", "liaoning/dalian", "central") -> its name (a
    city with its province: 辽宁大连, "Dalian, Liaoning"; `short`: the city alone)."""
    names: dict[str, dict[str, str]] = {lang: {} for lang in CONSOLE_TEXTS}
    for lang, named in names.items():
        named[CENTRAL] = CONSOLE_TEXTS[lang]["central_level"]
        named[UNKNOWN] = CONSOLE_TEXTS[lang]["not_decided"]
        for region in taxonomy.get("regions", []):
            province = region_id(region["id"])
            province_name = region["zh"] if lang == "zh" else region["id"]
            named[province] = province_name
            for city in region.get("cities", []):
                city_name = city["zh"] if lang == "zh" else city["en"]
                full = (
                    province_name + city_name if lang == "zh" else f"{city_name}, {province_name}"
                )
                named[f"{province}/{region_id(city['en'])}"] = city_name if short else full
    return names


REGION_NAMES = region_names(_TAXONOMY)
_TEAM_PLACES = region_names(_TAXONOMY, short=True)


def team_names(table: RoutingTable | None, lang: str) -> dict[str, str]:
    """Each team of the routing table, named after the jurisdiction it covers."""
    if table is None:
        return {}
    text = CONSOLE_TEXTS[lang]
    places = _TEAM_PLACES[lang]
    return {
        j.team: text["central_team"]
        if j.id == CENTRAL
        else text["team_of"].format(place=places.get(j.id, j.id))
        for j in table.jurisdictions.values()
        if j.team
    }


def label_namer(
    lang: str, routing: RoutingTable | None = None
) -> Callable[[str, str | Iterable[str] | None], str]:
    """`label(kind, code_or_codes)` for a page in `lang`: the names, joined; a code the
    taxonomy does not know (an older version's) is shown as it is. Kinds: the taxonomy's,
    `regions` (provinces, cities, the central level) and `teams` (of `routing`)."""
    by_kind = {**LABEL_NAMES[lang], "regions": REGION_NAMES[lang]}
    by_kind["teams"] = team_names(routing, lang)
    separator = "、" if lang == "zh" else ", "

    def label(kind: str, value: str | Iterable[str] | None) -> str:
        if not value:
            return ""
        codes = [value] if isinstance(value, str) else list(value)
        return separator.join(by_kind[kind].get(code, code) for code in codes)

    return label
