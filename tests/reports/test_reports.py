"""The four report formats download and open: PDF text (pypdf), XLSX sheets and cells (openpyxl), CSV rows."""

from __future__ import annotations

import base64
import csv
import io
import json
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook
from pypdf import PdfReader

from app.cli import main
from app.config import get_settings
from app.reports import charts, csv_bom, pdf

SERVING = {
    "name": "Llama 3.1 70B chat serving report",
    "candidates": ["nvidia-dgx-h100", "nvidia-dgx-h200", "dell-xe9680-mi300x", "dell-r760-l4"],
    "workload": {"kind": "inference", "model": "llama-3.1-70b", "input_tokens": 2000, "output_tokens": 500,
                 "requests_per_s": 50, "ttft_ms_max": 1000, "tpot_ms_max": 50},
}
TRAINING = {
    "name": "Llama 3.1 8B training report", "candidates": ["nvidia-dgx-h100", "nvidia-dgx-b200"],
    "workload": {"kind": "training", "model": "llama-3.1-8b", "tokens": 1e12, "deadline_days": 10},
}
PDF_SECTIONS = ("Summary", "Recommendation", "Alternatives", "Charts", "Rack elevations", "Network", "Storage",
                "Power and cooling", "Reliability", "Energy, carbon and cost", "Bill of materials", "Assumptions",
                "Warnings")


@pytest.fixture(params=[SERVING, TRAINING], ids=["inference", "training"])
def plan(client: Any, editor_headers: dict[str, str], request: pytest.FixtureRequest) -> dict[str, Any]:
    response = client.post("/api/v1/plans", json=request.param, headers=editor_headers)
    assert response.status_code == 201, response.text
    return response.json()


def _get(client: Any, plan: dict[str, Any], fmt: str) -> Any:
    response = client.get(f"/api/v1/plans/{plan['id']}/report.{fmt}")
    assert response.status_code == 200, response.text
    assert f'filename="plan-{plan["id"]}.{fmt}"' in response.headers["content-disposition"]
    return response


def test_pdf_contains_every_section(client: Any, plan: dict[str, Any]) -> None:
    response = _get(client, plan, "pdf")
    assert response.headers["content-type"] == "application/pdf" and response.content.startswith(b"%PDF")
    reader = PdfReader(io.BytesIO(response.content))
    text = " ".join(page.extract_text() for page in reader.pages)
    for heading in PDF_SECTIONS:
        assert heading in text, heading
    build = plan["result"]["recommended"]
    assert build["server"]["name"] in text.replace("\n", " ")
    assert build["bom"][0]["description"].split(" ")[0] in text
    assert f"{build['cost']['capex']['total_usd']:,.0f}" in text  # BOM total printed


def test_xlsx_sheets_and_cells(client: Any, plan: dict[str, Any]) -> None:
    wb = load_workbook(io.BytesIO(_get(client, plan, "xlsx").content))
    assert {"Summary", "BOM", "Power per rack", "Assumptions", "Alternatives"} <= set(wb.sheetnames)
    bom = list(wb["BOM"].iter_rows(values_only=True))
    assert bom[0][:7] == ("Category", "Part number", "Description", "Slug", "Qty", "Unit price [USD]",
                          "Extended price [USD]")
    lines = plan["result"]["recommended"]["bom"]
    body = bom[1:1 + len(lines)]
    for row, line in zip(body, lines, strict=True):
        assert row[3] == line["slug"] and row[4] == line["qty"]
        assert row[6] == pytest.approx(row[4] * row[5])
    assert bom[1 + len(lines)][0] == "Total" and str(bom[1 + len(lines)][6]).startswith("=SUM(G2:")
    power = list(wb["Power per rack"].iter_rows(values_only=True))
    assert power[0][:5] == ("Rack", "Count", "Nameplate [kW]", "Expected [kW]", "Limit [kW]")
    assert all(r[5] == "ok" for r in power[1:1 + len(plan["result"]["recommended"]["power"]["per_rack"])])
    names = [r[0] for r in wb["Assumptions"].iter_rows(min_row=2, values_only=True)]
    assert "site.pue" in names and "site.usd_per_kwh" in names
    alts = list(wb["Alternatives"].iter_rows(min_row=2, values_only=True))
    assert alts[0][0] == 1 and alts[0][1] == plan["recommended_server"] and alts[0][14] == "yes"


