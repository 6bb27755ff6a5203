"""Plan report as PDF: Jinja2 HTML (templates/reports/plan_report.html) rendered by WeasyPrint, fully offline."""

from __future__ import annotations

import base64
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape

from app.reports.charts import all_charts

TEMPLATES = Path(__file__).resolve().parents[2] / "templates"
_env = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(["html"]))


def _money(value: float | None) -> str:
    return "-" if value is None else f"${value:,.0f}"


def _num(value: float | None, digits: int = 1) -> str:
    if value is None:
        return "-"
    return f"{value:,.{digits}f}" if isinstance(value, float) else f"{value:,}"


_env.filters.update(money=_money, num=_num)


def offline_fetcher() -> Any:
    """WeasyPrint URL fetcher that serves data: URLs only: a report never reaches the network or the disk."""
    from weasyprint.urls import URLFetcher

    return URLFetcher(allowed_protocols={"data"}, allow_redirects=False)


def data_uri(svg: str) -> str:
    return "data:image/svg+xml;base64," + base64.b64encode(svg.encode()).decode()


def elevation_rows(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Rack items top first, consecutive identical items merged into one row ("U1-24: 4 x server")."""
    rows: list[dict[str, Any]] = []
    for item in items:
        if item["kind"] == "pdu":
            continue
        last = rows[-1] if rows else None
        if last and last["label"] == item["label"] and last["kind"] == item["kind"] and \
                item["u_start"] + item["u_height"] == last["u_low"]:
            last.update(u_low=item["u_start"], count=last["count"] + 1)
        else:
            rows.append({"label": item["label"], "kind": item["kind"], "count": 1, "u_low": item["u_start"],
                         "u_high": item["u_start"] + max(item["u_height"], 1) - 1})
    return rows


def plan_html(document: dict[str, Any]) -> str:
    charts = {name: data_uri(svg) for name, svg in all_charts(document["result"]).items()}
    template = _env.get_template("reports/plan_report.html")
    return template.render(plan=document, r=document["result"], b=document["result"]["recommended"], charts=charts,
                           elevation_rows=elevation_rows)


def plan_pdf(document: dict[str, Any]) -> bytes:
    from weasyprint import HTML

    html = HTML(string=plan_html(document), url_fetcher=offline_fetcher(), base_url=None)
    return bytes(html.write_pdf())
