"""Plan report as PDF: Jinja2 HTML (templates/reports/plan_report.html) rendered by WeasyPrint, fully offline."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape

from app.reports.charts import all_charts, elevation_rows

TEMPLATES = Path(__file__).resolve().parents[2] / "templates"
_env = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(["html"]))


def _money(value: float | None) -> str:
    return "-" if value is None else f"${value:,.0f}"


def _money_m(value: float | None) -> str:
    """Compact money for narrow table columns: $164.5M, $45.4k."""
    if value is None:
        return "-"
    if abs(value) >= 1e6:
        return f"${value / 1e6:,.1f}M"
    return f"${value / 1e3:,.1f}k" if abs(value) >= 1e3 else f"${value:,.0f}"


def _num(value: float | None, digits: int = 1) -> str:
    if value is None:
        return "-"
    return f"{value:,.{digits}f}" if isinstance(value, float) else f"{value:,}"


_env.filters.update(money=_money, money_m=_money_m, num=_num)


def offline_fetcher() -> Any:
    """WeasyPrint URL fetcher that serves data: URLs only: a report never reaches the network or the disk."""
    from weasyprint.urls import URLFetcher

    return URLFetcher(allowed_protocols={"data"}, allow_redirects=False)


def plan_html(document: dict[str, Any]) -> str:
    charts = all_charts(document["result"], fmt="png")
    template = _env.get_template("reports/plan_report.html")
    return template.render(plan=document, r=document["result"], b=document["result"]["recommended"], charts=charts,
                           elevation_rows=elevation_rows)


def plan_pdf(document: dict[str, Any]) -> bytes:
    from weasyprint import HTML

    html = HTML(string=plan_html(document), url_fetcher=offline_fetcher(), base_url=None)
    return bytes(html.write_pdf())
