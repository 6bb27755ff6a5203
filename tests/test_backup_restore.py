"""Backup and restore: export -> wipe -> import -> export gives the same document; a bad import writes nothing."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from app import cli
from app.catalog import repository, transfer
from app.catalog.kinds import KIND_ORDER, KINDS
from app.config import get_settings
from app.errors import ValidationProblem


def _wipe(session: Session) -> None:
    for name in reversed(KIND_ORDER):  # servers go before the accelerators they reference
        for row in repository.all_rows(session, KINDS[name]):
            session.delete(row)
    session.flush()


def _counts(session: Session) -> dict[str, int]:
    return {name: repository.count(session, KINDS[name]) for name in KIND_ORDER}


def test_export_wipe_import_export_round_trip(session: Session) -> None:
    original = json.loads(json.dumps(transfer.export_document(session=session), default=str))
    assert sum(len(original[KINDS[n].export_key]) for n in KIND_ORDER) >= 20  # the seeded catalog
    _wipe(session)
    assert set(_counts(session).values()) == {0}
    result = transfer.import_document(session=session, document=copy.deepcopy(original), source="backup.json")
    assert result.created == sum(len(original[KINDS[n].export_key]) for n in KIND_ORDER)
    session.flush()
    session.expire_all()
    restored = json.loads(json.dumps(transfer.export_document(session=session), default=str))
    assert restored == original


def test_reimporting_the_same_backup_changes_nothing(session: Session) -> None:
    doc = json.loads(json.dumps(transfer.export_document(session=session), default=str))
    result = transfer.import_document(session=session, document=doc, source="backup.json")
    assert (result.created, result.updated) == (0, 0) and result.unchanged > 0


def test_a_backup_with_one_bad_row_restores_nothing(session: Session) -> None:
    doc = json.loads(json.dumps(transfer.export_document(session=session), default=str))
    _wipe(session)
    doc["servers"][-1]["gpu_count"] = -8
    with pytest.raises(ValidationProblem) as info:
        transfer.import_document(session=session, document=doc, source="backup.json")
    assert any("gpu_count" in e.field for e in info.value.errors)
    assert set(_counts(session).values()) == {0}


def test_cli_export_and_import_restore_a_fresh_database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The documented `rackplan export` / `rackplan import` on real, committed SQLite files."""
    backup, again = tmp_path / "catalog.json", tmp_path / "again.json"
    monkeypatch.setenv("RACKPLAN_DATABASE_URL", f"sqlite:///{tmp_path / 'source.db'}")
    get_settings.cache_clear()
    try:
        assert cli.main(["seed"]) == 0
        assert cli.main(["export", "-o", str(backup)]) == 0
        monkeypatch.setenv("RACKPLAN_DATABASE_URL", f"sqlite:///{tmp_path / 'restored.db'}")
        get_settings.cache_clear()
        assert cli.main(["import", str(backup)]) == 0
        assert cli.main(["export", "-o", str(again)]) == 0
    finally:
        get_settings.cache_clear()
    assert json.loads(again.read_text()) == json.loads(backup.read_text())
    assert len(json.loads(backup.read_text())["catalog"]["servers"]) >= 5


def _add_plan_and_accounts(session: Session) -> None:
    from app.auth import service as auth_service
    from app.plans.models import Plan

    auth_service.create_user(session=session, username="backup-admin", password="long enough", role="admin")
    auth_service.create_token(session=session, name="backup-token", role="editor")
    session.add(Plan(name="kept plan", kind="inference", objective="tco", request={"name": "kept plan"},
                     result={"summary": {"servers": 3}}, catalog_snapshot={"servers": []}, engine_version="1.0.0",
                     created_by="backup-admin"))
    session.flush()


def _wipe_everything(session: Session) -> None:
    from app.backup import TABLES

    for model in TABLES:
        for row in session.scalars(select(model)):
            session.delete(row)
    _wipe(session)


def test_full_backup_restores_plans_and_accounts(session: Session) -> None:
    from app.backup import export_backup, import_backup

    _add_plan_and_accounts(session)
    original = json.loads(json.dumps(export_backup(session=session), default=str))
    assert original["plans"] and original["users"] and original["api_tokens"]
    assert "long enough" not in json.dumps(original)  # passwords only as hashes
    _wipe_everything(session)
    restored = import_backup(session=session, document=copy.deepcopy(original), source="backup.json")
    assert restored.inserted == {"plans": len(original["plans"]), "users": len(original["users"]),
                                 "api_tokens": len(original["api_tokens"])}
    session.expire_all()
    assert json.loads(json.dumps(export_backup(session=session), default=str)) == original


def test_a_backup_with_a_malformed_plan_restores_nothing(session: Session) -> None:
    from app.backup import export_backup, import_backup

    _add_plan_and_accounts(session)
    doc = json.loads(json.dumps(export_backup(session=session), default=str))
    _wipe_everything(session)
    doc["plans"][0]["colour"] = "blue"
    with pytest.raises(ValidationProblem) as info:
        import_backup(session=session, document=doc, source="backup.json")
    assert any(e.field.endswith("plans[0].colour") for e in info.value.errors)
    assert set(_counts(session).values()) == {0}
