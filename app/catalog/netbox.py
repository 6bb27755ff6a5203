"""NetBox device-type YAML (netbox-community/devicetype-library schema) <-> catalog servers and switches.

Export: one device type per server or switch. NetBox carries the physical facts (manufacturer, model, slug,
part_number, u_height, is_full_depth, airflow, weight, power-ports, interfaces); every RackPlan field NetBox
lacks travels in a fenced ```yaml block (`rackplan:` key) in `comments`, so export -> import is lossless.

Import, per file, in this order of precedence (later wins):
1. values derived from NetBox data: ports and speed from interfaces, power from power-ports maximum_draw /
   allocated_draw, PSU count from power-ports or PSU module bays, PCIe generation from module-bay text;
2. the catalog row with the same slug (the database, else the seed catalog): a merge, which keeps every
   RackPlan field and takes only the NetBox-owned physical fields (MERGE_FIELDS) from the file;
3. without such a row, the file's own top-level fields, with list price 0 and a note when unknown;
4. the `rackplan:` block, authoritative for the fields it carries.
What NetBox cannot say (a server's accelerator and GPU count, a missing power draw) must come from the block
or the catalog, else the import fails naming the file and field. Rows are validated by
app.catalog.transfer (same rules as the JSON import) and nothing is written unless every file is valid.
YAML is parsed with a SafeLoader that also refuses aliases: no tag can construct a Python object.
"""

from __future__ import annotations

import io
import json
import re
import zipfile
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from sqlalchemy.orm import Session

from app.catalog import repository, service
from app.catalog.kinds import KINDS
from app.catalog.seed import seed_document
from app.catalog.transfer import READ_ONLY_FIELDS, ImportResult, import_document, validate_document
from app.errors import FieldError, PayloadTooLarge, ValidationProblem

# devicetype-library schema/generated_schema.json, definitions.airflow
NETBOX_AIRFLOWS = frozenset({"front-to-rear", "rear-to-front", "left-to-right", "right-to-left", "side-to-rear",
                             "passive", "mixed"})
# Exact by definition (international yard and pound agreement, 1959): 1 lb = 0.45359237 kg, 1 oz = 1/16 lb.
WEIGHT_UNIT_KG = {"kg": 1.0, "g": 0.001, "lb": 0.45359237, "oz": 0.028349523125}
# InfiniBand 4x port data rates [Gb/s] per generation (InfiniBand Trade Association roadmap).
IB_GBIT_S = {"sdr": 10, "ddr": 20, "qdr": 40, "fdr10": 40, "fdr": 56, "edr": 100, "hdr": 200, "ndr": 400,
             "xdr": 800}
# Interface type written for a port speed [Gb/s] (values from the schema's interface type enum).
ETHERNET_TYPE = {1: "1000base-t", 10: "10gbase-x-sfpp", 25: "25gbase-x-sfp28", 40: "40gbase-x-qsfpp",
                 50: "50gbase-x-sfp56", 100: "100gbase-x-qsfp28", 200: "200gbase-x-qsfp56", 400: "400gbase-x-osfp",
                 800: "800gbase-x-osfp"}
TOP_LEVEL = ("slug", "vendor", "model", "part_number", "rack_units", "is_full_depth", "weight_kg", "airflow")
MERGE_FIELDS = ("part_number", "rack_units", "is_full_depth", "airflow", "weight_kg")
SWITCH_MIN_PORTS = 16  # a device type with at least this many data interfaces is treated as a switch
COMPUTE_NIC_MIN_GBIT_S = 200  # faster server interfaces count as compute-fabric NICs, slower as frontend
MAX_FILES = 5000
BLOCK_RE = re.compile(r"```ya?ml\n(rackplan:\n.*?)\n```(?:\n|$)", re.S)
HINTS = {
    "accelerator": "NetBox device types do not describe GPUs (they appear only as PCIe module bays); "
                   "give it in a `rackplan:` block in comments, or create the server first and re-import",
    "gpu_count": "not in NetBox data; give it in the `rackplan:` block",
    "scaleup_domain_gpus": "not in NetBox data; give it in the `rackplan:` block (8 for HGX, 1 for PCIe cards)",
    "max_power_w": "no power-ports maximum_draw in the file; add it, or max_power_w in the `rackplan:` block",
    "typical_power_w": "no power-ports allocated_draw in the file; add typical_power_w to the `rackplan:` block",
    "weight_kg": "the file has no weight; add weight and weight_unit",
    "cooling": "set cooling (air/liquid/hybrid) in the `rackplan:` block",
    "fabric": "set fabric (infiniband/ethernet/management) in the `rackplan:` block",
    "ports": "the file lists no data interfaces; add them or ports/port_gbit_s in the `rackplan:` block",
}


