"""Catalog REST API: CRUD, auth, ETag/If-Match, problem details, filtering and paging."""

from __future__ import annotations

ACCEL = {
    "slug": "test-gpu", "vendor": "TestCo", "name": "Test GPU", "form_factor": "SXM", "bf16_tflops": 500,
    "memory_gb": 96, "memory_tbyte_s": 4.0, "tdp_w": 700, "source_url": "https://example.com/gpu",
}
SERVER = {
    "slug": "test-server", "vendor": "TestCo", "model": "TS-8", "accelerator": "test-gpu", "gpu_count": 8,
    "scaleup_domain_gpus": 8, "rack_units": 8, "max_power_w": 10200, "typical_power_w": 8000,
    "cooling": "air", "weight_kg": 130, "list_price_usd": 300000, "source_url": "https://example.com/srv",
}


def _create(client, headers, path, body):
    resp = client.post(f"/api/v1/{path}", json=body, headers=headers)
    assert resp.status_code == 201, resp.text
    return resp


def test_write_without_token_is_401_and_writes_nothing(client):
    resp = client.post("/api/v1/accelerators", json=ACCEL)
    assert resp.status_code == 401
    assert resp.headers["content-type"].startswith("application/problem+json")
    assert client.get("/api/v1/accelerators/test-gpu").status_code == 404


def test_viewer_token_cannot_write(client, viewer_headers):
    assert client.post("/api/v1/accelerators", json=ACCEL, headers=viewer_headers).status_code == 403


def test_bad_token_is_401(client):
    resp = client.post("/api/v1/accelerators", json=ACCEL, headers={"Authorization": "Bearer nope"})
    assert resp.status_code == 401


def test_create_get_and_location(client, editor_headers):
    resp = _create(client, editor_headers, "accelerators", ACCEL)
    assert resp.headers["location"] == "/api/v1/accelerators/test-gpu"
    got = client.get("/api/v1/accelerators/test-gpu")
    assert got.status_code == 200
    assert got.json()["bf16_tflops"] == 500
    assert got.headers["etag"] == resp.headers["etag"]


def test_duplicate_slug_is_409(client, editor_headers):
    _create(client, editor_headers, "accelerators", ACCEL)
    resp = client.post("/api/v1/accelerators", json=ACCEL, headers=editor_headers)
    assert resp.status_code == 409
    assert resp.json()["errors"][0]["field"] == "slug"


def test_invalid_input_names_each_field(client, editor_headers):
    bad = {**ACCEL, "bf16_tflops": -1, "memory_gb": "lots", "form_factor": "Card"}
    resp = client.post("/api/v1/accelerators", json=bad, headers=editor_headers)
    assert resp.status_code == 422
    fields = {e["field"] for e in resp.json()["errors"]}
    assert {"bf16_tflops", "memory_gb", "form_factor"} <= fields


def test_server_power_below_gpus_is_rejected(client, editor_headers):
    _create(client, editor_headers, "accelerators", ACCEL)
    resp = client.post("/api/v1/servers", json={**SERVER, "max_power_w": 2000, "typical_power_w": 1500},
                       headers=editor_headers)
    assert resp.status_code == 422
    assert resp.json()["errors"][0]["field"] == "max_power_w"
    assert client.get("/api/v1/servers/test-server").status_code == 404


def test_unknown_accelerator_is_422(client, editor_headers):
    resp = client.post("/api/v1/servers", json={**SERVER, "accelerator": "no-such-gpu"}, headers=editor_headers)
    assert resp.status_code == 422
    assert resp.json()["errors"][0]["field"] == "accelerator"


def test_stale_if_match_is_412_and_changes_nothing(client, editor_headers):
    etag = _create(client, editor_headers, "accelerators", ACCEL).headers["etag"]
    first = client.patch("/api/v1/accelerators/test-gpu", json={"tdp_w": 750},
                         headers={**editor_headers, "If-Match": etag})
    assert first.status_code == 200
    assert first.headers["etag"] != etag
    stale = client.patch("/api/v1/accelerators/test-gpu", json={"tdp_w": 800},
                         headers={**editor_headers, "If-Match": etag})
    assert stale.status_code == 412
    assert client.get("/api/v1/accelerators/test-gpu").json()["tdp_w"] == 750


