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
from collections.abc import Callable

import pytest
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from app.catalog import service
from app.catalog.kinds import KINDS
from app.db import transaction
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


def _in_request_transaction(factory: sessionmaker[Session], work: Callable[[Session], object]) -> None:
    """What the request's session dependency does: commit on success, roll back on any error."""
    with transaction(factory) as session:
        work(session)


def _writer(factory: sessionmaker[Session], slug: str, barrier: threading.Barrier, outcomes: Counter) -> None:
    for _ in range(ATTEMPTS):
        barrier.wait(timeout=30)  # a writer that died must not hang the others
        value, etag, _ = _read(factory, slug)
        time.sleep(0.005)  # widen the window between GET and PATCH
        try:
            _in_request_transaction(factory, lambda s, v=value, e=etag: service.patch_item(
                session=s, kind=KIND, slug=slug, if_match=e,
                body=KIND.update.model_validate({"list_price_usd": v + 1})))
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


def test_blind_concurrent_writes_are_applied_or_refused_never_half_done(committed_row) -> None:  # type: ignore[no-untyped-def]
    """Without If-Match, racing writers still go through the versioned UPDATE: each is applied or gets 412."""
    factory, slug = committed_row
    _, _, start_version = _read(factory, slug)
    outcomes: Counter = Counter()
    barrier = threading.Barrier(WRITERS)

    def blind(i: int) -> None:
        barrier.wait(timeout=30)  # a writer that died must not hang the others
        try:
            _in_request_transaction(factory, lambda s: service.patch_item(
                session=s, kind=KIND, slug=slug, if_match=None,
                body=KIND.update.model_validate({"pdu_count": i % 16, "list_price_usd": 5000 + i})))
            outcomes["ok"] += 1
        except PreconditionFailed:
            outcomes["412"] += 1

    threads = [threading.Thread(target=blind, args=(i,)) for i in range(WRITERS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert outcomes["ok"] + outcomes["412"] == WRITERS and outcomes["ok"] >= 1
    with factory() as s:
        row = service.get_row(session=s, kind=KIND, slug=slug)
        assert row.version == start_version + outcomes["ok"]
        assert row.list_price_usd == 5000 + row.pdu_count  # both fields come from the same writer
