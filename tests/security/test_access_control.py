"""Who may write: nobody anonymous, no viewer; token management is admin-only; revoked tokens are dead."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from app.auth import service as auth_service
from app.auth.models import ApiToken
from app.config import get_settings
from app.db import bind_sessions
from app.main import create_app

WRITE_METHODS = ("post", "put", "patch", "delete")
# POSTs that compute an answer and store nothing; everything else under /api that is not a GET must need a role.
COMPUTE_ONLY = re.compile(r"^/api/v1/estimates/")
PATH_VALUES = {"slug": "h100-sxm", "token_id": "1", "plan_id": "1", "id": "1"}


def _write_operations(app) -> list[tuple[str, str]]:  # type: ignore[no-untyped-def]
    ops = []
    for path, item in app.openapi()["paths"].items():
        if not path.startswith("/api") or COMPUTE_ONLY.match(path):
            continue
        concrete = re.sub(r"\{(\w+)\}", lambda m: PATH_VALUES.get(m.group(1), "1"), path)
        ops += [(method.upper(), concrete) for method in item if method in WRITE_METHODS]
    return ops


def _snapshot(client: TestClient) -> dict[str, object]:
    kinds = ("accelerators", "servers", "switches", "storage-systems", "rack-profiles")
    snap: dict[str, object] = {k: client.get(f"/api/v1/{k}?limit=1").json()["total"] for k in kinds}
    snap["h100"] = client.get("/api/v1/accelerators/h100-sxm").json()
    return snap


def test_there_are_write_operations_to_check(app) -> None:  # type: ignore[no-untyped-def]
    ops = _write_operations(app)
    assert ("PATCH", "/api/v1/accelerators/h100-sxm") in ops and ("POST", "/api/v1/tokens") in ops
    assert len(ops) >= 16


def test_without_credentials_no_write_succeeds(client, app) -> None:  # type: ignore[no-untyped-def]
    before = _snapshot(client)
    for method, path in _write_operations(app):
        response = client.request(method, path, json={"list_price_usd": 1, "name": "x", "slug": "x"})
        assert response.status_code == 401, (method, path, response.status_code)
        assert response.headers["content-type"].startswith("application/problem+json")
    assert _snapshot(client) == before


def test_with_a_viewer_token_no_write_succeeds(client, app, viewer_headers) -> None:  # type: ignore[no-untyped-def]
    before = _snapshot(client)
    for method, path in _write_operations(app):
        response = client.request(method, path, json={"list_price_usd": 1}, headers=viewer_headers)
        assert response.status_code == 403, (method, path, response.status_code)
    assert _snapshot(client) == before


def test_a_garbage_or_revoked_token_is_401_even_for_reads(client, session_factory) -> None:  # type: ignore[no-untyped-def]
    with session_factory() as s:
        plaintext, row = auth_service.create_token(session=s, name="leaked", role="editor")
        auth_service.revoke_token(session=s, token_id=row.id)
        s.commit()
    for token in (plaintext, "rp_not-a-real-token", plaintext + "x"):
        headers = {"Authorization": f"Bearer {token}"}
        assert client.get("/api/v1/accelerators", headers=headers).status_code == 401
        patch = client.patch("/api/v1/accelerators/h100-sxm", json={"notes": "pwned"}, headers=headers)
        assert patch.status_code == 401
    assert client.get("/api/v1/accelerators/h100-sxm").json()["notes"] != "pwned"


def test_an_editor_token_writes_but_cannot_manage_tokens(client, editor_headers) -> None:
    etag = client.get("/api/v1/accelerators/h100-sxm").headers["etag"]
    ok = client.patch("/api/v1/accelerators/h100-sxm", json={"notes": "checked"},
                      headers={**editor_headers, "If-Match": etag})
    assert ok.status_code == 200 and ok.json()["notes"] == "checked"
    assert client.get("/api/v1/tokens", headers=editor_headers).status_code == 403
    assert client.post("/api/v1/tokens", json={"name": "x"}, headers=editor_headers).status_code == 403


def test_admin_manages_tokens_and_the_secret_is_shown_once(client, admin_headers, session_factory) -> None:  # type: ignore[no-untyped-def]
    created = client.post("/api/v1/tokens", json={"name": "ci-sync", "role": "editor"}, headers=admin_headers)
    assert created.status_code == 201 and created.headers["cache-control"] == "no-store"
    secret, token_id = created.json()["token"], created.json()["id"]
    listed = client.get("/api/v1/tokens", headers=admin_headers).json()["items"]
    mine = next(t for t in listed if t["id"] == token_id)
    assert "token" not in mine and mine["prefix"] == secret[:10] and mine["revoked_at"] is None
    with session_factory() as s:  # stored hashed, never in clear
        row = s.scalar(select(ApiToken).where(ApiToken.id == token_id))
        assert row is not None and secret not in row.token_hash and len(row.token_hash) == 64
    headers = {"Authorization": f"Bearer {secret}"}
    assert client.patch("/api/v1/accelerators/h100-sxm", json={"notes": "by ci"}, headers=headers).status_code == 200
    revoked = client.delete(f"/api/v1/tokens/{token_id}", headers=admin_headers)
    assert revoked.status_code == 200 and revoked.json()["revoked_at"] is not None
    assert client.patch("/api/v1/accelerators/h100-sxm", json={"notes": "x"}, headers=headers).status_code == 401
    assert client.delete("/api/v1/tokens/999999", headers=admin_headers).status_code == 404


@pytest.mark.parametrize("body", [{"name": ""}, {"name": "x", "role": "root"}, {"name": "a" * 101},
                                  {"name": "x", "extra": 1}, {"name": "<script>"}])
def test_token_creation_input_is_validated(client, admin_headers, body: dict) -> None:
    assert client.post("/api/v1/tokens", json=body, headers=admin_headers).status_code == 422


@pytest.fixture
def closed_client(settings, session_factory, monkeypatch) -> Iterator[TestClient]:  # type: ignore[no-untyped-def]
    """The documented switch is the environment variable, read through get_settings()."""
    monkeypatch.setenv("RACKPLAN_REQUIRE_LOGIN_TO_READ", "true")
    get_settings.cache_clear()
    application = create_app(settings.model_copy(update={"require_login_to_read": True}))
    bind_sessions(application.state, session_factory)
    try:
        with TestClient(application) as c:
            yield c
    finally:
        get_settings.cache_clear()


def test_require_login_to_read_closes_reads_but_not_probes(closed_client, viewer_headers) -> None:
    for path in ("/api/v1/accelerators", "/api/v1/servers/dgx-h100", "/api/v1/models"):
        assert closed_client.get(path).status_code == 401, path
        assert closed_client.get(path, headers=viewer_headers).status_code in (200, 404), path
    assert closed_client.post("/api/v1/estimates/inference", json={}).status_code == 401
    assert closed_client.get("/healthz").status_code == 200
    assert closed_client.get("/readyz").status_code == 200


def test_reads_are_open_by_default(client) -> None:
    assert client.get("/api/v1/accelerators").status_code == 200
