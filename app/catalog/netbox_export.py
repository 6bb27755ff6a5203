"""NetBox device-type export: server and switch SKUs as devicetype-library YAML (dir, dict or zip).

RackPlan fields NetBox has no place for travel in a fenced `rackplan:` YAML block in `comments`, so that
export -> import is lossless (see app/catalog/netbox.py for the import side).
"""

from __future__ import annotations

import io
import re
import zipfile
from pathlib import Path
from typing import Any

import yaml

from app.catalog.kinds import KINDS
from app.catalog.netbox import ETHERNET_TYPE, IB_GBIT_S, NETBOX_AIRFLOWS, TOP_LEVEL


def _interface(name: str, gbit_s: float, infiniband: bool = False) -> dict[str, Any]:
    ib = {v: k for k, v in IB_GBIT_S.items() if k != "fdr10"}
    if infiniband and gbit_s in ib:
        return {"name": name, "type": f"infiniband-{ib[gbit_s]}"}
    return {"name": name, "type": ETHERNET_TYPE.get(int(gbit_s), "other") if gbit_s == int(gbit_s) else "other"}


def _interfaces(kind: str, row: dict[str, Any]) -> list[dict[str, Any]]:
    mgmt = {"name": "mgmt0" if kind == "switches" else "bmc", "type": "1000base-t", "mgmt_only": True}
    if kind == "switches":
        ib = row["fabric"] == "infiniband"
        return [mgmt] + [_interface(f"p{i + 1}", row["port_gbit_s"], ib) for i in range(row["ports"])]
    compute = [_interface(f"compute{i}", row["compute_nic_gbit_s"]) for i in range(row["compute_nic_count"])]
    frontend = [_interface(f"eth{i}", row["frontend_nic_gbit_s"]) for i in range(row["frontend_nic_count"])]
    return [mgmt, *frontend, *compute]


def _power_ports(row: dict[str, Any]) -> list[dict[str, Any]]:
    count = max(int(row.get("psu_count", 1) or 1), 1)
    per_max, per_typ = max(round(row["max_power_w"] / count), 1), max(round(row["typical_power_w"] / count), 1)
    return [{"name": f"PSU{i + 1}", "type": "iec-60320-c20", "maximum_draw": per_max, "allocated_draw": per_typ}
            for i in range(count)]


class _Dumper(yaml.SafeDumper):
    """Multi-line strings as literal blocks (readable comments); PyYAML falls back to quotes when it must."""


def _str_representer(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style="|" if "\n" in value else None)


_Dumper.add_representer(str, _str_representer)


def _dump(data: Any) -> str:
    return yaml.dump(data, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=100)


def device_type(kind: str, row: dict[str, Any]) -> dict[str, Any]:
    """A catalog server or switch as a NetBox device type (dict ready for YAML)."""
    dt: dict[str, Any] = {"manufacturer": row["vendor"], "model": row["model"], "slug": row["slug"]}
    if row.get("part_number"):
        dt["part_number"] = row["part_number"]
    dt.update(u_height=row["rack_units"], is_full_depth=row.get("is_full_depth", True))
    if row.get("airflow") in NETBOX_AIRFLOWS:
        dt["airflow"] = row["airflow"]
    if row.get("weight_kg"):
        dt.update(weight=row["weight_kg"], weight_unit="kg")
    block = {"kind": kind, **{k: v for k, v in row.items() if k not in TOP_LEVEL}}
    if row.get("airflow") not in NETBOX_AIRFLOWS:
        block["airflow"] = row.get("airflow", "")
    text = _dump({"rackplan": block})
    head = "Exported from RackPlan." + (f" Datasheet: {row['source_url']}" if row.get("source_url") else "")
    dt["comments"] = f"{head}\n\n```yaml\n{text}```\n"
    dt["power-ports"] = _power_ports(row)
    dt["interfaces"] = _interfaces(kind, row)
    return dt


def export_device_types(doc: dict[str, Any]) -> dict[str, str]:
    """Relative path (device-types/<vendor>/<slug>.yaml, as in the library) -> YAML text."""
    out = {}
    for kind in ("servers", "switches"):
        for row in doc.get(KINDS[kind].export_key, []):
            vendor = re.sub(r"[^A-Za-z0-9._-]+", "-", row["vendor"]).strip("-") or "unknown"
            text = _dump(device_type(kind, row))
            out[f"device-types/{vendor}/{row['slug']}.yaml"] = "---\n" + text
    return out


def export_netbox_dir(doc: dict[str, Any], out_dir: Path) -> int:
    files = export_device_types(doc)
    for rel, text in files.items():
        target = out_dir / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
    return len(files)


def export_netbox_zip(doc: dict[str, Any]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for rel, text in sorted(export_device_types(doc).items()):
            archive.writestr(rel, text)
    return buffer.getvalue()
