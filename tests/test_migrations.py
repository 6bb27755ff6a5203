"""Alembic: upgrade from empty, downgrade to base, upgrade again; head matches the ORM models (no autogen diff).

Each backend gets its own throwaway database (a temp SQLite file; a fresh PostgreSQL database created next to
the test database), so the session-wide test database is never touched.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine, inspect, text
from sqlalchemy.engine import make_url

from app import migrate
from app.db import make_engine
from app.models_registry import metadata

PG_URL = os.environ.get("RACKPLAN_TEST_DATABASE_URL")
BACKENDS = ["sqlite"] + (["postgresql"] if PG_URL else [])
CATALOG_TABLES = {"accelerators", "servers", "switches", "storage_systems", "rack_profiles"}


def _admin_engine():  # type: ignore[no-untyped-def]
    assert PG_URL is not None
    return create_engine(PG_URL, isolation_level="AUTOCOMMIT")


@pytest.fixture(params=BACKENDS)
def fresh_url(request: pytest.FixtureRequest, tmp_path) -> Iterator[str]:  # type: ignore[no-untyped-def]
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'migr.db'}"
        return
    name = f"rackplan_migr_test_{uuid.uuid4().hex[:8]}"
    admin = _admin_engine()
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(PG_URL).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def _tables(url: str) -> set[str]:
    engine = make_engine(url)
    try:
        return set(inspect(engine).get_table_names())
    finally:
        engine.dispose()


def test_upgrade_downgrade_upgrade(fresh_url):
    assert _tables(fresh_url) == set()
    migrate.upgrade(fresh_url)
    assert CATALOG_TABLES | set(metadata.tables) <= _tables(fresh_url)
    migrate.downgrade(fresh_url, "base")
    assert _tables(fresh_url) <= {"alembic_version"}
    migrate.upgrade(fresh_url)
    assert set(metadata.tables) <= _tables(fresh_url)


def test_head_matches_the_models(fresh_url):
    migrate.upgrade(fresh_url)
    engine = make_engine(fresh_url)
    try:
        with engine.connect() as conn:
            context = MigrationContext.configure(conn, opts={"compare_type": True})
            diff = compare_metadata(context, metadata)
    finally:
        engine.dispose()
    assert diff == [], f"models and migrations differ; add a revision: {diff}"
