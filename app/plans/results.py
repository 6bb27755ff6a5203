"""Engine builds -> the JSON shape of Plan.result (documented in app/plans/schemas.py), ranking and Pareto front."""

from __future__ import annotations

import dataclasses
from typing import Any

from app.engine.build import Build
from app.engine.facility import RackLayout
from app.engine.network import FabricDesign, OobDesign
from app.engine.specs import RackSpec, SwitchSpec


def _switch(s: SwitchSpec) -> dict[str, Any]:
    return {"slug": s.slug, "name": s.name, "part_number": s.part_number, "port_gbit_s": s.port_gbit_s,
            "ports": s.ports, "fabric": s.fabric}


def fabric_dict(f: FabricDesign | None) -> dict[str, Any] | None:
    if f is None:
        return None
    return {
        "name": f.name, "switch": _switch(f.switch), "tiers": f.tiers, "rails": f.rails, "nodes": f.nodes,
        "endpoints": f.endpoints, "extra_endpoints": f.extra_endpoints, "oversubscription": f.oversubscription,
        "scalable_units": f.scalable_units, "leaf_count": f.leaf_count, "spine_count": f.spine_count,
        "core_count": f.core_count, "switch_count": f.switch_count, "node_leaf_cables": f.node_leaf_cables,
        "leaf_spine_cables": f.leaf_spine_cables, "spine_core_cables": f.spine_core_cables,
        "transceivers": f.transceivers, "power_w": f.power_w,
        "links": [dataclasses.asdict(link) for link in f.links], "warnings": list(f.warnings),
    }


def oob_dict(o: OobDesign | None) -> dict[str, Any] | None:
    if o is None:
        return None
    return {"switch": _switch(o.switch), "switch_count": o.switch_count, "switches_per_rack": o.switches_per_rack,
            "racks": o.racks, "device_cables": o.device_cables, "uplink_cables": o.uplink_cables,
            "power_w": o.power_w}


def _elevation(name: str, layout: RackLayout, rack: RackSpec) -> dict[str, Any]:
    return {"name": name, "count": layout.count, "rack_units": rack.rack_units, "servers": layout.servers,
            "nameplate_kw": layout.nameplate_kw, "expected_kw": layout.expected_kw, "limit_kw": layout.limit_kw,
            "pdus": layout.pdus, "items": [dataclasses.asdict(i) for i in sorted(layout.items, key=_top_first)]}


def _rack_name(layout: RackLayout) -> str:
    return f"Compute rack ({layout.servers} server{'s' if layout.servers != 1 else ''})"


def _top_first(item: Any) -> tuple[int, int]:
    return (-item.u_start, item.u_height)


def racks_dict(b: Build, rack: RackSpec, aux_rack: RackSpec) -> dict[str, Any]:
    fit = b.facility.fit
    compute = [_elevation(_rack_name(layout), layout, rack) for layout in b.facility.layouts]
    aux = [_elevation(name, layout, aux_rack) for name, layout in b.aux_racks]
    net = sum(x.count for n, x in b.aux_racks if n.startswith("Network"))
    store = sum(x.count for n, x in b.aux_racks if n.startswith("Storage"))
    return {
        "profile": {"slug": rack.slug, "name": rack.name, "rack_units": rack.rack_units, "power_kw": rack.power_kw,
                    "cooling": rack.cooling, "max_weight_kg": rack.max_weight_kg},
        "aux_profile": {"slug": aux_rack.slug, "name": aux_rack.name, "rack_units": aux_rack.rack_units,
                        "power_kw": aux_rack.power_kw},
        "servers_per_rack": fit.servers_per_rack, "binding_limit": fit.binding_limit,
        "limits": {"power": fit.power_limit, "space": fit.space_limit, "weight": fit.weight_limit},
        "rack_limit_kw": fit.rack_limit_kw, "compute_racks": b.facility.rack_count, "network_racks": net,
        "storage_racks": store, "total_racks": b.total_racks, "elevations": compute + aux,
    }


def storage_dict(b: Build, checkpoint_interval_s: float | None) -> dict[str, Any]:
    st = b.storage
    ckpt_bytes = st.need.checkpoint_tb * 1e12
    write_s = ckpt_bytes / (st.write_gbyte_s * 1e9) if ckpt_bytes and st.write_gbyte_s else None
    return {"system": {"slug": st.system.slug, "name": st.system.name, "part_number": st.system.part_number},
            "count": st.system_count, "binding": st.binding, "need": dataclasses.asdict(st.need),
            "provided": {"capacity_tb": st.capacity_tb, "read_gbyte_s": st.read_gbyte_s,
                         "write_gbyte_s": st.write_gbyte_s},
            "checkpoint_interval_s": checkpoint_interval_s, "checkpoint_write_s": write_s, "power_w": st.power_w,
            "rack_units": st.rack_units}


