"""Presentation of saved plans: rack elevation slots, charts, two-plan comparison rows, infeasibility notes.

Everything here reads the stored `Plan.result` (see app/plans/schemas.py), so a saved plan renders the same
whatever happens to the catalog later.
"""

from __future__ import annotations

import dataclasses
import logging
from typing import Any

from app.engine.specs import SiteSpec
from app.errors import AppError

log = logging.getLogger("rackplan")
MAX_DRAWN_U = 60
MAX_DRAWN_RACKS = 6

SITE_FIELDS: tuple[tuple[str, str, str], ...] = (
    # (field, label, shown default when SiteSpec has none for the field)
    ("pue", "PUE", "1.3"),
    ("usd_per_kwh", "Energy price [USD/kWh]", "0.10"),
    ("grid_gco2_per_kwh", "Grid carbon intensity [gCO2e/kWh]", "400"),
    ("amortization_years", "Amortization [years]", "4"),
    ("colo_usd_per_kw_month", "Colocation [USD per kW-month]", "0"),
    ("circuit_derating", "Circuit derating (continuous load)", "0.8"),
)


def site_defaults() -> dict[str, str]:
    """The values a plan uses for omitted site fields: the engine's SiteSpec defaults."""
    defaults = {f.name: f.default for f in dataclasses.fields(SiteSpec) if f.default is not dataclasses.MISSING}
    return {name: f"{defaults.get(name, fallback):g}" if isinstance(defaults.get(name), float) else fallback
            for name, _, fallback in SITE_FIELDS}


def default_preview_server(servers: list[dict[str, Any]]) -> str:
    """The preview starts on the DGX H100 (the common reference), else an 8-GPU H100 box, else the first server."""
    if any(item["slug"] == "nvidia-dgx-h100" for item in servers):
        return "nvidia-dgx-h100"
    for item in servers:
        if "h100" in item["slug"] and item["gpu_count"] == 8:
            return str(item["slug"])
    return str(servers[0]["slug"])


def infeasible(exc: AppError) -> dict[str, Any]:
    """What was tried and why it failed, from the InfeasibleProblem's extra fields."""
    tried = exc.extra.get("tried") or []
    candidates = exc.extra.get("infeasible") or exc.extra.get("candidates") or []
    return {"reason": exc.detail, "tried": [str(t) for t in tried][:50], "candidates": candidates[:50]}


def _slots(elevation: dict[str, Any]) -> list[dict[str, Any]]:
    """Items and empty units from the top U down; each slot has a height class h-<units>."""
    height = min(int(elevation.get("rack_units") or 42), MAX_DRAWN_U)
    by_top = {int(i["u_start"]) + int(i["u_height"]) - 1: i for i in elevation.get("items", [])}
    slots, u = [], height
    while u >= 1:
        item = by_top.get(u)
        if item is not None:
            h = max(1, min(int(item["u_height"]), u))
            slots.append({"u": u - h + 1, "h": h, "kind": item.get("kind", "other"), "label": item.get("label", "")})
            u -= h
        else:
            slots.append({"u": u, "h": 1, "kind": "empty", "label": ""})
            u -= 1
    return slots


def rack_drawings(result: dict[str, Any]) -> list[dict[str, Any]]:
    elevations = ((result.get("recommended") or {}).get("racks") or {}).get("elevations") or []
    drawings = []
    for elevation in elevations[:MAX_DRAWN_RACKS]:
        drawings.append({**{k: v for k, v in elevation.items() if k != "items"}, "slots": _slots(elevation)})
    return drawings


def charts(plan: Any) -> list[dict[str, str]]:
    """[{title, src}] from app/reports/charts.py (SVG as data: URIs, allowed by img-src 'self' data:)."""
    from app.reports.charts import all_charts

    try:
        produced = all_charts(plan.result)
    except Exception:
        log.exception("chart rendering failed for plan %s", getattr(plan, "id", "?"))  # the page still renders
        return []
    return [{"title": str(title).replace("_", " ").capitalize(), "src": src} for title, src in produced.items()]


COMPARE_FIELDS: tuple[tuple[str, str, str], ...] = (
    ("summary.server_name", "Recommended server", "text"), ("summary.accelerator", "Accelerator", "text"),
    ("summary.servers", "Servers", "num"), ("summary.gpus", "GPUs", "num"), ("summary.racks", "Racks", "num"),
    ("summary.facility_expected_kw", "Facility power, expected [kW]", "num"),
    ("summary.it_nameplate_kw", "IT nameplate [kW]", "num"), ("summary.expected_hours", "Expected time", "hours"),
    ("summary.capacity_requests_per_s", "Capacity [requests/s]", "num"), ("summary.capex_usd", "Capex", "usd"),
    ("summary.tco_usd", "TCO", "usd"), ("summary.key_cost.value", "Key cost", "usd"),
    ("engine_version", "Engine version", "text"),
)


def dig(data: Any, path: str) -> Any:
    for part in path.split("."):
        data = data.get(part) if isinstance(data, dict) else None
    return data


def compare_rows(plans: list[Any]) -> list[dict[str, Any]]:
    rows = []
    for path, label, fmt in COMPARE_FIELDS:
        values = [dig(p.result, path) for p in plans]
        if all(v is None for v in values):
            continue
        rows.append({"label": label, "fmt": fmt, "values": values, "differs": len({repr(v) for v in values}) > 1})
    return rows
