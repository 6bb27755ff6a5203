"""Presentation of catalog rows: which columns each list shows, editor form fields, and compare ratios.

Ratios are simple derived figures for side-by-side reading (per GPU, per kW); the engine does the real sizing.
"""

from __future__ import annotations

import types
from dataclasses import dataclass
from typing import Any, Literal, Union, get_args, get_origin

from app.catalog.kinds import Kind

LIST_COLUMNS: dict[str, tuple[str, ...]] = {
    "accelerators": ("name", "vendor", "form_factor", "bf16_tflops", "fp8_tflops", "memory_gb", "memory_tbyte_s",
                     "tdp_w"),
    "servers": ("model", "vendor", "accelerator", "gpu_count", "rack_units", "max_power_w", "cooling",
                "list_price_usd"),
    "switches": ("model", "vendor", "fabric", "ports", "port_gbit_s", "rack_units", "max_power_w", "list_price_usd"),
    "storage-systems": ("model", "vendor", "usable_tb", "read_gbyte_s", "write_gbyte_s", "rack_units",
                        "max_power_w", "list_price_usd"),
    "rack-profiles": ("name", "vendor", "rack_units", "power_kw", "cooling", "max_weight_kg", "list_price_usd"),
}
TEXTAREA_FIELDS = {"notes"}


@dataclass(frozen=True)
class FormField:
    name: str
    input: str  # text / number / select / checkbox / textarea
    required: bool
    options: tuple[str, ...] = ()
    hint: str = ""


def _unwrap_optional(annotation: Any) -> Any:
    if get_origin(annotation) in (Union, types.UnionType):
        args = [a for a in get_args(annotation) if a is not type(None)]
        return args[0] if len(args) == 1 else annotation
    return annotation


def form_fields(kind: Kind, accelerator_slugs: list[str]) -> list[FormField]:
    """The create schema's fields as form inputs, in declaration order."""
    fields = []
    for name, info in kind.create.model_fields.items():
        annotation = _unwrap_optional(info.annotation)
        options: tuple[str, ...] = ()
        if name == "accelerator":
            control, options = "select", tuple(accelerator_slugs)
        elif get_origin(annotation) is Literal:
            control, options = "select", tuple(str(a) for a in get_args(annotation))
        elif annotation is bool:
            control = "checkbox"
        elif annotation in (int, float):
            control = "number"
        else:
            control = "textarea" if name in TEXTAREA_FIELDS else "text"
        fields.append(FormField(name, control, info.is_required(), options, info.description or ""))
    return fields


def form_defaults(kind: Kind) -> dict[str, Any]:
    return {name: ("" if info.is_required() or info.default is None else info.default)
            for name, info in kind.create.model_fields.items()}


def _ratio(num: Any, den: Any) -> float | None:
    if not isinstance(num, int | float) or not isinstance(den, int | float) or not den:
        return None
    return float(num) / float(den)


def _server_ratios(item: dict[str, Any], accel: dict[str, Any] | None) -> dict[str, float | None]:
    gpus, kw = item["gpu_count"], item["max_power_w"] / 1000
    bf16 = accel["bf16_tflops"] * gpus if accel else None
    return {"USD per GPU": _ratio(item["list_price_usd"], gpus), "Max power per GPU [W]": _ratio(kw * 1000, gpus),
            "BF16 TFLOP/s per kW (max power)": _ratio(bf16, kw), "GPUs per kW": _ratio(gpus, kw),
            "GPUs per RU": _ratio(gpus, item["rack_units"]), "USD per BF16 PFLOP/s": _ratio(
                item["list_price_usd"], bf16 / 1000 if bf16 else None)}


def _accelerator_ratios(item: dict[str, Any]) -> dict[str, float | None]:
    kw = item["tdp_w"] / 1000
    return {"BF16 TFLOP/s per kW": _ratio(item["bf16_tflops"], kw), "FP8 TFLOP/s per kW": _ratio(
        item.get("fp8_tflops"), kw), "Memory per kW [GB/kW]": _ratio(item["memory_gb"], kw),
        "FLOP per byte of bandwidth (BF16)": _ratio(item["bf16_tflops"], item["memory_tbyte_s"])}


def _switch_ratios(item: dict[str, Any]) -> dict[str, float | None]:
    tbit = item["ports"] * item["port_gbit_s"] / 1000
    return {"Capacity [Tb/s]": tbit, "USD per port": _ratio(item["list_price_usd"], item["ports"]),
            "Tb/s per kW": _ratio(tbit, item["max_power_w"] / 1000)}


def _storage_ratios(item: dict[str, Any]) -> dict[str, float | None]:
    kw = item["max_power_w"] / 1000
    return {"USD per usable TB": _ratio(item["list_price_usd"], item["usable_tb"]),
            "Read GB/s per kW": _ratio(item["read_gbyte_s"], kw), "Read GB/s per RU": _ratio(
                item["read_gbyte_s"], item["rack_units"])}


def _rack_ratios(item: dict[str, Any]) -> dict[str, float | None]:
    return {"kW per RU": _ratio(item["power_kw"], item["rack_units"]),
            "USD per kW": _ratio(item["list_price_usd"], item["power_kw"])}


def ratios(kind: Kind, item: dict[str, Any], accel: dict[str, Any] | None = None) -> dict[str, float | None]:
    """Derived per-GPU / per-kW figures of one row (servers need their accelerator's row)."""
    if kind.name == "servers":
        return _server_ratios(item, accel)
    table = {"accelerators": _accelerator_ratios, "switches": _switch_ratios, "storage-systems": _storage_ratios,
             "rack-profiles": _rack_ratios}
    return table[kind.name](item)


def compare_rows(fields: list[str], items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One row per field with each item's value and whether they differ (highlighted in the page)."""
    rows = []
    for name in fields:
        values = [item.get(name) for item in items]
        rows.append({"name": name, "values": values, "differs": len({repr(v) for v in values}) > 1})
    return rows


def best_index(values: list[Any], higher_is_better: bool) -> int | None:
    numbers = [(v, i) for i, v in enumerate(values) if isinstance(v, int | float)]
    if len(numbers) < 2:
        return None
    return (max(numbers) if higher_is_better else min(numbers))[1]
