"""Plan report as PDF: Jinja2 HTML (templates/reports/plan_report.html) rendered by WeasyPrint, fully offline."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape
from weasyprint import HTML  # imported with the app (about 1 s), not on the first download

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
    html = HTML(string=plan_html(document), url_fetcher=offline_fetcher(), base_url=None)
    return bytes(html.write_pdf())


def warm_up() -> None:
    """Render a one-line PDF with a tiny chart: loads Pango/fontconfig and matplotlib's font cache."""
    from matplotlib.figure import Figure

    from app.reports.charts import _render

    fig = Figure(figsize=(1, 1))
    fig.subplots().plot([0, 1], [0, 1])
    html = f'<p style="font-family: DejaVu Sans">RackPlan</p><img src="{_render(fig, "png")}">'
    HTML(string=html, url_fetcher=offline_fetcher(), base_url=None).write_pdf()