def power_dict(b: Build) -> dict[str, Any]:
    p = b.power
    per_rack = [{"name": _rack_name(x), "count": x.count, "nameplate_kw": x.nameplate_kw,
                 "expected_kw": x.expected_kw, "limit_kw": x.limit_kw} for x in b.facility.layouts]
    per_rack += [{"name": n, "count": x.count, "nameplate_kw": x.nameplate_kw, "expected_kw": x.expected_kw,
                  "limit_kw": x.limit_kw} for n, x in b.aux_racks]
    return {**dataclasses.asdict(p), "cooling": b.facility.cooling, "per_rack": per_rack}


def cost_dict(b: Build) -> dict[str, Any]:
    c = b.cost
    capex = {**dataclasses.asdict(c.capex), "total_usd": c.capex.total_usd}
    opex = {**dataclasses.asdict(c.opex_per_year), "total_usd": c.opex_per_year.total_usd}
    return {"capex": capex, "opex_per_year": opex, "amortization_years": c.amortization_years, "tco_usd": c.tco_usd,
            "usd_per_hour": c.usd_per_hour, "usd_per_gpu_hour": c.usd_per_gpu_hour,
            "energy_mwh_per_year": c.energy_mwh_per_year, "tco2e_per_year": c.tco2e_per_year,
            "run_usd": b.run.usd if b.run else None, "run_hours": b.run.hours if b.run else None,
            "usd_per_million_tokens": None, "usd_per_million_output_tokens": None}


def energy_dict(b: Build) -> dict[str, Any]:
    c = b.cost
    if b.run is not None:
        return {"period": "run", "hours": b.run.hours, "energy_mwh": b.run.energy_mwh, "tco2e": b.run.tco2e,
                "energy_mwh_per_year": c.energy_mwh_per_year, "tco2e_per_year": c.tco2e_per_year}
    return {"period": "year", "hours": 8760.0, "energy_mwh": c.energy_mwh_per_year, "tco2e": c.tco2e_per_year,
            "energy_mwh_per_year": c.energy_mwh_per_year, "tco2e_per_year": c.tco2e_per_year}


def bom_dicts(b: Build) -> list[dict[str, Any]]:
    return [{"category": x.category, "slug": x.slug, "part_number": x.part_number, "description": x.description,
             "qty": x.qty, "unit_usd": x.unit_usd, "extended_usd": x.extended_usd} for x in b.bom]


def build_dict(b: Build, *, compute: dict[str, Any], reliability: dict[str, Any], rack: RackSpec,
               aux_rack: RackSpec, checkpoint_interval_s: float | None) -> dict[str, Any]:
    s = b.server
    return {
        "server": {"slug": s.slug, "name": s.name, "part_number": s.part_number, "accelerator": s.accelerator.name,
                   "gpus_per_server": s.gpu_count, "list_price_usd": s.list_price_usd, "cooling": s.cooling,
                   "max_power_w": s.max_power_w, "rack_units": s.rack_units},
        "compute": compute,
        "racks": racks_dict(b, rack, aux_rack),
        "network": {"compute": fabric_dict(b.compute_fabric), "frontend": fabric_dict(b.frontend),
                    "oob": oob_dict(b.oob),
                    "compute_note": "" if b.compute_fabric else "no compute fabric: every job or replica runs "
                                                                "inside one server (scale-up domain)"},
        "storage": storage_dict(b, checkpoint_interval_s),
        "power": power_dict(b),
        "reliability": reliability,
        "energy": energy_dict(b),
        "cost": cost_dict(b),
        "bom": bom_dicts(b),
        "warnings": list(dict.fromkeys(b.warnings)),
    }


def pareto_flags(points: list[tuple[float, float]]) -> list[bool]:
    """True for points no other point beats on both coordinates (both minimized)."""
    flags = []
    for i, (x, y) in enumerate(points):
        dominated = any(
            (ox <= x and oy <= y) and (ox < x or oy < y) for j, (ox, oy) in enumerate(points) if j != i)
        flags.append(not dominated)
    return flags
