"""Structured logs: one JSON object per line, with report ids and never report content.

Callers pass identifiers through `extra=`; only keys listed in SAFE_FIELDS reach the output,
so a careless `extra={"narrative": ...}` is dropped rather than written.
"""

from __future__ import annotations

import json
import logging
import sys
import time
from datetime import UTC, datetime

SAFE_FIELDS = frozenset(
    {
        "report_id",
        "event_id",
        "event_type",
        "topic",
        "partition",
        "offset",
        "stage",
        "channel",
        "status",
        "method",
        "route",
        "duration_ms",
        "count",
        "attempt",
        "error",
        "reason",
        "url",
        "position",
        "staff",
        "role",
        "fields",
        "waiting_for",
        "retry_in_seconds",
        "broker",
    }
)

# Libraries whose info lines say nothing an operator needs (httpx would log internal URLs).
# pymongo's command log (DEBUG) would quote whole documents, report content included.
NOISY_LOGGERS = ("aiokafka", "faust", "mode", "kafka", "httpx", "httpcore", "pymongo")


class RepeatFilter(logging.Filter):
    """Lets each library message through once per window.

    While the broker is away aiokafka reports every reconnect attempt, ten times a second per
    client; one line per half minute says the same without burying everything else.
    """

    def __init__(self, window_seconds: float = 30.0) -> None:
        super().__init__()
        self.window = window_seconds
        self._last_seen: dict[tuple[str, int, str], float] = {}

    def filter(self, record: logging.LogRecord) -> bool:
        if not record.name.startswith(NOISY_LOGGERS):
            return True
        key = (record.name, record.levelno, str(record.msg))
        now = time.monotonic()
        last = self._last_seen.get(key)
        if last is not None and now - last < self.window:
            return False
        if len(self._last_seen) > 10_000:
            self._last_seen.clear()
        self._last_seen[key] = now
        return True


class JsonFormatter(logging.Formatter):
    def __init__(self, service: str) -> None:
        super().__init__()
        self.service = service

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, object] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(),
            "level": record.levelname.lower(),
            "service": self.service,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for key in SAFE_FIELDS:
            if key in record.__dict__:
                entry[key] = record.__dict__[key]
        if record.exc_info and record.exc_info[0] is not None:
            # The exception's type only: its message may quote the data that caused it.
            entry["exception"] = record.exc_info[0].__name__
        return json.dumps(entry, default=str)


def configure_logging(service: str, level: str = "INFO") -> logging.Handler:
    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(JsonFormatter(service))
    handler.addFilter(RepeatFilter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    # Access logs would carry raw paths, and a tracking code is part of a path.
    logging.getLogger("uvicorn.access").disabled = True
    for noisy in NOISY_LOGGERS:
        logging.getLogger(noisy).setLevel(logging.WARNING)
    return handler


def dict_config(service: str, level: str = "INFO") -> dict[str, object]:
    """The same JSON lines as a logging dictConfig, for runners that install their own logging."""
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"json": {"()": JsonFormatter, "service": service}},
        "handlers": {
            "json": {
                "class": "logging.StreamHandler",
                "formatter": "json",
                "stream": "ext://sys.stdout",
                "filters": ["repeats"],
            }
        },
        "filters": {"repeats": {"()": RepeatFilter}},
        "root": {"level": level.upper(), "handlers": ["json"]},
        "loggers": {name: {"level": "WARNING"} for name in NOISY_LOGGERS},
    }
