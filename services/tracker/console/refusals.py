"""Why a move was refused, in the page's language. The use cases say why in English (the REST
API answers with those words); the console shows the same reasons from its catalog, so a
Chinese page never shows an English sentence. A reason the catalog does not know yet is shown
as the use case gave it."""

from __future__ import annotations

import re

from services.tracker import workflow
from services.tracker.console.texts import CONSOLE_TEXTS
from services.tracker.domain import IllegalTransition
from services.tracker.queue import QueueProblem

# The use cases' and the queue's reasons -> the catalog's key (texts.json).
REASON_KEYS = {
    "not a team in the routing table": "why_team_unknown",
    "this case may involve officials covered by this team; assign it to a team at least one "
    "level above": "why_team_implicated",
    "only a duplicate names the case it joins": "why_duplicate_only",
    "name the case this one duplicates": "why_duplicate_missing",
    "a case cannot duplicate itself": "why_duplicate_self",
    "no case you may see has this id": "why_duplicate_unknown",
    "that case is closed; reopen work on a live case": "why_duplicate_closed",
    "3 to 5000 characters": "why_question_length",
    "no question with this id was asked in this case": "why_no_question",
    "yes, no, or empty for either": "why_yes_no",
    "a date like 2026-03-01": "why_date",
    "a whole number": "why_whole_number",
    "from 1 to 10000": "why_page_range",
    "a whole number from 2 up, or empty for any": "why_cluster_size",
}
# Reasons that carry a value: (pattern, key); the groups fill the catalog's {0}, {1}.
REASON_PATTERNS = (
    (
        re.compile(r"^that case is itself a duplicate of (\S+); name that one$"),
        "why_duplicate_chain",
    ),
    (re.compile(r"^one of (.+)$"), "why_one_of"),
)


def reason_words(reason: str, lang: str) -> str:
    text = CONSOLE_TEXTS[lang]
    key = REASON_KEYS.get(reason)
    if key is not None:
        return text[key]
    for pattern, key in REASON_PATTERNS:
        found = pattern.match(reason)
        if found:
            return text[key].format(*found.groups())
    return reason


def stage_words(current: str, target: str, lang: str) -> str:
    text = CONSOLE_TEXTS[lang]
    names = [text.get(f"stage_{s}", s) for s in (current, target)]
    return text["refused_stage"].format(*names)


def refusal_words(exc: Exception, lang: str) -> str:
    """Why, for a refused move of one case (409 for the stage, 422 for a field, 403 scope)."""
    text = CONSOLE_TEXTS[lang]
    if isinstance(exc, IllegalTransition):
        return stage_words(exc.current.value, exc.target.value, lang)
    if isinstance(exc, workflow.ChangedMeanwhile):
        return text["changed_meanwhile"]
    if isinstance(exc, (workflow.CaseNotFound, workflow.OutOfScope)):
        return text["api_403"]
    if isinstance(exc, (workflow.InvalidField, QueueProblem)):
        return reason_words(exc.reason, lang)
    return text["why_outcome"]  # a conclusion the form's list does not hold