class _SafeNoAliasLoader(yaml.SafeLoader):
    """yaml.SafeLoader (plain data only: python/object tags raise) that also refuses anchors/aliases."""

    def compose_node(self, parent: Any, index: Any) -> Any:
        if self.check_event(yaml.AliasEvent):
            raise yaml.YAMLError("YAML aliases are not accepted in device types")
        return super().compose_node(parent, index)


def load_yaml(text: str | bytes) -> Any:
    return yaml.load(text, Loader=_SafeNoAliasLoader)  # a SafeLoader subclass


# ---------------------------------------------------------------- reading NetBox data


def speed_gbit_s(interface_type: str) -> float | None:
    """'400gbase-x-osfp' -> 400, '1000base-t' -> 1, 'infiniband-ndr' -> 400; None when not a data rate."""
    t = str(interface_type).lower()
    if t.startswith("infiniband-"):
        return IB_GBIT_S.get(t.removeprefix("infiniband-"))
    m = re.match(r"^(\d+(?:\.\d+)?)(g?)base", t)
    if not m:
        return None
    return float(m.group(1)) if m.group(2) else float(m.group(1)) / 1000


def _data_interfaces(data: dict[str, Any]) -> list[dict[str, Any]]:
    items = data.get("interfaces") or []
    return [i for i in items if isinstance(i, dict) and not i.get("mgmt_only")
            and speed_gbit_s(i.get("type", "")) is not None]


def _port_grid_count(names: list[str]) -> tuple[int, str]:
    """Ports from names like P3.1 (cage.lane): a list with gaps is counted on the full grid, with a note."""
    parsed = [re.fullmatch(r"[A-Za-z]*(\d+)\.(\d+)", n) for n in names]
    if not names or not all(parsed):
        return len(names), ""
    cages = {int(m.group(1)) for m in parsed if m}
    lanes = {int(m.group(2)) for m in parsed if m}
    grid = len(cages) * len(lanes)
    if grid <= len(names) or len(cages) != max(cages) - min(cages) + 1:
        return len(names), ""
    return grid, f"interface list has {grid - len(names)} gap(s); ports counted on the {len(cages)}x{len(lanes)} grid"


def _weight_kg(data: dict[str, Any]) -> float | None:
    weight, unit = data.get("weight"), str(data.get("weight_unit", "kg")).lower()
    if not isinstance(weight, int | float) or isinstance(weight, bool) or unit not in WEIGHT_UNIT_KG:
        return None
    return float(weight) if unit == "kg" else round(float(weight) * WEIGHT_UNIT_KG[unit], 3)


def _power(data: dict[str, Any]) -> dict[str, Any]:
    ports = [p for p in data.get("power-ports") or [] if isinstance(p, dict)]
    out: dict[str, Any] = {}
    if ports and all(isinstance(p.get("maximum_draw"), int | float) for p in ports):
        out["max_power_w"] = float(sum(p["maximum_draw"] for p in ports))
    if ports and all(isinstance(p.get("allocated_draw"), int | float) for p in ports):
        out["typical_power_w"] = float(sum(p["allocated_draw"] for p in ports))
    return out


def _psu_count(data: dict[str, Any]) -> int | None:
    if data.get("power-ports"):
        return len(data["power-ports"])
    bays = [b for b in data.get("module-bays") or [] if isinstance(b, dict)]
    psus = [b for b in bays if str(b.get("name", "")).upper().replace(" ", "").startswith("PSU")]
    return len(psus) or None


def _text(data: dict[str, Any]) -> str:
    return " ".join(str(data.get(k, "")) for k in ("model", "part_number", "comments")).lower()


