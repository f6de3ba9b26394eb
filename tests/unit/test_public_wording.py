"""What a reporter reads says the same in both languages."""

from __future__ import annotations

from services.common.events import Stage
from services.common.texts import TEXTS
from services.tracker.domain import PUBLIC_WORDING


def test_both_languages_say_an_assigned_report_went_to_an_inspection_team() -> None:
    english = PUBLIC_WORDING[Stage.ASSIGNED]["en"][1]
    chinese = PUBLIC_WORDING[Stage.ASSIGNED]["zh"][1]
    assert english == "Your report has been assigned to an inspection team."
    assert "分派给" in chinese and "督查组" in chinese  # assigned to / an inspection team


def test_an_empty_code_box_has_its_own_message_not_the_typo_one() -> None:
    for language in ("zh", "en"):
        text = TEXTS[language]
        assert text["code_empty"] and text["code_empty"] != text["code_typo"]
    assert "typo" not in TEXTS["en"]["code_empty"]
    assert "错字" not in TEXTS["zh"]["code_empty"]
