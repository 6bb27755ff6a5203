"""Jinja2 environment for the pages: one template per page, HTMX requests get a block of it (jinja2-fragments).

Filters format numbers and units at the edge; labels derive the unit from the field name suffix.
"""

from __future__ import annotations

import math
from typing import Any
from urllib.parse import urlencode

from fastapi import Request
from fastapi.responses import Response
from jinja2_fragments.fastapi import Jinja2Blocks

from app.config import PROJECT_ROOT
from app.web import csrf

templates = Jinja2Blocks(directory=str(PROJECT_ROOT / "templates"))

# Suffix of a field name -> unit shown in brackets in its label (units live in names, DESIGN.md).
UNIT_SUFFIXES: tuple[tuple[str, str], ...] = (
    ("_tbyte_s", "TB/s"), ("_gbyte_s", "GB/s"), ("_gbit_s", "Gb/s"), ("_tflops", "TFLOP/s"), ("_tops", "TOP/s"),
    ("_usd", "USD"), ("_kw", "kW"), ("_w", "W"), ("_kg", "kg"), ("_gb", "GB"), ("_tb", "TB"), ("_gib", "GiB"),
    ("_ms", "ms"), ("_s", "s"), ("_mw", "MW"),
)
LABEL_WORDS = {"gpu": "GPU", "gpus": "GPUs", "cpu": "CPU", "cpus": "CPUs", "nic": "NIC", "nvme": "NVMe",
               "pcie": "PCIe", "psu": "PSU", "tdp": "TDP", "url": "URL", "fp8": "FP8", "fp4": "FP4",
               "bf16": "BF16", "fp16": "FP16", "fp32": "FP32", "fp64": "FP64", "tf32": "TF32", "int8": "INT8",
               "scaleup": "scale-up", "usd": "", "tflops": "", "tops": "", "tbyte": "", "gbyte": "", "gbit": ""}


def field_unit(name: str) -> str:
    for suffix, unit in UNIT_SUFFIXES:
        if name.endswith(suffix):
            return unit
    return ""


def field_label(name: str) -> str:
    """'max_power_w' -> 'Max power [W]'; 'memory_tbyte_s' -> 'Memory bandwidth [TB/s]'."""
    unit = field_unit(name)
    base = name
    for suffix, u in UNIT_SUFFIXES:
        if u == unit and unit and name.endswith(suffix):
            base = name[: -len(suffix)]
            break
    special = {"memory": "Memory bandwidth" if unit == "TB/s" else "Memory", "source": "Datasheet"}
    words = [LABEL_WORDS.get(w, w) for w in base.split("_")]
    text = special.get(base) or " ".join(w for w in words if w)
    text = text[:1].upper() + text[1:]
    return f"{text} [{unit}]" if unit else text


def fmt_num(value: Any, digits: int = 3) -> str:
    """Numbers with thousands separators and about `digits` significant figures; text passes through."""
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if not isinstance(value, int | float):
        return str(value)
    if isinstance(value, float) and not math.isfinite(value):
        return "—"
    if isinstance(value, int) or (float(value).is_integer() and abs(value) >= 1):
        return f"{int(value):,}"
    return f"{value:,.{num_decimals(value, digits)}f}"


def num_decimals(value: float, digits: int = 3) -> int:
    """Decimals fmt_num shows for a number: none for whole numbers, else about `digits` significant figures."""
    if not math.isfinite(value) or (float(value).is_integer() and abs(value) >= 1):
        return 0
    magnitude = math.floor(math.log10(abs(value))) if value else 0
    return min(4, max(0, digits - 1 - magnitude))


def column_decimals(rows: list[dict[str, Any]], columns: Any) -> dict[str, int]:
    """One decimal count per numeric column, the most any of its values needs, so a column lines up (2.00, 3.35)."""
    out: dict[str, int] = {}
    for c in columns:
        values = [r.get(c) for r in rows if isinstance(r.get(c), float) and not isinstance(r.get(c), bool)]
        out[c] = max((num_decimals(v) for v in values), default=0)
    return out


def fmt_fixed(value: Any, decimals: int) -> str:
    """A number with thousands separators and exactly `decimals` decimals (text passes through fmt_num)."""
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        return fmt_num(value)
    return f"{value:,.{decimals}f}"


def fmt_usd(value: Any) -> str:
    """USD with a scale suffix: 1234567 -> '$1.23 M'."""
    if not isinstance(value, int | float):
        return "—"
    for scale, suffix in ((1e9, " B"), (1e6, " M"), (1e3, " k")):
        if abs(value) >= scale:
            return f"${value / scale:,.2f}{suffix}"
    return f"${value:,.2f}" if abs(value) < 100 else f"${value:,.0f}"


def fmt_pct(value: Any, digits: int = 1) -> str:
    """Fraction -> percent, the sign held to its number by a no-break space (U+00A0) so a line never ends between."""
    return f"{value * 100:.{digits}f}\u00a0%" if isinstance(value, int | float) else "—"


def fmt_hours(value: Any) -> str:
    """Hours -> the most readable unit (minutes, hours, days)."""
    if not isinstance(value, int | float):
        return "—"
    if value < 1:
        return f"{value * 60:.0f} min"
    if value < 72:
        return f"{value:.1f} h"
    return f"{value / 24:.1f} days"


def with_query(request: Request, **changes: Any) -> str:
    """The current URL with some query parameters replaced (None removes one): sort links, pagination."""
    params = dict(request.query_params)
    for key, value in changes.items():
        if value is None or value == "":
            params.pop(key, None)
        else:
            params[key] = str(value)
    query = urlencode(params)
    return f"{request.url.path}?{query}" if query else request.url.path


templates.env.filters.update(num=fmt_num, fixed=fmt_fixed, usd=fmt_usd, pct=fmt_pct, hours=fmt_hours, label=field_label,
                             unit=field_unit)
templates.env.globals.update(with_query=with_query)


def is_htmx(request: Request) -> bool:
    return request.headers.get("hx-request") == "true"


def render(request: Request, name: str, context: dict[str, Any] | None = None, *, status: int = 200,
           block: str | None = None) -> Response:
    """Render a page (or one block of it for HTMX) with the caller, CSRF token and nav state in context."""
    ctx = dict(context or {})
    ctx.setdefault("user", current_user(request))
    ctx.setdefault("csrf_token", csrf.token_for(request))
    ctx.setdefault("nav", request.url.path.split("/")[1] if request.url.path != "/" else "home")
    if block:
        return templates.TemplateResponse(request, name, ctx, status_code=status, block_name=block)
    return templates.TemplateResponse(request, name, ctx, status_code=status)


def current_user(request: Request) -> str | None:
    if "session" not in request.scope:
        return None
    user = request.session.get("user")
    return str(user) if user else None


def error_page(request: Request, status: int, title: str, detail: str) -> Response:
    """The HTML renderer given to install_error_handlers: errors in the app's own layout."""
    return render(request, "error.html", {"status": status, "title": title, "detail": detail}, status=status)
