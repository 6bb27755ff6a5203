"""Seed the catalog from app/catalog/seed_data/*.json when it is empty (idempotent)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from app.catalog import repository
from app.catalog.kinds import KIND_ORDER, KINDS
from app.catalog.transfer import import_document

SEED_DIR = Path(__file__).resolve().parent / "seed_data"


def seed_document() -> dict[str, Any]:
    """The seed files as one catalog document (the same shape as `rackplan export`)."""
    doc: dict[str, Any] = {"format": "rackplan-catalog", "version": 1}
    for name in KIND_ORDER:
        path = SEED_DIR / f"{KINDS[name].export_key}.json"
        doc[KINDS[name].export_key] = json.loads(path.read_text())["items"] if path.exists() else []
    return doc


def catalog_is_empty(session: Session) -> bool:
    return all(repository.count(session, KINDS[name]) == 0 for name in KIND_ORDER)


def seed_if_empty(session: Session) -> int:
    """Load the seed catalog into an empty database; returns the number of rows created (0 if not empty)."""
    if not catalog_is_empty(session):
        return 0
    return import_document(session=session, document=seed_document(), source="seed_data").created
