"""Bill of materials as CSV: one row per line item of the recommended build."""

from __future__ import annotations

import csv
import io
from typing import Any

COLUMNS = ("category", "part_number", "description", "slug", "qty", "unit_usd", "extended_usd")


def bom_rows(document: dict[str, Any]) -> list[dict[str, Any]]:
    return [{c: line.get(c, "") for c in COLUMNS} for line in document["result"]["recommended"]["bom"]]


def bom_csv(document: dict[str, Any]) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=COLUMNS, lineterminator="\n")
    writer.writeheader()
    for row in bom_rows(document):
        writer.writerow({**row, "unit_usd": f"{row['unit_usd']:.2f}", "extended_usd": f"{row['extended_usd']:.2f}"})
    return out.getvalue()
