"""Plan reports: PDF (WeasyPrint), XLSX (openpyxl), CSV (bill of materials) and JSON, from the stored plan only."""

from __future__ import annotations

import json
from typing import Any

from app.reports.pdf import plan_pdf

FORMATS = ("pdf", "xlsx", "csv", "json")


def render(document: dict[str, Any], fmt: str) -> bytes:
    """Bytes of one report format for a plan document (service.plan_document)."""
    if fmt == "json":
        return json.dumps(document, indent=2).encode()
    if fmt == "csv":
        from app.reports.csv_bom import bom_csv

        return bom_csv(document).encode()
    if fmt == "xlsx":
        from app.reports.xlsx import plan_xlsx

        return plan_xlsx(document)
    if fmt == "pdf":
        return plan_pdf(document)
    raise ValueError(f"unknown report format {fmt!r}; use one of {', '.join(FORMATS)}")


def warm_up() -> None:
    """Load fonts and layout caches once at start-up, so the first report download is not the slow one."""
    from app.reports.pdf import warm_up as warm_pdf

    warm_pdf()
