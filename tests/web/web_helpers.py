"""Helpers shared by the web tests (imported by module name: tests/web is on sys.path under pytest)."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient

HTML = {"accept": "text/html"}
PASSWORD = "correct-horse-1"
_TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')


def csrf_of(html: str) -> str:
    match = _TOKEN.search(html)
    assert match, "page has no CSRF field"
    return match.group(1)


def sign_in(client: TestClient, username: str) -> None:
    token = csrf_of(client.get("/login", headers=HTML).text)
    r = client.post("/login", data={"username": username, "password": PASSWORD, "csrf_token": token, "next": "/"},
                    headers=HTML, follow_redirects=False)
    assert r.status_code == 303, r.text
