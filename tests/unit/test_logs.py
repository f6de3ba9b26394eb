import json
import logging

from services.common.logs import JsonFormatter, RepeatFilter


def record(name: str, message: str, **extra: object) -> logging.LogRecord:
    entry = logging.LogRecord(name, logging.INFO, __file__, 1, message, None, None)
    entry.__dict__.update(extra)
    return entry


def test_log_lines_are_json_with_ids_and_without_unlisted_fields():
    line = JsonFormatter("intake").format(
        record("services.intake", "report accepted", report_id="r-1", narrative="secret words")
    )
    entry = json.loads(line)
    assert entry["service"] == "intake" and entry["report_id"] == "r-1"
    assert "secret words" not in line


def test_an_exception_is_logged_by_type_only():
    try:
        raise ValueError("the narrative said something private")
    except ValueError:
        import sys

        entry = record("services.x", "failed")
        entry.exc_info = sys.exc_info()
    line = JsonFormatter("x").format(entry)
    assert json.loads(line)["exception"] == "ValueError"
    assert "private" not in line


def test_a_library_repeating_itself_is_heard_once_per_window():
    repeats = RepeatFilter(window_seconds=60)
    same = [repeats.filter(record("aiokafka", "Unable connect to node")) for _ in range(50)]
    assert same.count(True) == 1
    assert repeats.filter(record("services.intake", "report accepted"))
    assert repeats.filter(record("services.intake", "report accepted"))
