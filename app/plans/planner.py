"""Plan a workload over candidate server SKUs: size each, build each, rank, flag the Pareto front (pure).

Input: the validated request, the resolved model and the catalog as engine specs. Output: Plan.result (see
app/plans/schemas.py). Raises PlanInfeasibleError when no candidate can run the workload.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from app import engine
from app.engine.build import Build, Hardware, choose_mgmt_switch, plan_build
from app.engine.cost import PriceBook, usd_per_million_tokens
from app.engine.facility import AIR_COOLED_RACK_KW_WARNING, CABLE_MANAGER_U, rack_fit
from app.engine.specs import RackSpec, ServerSpec, SiteSpec, StorageSpec, SwitchSpec
from app.engine.workload import ClassicModel, ModelShape, Precision
from app.plans import results, workloads
from app.plans.assumptions import plan_assumptions
from app.plans.schemas import PlanCreate, SiteIn

SITE_FIELDS = ("pue", "usd_per_kwh", "grid_gco2_per_kwh", "amortization_years", "feed_redundancy",
               "circuit_derating", "colo_usd_per_kw_month")


@dataclass(frozen=True)
class CatalogSpecs:
    servers: tuple[ServerSpec, ...]
    racks: tuple[RackSpec, ...]
    switches: tuple[SwitchSpec, ...]
    storage_systems: tuple[StorageSpec, ...]


class PlanInfeasibleError(Exception):
    def __init__(self, reason: str, infeasible: list[dict[str, Any]]) -> None:
        super().__init__(reason)
        self.reason = reason
        self.infeasible = infeasible


@dataclass
class _Candidate:
    server: ServerSpec
    rack: RackSpec
    aux: RackSpec
    build: Build
    sized: workloads.Sized
    row: dict[str, Any] = field(default_factory=dict)


def site_spec(site: SiteIn) -> SiteSpec:
    given = {name: getattr(site, name) for name in SITE_FIELDS if getattr(site, name) is not None}
    return dataclasses.replace(SiteSpec(), **given)


def fixed_rack(site: SiteIn, racks: tuple[RackSpec, ...]) -> RackSpec | None:
    """The rack the request imposes (a profile or a custom power/height), or None to choose per server."""
    if site.rack_profile is not None:
        return next(r for r in racks if r.slug == site.rack_profile)
    if site.rack_power_kw is None and site.rack_units is None:
        return None
    kw, units = site.rack_power_kw or 17.3, site.rack_units or 42
    return RackSpec("custom", f"Custom {kw:g} kW {units}U rack", units, kw, site.cooling or "air", 0.0, 0.0)


def _cooling_ok(server: ServerSpec, rack: RackSpec, cooling: str | None) -> bool:
    if cooling is not None and rack.cooling != cooling:
        return False
    return server.cooling == "hybrid" or server.cooling == rack.cooling


def auto_rack(server: ServerSpec, racks: tuple[RackSpec, ...], site: SiteSpec, cooling: str | None,
              mgmt: SwitchSpec | None) -> RackSpec:
    """Cooling-compatible profile holding the most servers (fewest racks, PDUs and cable runs); ties go to the
    lower rack price per server."""
    reserved_u = (mgmt.rack_units + CABLE_MANAGER_U) if mgmt else 0
    reserved_w = mgmt.max_power_w if mgmt else 0.0
    scored, tried = [], []
    for rack in racks:
        fit = rack_fit(server, rack, site, reserved_u=reserved_u, reserved_w=reserved_w)
        if not _cooling_ok(server, rack, cooling) or fit.servers_per_rack == 0:
            limit = "cooling" if not _cooling_ok(server, rack, cooling) else fit.binding_limit
            tried.append(f"{rack.slug}: {limit} limit ({rack.power_kw:g} kW x {site.circuit_derating:g} derating, "
                         f"{rack.rack_units}U, {rack.cooling})")
            continue
        n = fit.servers_per_rack
        scored.append((-n, rack.list_price_usd / n, rack.slug, rack))
    if not scored:
        raise engine.InfeasibleError(f"no rack profile holds one server ({server.max_power_w / 1000:.1f} kW, "
                                     f"{server.rack_units}U, {server.cooling}-cooled)", tried)
    return min(scored)[3]


def aux_rack(racks: tuple[RackSpec, ...], fixed: RackSpec | None) -> RackSpec:
    """Network and storage racks: the imposed rack, else the air-cooled profile of >= 40 U with the most power up to
    the ~40 kW practical limit of plain air cooling (dense switch rows); ties go to the cheaper rack."""
    if fixed is not None:
        return fixed
    air = sorted((r for r in racks if r.cooling == "air" and r.rack_units >= 40),
                 key=lambda r: (-min(r.power_kw, AIR_COOLED_RACK_KW_WARNING), r.list_price_usd))
    if air:
        return air[0]
    return RackSpec("network-42u", "Network rack 42U 15 kW", 42, 15.0, "air", 0.0, 0.0)


Sizer = Callable[[Any, ServerSpec, Any, Precision], workloads.Sized]
SIZERS: dict[str, Sizer] = {"training": workloads.size_training, "inference": workloads.size_serving,
                            "classic": workloads.size_classic}


def _signature(server: ServerSpec) -> tuple[Any, ...]:
    """Servers with equal signatures size identically (the engine sees only these fields)."""
    return (server.accelerator.slug, server.gpu_count, server.scaleup_domain_gpus,
            server.compute_nic_count * server.compute_nic_gbit_s)


class _SizeCache:
    def __init__(self, sizer: Sizer, model: Any, workload: Any, precision: Precision) -> None:
        self.sizer, self.model, self.workload, self.precision = sizer, model, workload, precision
        self.done: dict[tuple[Any, ...], workloads.Sized | engine.InfeasibleError] = {}

    def size(self, server: ServerSpec) -> workloads.Sized:
        key = _signature(server)
        if key not in self.done:
            try:
                self.done[key] = self.sizer(self.model, server, self.workload, self.precision)
            except engine.InfeasibleError as exc:
                self.done[key] = exc
        out = self.done[key]
        if isinstance(out, engine.InfeasibleError):
            raise out
        return out


def _candidate(server: ServerSpec, cache: _SizeCache, catalog: CatalogSpecs, site: SiteSpec, site_in: SiteIn,
               fixed: RackSpec | None) -> _Candidate:
    sized = cache.size(server)
    mgmt = choose_mgmt_switch(catalog.switches)
    rack = fixed or auto_rack(server, catalog.racks, site, site_in.cooling, mgmt)
    if fixed is not None and not _cooling_ok(server, fixed, None):
        raise engine.InfeasibleError(f"{server.name} is {server.cooling}-cooled; the {fixed.name} is {fixed.cooling}")
    hw = Hardware(rack, aux_rack(catalog.racks, fixed), catalog.switches, catalog.storage_systems)
    build = plan_build(server, sized.need, hw, site, PriceBook())
    return _Candidate(server, rack, hw.aux_rack, build, sized)


def _row(c: _Candidate, kind: str) -> dict[str, Any]:
    b, s = c.build, c.sized
    years = b.cost.amortization_years
    cost = b.run.usd if b.run is not None else b.cost.tco_usd / years
    return {
        "server": c.server.slug, "name": c.server.name, "accelerator": c.server.accelerator.name,
        "servers": b.servers, "gpus": b.gpus, "racks": b.total_racks, "capex_usd": b.cost.capex.total_usd,
        "tco_usd": b.cost.tco_usd, "it_nameplate_kw": b.power.it_nameplate_kw,
        "facility_expected_kw": b.power.facility_expected_kw, "expected_hours": s.time_hours,
        "capacity_requests_per_s": s.capacity if kind == "inference" else None,
        "capacity_samples_per_s": s.capacity if kind == "classic" else None, "latency_ms": s.latency_ms,
        "usd_per_gpu_hour": b.cost.usd_per_gpu_hour, "cost_usd": cost,
        "binding_limit": b.facility.fit.binding_limit, "rack_profile": c.rack.slug,
    }


def _time_value(row: dict[str, Any]) -> float:
    if row["expected_hours"] is not None:
        return float(row["expected_hours"])
    if row["latency_ms"] is not None:
        return float(row["latency_ms"])
    return -float(row["capacity_samples_per_s"] or 0.0)


OBJECTIVES: dict[str, Callable[[dict[str, Any]], float]] = {
    "tco": lambda r: float(r["tco_usd"]), "capex": lambda r: float(r["capex_usd"]),
    "power": lambda r: float(r["facility_expected_kw"]), "time": _time_value,
}


def pareto_axes(kind: str, rows: list[dict[str, Any]]) -> dict[str, str]:
    if kind == "inference":
        return {"x": "latency_ms", "y": "cost_usd", "x_label": "End-to-end latency per request [ms]",
                "y_label": "Cost per year (TCO / amortization) [USD]"}
    if rows and rows[0]["expected_hours"] is not None:
        return {"x": "expected_hours", "y": "cost_usd", "x_label": "Expected run time [h]",
                "y_label": "Cost of the run [USD]"}
    return {"x": "capacity_samples_per_s", "y": "cost_usd", "x_label": "Capacity [samples/s] (higher is better)",
            "y_label": "Cost per year (TCO / amortization) [USD]"}


def rank(rows: list[dict[str, Any]], objective: str, axes: dict[str, str]) -> list[dict[str, Any]]:
    key = OBJECTIVES[objective]
    ordered = sorted(rows, key=lambda r: (key(r), r["tco_usd"], r["server"]))
    sign = -1.0 if axes["x"] == "capacity_samples_per_s" else 1.0
    flags = results.pareto_flags([(sign * float(r[axes["x"]]), float(r[axes["y"]])) for r in ordered])
    for i, (row, flag) in enumerate(zip(ordered, flags, strict=True)):
        row.update(rank=i + 1, objective_value=key(row), pareto=flag, recommended=i == 0)
    return ordered


def _evaluate(request: PlanCreate, model: Any, catalog: CatalogSpecs, site: SiteSpec,
              ) -> tuple[list[_Candidate], list[dict[str, Any]]]:
    wl = request.workload
    cache = _SizeCache(SIZERS[wl.kind], model, wl, Precision(wl.precision))
    fixed = fixed_rack(request.site, catalog.racks)
    ok, bad = [], []
    for server in catalog.servers:
        try:
            ok.append(_candidate(server, cache, catalog, site, request.site, fixed))
        except engine.InfeasibleError as exc:
            bad.append({"server": server.slug, "name": server.name, "reason": exc.reason, "tried": exc.details})
    return ok, bad


def make_plan(request: PlanCreate, model: ModelShape | ClassicModel, catalog: CatalogSpecs) -> dict[str, Any]:
    """The whole Plan.result for a request."""
    site = site_spec(request.site)
    candidates, infeasible = _evaluate(request, model, catalog, site)
    if not candidates:
        raise PlanInfeasibleError(_no_candidate_reason(infeasible), infeasible)
    kind = request.workload.kind
    for c in candidates:
        c.row = _row(c, kind)
    rows = [c.row for c in candidates]
    axes = pareto_axes(kind, rows)
    ranked = rank(rows, request.objective, axes)
    best = next(c for c in candidates if c.row is ranked[0])
    recommended = _build_dict(best, kind)
    warnings = list(dict.fromkeys([*best.sized.warnings, *recommended["warnings"]]))
    return {
        "engine_version": engine.VERSION, "kind": kind, "objective": request.objective,
        "summary": _summary(best, recommended, kind),
        "recommended": recommended, "alternatives": ranked, "infeasible": infeasible, "pareto": axes,
        "assumptions": plan_assumptions(request, site, best.rack, recommended), "warnings": warnings,
    }


def _no_candidate_reason(infeasible: list[dict[str, Any]]) -> str:
    reasons = list(dict.fromkeys(x["reason"] for x in infeasible))
    head = "; ".join(reasons[:3])
    return f"no candidate server can run this workload ({len(infeasible)} tried): {head}"


def _build_dict(c: _Candidate, kind: str) -> dict[str, Any]:
    out = results.build_dict(c.build, compute=c.sized.compute, reliability=c.sized.reliability, rack=c.rack,
                             aux_rack=c.aux, checkpoint_interval_s=c.sized.checkpoint_interval_s)
    if kind == "inference" and c.sized.tokens_per_s and c.sized.output_tokens_per_s:
        out["cost"]["usd_per_million_tokens"] = usd_per_million_tokens(c.build.cost, c.sized.tokens_per_s)
        out["cost"]["usd_per_million_output_tokens"] = usd_per_million_tokens(c.build.cost,
                                                                              c.sized.output_tokens_per_s)
    return out


def _summary(c: _Candidate, build: dict[str, Any], kind: str) -> dict[str, Any]:
    b, s = c.build, c.sized
    cost = build["cost"]
    if kind == "inference":
        key_cost = {"label": "USD per million tokens (input + output, at the peak rate)",
                    "value": cost["usd_per_million_tokens"]}
        what = f"{s.capacity:,.1f} requests/s at the latency targets"
    elif s.time_hours is not None:
        key_cost = {"label": "USD per run", "value": cost["run_usd"]}
        what = f"{s.time_hours / 24:,.1f} days expected"
    else:
        key_cost = {"label": "USD per hour (whole build)", "value": cost["usd_per_hour"]}
        what = f"{s.capacity:,.0f} samples/s"
    headline = (f"{b.servers:,} x {c.server.name} ({b.gpus:,} {c.server.accelerator.name}) in {b.total_racks:,} "
                f"racks: {what}, capex ${b.cost.capex.total_usd / 1e6:,.1f}M")
    return {"headline": headline, "recommended_server": c.server.slug, "server_name": c.server.name,
            "accelerator": c.server.accelerator.name, "servers": b.servers, "gpus": b.gpus, "racks": b.total_racks,
            "capex_usd": b.cost.capex.total_usd, "tco_usd": b.cost.tco_usd,
            "it_nameplate_kw": b.power.it_nameplate_kw, "facility_expected_kw": b.power.facility_expected_kw,
            "expected_hours": s.time_hours,
            "capacity_requests_per_s": s.capacity if kind == "inference" else None, "key_cost": key_cost}
