"""The README and docs/ stay true: every relative link opens, and the stage table a reader sees
is the one the code enforces (`domain.TRANSITIONS` is the only home of the stage rules)."""

from __future__ import annotations

import re
from pathlib import Path

from services.common.events import Stage
from services.tracker.domain import TRANSITIONS

ROOT = Path(__file__).resolve().parents[2]
DOCUMENTS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
LINK = re.compile(r"\]\(([^)#\s]+)(?:#[^)\s]*)?\)")


def _prose(document: Path) -> str:
    """The text a reader follows links in: code blocks and inline code left out."""
    text = re.sub(r"```.*?```", "", document.read_text(), flags=re.DOTALL)
    return re.sub(r"`[^`]*`", "", text)


def _heading_anchor(heading: str) -> str:
    text = heading.strip().lower()
    text = re.sub(r"[^\w\- ]", "", text)
    return text.replace(" ", "-")


def test_every_relative_link_in_the_docs_opens() -> None:
    broken = []
    for document in DOCUMENTS:
        for target in LINK.findall(_prose(document)):
            if target.startswith(("http://", "https://", "mailto:")):
                continue
            if not (document.parent / target).exists():
                broken.append(f"{document.relative_to(ROOT)} → {target}")
    assert broken == []


def test_every_anchor_link_names_a_heading_of_its_document() -> None:
    missing = []
    for document in DOCUMENTS:
        for target, anchor in re.findall(r"\]\(([^)#\s]*)#([^)\s]+)\)", _prose(document)):
            linked = (document.parent / target) if target else document
            headings = re.findall(r"^#+ (.+)$", linked.read_text(), flags=re.MULTILINE)
            if anchor not in {_heading_anchor(h) for h in headings}:
                missing.append(f"{document.relative_to(ROOT)} → {target}#{anchor}")
    assert missing == []


def test_the_documented_stage_table_is_the_one_the_tracker_enforces() -> None:
    text = (ROOT / "docs" / "case-workflow.md").read_text()
    documented: dict[Stage, frozenset[Stage]] = {}
    for source, targets in re.findall(r"^\| (\w+) \| ([^|]+) \|$", text, flags=re.MULTILINE):
        if source not in {s.value for s in Stage}:
            continue
        names = {t.split("(")[0].strip() for t in targets.split(",")} - {"—"}
        documented[Stage(source)] = frozenset(Stage(n) for n in names)
    assert documented == TRANSITIONS
