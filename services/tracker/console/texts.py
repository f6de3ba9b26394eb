"""Every word the console shows, in Chinese (the default) and English, from one catalog
(`texts.json`, data a translator edits), so a missing translation fails a unit test. Labels of
stages, roles and account states are there too.

The names of crime types, industries and priorities are the taxonomy's own (the classifier's
`data/taxonomy.json`, shipped in the same package; a data file, not another service's
database), so the console and the classifier never disagree on what a label is called. Codes
stay codes in addresses and CSV; only what a person reads is a name."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from importlib import resources
from pathlib import Path

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
    return names


LABEL_NAMES = taxonomy_names(
    json.loads(
        (resources.files("services.classifier") / "data" / "taxonomy.json").read_text(
            encoding="utf-8"
        )
    )
)


def label_namer(lang: str) -> Callable[[str, str | Iterable[str] | None], str]:
    """`label(kind, code_or_codes)` for a page in `lang`: the names, joined; a code the
    taxonomy does not know (an older version's) is shown as it is."""
    by_kind = LABEL_NAMES[lang]
    separator = "、" if lang == "zh" else ", "

    def label(kind: str, value: str | Iterable[str] | None) -> str:
        if not value:
            return ""
        codes = [value] if isinstance(value, str) else list(value)
        return separator.join(by_kind[kind].get(code, code) for code in codes)

    return label
