"""Plan workbook (openpyxl): Summary, BOM, Power per rack, Assumptions, Alternatives."""

from __future__ import annotations

import io
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.worksheet.worksheet import Worksheet

USD = '"$"#,##0.00'


def _sheet(wb: Workbook, title: str, header: list[str], rows: list[list[Any]], widths: list[int]) -> Worksheet:
    ws = wb.create_sheet(title)
    ws.append(header)
    for cell in ws[1]:
        cell.font = Font(bold=True)
    for row in rows:
        ws.append(row)
    for i, width in enumerate(widths):
        ws.column_dimensions[chr(ord("A") + i)].width = width
    ws.freeze_panes = "A2"
    return ws


def _summary(wb: Workbook, doc: dict[str, Any]) -> None:
    ws = wb.active
    assert ws is not None
    ws.title = "Summary"
    s = doc["result"]["summary"]
    rows = [("Plan", doc["name"]), ("Plan id", doc["id"]), ("Kind", doc["kind"]), ("Objective", doc["objective"]),
            ("Engine version", doc["engine_version"]), ("Recommendation", s["headline"]),
            ("Servers", s["servers"]), ("GPUs", s["gpus"]), ("Racks", s["racks"]), ("Capex [USD]", s["capex_usd"]),
            ("TCO [USD]", s["tco_usd"]), ("IT nameplate [kW]", s["it_nameplate_kw"]),
            (s["key_cost"]["label"], s["key_cost"]["value"])]
    for row in rows:
        ws.append(list(row))
    ws.column_dimensions["A"].width = 40
    ws.column_dimensions["B"].width = 90


def _bom(wb: Workbook, doc: dict[str, Any]) -> None:
    bom = doc["result"]["recommended"]["bom"]
    rows = [[x["category"], x["part_number"], x["description"], x["slug"], x["qty"], x["unit_usd"],
             x["extended_usd"]] for x in bom]
    ws = _sheet(wb, "BOM", ["Category", "Part number", "Description", "Slug", "Qty", "Unit price [USD]",
                            "Extended price [USD]"], rows, [12, 22, 60, 28, 8, 18, 20])
    last = len(rows) + 1
    ws.append(["Total", "", "", "", "", "", f"=SUM(G2:G{last})"])
    ws.cell(row=last + 1, column=1).font = Font(bold=True)
    for col in ("F", "G"):
        for r in range(2, last + 2):
            ws[f"{col}{r}"].number_format = USD


def _power(wb: Workbook, doc: dict[str, Any]) -> None:
    power = doc["result"]["recommended"]["power"]
    rows = [[r["name"], r["count"], r["nameplate_kw"], r["expected_kw"], r["limit_kw"],
             "over" if r["nameplate_kw"] > r["limit_kw"] + 1e-9 else "ok"] for r in power["per_rack"]]
    ws = _sheet(wb, "Power per rack", ["Rack", "Count", "Nameplate [kW]", "Expected [kW]", "Limit [kW]", "Status"],
                rows, [40, 8, 16, 16, 14, 10])
    ws.append([])
    for key in ("it_nameplate_kw", "it_expected_kw", "pue", "facility_nameplate_kw", "facility_expected_kw",
                "heat_btu_h", "cooling_tons", "feeds_per_rack", "feed_kw_per_rack"):
        ws.append([key, power[key]])


def _assumptions(wb: Workbook, doc: dict[str, Any]) -> None:
    rows = [[a["name"], str(a["value"]), a["source"], a["note"]] for a in doc["result"]["assumptions"]]
    _sheet(wb, "Assumptions", ["Name", "Value", "Source", "Note"], rows, [38, 40, 10, 70])


def _alternatives(wb: Workbook, doc: dict[str, Any]) -> None:
    res = doc["result"]
    rows = [[a["rank"], a["server"], a["name"], a["accelerator"], a["servers"], a["gpus"], a["racks"],
             a["expected_hours"], a["capacity_requests_per_s"], a["capex_usd"], a["tco_usd"], a["cost_usd"],
             a["facility_expected_kw"], "yes" if a["pareto"] else "", "yes" if a["recommended"] else ""]
            for a in res["alternatives"]]
    rows += [["-", x["server"], x["name"], "", "", "", "", "", "", "", "", "", "", "", f"infeasible: {x['reason']}"]
             for x in res["infeasible"]]
    _sheet(wb, "Alternatives", ["Rank", "Server", "Name", "Accelerator", "Servers", "GPUs", "Racks",
                                "Expected hours", "Capacity [req/s]", "Capex [USD]", "TCO [USD]",
                                res["pareto"]["y_label"], "Facility kW (expected)", "Pareto", "Recommended"],
           rows, [6, 30, 40, 26, 9, 9, 8, 14, 14, 16, 16, 20, 14, 8, 30])


def plan_xlsx(document: dict[str, Any]) -> bytes:
    wb = Workbook()
    _summary(wb, document)
    _bom(wb, document)
    _power(wb, document)
    _assumptions(wb, document)
    _alternatives(wb, document)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()
