"""Test database built by the Alembic migrations; every test runs in a transaction that is rolled back.

Database tests run on SQLite and, when RACKPLAN_TEST_DATABASE_URL is set, on PostgreSQL as well.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, make_url, text
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.orm import Session, sessionmaker

from app import migrate
from app.auth import service as auth_service
from app.catalog.seed import seed_if_empty
from app.config import Settings
from app.db import bind_sessions, make_engine
from app.main import create_app

PG_URL = os.environ.get("RACKPLAN_TEST_DATABASE_URL")
BACKENDS = ["sqlite"] + (["postgresql"] if PG_URL else [])


def _worker_database(url: str) -> str:
    """Under pytest-xdist every worker gets its own PostgreSQL database (<name>_gw0, ...), created on demand."""
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    if not worker:
        return url
    base = make_url(url)
    name = f"{base.database}_{worker}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        if conn.execute(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name}).scalar() is None:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return base.set(database=name).render_as_string(hide_password=False)


def _reset_postgres(url: str) -> None:
    engine = make_engine(url)
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    engine.dispose()


@pytest.fixture(scope="session", params=BACKENDS)
def database_url(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> str:
    """A migrated, seeded database for the whole session, one per backend."""
    if request.param == "postgresql":
        assert PG_URL is not None
        url = _worker_database(PG_URL)
        _reset_postgres(url)
    else:
        url = f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.db'}"
    migrate.upgrade(url)
    engine = make_engine(url)
    with Session(engine) as session, session.begin():
        seed_if_empty(session)
    engine.dispose()
    return url


@pytest.fixture(scope="session")
def engine(database_url: str) -> Iterator[Engine]:
    eng = make_engine(database_url)
    yield eng
    eng.dispose()


@pytest.fixture
def connection(engine: Engine) -> Iterator[Connection]:
    conn = engine.connect()
    trans = conn.begin()
    yield conn
    trans.rollback()
    conn.close()


@pytest.fixture
def session_factory(connection: Connection) -> sessionmaker[Session]:
    return sessionmaker(bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False)


@pytest.fixture
def session(session_factory: sessionmaker[Session]) -> Iterator[Session]:
    with session_factory() as s:
        yield s


@pytest.fixture
def settings(database_url: str) -> Settings:
    # The catalog read cache is off here: each test's rolled-back transaction would leave stale entries behind.
    # tests/catalog/test_read_cache.py turns it on explicitly.
    return Settings(database_url=database_url, auto_migrate=False, auto_seed=False, secret_key="test-secret",
                    catalog_cache_seconds=0, warm_up_reports=False)


@pytest.fixture
def app(settings: Settings, session_factory: sessionmaker[Session]):  # type: ignore[no-untyped-def]
    application = create_app(settings)
    bind_sessions(application.state, session_factory)
    return application


@pytest.fixture
def client(app) -> Iterator[TestClient]:  # type: ignore[no-untyped-def]
    with TestClient(app) as c:
        yield c


def _token(session_factory: sessionmaker[Session], role: str) -> str:
    with session_factory() as s:
        plaintext, _ = auth_service.create_token(session=s, name=f"test-{role}", role=role)
        s.commit()
    return plaintext


@pytest.fixture
def editor_headers(session_factory: sessionmaker[Session]) -> dict[str, str]:
    return {"Authorization": f"Bearer {_token(session_factory, 'editor')}"}


@pytest.fixture
def viewer_headers(session_factory: sessionmaker[Session]) -> dict[str, str]:
    return {"Authorization": f"Bearer {_token(session_factory, 'viewer')}"}


@pytest.fixture
def admin_headers(session_factory: sessionmaker[Session]) -> dict[str, str]:
    return {"Authorization": f"Bearer {_token(session_factory, 'admin')}"}
