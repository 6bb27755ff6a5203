"""`rackplan` command line: serve, migrate, seed, import, export, token, user."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from contextlib import AbstractContextManager
from pathlib import Path

from sqlalchemy.orm import Session

from app import migrate
from app.config import get_settings
from app.db import ensure_sqlite_dir, session_scope
from app.errors import AppError

Handler = Callable[[argparse.Namespace], int]


def cmd_serve(args: argparse.Namespace) -> int:
    import uvicorn

    settings = get_settings()
    uvicorn.run("app.main:app", host=args.host or settings.host, port=args.port or settings.port,
                workers=args.workers or settings.workers, proxy_headers=True, log_config=None)
    return 0


def cmd_migrate(args: argparse.Namespace) -> int:
    url = get_settings().database_url
    ensure_sqlite_dir(url)
    if args.downgrade:
        migrate.downgrade(url, args.downgrade)
    else:
        migrate.upgrade(url)
    print("database at", "base" if args.downgrade == "base" else "head")
    return 0


def cmd_seed(args: argparse.Namespace) -> int:
    from app.catalog.seed import seed_if_empty

    with contextlib_session() as session:
        created = seed_if_empty(session)
    print(f"seeded {created} rows" if created else "catalog not empty: nothing seeded")
    return 0


def cmd_export(args: argparse.Namespace) -> int:
    """Full backup (catalog, plans, accounts) by default; --catalog-only or --format netbox for the catalog."""
    from app.backup import export_backup
    from app.catalog.transfer import export_document

    with contextlib_session() as session:
        catalog_only = args.catalog_only or args.format == "netbox"
        doc = export_document(session=session) if catalog_only else export_backup(session=session)
    if args.format == "netbox":
        from app.catalog.netbox_export import export_netbox_dir

        count = export_netbox_dir(doc, Path(args.output or "netbox-export"))
        print(f"wrote {count} NetBox device-type files to {args.output or 'netbox-export'}")
        return 0
    text = json.dumps(doc, indent=2, default=str)
    if args.output:
        Path(args.output).write_text(text)
    else:
        print(text)
    return 0


def cmd_import(args: argparse.Namespace) -> int:
    """A backup from `rackplan export`, or catalog JSON / NetBox YAML files, folders or zips: all-or-nothing."""
    from app.backup import import_backup
    from app.catalog.netbox import import_netbox_paths

    paths = [Path(p) for p in args.paths]
    backup = _read_backup(paths)
    with contextlib_session() as session:
        if backup is not None:
            restored = import_backup(session=session, document=backup, source=str(paths[0]))
            print(f"restored catalog (created {restored.catalog_created}, updated {restored.catalog_updated}); "
                  f"inserted {restored.inserted}")
            return 0
        result = import_netbox_paths(session=session, paths=paths)
    print(f"created {result.created}, updated {result.updated}, unchanged {result.unchanged}")
    return 0


def _read_backup(paths: list[Path]) -> dict | None:
    from app.backup import is_backup

    if len(paths) != 1 or paths[0].suffix != ".json" or not paths[0].is_file():
        return None
    try:
        doc = json.loads(paths[0].read_text())
    except ValueError:
        return None
    return doc if is_backup(doc) else None


def cmd_token(args: argparse.Namespace) -> int:
    from app.auth import service

    with contextlib_session() as session:
        if args.action == "create":
            plaintext, row = service.create_token(session=session, name=args.name, role=args.role)
            print(f"token {row.id} ({row.role}) created; it is shown once:\n{plaintext}")
        elif args.action == "revoke":
            service.revoke_token(session=session, token_id=args.id)
            print(f"token {args.id} revoked")
        else:
            for t in service.list_tokens(session=session):
                state = "revoked" if t.revoked_at else "active"
                print(f"{t.id}\t{t.name}\t{t.role}\t{t.prefix}...\t{state}")
    return 0


def cmd_user(args: argparse.Namespace) -> int:
    from app.auth import service

    with contextlib_session() as session:
        user = service.create_user(session=session, username=args.username, password=args.password,
                                   role=args.role)
        print(f"user {user.username} ({user.role}) created")
    return 0


def cmd_plan(args: argparse.Namespace) -> int:
    """Plan a workload file and write one report, through the same service path as the API."""
    from pydantic import ValidationError

    from app import reports
    from app.plans import service
    from app.plans.schemas import PlanCreate

    try:
        request = PlanCreate.model_validate(json.loads(Path(args.workload).read_text()))
    except (ValidationError, json.JSONDecodeError) as exc:
        print(f"error: invalid plan request {args.workload}: {exc}", file=sys.stderr)
        return 2
    from app.catalog.seed import seed_if_empty

    with contextlib_session() as session:
        seed_if_empty(session)  # the embedded default, as `serve` does on start
        plan = service.create_plan(session=session, request=request, created_by="cli")
        body = reports.render(service.plan_document(plan), args.format)
        headline = plan.result["summary"]["headline"]
    if args.output:
        Path(args.output).write_bytes(body)
        print(f"plan {plan.id}: {headline}\nwrote {args.output}")
    else:
        sys.stdout.buffer.write(body)
    return 0


def contextlib_session() -> AbstractContextManager[Session]:
    """A committed-on-success session on the configured database (migrated first)."""
    url = get_settings().database_url
    ensure_sqlite_dir(url)
    migrate.upgrade(url)
    return session_scope(url)


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="rackplan", description="RackPlan: AI data-center capacity planner")
    sub = p.add_subparsers(dest="command", required=True)
    s = sub.add_parser("serve", help="run the web app (migrates and seeds on start)")
    s.add_argument("--host"), s.add_argument("--port", type=int), s.add_argument("--workers", type=int)
    s.set_defaults(func=cmd_serve)
    m = sub.add_parser("migrate", help="apply database migrations")
    m.add_argument("--downgrade", metavar="REVISION", help="downgrade to REVISION (e.g. base)")
    m.set_defaults(func=cmd_migrate)
    sub.add_parser("seed", help="seed the catalog if empty").set_defaults(func=cmd_seed)
    e = sub.add_parser("export", help="full backup: catalog, plans, accounts (or the catalog alone, or NetBox YAML)")
    e.add_argument("-o", "--output"), e.add_argument("--format", choices=["json", "netbox"], default="json")
    e.add_argument("--catalog-only", action="store_true", help="only the catalog (as GET /api/v1/catalog/export)")
    e.set_defaults(func=cmd_export)
    i = sub.add_parser("import", help="import a catalog JSON file or NetBox device-type YAML files/folders")
    i.add_argument("paths", nargs="+", help="catalog .json, NetBox .yaml/.yml files, folders or .zip archives")
    i.set_defaults(func=cmd_import)
    t = sub.add_parser("token", help="manage API tokens")
    t.add_argument("action", choices=["create", "list", "revoke"])
    t.add_argument("--name", default="api"), t.add_argument("--role", default="editor")
    t.add_argument("--id", type=int)
    t.set_defaults(func=cmd_token)
    u = sub.add_parser("user", help="create a web user")
    u.add_argument("action", choices=["create"]), u.add_argument("username")
    u.add_argument("--password", required=True), u.add_argument("--role", default="editor")
    u.set_defaults(func=cmd_user)
    pl = sub.add_parser("plan", help="plan a workload JSON file (same body as POST /api/v1/plans) and write a report")
    pl.add_argument("workload"), pl.add_argument("-o", "--output")
    pl.add_argument("--format", choices=["pdf", "xlsx", "csv", "json"], default="json")
    pl.set_defaults(func=cmd_plan)
    return p


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return int(args.func(args))
    except AppError as exc:
        print(f"error: {exc.detail}", file=sys.stderr)
        for err in exc.errors:
            print(f"  {err.field}: {err.message}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
