"""Plan reports: PDF (WeasyPrint), XLSX (openpyxl), CSV (bill of materials) and JSON, from the stored plan only."""

from __future__ import annotations

import json
from typing import Any

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
        from app.reports.pdf import plan_pdf

        return plan_pdf(document)
    raise ValueError(f"unknown report format {fmt!r}; use one of {', '.join(FORMATS)}")