def rackplan_block(comments: Any) -> dict[str, Any] | None:
    """The `rackplan:` mapping from a fenced yaml block in comments, or None. Raises ValueError if malformed."""
    match = BLOCK_RE.search(str(comments or ""))
    if not match:
        return None
    try:
        parsed = load_yaml(match.group(1))
    except yaml.YAMLError as exc:
        raise ValueError(f"the rackplan block is not valid YAML: {exc}") from exc
    block = parsed.get("rackplan") if isinstance(parsed, dict) else None
    if not isinstance(block, dict):
        raise ValueError("the rackplan block must be a mapping of catalog fields")
    return block


# ---------------------------------------------------------------- NetBox -> catalog row


def _top_level(data: dict[str, Any]) -> dict[str, Any]:
    out = {"slug": data.get("slug"), "vendor": data.get("manufacturer"), "model": data.get("model")}
    for key in ("part_number", "is_full_depth"):
        if key in data:
            out[key] = data[key]
    if data.get("airflow") in NETBOX_AIRFLOWS:
        out["airflow"] = data["airflow"]
    if "u_height" in data:
        height = data["u_height"]
        out["rack_units"] = int(height) if isinstance(height, int | float) and height == int(height) else height
    if _weight_kg(data) is not None:
        out["weight_kg"] = _weight_kg(data)
    return {k: v for k, v in out.items() if v is not None}


def _derived_switch(data: dict[str, Any], notes: list[str]) -> dict[str, Any]:
    ports = _data_interfaces(data)
    out: dict[str, Any] = dict(_power(data))
    if ports:
        speeds = Counter(speed_gbit_s(p["type"]) for p in ports)
        speed, _ = speeds.most_common(1)[0]
        names = [p.get("name", "") for p in ports if speed_gbit_s(p["type"]) == speed]
        out["ports"], note = _port_grid_count(names)
        out["port_gbit_s"] = speed
        notes += [note] if note else []
        if len(speeds) > 1:
            notes.append(f"only the {speed:g} Gb/s ports are counted; other interfaces ignored")
        out["fabric"] = _fabric(data, ports, speed or 0)
        notes.append(f"fabric {out['fabric']!r} inferred from the interfaces and model")
    if "max_power_w" in out and "typical_power_w" not in out:
        out["typical_power_w"] = out["max_power_w"]
        notes.append("typical power unknown: set to the maximum draw")
    return out


def _fabric(data: dict[str, Any], ports: list[dict[str, Any]], speed: float) -> str:
    if any(str(p["type"]).startswith("infiniband-") for p in ports):
        return "infiniband"
    if speed <= 10:
        return "management"
    text = _text(data)
    # NVIDIA Quantum InfiniBand switches are named QM87xx/QM97xx/Q3xxx (NVIDIA networking product naming).
    if "infiniband" in text or "quantum" in text or re.match(r"q(m)?\d{4}", str(data.get("model", "")).lower()):
        return "infiniband"
    return "ethernet"


def _derived_server(data: dict[str, Any], notes: list[str]) -> dict[str, Any]:
    out: dict[str, Any] = dict(_power(data))
    nics = [speed_gbit_s(i["type"]) or 0 for i in _data_interfaces(data)]
    compute = [s for s in nics if s >= COMPUTE_NIC_MIN_GBIT_S]
    frontend = [s for s in nics if s < COMPUTE_NIC_MIN_GBIT_S]
    if compute:
        out["compute_nic_count"], out["compute_nic_gbit_s"] = len(compute), max(compute)
    if frontend:
        out["frontend_nic_count"], out["frontend_nic_gbit_s"] = len(frontend), max(frontend)
    if _psu_count(data):
        out["psu_count"] = _psu_count(data)
    pcie = re.findall(r"pci-?e\s*(\d)\.\d", json.dumps(data.get("module-bays") or []).lower())
    if pcie:
        out["pcie_gen"] = max(int(g) for g in pcie)
    if data.get("airflow") in NETBOX_AIRFLOWS - {"passive"}:
        out["cooling"] = "air"
        notes.append("cooling 'air' inferred from the NetBox airflow")
    return out


