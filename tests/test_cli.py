"""`rackplan` command line on a temporary SQLite database: seed, export/import round trips, tokens."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy.orm import Session

from app.auth import service as auth_service
from app.cli import main
from app.config import get_settings
from app.db import make_engine


def _use_database(monkeypatch: pytest.MonkeyPatch, path: Path) -> str:
    url = f"sqlite:///{path}"
    monkeypatch.setenv("RACKPLAN_DATABASE_URL", url)
    get_settings.cache_clear()
    return url


@pytest.fixture
def cli_db(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[Path]:
    _use_database(monkeypatch, tmp_path / "first.db")
    yield tmp_path
    monkeypatch.delenv("RACKPLAN_DATABASE_URL")
    get_settings.cache_clear()


def test_json_export_import_round_trip(cli_db, monkeypatch, capsys):
    assert main(["seed"]) == 0
    first = cli_db / "catalog.json"
    assert main(["export", "--catalog-only", "-o", str(first)]) == 0
    doc = json.loads(first.read_text())
    assert len(doc["servers"]) >= 25 and len(doc["accelerators"]) >= 17
    _use_database(monkeypatch, cli_db / "second.db")
    capsys.readouterr()
    assert main(["import", str(first)]) == 0
    rows = sum(len(v) for v in doc.values() if isinstance(v, list))
    assert f"created {rows}, updated 0, unchanged 0" in capsys.readouterr().out
    second = cli_db / "again.json"
    assert main(["export", "--catalog-only", "-o", str(second)]) == 0
    assert json.loads(second.read_text()) == doc


def test_netbox_export_import_round_trip(cli_db, capsys):
    assert main(["seed"]) == 0
    out = cli_db / "netbox"
    assert main(["export", "--format", "netbox", "-o", str(out)]) == 0
    files = sorted(out.rglob("*.yaml"))
    doc_before = cli_db / "before.json"
    main(["export", "--catalog-only", "-o", str(doc_before)])
    before = json.loads(doc_before.read_text())
    assert len(files) == len(before["servers"]) + len(before["switches"])
    capsys.readouterr()
    assert main(["import", str(out)]) == 0
    assert f"unchanged {len(files)}" in capsys.readouterr().out


def test_bad_import_exits_2_and_names_the_file(cli_db, capsys):
    bad = cli_db / "bad.yaml"
    bad.write_text("manufacturer: X\nmodel: Y\nslug: x-y\nu_height: 2\nis_full_depth: true\n")
    assert main(["import", str(bad)]) == 2
    err = capsys.readouterr().err
    assert "bad.yaml: accelerator" in err and "nothing was imported" in err


def test_token_create_prints_a_working_token(cli_db, capsys):
    assert main(["token", "create", "--name", "ci", "--role", "editor"]) == 0
    plaintext = capsys.readouterr().out.strip().splitlines()[-1]
    engine = make_engine(get_settings().database_url)
    try:
        with Session(engine) as session:
            principal = auth_service.principal_for_token(session=session, plaintext=plaintext)
            assert principal is not None and principal.role == "editor"
            assert auth_service.principal_for_token(session=session, plaintext=plaintext + "x") is None
    finally:
        engine.dispose()