def test_put_replaces_and_patch_revalidates(client, editor_headers):
    etag = _create(client, editor_headers, "accelerators", ACCEL).headers["etag"]
    resp = client.put("/api/v1/accelerators/test-gpu", json={**ACCEL, "memory_gb": 141},
                      headers={**editor_headers, "If-Match": etag})
    assert resp.status_code == 200 and resp.json()["memory_gb"] == 141
    bad = client.patch("/api/v1/accelerators/test-gpu", json={"memory_gb": -5}, headers=editor_headers)
    assert bad.status_code == 422
    assert client.get("/api/v1/accelerators/test-gpu").json()["memory_gb"] == 141


def test_delete_and_404(client, editor_headers):
    _create(client, editor_headers, "accelerators", ACCEL)
    assert client.delete("/api/v1/accelerators/test-gpu", headers=editor_headers).status_code == 204
    resp = client.get("/api/v1/accelerators/test-gpu")
    assert resp.status_code == 404
    assert "/api/v1/accelerators" in resp.json()["detail"]


def test_accelerator_in_use_cannot_be_deleted(client, editor_headers):
    _create(client, editor_headers, "accelerators", ACCEL)
    _create(client, editor_headers, "servers", SERVER)
    resp = client.delete("/api/v1/accelerators/test-gpu", headers=editor_headers)
    assert resp.status_code == 409
    assert "test-server" in resp.json()["detail"]


def test_list_filters_sort_and_paging(client, editor_headers):
    _create(client, editor_headers, "accelerators", ACCEL)
    _create(client, editor_headers, "servers", SERVER)
    _create(client, editor_headers, "servers", {**SERVER, "slug": "test-server-4", "gpu_count": 4,
                                                "scaleup_domain_gpus": 4, "cooling": "liquid"})
    only = client.get("/api/v1/servers", params={"accelerator": "test-gpu", "min_gpus": 8}).json()
    assert [s["slug"] for s in only["items"]] == ["test-server"]
    liquid = client.get("/api/v1/servers", params={"accelerator": "test-gpu", "cooling": "liquid"}).json()
    assert [s["slug"] for s in liquid["items"]] == ["test-server-4"]
    ordered = client.get("/api/v1/servers", params={"vendor": "testco", "sort": "-gpu_count"}).json()
    assert [s["gpu_count"] for s in ordered["items"]] == [8, 4]
    page = client.get("/api/v1/servers", params={"q": "ts-8", "limit": 1, "offset": 0}).json()
    assert page["total"] == 2 and len(page["items"]) == 1


def test_bad_sort_and_paging_are_422(client):
    assert client.get("/api/v1/servers", params={"sort": "password"}).status_code == 422
    assert client.get("/api/v1/servers", params={"limit": 100000}).status_code == 422


def test_health_and_ready(client):
    assert client.get("/healthz").json() == {"status": "ok"}
    assert client.get("/readyz").json()["status"] == "ready"


def test_nul_characters_are_422_not_500(client, editor_headers):
    """PostgreSQL cannot store NUL in text (found by the API fuzz test); SQLite can: both must answer cleanly."""
    resp = client.post("/api/v1/accelerators", json={**ACCEL, "name": "bad\u0000name"}, headers=editor_headers)
    assert resp.status_code in (201, 422)
    if resp.status_code == 422:
        assert "NUL" in resp.json()["detail"]
    assert client.get("/api/v1/servers/abc%00def").status_code == 404 or \
        client.get("/api/v1/servers/abc%00def").status_code == 422


def test_a_failed_commit_is_an_error_response_not_a_success(app, editor_headers, monkeypatch):
    """The session dependency commits before the response is sent: a commit failure must reach the client."""
    from fastapi.testclient import TestClient
    from sqlalchemy.orm import Session

    client = TestClient(app, raise_server_exceptions=False)
    def failing_commit(self):  # type: ignore[no-untyped-def]
        raise RuntimeError("disk full")

    monkeypatch.setattr(Session, "commit", failing_commit)
    resp = client.post("/api/v1/accelerators", json=ACCEL, headers=editor_headers)
    assert resp.status_code == 500
    assert resp.headers["content-type"].startswith("application/problem+json")