@dataclass
class _Context:
    """Catalog rows by slug (database first, then seed) looked up once per import."""

    session: Session
    seed: dict[str, tuple[str, dict[str, Any]]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        doc = seed_document()
        for name in ("servers", "switches"):
            self.seed.update({r["slug"]: (name, r) for r in doc[KINDS[name].export_key] if "slug" in r})

    def reference(self, slug: Any) -> tuple[str, dict[str, Any]] | None:
        for name in ("servers", "switches"):
            row = repository.get_by_slug(self.session, KINDS[name], str(slug))
            if row is not None:
                data = service.row_to_dict(KINDS[name], row)
                return name, {k: v for k, v in data.items() if k not in READ_ONLY_FIELDS}
        return self.seed.get(str(slug))

    def same_chassis(self, data: dict[str, Any]) -> list[str]:
        part = str(data.get("part_number") or "").lower()
        rows = repository.all_rows(self.session, KINDS["servers"])
        return [r.slug for r in rows if part and str(r.part_number).lower() == part]  # type: ignore[attr-defined]


def _detect_kind(data: dict[str, Any], block: dict[str, Any] | None, ref: tuple | None) -> str:
    if block and block.get("kind"):
        return str(block["kind"])
    if ref is not None:
        return ref[0]
    return "switches" if len(_data_interfaces(data)) >= SWITCH_MIN_PORTS else "servers"


def device_type_to_row(ctx: _Context, data: dict[str, Any], name: str) -> tuple[str, dict[str, Any], list[FieldError]]:
    """One parsed device type -> (kind name, catalog row dict, problems found before schema validation)."""
    block = rackplan_block(data.get("comments"))
    ref = ctx.reference(data.get("slug"))
    kind = _detect_kind(data, block, ref)
    if kind not in ("servers", "switches"):
        return kind, {}, [FieldError(f"{name}: rackplan.kind", "must be 'servers' or 'switches'")]
    notes: list[str] = []
    derived = _derived_server(data, notes) if kind == "servers" else _derived_switch(data, notes)
    top = _top_level(data)
    if ref is not None and ref[0] == kind and block is None:
        row = {**derived, **ref[1], **{k: v for k, v in top.items() if k in MERGE_FIELDS}}
    else:
        row = {**derived, **top}
        _fill_unknowns(kind, row, data, notes, name)
    row.update({k: v for k, v in (block or {}).items() if k != "kind"})
    fields = KINDS[kind].create.model_fields
    row = {k: v for k, v in row.items() if k in fields or k in (block or {})}
    return kind, row, []


def _fill_unknowns(kind: str, row: dict[str, Any], data: dict[str, Any], notes: list[str], name: str) -> None:
    if "list_price_usd" not in row:
        row["list_price_usd"] = 0.0
        notes.append("list price unknown: set list_price_usd before costing")
    url = re.search(r"https?://[^\s)\]>]+", str(data.get("comments") or ""))
    row.setdefault("source_url", url.group(0) if url else "")
    row.setdefault("notes", f"Imported from NetBox device type {Path(name).name}: " + "; ".join(notes) + ".")


# ---------------------------------------------------------------- import


def _remap(errors: list[FieldError], origins: dict[tuple[str, int], str], hints: dict[str, str]) -> list[FieldError]:
    """'netbox: switches[3].max_power_w' -> 'QM9700.yaml: max_power_w', with a hint for fields NetBox lacks."""
    out = []
    for err in errors:
        m = re.match(r"^netbox: (\w+)\[(\d+)\]\.?(.*)$", err.field)
        if not m or (m.group(1), int(m.group(2))) not in origins:
            out.append(err)
            continue
        where, fld = origins[(m.group(1), int(m.group(2)))], m.group(3) or "device type"
        message = err.message
        if message == "Field required" and fld in HINTS:
            message = f"missing: {HINTS[fld]}" + hints.get(fld, "")
        out.append(FieldError(f"{where}: {fld}", message))
    return out


def _parse_file(name: str, content: bytes) -> tuple[dict[str, Any] | None, list[FieldError]]:
    try:
        data = load_yaml(content)
    except yaml.YAMLError as exc:
        return None, [FieldError(name, f"not accepted as safe YAML: {str(exc).splitlines()[0]}")]
    if not isinstance(data, dict):
        return None, [FieldError(name, "a NetBox device type must be a YAML mapping")]
    missing = [k for k in ("manufacturer", "model", "slug") if not data.get(k)]
    return (None if missing else data), [FieldError(f"{name}: {k}", "required by the NetBox schema") for k in missing]


def import_netbox_files(*, session: Session, files: list[tuple[str, bytes]]) -> ImportResult:
    """Import NetBox device-type YAML files (name, content) as servers and switches; all or nothing."""
    ctx, doc = _Context(session), {"servers": [], "switches": []}
    origins: dict[tuple[str, int], str] = {}
    errors: list[FieldError] = []
    hints: dict[str, str] = {}
    for name, content in files:
        data, errs = _parse_file(name, content)
        errors += errs
        if data is None:
            continue
        try:
            kind, row, errs = device_type_to_row(ctx, data, name)
        except ValueError as exc:
            errors.append(FieldError(f"{name}: comments", str(exc)))
            continue
        errors += errs
        if row:
            origins[(kind, len(doc[kind]))] = name
            doc[kind].append(row)
            hints.update(_chassis_hint(ctx, data, kind))
    if errors:
        _, errs = validate_document(session=session, document=doc, source="netbox")
        raise ValidationProblem(_summary(errors + errs), errors=errors + _remap(errs, origins, hints))
    try:
        return import_document(session=session, document=doc, source="netbox")
    except ValidationProblem as exc:
        raise ValidationProblem(_summary(exc.errors), errors=_remap(exc.errors, origins, hints)) from exc


def _chassis_hint(ctx: _Context, data: dict[str, Any], kind: str) -> dict[str, str]:
    same = ctx.same_chassis(data) if kind == "servers" else []
    return {"accelerator": f"; the catalog has this chassis as {', '.join(same)}: use that slug to update it"} \
        if same else {}


def _summary(errors: list[FieldError]) -> str:
    return f"{len(errors)} problem(s) in the NetBox import; nothing was imported"


def expand_files(files: list[tuple[str, bytes]], *, max_bytes: int) -> list[tuple[str, bytes]]:
    """Replace .zip archives by their .yaml/.yml members (bounded in count and expanded size)."""
    out: list[tuple[str, bytes]] = []
    for name, content in files:
        if not name.lower().endswith(".zip"):
            out.append((name, content))
            continue
        try:
            archive = zipfile.ZipFile(io.BytesIO(content))
        except zipfile.BadZipFile as exc:
            raise ValidationProblem(f"{name} is not a zip archive", field=name) from exc
        members = [i for i in archive.infolist() if not i.is_dir() and i.filename.lower().endswith((".yaml", ".yml"))
                   and not i.filename.startswith("__MACOSX")]
        if len(members) > MAX_FILES or sum(i.file_size for i in members) > max_bytes:
            raise PayloadTooLarge(f"{name} expands beyond {max_bytes} bytes or {MAX_FILES} files")
        out += [(f"{name}/{i.filename}", archive.open(i).read(max_bytes + 1)) for i in members]
    return out


def import_files(*, session: Session, files: list[tuple[str, bytes]], max_bytes: int) -> ImportResult:
    """One catalog JSON document, or any number of NetBox YAML files and zips of them."""
    files = expand_files(files, max_bytes=max_bytes)
    json_files = [(n, c) for n, c in files if n.lower().endswith(".json")]
    others = [n for n, _ in files if not n.lower().endswith((".json", ".yaml", ".yml"))]
    if others:
        raise ValidationProblem("unsupported file type", errors=[FieldError(n, "use .json, .yaml, .yml or .zip")
                                                                  for n in others])
    if json_files and len(files) > 1:
        raise ValidationProblem("import a catalog JSON document on its own, not with other files",
                                errors=[FieldError(n, "import separately") for n, _ in json_files])
    if not files:
        raise ValidationProblem("no catalog files in the upload", field="file")
    if json_files:
        name, content = json_files[0]
        try:
            document = json.loads(content)
        except (ValueError, UnicodeDecodeError) as exc:
            raise ValidationProblem(f"{name} is not valid JSON: {exc}", field=name) from exc
        return import_document(session=session, document=document, source=name)
    return import_netbox_files(session=session, files=files)


def import_netbox_paths(*, session: Session, paths: list[Path]) -> ImportResult:
    """CLI entry: YAML files, folders of them (recursively) and zips."""
    files: list[Path] = []
    for path in paths:
        files += sorted(p for p in path.rglob("*") if p.suffix in (".yaml", ".yml")) if path.is_dir() else [path]
    return import_files(session=session, files=[(str(p), p.read_bytes()) for p in files], max_bytes=1 << 30)
