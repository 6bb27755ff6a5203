"""Full backup and restore: the catalog, the saved plans and the accounts (users, hashed API tokens).

`rackplan export` writes this document; `rackplan import` restores it all-or-nothing: the catalog through the
validating catalog import, plans and accounts inserted where missing (a plan is immutable, so an existing id is
kept as it is). Secrets never appear in clear: passwords and tokens are stored hashed and exported hashed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import DateTime, Table, func, select, text
from sqlalchemy.orm import Session

from app.auth.models import ApiToken, User
from app.catalog.transfer import export_document, import_document
from app.db import Base
from app.errors import FieldError, ValidationProblem
from app.plans.models import Plan

FORMAT = "rackplan-backup"
TABLES: tuple[type[Base], ...] = (Plan, User, ApiToken)
SECTIONS = {Plan: "plans", User: "users", ApiToken: "api_tokens"}
UNIQUE_KEY = {Plan: "id", User: "username", ApiToken: "token_hash"}


@dataclass
class RestoreResult:
    catalog_created: int = 0
    catalog_updated: int = 0
    inserted: dict[str, int] | None = None


def is_backup(document: Any) -> bool:
    return isinstance(document, dict) and document.get("format") == FORMAT


def export_backup(*, session: Session) -> dict[str, Any]:
    doc: dict[str, Any] = {"format": FORMAT, "version": 1, "catalog": export_document(session=session)}
    for model, section in SECTIONS.items():
        doc[section] = [_row_dict(row) for row in session.scalars(select(model).order_by(model.id))]  # type: ignore[attr-defined]
    return doc


def _row_dict(row: Any) -> dict[str, Any]:
    table: Table = row.__table__
    return {c.name: _plain(getattr(row, c.name)) for c in table.columns}


def _plain(value: Any) -> Any:
    return value.isoformat() if isinstance(value, datetime) else value


def import_backup(*, session: Session, document: dict[str, Any], source: str) -> RestoreResult:
    """All-or-nothing: any invalid catalog row or malformed record means nothing is written."""
    rows = {model: _parse_section(model, document.get(SECTIONS[model], []), source) for model in TABLES}
    with session.begin_nested():
        catalog = import_document(session=session, document=document.get("catalog", {}), source=f"{source}: catalog")
        inserted = {SECTIONS[model]: _insert_missing(session, model, records) for model, records in rows.items()}
        _resync_sequences(session)
    return RestoreResult(catalog.created, catalog.updated, inserted)


def _parse_section(model: type[Base], records: Any, source: str) -> list[dict[str, Any]]:
    section = SECTIONS[model]
    columns = {c.name: c for c in model.__table__.columns}
    if not isinstance(records, list) or not all(isinstance(r, dict) for r in records):
        raise ValidationProblem(f"{source}: {section} must be a list of objects", field=section)
    errors = [FieldError(f"{source}: {section}[{i}].{key}", "unknown field")
              for i, r in enumerate(records) for key in r if key not in columns]
    errors += [FieldError(f"{source}: {section}[{i}].{name}", "required")
               for i, r in enumerate(records) for name, col in columns.items()
               if name not in r and not col.nullable and col.server_default is None and col.default is None]
    if errors:
        raise ValidationProblem(f"{len(errors)} problem(s) in {source}; nothing was restored", errors=errors)
    return [_typed(columns, r) for r in records]


def _typed(columns: dict[str, Any], record: dict[str, Any]) -> dict[str, Any]:
    out = dict(record)
    for name, value in record.items():
        if isinstance(value, str) and isinstance(getattr(columns[name].type, "impl", columns[name].type), DateTime):
            out[name] = datetime.fromisoformat(value)
    return out


def _insert_missing(session: Session, model: type[Base], records: list[dict[str, Any]]) -> int:
    key = UNIQUE_KEY[model]
    existing = set(session.scalars(select(getattr(model, key))))
    fresh = [r for r in records if r[key] not in existing]
    session.add_all(model(**r) for r in fresh)
    session.flush()
    return len(fresh)


def _resync_sequences(session: Session) -> None:
    """Rows restored with their ids: move PostgreSQL's id sequences past them."""
    if session.get_bind().dialect.name != "postgresql":
        return
    for model in TABLES:
        table = model.__tablename__
        if session.scalar(select(func.count()).select_from(model)):
            sql = f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT MAX(id) FROM {table}))"
            session.execute(text(sql))
