"""Apply Alembic migrations programmatically, from any working directory, safely from several workers."""

from __future__ import annotations

from alembic import command
from alembic.config import Config
from sqlalchemy import text
from sqlalchemy.orm import Session

from app.config import PROJECT_ROOT
from app.db import make_engine

MIGRATIONS_DIR = PROJECT_ROOT / "migrations"
PG_MIGRATION_LOCK = 727_001  # advisory lock key: one worker migrates, the others wait


def lock_for_setup(session: Session) -> None:
    """Serialize start-up work across workers on PostgreSQL (released at the end of the transaction)."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": PG_MIGRATION_LOCK})


def alembic_config(url: str) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


def upgrade(url: str, revision: str = "head") -> None:
    _run(url, lambda cfg: command.upgrade(cfg, revision))


def downgrade(url: str, revision: str = "base") -> None:
    _run(url, lambda cfg: command.downgrade(cfg, revision))


def _run(url: str, action) -> None:  # type: ignore[no-untyped-def]
    engine = make_engine(url)
    try:
        with engine.begin() as conn:
            if conn.dialect.name == "postgresql":
                conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": PG_MIGRATION_LOCK})
            cfg = alembic_config(url)
            cfg.attributes["connection"] = conn
            action(cfg)
    finally:
        engine.dispose()
