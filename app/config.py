"""Settings from the environment (prefix RACKPLAN_)."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DATA_DIR = PROJECT_ROOT / "data"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="RACKPLAN_", env_file=None, extra="ignore")

    database_url: str = Field(
        default=f"sqlite:///{DEFAULT_DATA_DIR / 'rackplan.db'}",
        description="SQLAlchemy URL; default is a SQLite file in ./data",
    )
    auto_migrate: bool = Field(default=True, description="Apply Alembic migrations at start-up")
    auto_seed: bool = Field(default=True, description="Seed the catalog at start-up when it is empty")
    warm_up_reports: bool = Field(default=True, description="Render a tiny PDF at start-up (first download fast)")
    host: str = "127.0.0.1"
    port: int = 8000
    workers: int = 1
    secret_key: str = Field(default="dev-insecure-change-me", description="Signs session cookies and CSRF tokens")
    require_login_to_read: bool = Field(default=False, description="Catalog reads and estimates need sign-in")
    secure_cookies: bool = Field(default=False, description="Mark cookies Secure (set behind TLS)")
    max_body_bytes: int = Field(default=2_000_000, description="Largest accepted request body")
    max_upload_bytes: int = Field(default=5_000_000, description="Largest accepted catalog import")
    catalog_cache_seconds: float = Field(default=1.0, ge=0, le=3600, description=(
        "Catalog read cache: a write clears its own worker's cache at once; other workers check a catalog "
        "fingerprint at most this often and clear theirs when it changed (0 = no cache)"))
    log_level: str = "INFO"
    log_json: bool = True


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
