"""NetBox device-type YAML: export/import round trip, the real library samples, safety of the YAML parser."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from sqlalchemy import delete

from app.catalog import netbox, netbox_export, repository, transfer
from app.catalog.kinds import KINDS
from app.catalog.models import Server, Switch
from app.errors import ValidationProblem

SAMPLES = Path(__file__).parent / "netbox_samples"
QM9700, SN5600 = SAMPLES / "Nvidia-QM9700.yaml", SAMPLES / "Nvidia-SN5600.yaml"
SUPERMICRO = SAMPLES / "Supermicro-SYS-421GE-TNRT.yaml"
# Interface types of the devicetype-library schema (schema/generated_schema.json) that the exporter may write.
NETBOX_INTERFACE_TYPES = {"1000base-t", "10gbase-x-sfpp", "25gbase-x-sfp28", "40gbase-x-qsfpp", "50gbase-x-sfp56",
                          "100gbase-x-qsfp28", "200gbase-x-qsfp56", "400gbase-x-osfp", "800gbase-x-osfp",
                          "infiniband-edr", "infiniband-hdr", "infiniband-ndr", "infiniband-xdr", "other"}
DEVICE_TYPE_KEYS = {"manufacturer", "model", "slug", "part_number", "u_height", "is_full_depth", "airflow", "weight",
                    "weight_unit", "comments", "power-ports", "interfaces"}


def _import(session, *paths_or_files):
    files = [(p.name, p.read_bytes()) if isinstance(p, Path) else p for p in paths_or_files]
    return netbox.import_netbox_files(session=session, files=files)


def _problems(exc: pytest.ExceptionInfo[ValidationProblem]) -> dict[str, str]:
    return {e.field: e.message for e in exc.value.errors}


@pytest.mark.parametrize(("type_", "gbit_s"), [
    ("400gbase-x-osfp", 400), ("800gbase-x-osfp", 800), ("1000base-t", 1), ("10gbase-t", 10),
    ("2.5gbase-t", 2.5), ("infiniband-ndr", 400), ("infiniband-xdr", 800), ("virtual", None), ("other", None),
])
def test_interface_speeds(type_, gbit_s):
    assert netbox.speed_gbit_s(type_) == gbit_s


def test_sample_switches_merge_into_existing_rows(session):
    """The real library files lack power and price: the catalog rows keep theirs; NetBox physical fields win."""
    before = transfer.export_document(session=session)["switches"]
    qm_before = next(r for r in before if r["slug"] == "nvidia-qm9700")
    result = _import(session, QM9700, SN5600)
    assert result.created == 0 and result.updated + result.unchanged == 2
    qm = repository.get_by_slug(session, KINDS["switches"], "nvidia-qm9700")
    sn = repository.get_by_slug(session, KINDS["switches"], "nvidia-sn5600")
    assert (qm.ports, qm.port_gbit_s, qm.max_power_w) == (qm_before["ports"], 400, qm_before["max_power_w"])
    assert (qm.weight_kg, qm.airflow, qm.rack_units) == (14.8, "rear-to-front", 1)
    assert (sn.weight_kg, sn.airflow, sn.rack_units, sn.ports, sn.port_gbit_s) == (23.5, "rear-to-front", 2, 64, 800)


def _as_new(path: Path, slug: str, extra: str = "") -> tuple[str, bytes]:
    text = path.read_text().replace(f"slug: {yaml.safe_load(path.read_text())['slug']}", f"slug: {slug}")
    return f"{slug}.yaml", (text + extra).encode()


QM_POWER = """power-ports:
  - name: psu0
    type: iec-60320-c14
    maximum_draw: 860
  - name: psu1
    type: iec-60320-c14
    maximum_draw: 860
"""


def test_unknown_switch_derives_ports_speed_and_fabric_from_interfaces(session):
    """QM9700 lists 62 of its 64 ports (P22.1 and P23.0 missing); the 32x2 naming grid gives 64 x 400G."""
    name, content = _as_new(QM9700, "acme-qm9700-copy")
    content = content.replace(b"power-ports:\n  - name: psu0\n    type: iec-60320-c14\n  - name: psu1\n"
                              b"    type: iec-60320-c14\n", QM_POWER.encode())
    result = _import(session, (name, content))
    assert result.created == 1
    row = repository.get_by_slug(session, KINDS["switches"], "acme-qm9700-copy")
    assert (row.ports, row.port_gbit_s, row.fabric) == (64, 400, "infiniband")
    assert (row.max_power_w, row.typical_power_w, row.list_price_usd) == (1720, 1720, 0)
    assert "list price unknown" in row.notes and "gap" in row.notes


def test_switch_without_power_is_rejected_naming_file_and_field(session):
    with pytest.raises(ValidationProblem) as exc:
        _import(session, _as_new(SN5600, "acme-sn5600-copy"))
    problems = _problems(exc)
    assert "maximum_draw" in problems["acme-sn5600-copy.yaml: max_power_w"]
    assert repository.get_by_slug(session, KINDS["switches"], "acme-sn5600-copy") is None


def test_gpu_server_without_gpu_info_is_reported_and_nothing_written(session):
    with pytest.raises(ValidationProblem) as exc:
        _import(session, QM9700, SUPERMICRO)
    problems = _problems(exc)
    assert {"Supermicro-SYS-421GE-TNRT.yaml: accelerator", "Supermicro-SYS-421GE-TNRT.yaml: gpu_count",
            "Supermicro-SYS-421GE-TNRT.yaml: max_power_w"} <= set(problems)
    assert "GPUs" in problems["Supermicro-SYS-421GE-TNRT.yaml: accelerator"]
    assert "supermicro-sys-421ge-tnrt-l40s" in problems["Supermicro-SYS-421GE-TNRT.yaml: accelerator"]
    assert repository.get_by_slug(session, KINDS["servers"], "supermicro-sys-421ge-tnrt") is None
    qm = repository.get_by_slug(session, KINDS["switches"], "nvidia-qm9700")
    assert qm.version == 1  # the valid switch file in the same batch was not written either


BLOCK = """comments: |
  Supermicro SYS-421GE-TNRT with 8 L40S
  ```yaml
  rackplan:
    accelerator: l40s
    gpu_count: 8
    scaleup_domain_gpus: 1
    max_power_w: 4500
    typical_power_w: 3400
    list_price_usd: 120000
  ```