def test_csv_bom_rows(client: Any, plan: dict[str, Any]) -> None:
    response = _get(client, plan, "csv")
    assert response.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(response.text)))
    lines = plan["result"]["recommended"]["bom"]
    assert [r["slug"] for r in rows] == [x["slug"] for x in lines]
    assert sum(float(r["extended_usd"]) for r in rows) == pytest.approx(
        plan["result"]["recommended"]["cost"]["capex"]["total_usd"], rel=1e-9, abs=0.01 * len(rows))
    assert {r["category"] for r in rows} >= {"servers", "network", "storage", "racks"}


def test_json_is_the_plan(client: Any, plan: dict[str, Any]) -> None:
    doc = _get(client, plan, "json").json()
    assert doc["result"] == plan["result"] and doc["request"] == plan["request"]
    assert doc["catalog_snapshot"] == plan["catalog_snapshot"] and doc["engine_version"] == plan["engine_version"]


def test_unknown_format_is_rejected(client: Any, plan: dict[str, Any]) -> None:
    assert client.get(f"/api/v1/plans/{plan['id']}/report.docx").status_code in (404, 422)


def _decoded(uri: str, mime: str) -> bytes:
    prefix = f"data:{mime};base64,"
    assert uri.startswith(prefix)
    return base64.b64decode(uri[len(prefix):])


def test_charts_are_svg_for_the_web_and_png_for_the_pdf(plan: dict[str, Any]) -> None:
    svgs = {k: _decoded(v, "image/svg+xml").decode() for k, v in charts.all_charts(plan["result"]).items()}
    assert {"pareto", "time", "power"} <= svgs.keys()
    for svg in svgs.values():
        assert svg.lstrip().startswith("<?xml") and "<svg" in svg and "Matplotlib" in svg
    assert "Pareto front" in svgs["pareto"] and "derated limit" in svgs["power"]
    pngs = charts.all_charts(plan["result"], fmt="png")
    assert pngs.keys() == svgs.keys() | {"elevations"}  # the PDF also gets a drawn rack elevation
    assert all(_decoded(v, "image/png").startswith(b"\x89PNG") for v in pngs.values())


def test_pdf_renderer_fetches_nothing_but_data_urls() -> None:
    fetcher = pdf.offline_fetcher()
    for url in ("http://example.com/x.png", "https://example.com/a.css", "file:///etc/passwd"):
        with pytest.raises(ValueError, match="disallowed"):
            fetcher.fetch(url)
    assert fetcher.fetch("data:text/plain;base64,aGk=").read() == b"hi"


def test_elevation_rows_merge_identical_neighbours() -> None:
    items = [{"u_start": 7, "u_height": 1, "kind": "mgmt", "label": "SN2201"},
             {"u_start": 5, "u_height": 2, "kind": "server", "label": "S"},
             {"u_start": 3, "u_height": 2, "kind": "server", "label": "S"},
             {"u_start": 1, "u_height": 2, "kind": "server", "label": "S"},
             {"u_start": 0, "u_height": 0, "kind": "pdu", "label": "PDU"}]
    rows = pdf.elevation_rows(items)
    assert [(r["u_low"], r["u_high"], r["count"], r["kind"]) for r in rows] == [(7, 7, 1, "mgmt"), (1, 6, 3, "server")]


def test_cli_plan_writes_reports(monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
                                 capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("RACKPLAN_DATABASE_URL", f"sqlite:///{tmp_path / 'cli.db'}")
    get_settings.cache_clear()
    try:  # no `rackplan seed` first: the plan command seeds an empty catalog as `serve` does
        workload = tmp_path / "workload.json"
        workload.write_text(json.dumps(SERVING))
        out = tmp_path / "plan.csv"
        assert main(["plan", str(workload), "--format", "csv", "-o", str(out)]) == 0
        assert "wrote" in capsys.readouterr().out
        rows = list(csv.DictReader(out.open()))
        assert rows and set(rows[0]) == set(csv_bom.COLUMNS)
        assert main(["plan", str(workload), "--format", "pdf", "-o", str(tmp_path / "plan.pdf")]) == 0
        assert (tmp_path / "plan.pdf").read_bytes().startswith(b"%PDF")
        bad = tmp_path / "bad.json"
        bad.write_text(json.dumps({"name": "x", "workload": {"kind": "training"}}))
        assert main(["plan", str(bad)]) == 2
    finally:
        get_settings.cache_clear()
