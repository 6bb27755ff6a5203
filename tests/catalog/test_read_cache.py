"""The catalog read cache: reuse within its lifetime, cleared by any commit that touches the catalog."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from app.catalog.read_cache import CACHE, ReadCache
from app.db import bind_sessions
from app.main import create_app

ITEM = "/api/v1/accelerators/h100-sxm"


@pytest.fixture
def cached_client(settings, session_factory):  # type: ignore[no-untyped-def]
    CACHE.invalidate()
    application = create_app(settings.model_copy(update={"catalog_cache_seconds": 60}))
    bind_sessions(application.state, session_factory)
    with TestClient(application) as c:
        yield c
    CACHE.invalidate()


def test_entries_expire_and_invalidate() -> None:
    cache = ReadCache()
    cache.store("k", (b"body", {"ETag": '"1-1"'}))
    assert cache.lookup("k", ttl_s=60) == (b"body", {"ETag": '"1-1"'})
    assert cache.lookup("k", ttl_s=-1) is None  # older than its lifetime
    cache.invalidate()
    assert cache.lookup("k", ttl_s=60) is None


def test_a_write_is_visible_to_the_next_read(cached_client: TestClient, editor_headers) -> None:  # type: ignore[no-untyped-def]
    first = cached_client.get(ITEM)
    assert CACHE.lookup(f"http://testserver{ITEM}", ttl_s=60) is not None  # the rendered read was kept
    assert cached_client.get(ITEM).headers["etag"] == first.headers["etag"]
    patched = cached_client.patch(ITEM, json={"notes": "re-measured"},
                                  headers={**editor_headers, "If-Match": first.headers["etag"]})
    assert patched.status_code == 200
    assert CACHE.lookup(f"http://testserver{ITEM}", ttl_s=60) is None  # the commit cleared it
    after = cached_client.get(ITEM)
    assert after.json()["notes"] == "re-measured" and after.headers["etag"] == patched.headers["etag"]


def test_lists_are_cached_per_query(cached_client: TestClient) -> None:
    h100 = cached_client.get("/api/v1/servers", params={"accelerator": "h100-sxm"}).json()
    b200 = cached_client.get("/api/v1/servers", params={"accelerator": "b200"}).json()
    assert h100["items"] != b200["items"]
    assert cached_client.get("/api/v1/servers", params={"accelerator": "h100-sxm"}).json() == h100


def test_writes_by_other_processes_are_noticed_through_the_fingerprint(settings, session_factory) -> None:  # type: ignore[no-untyped-def]
    """A core UPDATE (no ORM events: what another worker's write looks like here) is seen once the interval passed."""
    import time

    from sqlalchemy import update

    from app.catalog.models import Accelerator

    CACHE.invalidate()
    application = create_app(settings.model_copy(update={"catalog_cache_seconds": 0.05}))
    bind_sessions(application.state, session_factory)
    with TestClient(application) as c:
        assert c.get(ITEM).json()["notes"] != "changed elsewhere"
        assert CACHE.lookup(f"http://testserver{ITEM}") is not None  # cached, and no ORM event will clear it
        with session_factory() as s:
            s.execute(update(Accelerator).where(Accelerator.slug == "h100-sxm")
                      .values(notes="changed elsewhere", version=Accelerator.version + 1))
            s.commit()
        time.sleep(0.1)
        assert c.get(ITEM).json()["notes"] == "changed elsewhere"
    CACHE.invalidate()
