"""Report charts drawn by matplotlib (Agg backend) as SVG strings, from the stored plan result only."""

from __future__ import annotations

import io
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
from matplotlib.figure import Figure

plt.rcParams.update({"svg.fonttype": "none", "font.size": 8, "axes.spines.top": False, "axes.spines.right": False,
                     "svg.hashsalt": "rackplan"})  # fixed salt: identical plans give identical SVG
SIZE = (6.4, 3.0)


def _svg(fig: Figure) -> str:
    buf = io.StringIO()
    fig.savefig(buf, format="svg", metadata={"Date": None})
    plt.close(fig)
    return buf.getvalue()


def pareto_chart(result: dict[str, Any]) -> str:
    """Cost versus time (or latency / capacity) over the feasible candidates; Pareto front joined and marked."""
    axes, rows = result["pareto"], result["alternatives"]
    fig, ax = plt.subplots(figsize=SIZE)
    fig.subplots_adjust(left=0.12, right=0.97, bottom=0.17, top=0.9)
    xs = [float(r[axes["x"]]) for r in rows]
    ys = [float(r[axes["y"]]) / 1e6 for r in rows]
    ax.scatter(xs, ys, s=14, color="#9aa5b1", label="feasible candidates")
    front = sorted((x, y) for x, y, r in zip(xs, ys, rows, strict=True) if r["pareto"])
    ax.plot([p[0] for p in front], [p[1] for p in front], "-o", color="#1f6feb", ms=5, label="Pareto front")
    best = rows[0]
    ax.scatter([float(best[axes["x"]])], [float(best[axes["y"]]) / 1e6], s=90, marker="*", color="#d1242f",
               zorder=5, label=f"recommended: {best['server']}")
    ax.set_xlabel(axes["x_label"])
    ax.set_ylabel(axes["y_label"].replace("[USD]", "[million USD]"))
    ax.legend(loc="best", frameon=False)
    return _svg(fig)


def _bars(labels: list[str], values: list[float], unit: str, title: str, limit: float | None = None) -> str:
    fig, ax = plt.subplots(figsize=SIZE)
    fig.subplots_adjust(left=0.3, right=0.97, bottom=0.17, top=0.9)
    ax.barh(labels, values, color="#1f6feb")
    if limit is not None:
        ax.axvline(limit, color="#d1242f", ls="--", label=f"capacity {limit:,.1f} {unit}")
        ax.legend(loc="lower right", frameon=False)
    ax.set_xlabel(unit)
    ax.set_title(title)
    ax.invert_yaxis()
    return _svg(fig)


def time_chart(build: dict[str, Any], kind: str) -> str:
    """Training: where one optimizer step goes. Inference: latency against the targets."""
    compute = build["compute"]
    if "time_breakdown" in compute:
        tb = compute["time_breakdown"]
        labels = [k.removesuffix("_s").replace("_", " ") for k in tb]
        return _bars(labels, [float(v) for v in tb.values()], "seconds per step", "Step time breakdown")
    if "ttft_ms" in compute:
        return _bars(["TTFT", "TPOT"], [compute["ttft_ms"], compute["tpot_ms"]], "ms", "Latency per request")
    return _bars(["required", "capacity"], [compute["required_samples_per_s"], compute["samples_per_s"]],
                 "samples/s", "Throughput")


def memory_chart(build: dict[str, Any]) -> str:
    """Memory per GPU (training) or per replica (inference) by use, against the device capacity."""
    mem = dict(build["compute"].get("memory_breakdown") or {})
    capacity = mem.pop("capacity_gib", None)
    labels = [k.removesuffix("_gib").replace("_", " ") for k in mem]
    return _bars(labels, [float(v) for v in mem.values()], "GiB", "Memory breakdown", capacity)


def power_chart(build: dict[str, Any]) -> str:
    """Nameplate and expected kW of each rack type against its derated limit."""
    racks = build["power"]["per_rack"]
    fig, ax = plt.subplots(figsize=SIZE)
    fig.subplots_adjust(left=0.3, right=0.97, bottom=0.17, top=0.9)
    names = [f"{r['name']} x{r['count']}" for r in racks]
    pos = range(len(racks))
    ax.barh([p - 0.2 for p in pos], [r["nameplate_kw"] for r in racks], height=0.4, color="#1f6feb",
            label="nameplate")
    ax.barh([p + 0.2 for p in pos], [r["expected_kw"] for r in racks], height=0.4, color="#8cc4ff", label="expected")
    for p, r in zip(pos, racks, strict=True):
        ax.plot([r["limit_kw"]] * 2, [p - 0.45, p + 0.45], color="#d1242f", lw=2)
    ax.plot([], [], color="#d1242f", lw=2, label="derated limit")
    ax.set_yticks(list(pos), names)
    ax.invert_yaxis()
    ax.set_xlabel("kW per rack")
    ax.legend(loc="lower right", frameon=False)
    return _svg(fig)


def all_charts(result: dict[str, Any]) -> dict[str, str]:
    build = result["recommended"]
    charts = {"pareto": pareto_chart(result), "time": time_chart(build, result["kind"]), "power": power_chart(build)}
    if build["compute"].get("memory_breakdown"):
        charts["memory"] = memory_chart(build)
    return charts
