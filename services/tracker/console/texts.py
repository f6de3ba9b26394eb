"""Every word the console shows, in Chinese (the default) and English, from one catalog
(`texts.json`, data a translator edits), so a missing translation fails a unit test. Labels of
stages, roles and account states are there too."""

from __future__ import annotations

import json
from pathlib import Path

CONSOLE_TEXTS: dict[str, dict[str, str]] = json.loads(
    (Path(__file__).with_name("texts.json")).read_text(encoding="utf-8")
)
