"""Catalog export/import over the API: lossless JSON round trip, all-or-nothing, NetBox zip, limits, safety."""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import delete

from app.catalog.kinds import KIND_ORDER, KINDS
from app.db import bind_sessions
from app.main import create_app

SAMPLES = Path(__file__).parent / "netbox_samples"


def _empty_catalog(session) -> None:
    for name in reversed(KIND_ORDER):  # servers reference accelerators: delete them first
        session.execute(delete(KINDS[name].model))
    session.commit()


def _export(client) -> dict:
    resp = client.get("/api/v1/catalog/export")
    assert resp.status_code == 200, resp.text
    return resp.json()


def test_json_export_import_into_empty_catalog_is_lossless(client, session, editor_headers):
    original = _export(client)
    total = sum(len(original[KINDS[n].export_key]) for n in KIND_ORDER)
    assert len(original["servers"]) >= 25 and all(r["source_url"] for r in original["servers"])
    _empty_catalog(session)
    assert _export(client)["servers"] == []
    resp = client.post("/api/v1/catalog/import", json=original, headers=editor_headers)
    assert resp.status_code == 200, resp.text
    assert resp.json()["created"] == total
    assert _export(client) == original
    again = client.post("/api/v1/catalog/import", json=original, headers=editor_headers).json()
    assert (again["created"], again["updated"], again["unchanged"]) == (0, 0, total)


BAD_SERVER = {
    "slug": "bad-8gpu", "vendor": "TestCo", "model": "B-8", "accelerator": "h100-sxm", "gpu_count": 8,
    "scaleup_domain_gpus": 8, "rack_units": 8, "max_power_w": 2000, "typical_power_w": 1500, "cooling": "air",
    "weight_kg": 120, "list_price_usd": 1, "colour": "red",
}
GOOD_RACK = {"slug": "ok-rack", "vendor": "TestCo", "name": "OK rack", "rack_units": 42, "power_kw": 20,
             "cooling": "air", "max_weight_kg": 1200}


def _bad_upload(client, headers, servers: list[dict]):
    doc = {"format": "rackplan-catalog", "version": 1, "rack_profiles": [GOOD_RACK], "servers": servers}
    files = {"file": ("my-catalog.json", json.dumps(doc).encode(), "application/json")}
    resp = client.post("/api/v1/catalog/import", files=files, headers=headers)
    assert resp.status_code == 422, resp.text
    assert resp.headers["content-type"].startswith("application/problem+json")
    return {e["field"]: e["message"] for e in resp.json()["errors"]}


def test_bad_import_reports_every_problem_with_file_and_field_and_writes_nothing(client, editor_headers):
    power_only = {k: v for k, v in BAD_SERVER.items() if k != "colour"}
    unknown_only = {**BAD_SERVER, "slug": "bad-2", "max_power_w": 10_200}
    fields = _bad_upload(client, editor_headers, [power_only, unknown_only])
    assert "8 x h100-sxm" in fields["my-catalog.json: servers[0].max_power_w"]
    assert "my-catalog.json: servers[1].colour" in fields
    assert client.get("/api/v1/rack-profiles/ok-rack").status_code == 404
    assert client.get("/api/v1/servers/bad-8gpu").status_code == 404


def test_unknown_field_does_not_hide_the_power_check(client, editor_headers):
    fields = _bad_upload(client, editor_headers, [BAD_SERVER])
    assert "my-catalog.json: servers[0].colour" in fields
    assert "my-catalog.json: servers[0].max_power_w" in fields


def test_import_needs_an_editor_token(client, viewer_headers):
    assert client.post("/api/v1/catalog/import", json={"servers": []}).status_code == 401
    assert client.post("/api/v1/catalog/import", json={"servers": []}, headers=viewer_headers).status_code == 403


def test_unsupported_media_type_is_415(client, editor_headers):
    resp = client.post("/api/v1/catalog/import", content=b"x", headers={**editor_headers, "content-type": "text/csv"})
    assert resp.status_code == 415


def test_netbox_zip_export_and_reimport(client, editor_headers):
    resp = client.get("/api/v1/catalog/export?format=netbox")
    assert resp.status_code == 200 and resp.headers["content-type"] == "application/zip"
    archive = zipfile.ZipFile(io.BytesIO(resp.content))
    doc = _export(client)
    assert len(archive.namelist()) == len(doc["servers"]) + len(doc["switches"])
    assert "device-types/NVIDIA/nvidia-qm9700.yaml" in archive.namelist()
    up = client.post("/api/v1/catalog/import", headers=editor_headers,
                     files={"file": ("netbox.zip", resp.content, "application/zip")})
    assert up.status_code == 200, up.text
    assert up.json()["unchanged"] == len(archive.namelist()) and up.json()["created"] == 0
    assert _export(client) == doc


def test_sample_yaml_files_upload(client, editor_headers):
    files = [("file", (p.name, p.read_bytes(), "application/yaml")) for p in sorted(SAMPLES.glob("Nvidia-*.yaml"))]
    resp = client.post("/api/v1/catalog/import", files=files, headers=editor_headers)
    assert resp.status_code == 200, resp.text
    assert client.get("/api/v1/switches/nvidia-sn5600").json()["airflow"] == "rear-to-front"


def test_hostile_yaml_upload_is_422_and_not_executed(client, editor_headers, tmp_path):
    marker = tmp_path / "pwned"
    evil = f'!!python/object/apply:os.system ["touch {marker}"]\n'.encode()
    resp = client.post("/api/v1/catalog/import", headers=editor_headers,
                       files={"file": ("evil.yaml", evil, "application/yaml")})
    assert resp.status_code == 422
    assert resp.json()["errors"][0]["field"] == "evil.yaml"
    assert not marker.exists()


@pytest.fixture
def small_limit_client(settings, session_factory):
    application = create_app(settings.model_copy(update={"max_upload_bytes": 2_000}))
    bind_sessions(application.state, session_factory)
    with TestClient(application) as c:
        yield c


def test_oversize_upload_is_413(small_limit_client, editor_headers):
    big = {"servers": [{"slug": f"s{i}", "notes": "x" * 100} for i in range(40)]}
    resp = small_limit_client.post("/api/v1/catalog/import", json=big, headers=editor_headers)
    assert resp.status_code == 413
    chunked = small_limit_client.post("/api/v1/catalog/import", headers={**editor_headers,
                                      "content-type": "application/json"}, content=iter([b"{" + b" " * 3000 + b"}"]))
    assert chunked.status_code == 413
