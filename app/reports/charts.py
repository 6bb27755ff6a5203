"""Report charts drawn by matplotlib (Agg backend) from the stored plan result only: SVG for the web pages, PNG for
the PDF (WeasyPrint lays out SVG text slowly); both as data: URIs."""

from __future__ import annotations

import base64
import io
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle

plt.rcParams.update({"svg.fonttype": "none", "font.size": 8, "axes.spines.top": False, "axes.spines.right": False,
                     "svg.hashsalt": "rackplan"})  # fixed salt: identical plans give identical SVG
SIZE = (6.4, 3.0)


PNG_DPI = 110  # print resolution of the PDF charts; PNG embeds in WeasyPrint far faster than SVG text layout


def _figure(size: tuple[float, float], columns: int = 0) -> tuple[Figure, Any]:
    """A figure outside pyplot's global state (thread-safe, nothing to close); `columns` > 0 gives a 1-row grid."""
    fig = Figure(figsize=size)
    axes = fig.subplots(1, columns, squeeze=False) if columns else fig.subplots()
    return fig, axes


def _render(fig: Figure, fmt: str) -> str:
    """A figure as a data: URI (img-src 'self' data: is allowed by the CSP)."""
    buf = io.BytesIO()
    if fmt == "png":
        fig.savefig(buf, format="png", dpi=PNG_DPI, metadata={"Software": None})
        mime = "image/png"
    else:
        fig.savefig(buf, format="svg", metadata={"Date": None})
        mime = "image/svg+xml"
    return f"data:{mime};base64," + base64.b64encode(buf.getvalue()).decode()


def pareto_chart(result: dict[str, Any]) -> Figure:
    """Cost versus time (or latency / capacity) over the feasible candidates; Pareto front joined and marked."""
    axes, rows = result["pareto"], result["alternatives"]
    fig, ax = _figure(SIZE)
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
    return fig


def _bars(labels: list[str], values: list[float], unit: str, title: str, limit: float | None = None) -> Figure:
    fig, ax = _figure(SIZE)
    fig.subplots_adjust(left=0.3, right=0.97, bottom=0.17, top=0.9)
    ax.barh(labels, values, color="#1f6feb")
    if limit is not None:
        ax.axvline(limit, color="#d1242f", ls="--", label=f"capacity {limit:,.1f} {unit}")
        ax.legend(loc="lower right", frameon=False)
    ax.set_xlabel(unit)
    ax.set_title(title)
    ax.invert_yaxis()
    return fig


def time_chart(build: dict[str, Any], kind: str) -> Figure:
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


def memory_chart(build: dict[str, Any]) -> Figure:
    """Memory per GPU (training) or per replica (inference) by use, against the device capacity."""
    mem = dict(build["compute"].get("memory_breakdown") or {})
    capacity = mem.pop("capacity_gib", None)
    labels = [k.removesuffix("_gib").replace("_", " ") for k in mem]
    return _bars(labels, [float(v) for v in mem.values()], "GiB", "Memory breakdown", capacity)


def power_chart(build: dict[str, Any]) -> Figure:
    """Nameplate and expected kW of each rack type against its derated limit."""
    racks = build["power"]["per_rack"]
    fig, ax = _figure(SIZE)
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
    return fig


KIND_COLORS = {"server": "#8cc4ff", "leaf": "#ffd591", "spine": "#ffd591", "core": "#ffd591", "mgmt": "#b7eb8f",
               "cable": "#d9d9d9", "blank": "#f5f5f5", "storage": "#d3adf7"}
MAX_ELEVATIONS = 8


def elevation_chart(build: dict[str, Any]) -> Figure:
    """Rack elevations drawn to scale: one column per distinct rack type, U1 at the bottom, runs of identical
    items merged into one block ("18 x leaf"), coloured by kind."""
    racks = list({r["name"]: r for r in reversed(build["racks"]["elevations"])}.values())[::-1][:MAX_ELEVATIONS]
    fig, axes = _figure((max(2.0, 1.6 * len(racks)), 5.2), columns=len(racks))
    fig.subplots_adjust(left=0.02, right=0.98, bottom=0.02, top=0.9, wspace=0.15)
    for ax, rack in zip(axes[0], racks, strict=True):
        _draw_rack(ax, rack)
    return fig


def _draw_rack(ax: Any, rack: dict[str, Any]) -> None:
    units = rack["rack_units"]
    ax.add_patch(Rectangle((0, 0.5), 1, units, facecolor="#2d333b", edgecolor="#2d333b"))
    for run in elevation_rows(rack["items"]):
        low, height = run["u_low"] - 0.5, run["u_high"] - run["u_low"] + 1
        ax.add_patch(Rectangle((0.05, low + 0.05), 0.9, height - 0.1, facecolor=KIND_COLORS.get(run["kind"], "#fff"),
                               edgecolor="#555", linewidth=0.3))
        label = f"{run['count']} x {run['label']}" if run["count"] > 1 else run["label"]
        ax.text(0.5, low + height / 2, label[:30], ha="center", va="center", fontsize=4.2)
    ax.set_xlim(0, 1)
    ax.set_ylim(0, units + 1)
    ax.set_title(f"{rack['name']} x{rack['count']}\n{rack['nameplate_kw']:.1f} / {rack['limit_kw']:.1f} kW",
                 fontsize=5.5)
    ax.axis("off")


def elevation_rows(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Rack items top first, consecutive identical items merged into one run ("U1-24: 4 x server"); PDUs (0U)
    are left out."""
    rows: list[dict[str, Any]] = []
    for item in sorted((i for i in items if i["kind"] != "pdu"), key=lambda i: -i["u_start"]):
        last = rows[-1] if rows else None
        if last and last["label"] == item["label"] and last["kind"] == item["kind"] and \
                item["u_start"] + item["u_height"] == last["u_low"]:
            last.update(u_low=item["u_start"], count=last["count"] + 1)
        else:
            rows.append({"label": item["label"], "kind": item["kind"], "count": 1, "u_low": item["u_start"],
                         "u_high": item["u_start"] + max(item["u_height"], 1) - 1})
    return rows


def all_charts(result: dict[str, Any], fmt: str = "svg") -> dict[str, str]:
    """Every chart of a plan as a data: URI, SVG (web pages) or PNG (PDF report)."""
    build = result["recommended"]
    figures = {"pareto": pareto_chart(result), "time": time_chart(build, result["kind"]), "power": power_chart(build)}
    if build["compute"].get("memory_breakdown"):
        figures["memory"] = memory_chart(build)
    if fmt == "png":  # the web page draws elevations in HTML; the PDF gets a drawing (fast to lay out)
        figures["elevations"] = elevation_chart(build)
    return {name: _render(fig, fmt) for name, fig in figures.items()}
