"""First-run setup: with no accounts, /setup creates the administrator; afterwards it is gone."""

from __future__ import annotations

from fastapi.testclient import TestClient
from web_helpers import HTML, csrf_of


def _setup(client: TestClient, **fields: str):  # type: ignore[no-untyped-def]
    token = csrf_of(client.get("/setup", headers=HTML).text)
    data = {"username": "admin", "password": "correct horse", "password_repeat": "correct horse", "next": "/plans/new",
            "csrf_token": token, **fields}
    return client.post("/setup", data=data, headers=HTML, follow_redirects=False)


def test_login_points_to_setup_when_there_are_no_accounts(client: TestClient) -> None:
    assert 'href="/setup' in client.get("/login", headers=HTML).text


def test_setup_rejects_bad_input_and_keeps_the_name(client: TestClient) -> None:
    resp = _setup(client, username="ops-lead", password_repeat="something else")
    assert resp.status_code == 422
    assert "the two passwords differ" in resp.text and 'value="ops-lead"' in resp.text


def test_setup_creates_admin_signs_in_then_disappears(client: TestClient) -> None:
    resp = _setup(client)
    assert resp.status_code == 303 and resp.headers["location"] == "/plans/new"
    assert "Needs an editor sign-in" not in client.get("/plans/new", headers=HTML).text
    assert client.get("/setup", headers=HTML).status_code == 404
    assert 'href="/setup' not in client.get("/login", headers=HTML).text


def test_setup_post_without_csrf_is_refused(client: TestClient) -> None:
    resp = client.post("/setup", data={"username": "x", "password": "12345678", "password_repeat": "12345678"},
                       headers=HTML, follow_redirects=False)
    assert resp.status_code == 403
