"""Every default and engine assumption a plan used, listed with its value and where it came from."""

from __future__ import annotations

import dataclasses
from typing import Any

from app.engine import build as engine_build
from app.engine import facility, storage
from app.engine.cost import PriceBook
from app.engine.specs import RackSpec, SiteSpec
from app.plans import sizing, workloads
from app.plans.schemas import PlanCreate

SITE_NOTES = {
    "pue": "facility power = IT power x PUE",
    "usd_per_kwh": "energy price",
    "grid_gco2_per_kwh": "grid carbon intensity",
    "amortization_years": "TCO period; USD per GPU-hour assumes 100% allocation",
    "feed_redundancy": "a+b: two feeds, each sized for the full rack",
    "circuit_derating": "continuous load limit of a circuit (80% rule, NEC 210.20)",
    "colo_usd_per_kw_month": "colocation charge per provisioned IT kW",
}


def _item(name: str, value: Any, source: str, note: str = "") -> dict[str, Any]:
    return {"name": name, "value": value, "source": source, "note": note}


def site_items(request: PlanCreate, site: SiteSpec, rack: RackSpec) -> list[dict[str, Any]]:
    given = request.site.model_dump(exclude_none=True)
    out = [_item(f"site.{name}", getattr(site, name), "request" if name in given else "default", note)
           for name, note in SITE_NOTES.items()]
    rack_source = "request" if {"rack_profile", "rack_power_kw", "rack_units"} & given.keys() else "default"
    out.append(_item("site.rack_profile", f"{rack.name} ({rack.power_kw:g} kW, {rack.rack_units}U, {rack.cooling})",
                     rack_source, "auto: cooling-compatible profile holding the most servers"
                     if rack_source == "default" else ""))
    out.append(_item("site.cooling", request.site.cooling or "per server SKU", "request" if request.site.cooling
                     else "default"))
    return out


def workload_items(request: PlanCreate) -> list[dict[str, Any]]:
    wl = request.workload
    fields = wl.model_dump(exclude={"kind", "model"})
    given = wl.model_fields_set
    out = [_item(f"workload.{k}", v, "request" if k in given else "default") for k, v in fields.items()
           if v is not None]
    out.append(_item("objective", request.objective, "request" if "objective" in request.model_fields_set
                     else "default", "tco | time | power | capex"))
    out.append(_item("candidates", ", ".join(request.candidates) if request.candidates else "all catalog servers",
                     "request" if request.candidates else "default"))
    if wl.kind == "training" and wl.dataset_tb is None:
        out.append(_item("workload.dataset_tb", workloads.dataset_tb_default(wl.tokens), "default",
                         "tokens x 4 bytes (uint32 token ids)"))
    return out


def engine_items(kind: str) -> list[dict[str, Any]]:
    prices = dataclasses.asdict(PriceBook())
    out = [_item(f"price.{k}", v, "engine", "assumption (app/engine/cost.py)") for k, v in prices.items()]
    out += [
        _item("power.accelerator_draw", "TDP x (0.3 + 0.7 x utilization)", "engine", "DESIGN.md section 3"),
        _item("power.host_load_fraction", facility.HOST_LOAD_FRACTION, "engine", "host share of nameplate"),
        _item("power.pdu_kw", facility.PDU_KW, "engine", "208 V 3-phase 60 A at 80%"),
        _item("network.ufm_ports", engine_build.UFM_PORTS, "engine", "InfiniBand pods above one SU (SuperPOD RA)"),
        _item("network.compute_switch", "InfiniBand for NVIDIA, Ethernet otherwise; port speed closest to NIC",
              "engine"),
        _item("storage.checkpoint_bytes_per_param", storage.CHECKPOINT_BYTES_PER_PARAM["full"], "engine",
              "bf16 weights + fp32 master + Adam moments (ZeRO paper)"),
        _item("storage.checkpoint_stall_s", storage.DEFAULT_STALL_S, "engine", "write bandwidth = checkpoint / stall"),
        _item("storage.retained_checkpoints", storage.DEFAULT_RETAINED_CHECKPOINTS, "engine"),
        _item("storage.guidance_tier", "good", "engine", "NVIDIA SuperPOD storage guideline (RA-11333-001 Table 6)"),
        _item("reliability.gpu_hours_per_interruption", round(sizing.GPU_HOURS_PER_INTERRUPTION), "engine",
              "Llama 3 405B: 419 interruptions in 54 days on 16,384 H100"),
        _item("reliability.repair_hours", sizing.REPAIR_HOURS, "engine", "spares cover servers in repair"),
    ]
    if kind == "training":
        out.append(_item("compute.training_busy", workloads.TRAINING_BUSY, "engine", "utilization for power draw"))
        out.append(_item("compute.layout_search", "TP top two powers of two, PP <= 16, CP <= 2, held while DP grows",
                         "engine", "reduced strategy grid for sizing speed"))
    if kind == "inference":
        out += [_item("serving.weight_versions", workloads.WEIGHT_VERSIONS, "engine"),
                _item("serving.weight_load_s", workloads.WEIGHT_LOAD_S, "engine", "all replicas reload weights"),
                _item("serving.replica_sizes", "1, 2, 4, 8 GPUs, one, two and four servers", "engine"),
                _item("serving.cost_basis", "USD per million tokens at the peak request rate, 100% of the time",
                      "engine")]
    return out


def plan_assumptions(request: PlanCreate, site: SiteSpec, rack: RackSpec, build: dict[str, Any],
                     ) -> list[dict[str, Any]]:
    items = site_items(request, site, rack) + workload_items(request) + engine_items(request.workload.kind)
    items.append(_item("storage.system", build["storage"]["system"]["name"], "catalog",
                       "cheapest system count meeting capacity and bandwidth"))
    return items
