"""Web page fixtures: an editor and a viewer account with signed-in clients."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker
from web_helpers import PASSWORD, sign_in

from app.auth import service as auth_service


def _user(session_factory: sessionmaker[Session], name: str, role: str) -> None:
    with session_factory() as s:
        auth_service.create_user(session=s, username=name, password=PASSWORD, role=role)
        s.commit()


@pytest.fixture
def editor_client(client: TestClient, session_factory: sessionmaker[Session]) -> Iterator[TestClient]:
    _user(session_factory, "erin", "editor")
    sign_in(client, "erin")
    yield client


@pytest.fixture
def viewer_client(app, session_factory: sessionmaker[Session]) -> Iterator[TestClient]:  # type: ignore[no-untyped-def]
    _user(session_factory, "vic", "viewer")
    with TestClient(app) as c:
        sign_in(c, "vic")
        yield c
