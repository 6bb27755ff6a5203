"""Logging: one JSON object per line (or plain text for development), tagged with the current request id.

`configure_logging(settings)` is idempotent; the request id of the request being served lives in a context
variable set by the middleware, so any log line written while serving a request carries it.
"""

from __future__ import annotations

import json
import logging
import sys
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any

from app.config import Settings

request_id_var: ContextVar[str | None] = ContextVar("rackplan_request_id", default=None)

ACCESS_LOGGER = "rackplan.access"
# Attributes every LogRecord has; anything else passed with `extra=` is emitted as a JSON field.
_STANDARD_ATTRS = frozenset(vars(logging.LogRecord("", 0, "", 0, "", (), None))) | {"message", "asctime"}
_HANDLER_NAME = "rackplan-handler"


class JsonFormatter(logging.Formatter):
    """Formats a record as one JSON line: time, level, logger, message, request_id and any `extra` fields."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        request_id = request_id_var.get()
        if request_id:
            entry["request_id"] = request_id
        for key, value in vars(record).items():
            if key not in _STANDARD_ATTRS and not key.startswith("_"):
                entry[key] = value
        if record.exc_info:
            entry["exc_info"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str, ensure_ascii=False)


class TextFormatter(logging.Formatter):
    """Human-readable development format with the request id when there is one."""

    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)-7s %(name)s %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        line = super().format(record)
        request_id = request_id_var.get()
        return f"{line} [{request_id}]" if request_id else line


def configure_logging(settings: Settings) -> None:
    """Send the `rackplan` and `uvicorn` loggers to stderr in the configured format and level.

    uvicorn's own access log is silenced: the middleware writes a richer access line (logger `rackplan.access`).
    `rackplan` still propagates so that test log capture works; the root logger normally has no handler.
    """
    handler = logging.StreamHandler(sys.stderr)
    handler.set_name(_HANDLER_NAME)
    handler.setFormatter(JsonFormatter() if settings.log_json else TextFormatter())
    level = logging.getLevelName(settings.log_level.upper())
    level = level if isinstance(level, int) else logging.INFO
    for name in ("rackplan", "uvicorn"):
        logger = logging.getLogger(name)
        keep = [h for h in logger.handlers if h.get_name() != _HANDLER_NAME] if name == "rackplan" else []
        logger.handlers = [*keep, handler]
        logger.setLevel(level)
    logging.getLogger("uvicorn.access").disabled = True
