"""Application factory: routers, static files, error handlers, start-up (migrate + seed if empty)."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from sqlalchemy.orm import Session, sessionmaker
from starlette.middleware.sessions import SessionMiddleware
from starlette.staticfiles import StaticFiles

from app import migrate, reports
from app.auth import api as auth_api
from app.catalog import api as catalog_api
from app.catalog import transfer_api
from app.catalog.seed import seed_if_empty
from app.config import PROJECT_ROOT, Settings, get_settings
from app.db import bind_sessions, ensure_sqlite_dir, get_engine, read_factory_for
from app.errors import install_error_handlers
from app.estimates import api as estimates_api
from app.health import router as health_router
from app.middleware import install_middleware
from app.plans import api as plans_api
from app.web import pages_auth, pages_catalog, pages_plans
from app.web.templating import error_page

log = logging.getLogger("rackplan")

API_DESCRIPTION = """RackPlan sizes AI data-center builds: hardware catalog, training and inference estimates,
capacity plans and reports. Writes need `Authorization: Bearer <token>` (create one with `rackplan token create`).
Errors are RFC 9457 problem details; invalid input is 422 with one entry per bad field."""


def prepare_database(settings: Settings) -> None:
    """Migrate to head and seed an empty catalog, as configured. Safe to run from several workers."""
    ensure_sqlite_dir(settings.database_url)
    if settings.auto_migrate:
        migrate.upgrade(settings.database_url)
    if settings.auto_seed:
        factory = sessionmaker(bind=get_engine(settings.database_url))
        with factory() as session, session.begin():
            migrate.lock_for_setup(session)  # several workers start at once: one seeds, the others wait
            created = seed_if_empty(session)
        if created:
            log.info("seeded catalog with %d rows", created)


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        prepare_database(settings)
        if settings.warm_up_reports:
            reports.warm_up()
        yield
        get_engine(settings.database_url).dispose()

    app = FastAPI(title="RackPlan", version="1.0.0", description=API_DESCRIPTION, lifespan=lifespan,
                  docs_url=None, redoc_url=None)  # /docs is served offline by install_middleware
    app.state.settings = settings
    engine = get_engine(settings.database_url)
    bind_sessions(app.state, sessionmaker(bind=engine, class_=Session, expire_on_commit=False),
                  read_factory_for(engine))
    install_error_handlers(app, html_renderer=error_page)
    install_middleware(app, settings)
    app.include_router(auth_api.router)
    app.include_router(health_router)
    for router in catalog_api.routers:
        app.include_router(router)
    app.include_router(transfer_api.router)
    app.include_router(estimates_api.router)
    app.include_router(plans_api.router)
    app.add_middleware(SessionMiddleware, secret_key=settings.secret_key, https_only=settings.secure_cookies,
                       same_site="lax")
    app.mount("/static", StaticFiles(directory=PROJECT_ROOT / "static", check_dir=False), name="static")
    for page_router in (pages_auth.router, pages_catalog.router, pages_plans.router):
        app.include_router(page_router)
    return app


app = create_app()
