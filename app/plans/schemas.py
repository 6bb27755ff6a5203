"""Capacity-plan request and response schemas.

Structure of ``Plan.result`` (JSON stored with the plan; the web pages and the reports render only this, so a
saved plan looks the same whatever happens to the catalog later). Units are in the key names.

    result = {
      "engine_version": "1.3.0", "kind": "training" | "inference" | "classic", "objective": "tco" | ...,
      "summary": {"headline": str, "recommended_server": slug, "server_name": str, "accelerator": str,
                  "servers": int, "gpus": int, "racks": int, "capex_usd": float, "tco_usd": float,
                  "it_nameplate_kw": float, "facility_expected_kw": float,
                  "expected_hours": float | None,            # training / classic training
                  "capacity_requests_per_s": float | None,   # inference (samples_per_s for classic inference)
                  "key_cost": {"label": str, "value": float}},  # USD per run or per million tokens
      "recommended": Build,            # the full build of the recommended candidate
      "alternatives": [Alternative],   # every feasible candidate, ranked by the objective (rank 1 = recommended)
      "infeasible": [{"server": slug, "name": str, "reason": str, "tried": [str]}],
      "pareto": {"x": "expected_hours" | "capacity_requests_per_s" | ..., "y": "run_usd" | "usd_per_year" | ...,
                 "x_label": str, "y_label": str},
      "assumptions": [{"name": str, "value": str | float, "source": "default" | "request" | "catalog" | "engine",
                       "note": str}],
      "warnings": [str],
    }

    Alternative = {"rank": int, "server": slug, "name": str, "accelerator": str, "servers": int, "gpus": int,
                   "racks": int, "capex_usd": float, "tco_usd": float, "it_nameplate_kw": float,
                   "facility_expected_kw": float, "expected_hours": float | None,
                   "capacity_requests_per_s": float | None, "capacity_samples_per_s": float | None,
                   "latency_ms": float | None (inference: TTFT + output tokens x TPOT),
                   "usd_per_gpu_hour": float, "cost_usd": float (y of the Pareto chart: run cost for training,
                   TCO per year otherwise), "objective_value": float, "pareto": bool, "recommended": bool,
                   "binding_limit": str, "rack_profile": slug}

    Build = {
      "server": {"slug", "name", "part_number", "accelerator", "gpus_per_server", "list_price_usd", "cooling",
                 "max_power_w", "rack_units"},
      "compute": {"servers": int (incl. spares), "active_servers": int, "spare_servers": int, "gpus": int,
                  "active_gpus": int, "utilization": float, "confidence": str,
                  "strategy": {tp, pp, dp, cp, ep, vp, ...} | {}, "sizing_tried": [str] (not classic),
                  # training: "tokens_per_s", "mfu", "step_time_s", "wall_clock_hours": {low, expected, high},
                  #   "gpu_hours": {...}, "deadline_hours" | None, "meets_deadline", "memory_per_gpu_gib",
                  #   "tokens_per_s_per_gpu", "global_batch_tokens", "flops_definition",
                  #   "memory_breakdown": {weights_gib, gradients_gib, optimizer_gib, activations_gib, reserve_gib,
                  #   capacity_gib}, "time_breakdown": {compute_s, communication_s, bubble_s, other_s}
                  # inference: "replica_gpus", "replicas", "replicas_needed", "headroom_replicas",
                  #   "per_replica_requests_per_s", "capacity_requests_per_s", "ttft_ms", "tpot_ms",
                  #   "capacity_with_headroom_requests_per_s", "end_to_end_ms", "max_concurrency_per_replica",
                  #   "concurrency_per_replica", "output_tokens_per_s", "weights_gib", "kv_cache_gib",
                  #   "limiting_bound", "memory_breakdown": {weights_gib, kv_cache_gib, other_gib, capacity_gib}
                  # classic: "mode", "required_samples_per_s", "samples_per_s", "samples_per_s_per_gpu", "bound",
                  #   "expected_hours" | None
                 },
      "racks": {"profile": {"slug", "name", "rack_units", "power_kw", "cooling", "max_weight_kg"},
                "aux_profile": {"slug", "name", "rack_units", "power_kw"},  # network and storage racks
                "servers_per_rack": int, "binding_limit": "power" | "space" | "weight" | "cooling",
                "limits": {"power": int, "space": int, "weight": int | None}, "rack_limit_kw": float,
                "compute_racks": int, "network_racks": int, "storage_racks": int, "total_racks": int,
                "elevations": [{"name": str, "count": int, "rack_units": int, "servers": int, "nameplate_kw": float,
                                "expected_kw": float, "limit_kw": float, "pdus": int,
                                # items top first; kind: server / leaf / spine / core / storage / mgmt / cable /
                                # blank / pdu (0U, u_start 0); u_start = lowest U occupied (1 = bottom)
                                "items": [{"u_start": int, "u_height": int, "kind": str, "label": str}]}]},
      "network": {"compute": Fabric | None, "compute_note": str, "frontend": Fabric | None, "oob": {...}},
          Fabric = {"name", "switch": {"slug", "name", "part_number", "port_gbit_s", "ports"}, "tiers", "rails",
                    "nodes", "endpoints", "oversubscription", "scalable_units", "leaf_count", "spine_count",
                    "core_count", "switch_count", "node_leaf_cables", "leaf_spine_cables", "spine_core_cables",
                    "transceivers", "power_w", "links": [{"tier", "cables", "gbit_s", "media", "transceivers"}]}
          oob = {"switch": {...}, "switch_count", "device_cables", "uplink_cables", "power_w"}
      "storage": {"system": {"slug", "name", "part_number"}, "count": int, "binding": "capacity" | "read" | "write",
                  "need": {"capacity_tb", "read_gbyte_s", "write_gbyte_s", "checkpoint_tb"},
                  "provided": {"capacity_tb", "read_gbyte_s", "write_gbyte_s"}, "checkpoint_interval_s": float|None,
                  "checkpoint_write_s": float | None, "power_w": float},
      "power": {"it_nameplate_kw", "it_expected_kw", "pue", "facility_nameplate_kw", "facility_expected_kw",
                "heat_kw", "heat_btu_h", "cooling_tons", "cooling": "air" | "liquid", "feeds_per_rack",
                "feed_kw_per_rack", "provisioned_feed_kw",
                "per_rack": [{"name", "count", "nameplate_kw", "expected_kw", "limit_kw"}]},
      "reliability": {"mtbf_hours", "expected_interruptions", "interruptions_period": "run" | "year" (absent =
                      run), "goodput" | None, "checkpoint_interval_s" | None, "checkpoint_s" (training),
                      "spare_servers", "spare_policy": str, "availability": str | None},
      "energy": {"period": "run" | "year", "hours", "energy_mwh", "tco2e", "energy_mwh_per_year",
                 "tco2e_per_year"},
      "cost": {"capex": {"servers_usd", "network_switches_usd", "optics_cables_usd", "storage_usd",
                         "racks_pdus_usd", "total_usd"},
               "opex_per_year": {"energy_usd", "colocation_usd", "support_usd", "total_usd"},
               "amortization_years", "tco_usd", "usd_per_hour", "usd_per_gpu_hour", "energy_mwh_per_year",
               "tco2e_per_year",
               "run_usd" | None, "run_hours" | None,                                  # training
               "usd_per_million_tokens" | None, "usd_per_million_output_tokens" | None},  # inference
      "bom": [{"category", "part_number", "description", "slug", "qty", "unit_usd", "extended_usd"}],
      "warnings": [str],
    }
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from app.estimates.schemas import HwSlug, ModelRef, Precision, PresetSlug

Objective = Literal["tco", "time", "power", "capex"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class TrainingWorkload(_Strict):
    kind: Literal["training"]
    model: ModelRef
    tokens: Annotated[float, Field(gt=0, le=1e17, description="Tokens of the whole run")]
    precision: Precision = "bf16"
    seq_len: Annotated[int, Field(ge=128, le=1_048_576, description="Sequence length [tokens]")] = 8192
    deadline_days: Annotated[float | None, Field(gt=0, le=3650, description="Finish within [days]")] = None
    gpu_count: Annotated[int | None, Field(ge=1, le=131_072, description="Fixed GPU count, not a deadline")] = None
    checkpoint_interval_h: Annotated[float | None, Field(gt=0, le=720, description="Override [h]")] = None
    dataset_tb: Annotated[float | None, Field(ge=0, le=1e6, description="Training data on shared storage [TB]")] = None

    @model_validator(mode="after")
    def _one_target(self) -> TrainingWorkload:
        if (self.deadline_days is None) == (self.gpu_count is None):
            raise ValueError("give exactly one of deadline_days or gpu_count")
        return self


class InferenceWorkload(_Strict):
    kind: Literal["inference"]
    model: ModelRef
    precision: Precision = "bf16"
    input_tokens: Annotated[int, Field(ge=1, le=1_048_576, description="Prompt tokens per request")]
    output_tokens: Annotated[int, Field(ge=1, le=262_144, description="Generated tokens per request")]
    requests_per_s: Annotated[float, Field(gt=0, le=1e6, description="Peak request rate [1/s]")]
    ttft_ms_max: Annotated[float, Field(gt=0, le=600_000, description="Time to first token target [ms]")] = 2000.0
    tpot_ms_max: Annotated[float, Field(gt=0, le=60_000, description="Time per output token target [ms]")] = 100.0
    availability: Literal["none", "n+1", "n+2"] = "n+1"


class ClassicModelIn(_Strict):
    """A non-transformer model described per sample."""

    name: Annotated[str, Field(max_length=100)] = "custom classic model"
    params: Annotated[float, Field(gt=0, le=1e13)]
    gflops_per_sample: Annotated[float, Field(gt=0, le=1e7, description="Forward pass [GFLOP]")]
    bytes_per_sample: Annotated[float, Field(gt=0, le=1e10, description="Input read per sample [bytes]")]
    activation_mb_per_sample: Annotated[float, Field(ge=0, le=1e6, description="Training activations [MB]")] = 0.0


class ClassicWorkload(_Strict):
    kind: Literal["classic"]
    model: PresetSlug | ClassicModelIn
    mode: Literal["training", "inference"] = "inference"
    precision: Literal["bf16", "fp16", "fp8", "int8"] = "bf16"
    samples_per_s: Annotated[float | None, Field(gt=0, le=1e9, description="Required rate [samples/s]")] = None
    dataset_samples: Annotated[float | None, Field(gt=0, le=1e13)] = None
    epochs: Annotated[float | None, Field(gt=0, le=10_000)] = None
    deadline_days: Annotated[float | None, Field(gt=0, le=3650)] = None

    @model_validator(mode="after")
    def _rate_or_dataset(self) -> ClassicWorkload:
        dataset = (self.dataset_samples, self.epochs, self.deadline_days)
        complete, partial = None not in dataset, any(v is not None for v in dataset)
        if (self.samples_per_s is None and not complete) or (self.samples_per_s is not None and partial):
            raise ValueError("give samples_per_s, or dataset_samples + epochs + deadline_days (not both)")
        return self

    def required_samples_per_s(self) -> float:
        if self.samples_per_s is not None:
            return self.samples_per_s
        assert self.dataset_samples and self.epochs and self.deadline_days  # guaranteed by the validator
        return self.dataset_samples * self.epochs / (self.deadline_days * 86_400)


Workload = Annotated[TrainingWorkload | InferenceWorkload | ClassicWorkload, Field(discriminator="kind")]


class SiteIn(_Strict):
    """Site assumptions; omitted fields take the defaults listed in the plan's assumptions."""

    rack_profile: HwSlug | None = Field(None, description="Rack profile slug (GET /api/v1/rack-profiles)")
    rack_power_kw: Annotated[float | None, Field(gt=0, le=500, description="Custom rack power [kW]")] = None
    rack_units: Annotated[int | None, Field(ge=4, le=60, description="Custom rack height [U]")] = None
    cooling: Literal["air", "liquid"] | None = None
    pue: Annotated[float | None, Field(ge=1.0, le=3.0)] = None
    usd_per_kwh: Annotated[float | None, Field(ge=0, le=2.0)] = None
    grid_gco2_per_kwh: Annotated[float | None, Field(ge=0, le=2000)] = None
    amortization_years: Annotated[float | None, Field(gt=0, le=15)] = None
    feed_redundancy: Literal["none", "a+b"] | None = None
    circuit_derating: Annotated[float | None, Field(gt=0.3, le=1.0)] = None
    colo_usd_per_kw_month: Annotated[float | None, Field(ge=0, le=2000)] = None

    @model_validator(mode="after")
    def _rack(self) -> SiteIn:
        if self.rack_profile is not None and (self.rack_power_kw is not None or self.rack_units is not None):
            raise ValueError("give rack_profile or rack_power_kw/rack_units, not both")
        return self


class PlanCreate(_Strict):
    name: Annotated[str, Field(min_length=1, max_length=200)]
    workload: Workload
    site: SiteIn = Field(default_factory=SiteIn)
    candidates: Annotated[list[HwSlug] | None, Field(max_length=200, description="Server slugs; default all")] = None
    objective: Objective = "tco"


class PlanSummary(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    name: str
    kind: str
    objective: str
    engine_version: str
    recommended_server: str
    total_capex_usd: float
    created_by: str
    rerun_of: int | None
    created_at: datetime | None


class PlanRead(PlanSummary):
    request: dict[str, Any]
    result: dict[str, Any]
    catalog_snapshot: dict[str, Any]


class PlanPage(BaseModel):
    items: list[PlanSummary]
    total: int
    limit: int
    offset: int