"""


def test_server_with_rackplan_block_imports_with_derived_fields(session):
    text = SUPERMICRO.read_text().replace("comments: '[Supermicro", "x_old: '[Supermicro")
    text = "\n".join(line for line in text.splitlines() if not line.startswith("x_old")) + "\n" + BLOCK
    assert _import(session, ("421ge.yaml", text.encode())).created == 1
    row = repository.get_by_slug(session, KINDS["servers"], "supermicro-sys-421ge-tnrt")
    assert (row.accelerator.slug, row.gpu_count, row.rack_units, row.weight_kg) == ("l40s", 8, 4, 29.7)
    assert (row.psu_count, row.frontend_nic_count, row.frontend_nic_gbit_s, row.pcie_gen) == (4, 2, 10, 5)
    assert (row.cooling, row.part_number, row.list_price_usd) == ("air", "SYS-421GE-TNRT", 120000)


def test_server_sample_merges_when_slug_exists(session):
    seed = next(r for r in transfer.export_document(session=session)["servers"]
                if r["slug"] == "supermicro-sys-421ge-tnrt-l40s")
    mine = {**seed, "slug": "supermicro-sys-421ge-tnrt", "weight_kg": 50.0, "airflow": "mixed"}
    transfer.import_document(session=session, document={"servers": [mine]}, source="test")
    assert _import(session, SUPERMICRO).updated == 1
    row = repository.get_by_slug(session, KINDS["servers"], "supermicro-sys-421ge-tnrt")
    assert (row.weight_kg, row.airflow) == (29.7, "front-to-rear")  # NetBox-owned fields updated
    assert (row.accelerator.slug, row.max_power_w, row.notes) == (seed["accelerator"], seed["max_power_w"],
                                                                    seed["notes"])  # RackPlan fields kept


def test_hostile_yaml_is_rejected_not_executed(session, tmp_path):
    marker = tmp_path / "pwned"
    evil = f'!!python/object/apply:os.system ["touch {marker}"]\n'.encode()
    with pytest.raises(ValidationProblem) as exc:
        _import(session, ("evil.yaml", evil))
    assert "evil.yaml" in _problems(exc) and not marker.exists()
    aliases = b"a: &x [1, 2]\nb: *x\nmanufacturer: X\nmodel: Y\nslug: x-y\n"
    with pytest.raises(ValidationProblem) as exc:
        _import(session, ("alias.yaml", aliases))
    assert "aliases" in _problems(exc)["alias.yaml"]


def test_netbox_export_import_round_trip_is_lossless(session):
    doc = transfer.export_document(session=session)
    files = netbox_export.export_device_types(doc)
    assert len(files) == len(doc["servers"]) + len(doc["switches"])
    session.execute(delete(Server))
    session.execute(delete(Switch))
    result = _import(session, *[(rel, text.encode()) for rel, text in files.items()])
    assert result.created == len(files)
    after = transfer.export_document(session=session)
    assert after["servers"] == doc["servers"] and after["switches"] == doc["switches"]


def test_exported_device_types_follow_the_library_schema(session):
    doc = transfer.export_document(session=session)
    by_slug = {r["slug"]: r for r in doc["servers"]}
    for rel, text in netbox_export.export_device_types(doc).items():
        dt = yaml.safe_load(text)
        assert set(dt) <= DEVICE_TYPE_KEYS and {"manufacturer", "model", "slug", "u_height", "is_full_depth"} <= set(dt)
        assert rel == f"device-types/{rel.split('/')[1]}/{dt['slug']}.yaml"
        assert {i["type"] for i in dt["interfaces"]} <= NETBOX_INTERFACE_TYPES
        assert all(isinstance(p["maximum_draw"], int) and p["maximum_draw"] >= 1 for p in dt["power-ports"])
        row = by_slug.get(dt["slug"])
        if row is not None:  # servers: one power port per PSU, maximum_draw = max_power_w / psu_count
            assert len(dt["power-ports"]) == max(row["psu_count"], 1)
            total = sum(p["maximum_draw"] for p in dt["power-ports"])
            assert abs(total - row["max_power_w"]) <= len(dt["power-ports"])
            nics = [i for i in dt["interfaces"] if not i.get("mgmt_only")]
            assert len(nics) == row["compute_nic_count"] + row["frontend_nic_count"]
