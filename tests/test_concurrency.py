"""No lost update under concurrent edits (PostgreSQL): parallel GET-then-PATCH with If-Match on one row.

Each writer reads the row (value and ETag) in one transaction, waits a little so that others read the same
version, then patches value + 1 with If-Match in another transaction: the REST flow. Some writers win, the
others get 412. With real commits on PostgreSQL, the final value must be the start value plus the number of
successful writes exactly; a lost update would leave it lower.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections import Counter

import pytest
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from app.catalog import service
from app.catalog.kinds import KINDS
from app.errors import PreconditionFailed

WRITERS, ATTEMPTS = 8, 6
KIND = KINDS["rack-profiles"]


@pytest.fixture
def committed_row(engine: Engine, database_url: str):  # type: ignore[no-untyped-def]
    if not database_url.startswith("postgresql"):
        pytest.skip("row-level concurrency is tested on PostgreSQL (SQLite serialises writers)")
    factory = sessionmaker(bind=engine, expire_on_commit=False)
    slug = f"concurrency-{uuid.uuid4().hex[:8]}"
    body = KIND.create.model_validate({"slug": slug, "vendor": "Test", "name": "Race rack", "rack_units": 42,
                                       "power_kw": 40, "cooling": "air", "max_weight_kg": 1500,
                                       "list_price_usd": 1000})
    with factory() as s, s.begin():
        service.create_item(session=s, kind=KIND, body=body)
    yield factory, slug
    with factory() as s, s.begin():
        service.delete_item(session=s, kind=KIND, slug=slug, if_match=None)


def _read(factory: sessionmaker[Session], slug: str) -> tuple[float, str, int]:
    with factory() as s:
        row = service.get_row(session=s, kind=KIND, slug=slug)
        return row.list_price_usd, service.etag(row), row.version  # type: ignore[attr-defined]


def _writer(factory: sessionmaker[Session], slug: str, barrier: threading.Barrier, outcomes: Counter) -> None:
    for _ in range(ATTEMPTS):
        barrier.wait()
        value, etag, _ = _read(factory, slug)
        time.sleep(0.005)  # widen the window between GET and PATCH
        try:
            with factory() as s, s.begin():
                service.patch_item(session=s, kind=KIND, slug=slug, if_match=etag,
                                   body=KIND.update.model_validate({"list_price_usd": value + 1}))
            outcomes["ok"] += 1
        except PreconditionFailed:
            outcomes["412"] += 1


def test_parallel_if_match_writers_never_lose_an_update(committed_row) -> None:  # type: ignore[no-untyped-def]
    factory, slug = committed_row
    start_value, _, start_version = _read(factory, slug)
    outcomes: Counter = Counter()
    barrier = threading.Barrier(WRITERS)
    threads = [threading.Thread(target=_writer, args=(factory, slug, barrier, outcomes)) for _ in range(WRITERS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert outcomes["ok"] + outcomes["412"] == WRITERS * ATTEMPTS
    assert outcomes["412"] > 0, "no conflict happened: the test did not exercise concurrency"
    assert outcomes["ok"] >= ATTEMPTS  # at least one winner per round
    final_value, _, final_version = _read(factory, slug)
    assert final_value == start_value + outcomes["ok"]
    assert final_version == start_version + outcomes["ok"]


def test_without_if_match_last_writer_wins_but_versions_count_every_write(committed_row) -> None:  # type: ignore[no-untyped-def]
    """Blind writes (no If-Match) are all applied in turn; the version counts each one."""
    factory, slug = committed_row
    _, _, start_version = _read(factory, slug)

    def blind(i: int) -> None:
        with factory() as s, s.begin():
            service.patch_item(session=s, kind=KIND, slug=slug, if_match=None,
                               body=KIND.update.model_validate({"pdu_count": i % 16}))

    threads = [threading.Thread(target=blind, args=(i,)) for i in range(WRITERS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert _read(factory, slug)[2] - start_version <= WRITERS
