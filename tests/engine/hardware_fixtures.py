"""AcceleratorSpec fixtures for the engine tests, keyed by the catalog slugs.

Values copied from published datasheets (dense tensor-core peaks; sparse figures are 2x):
- A100 SXM4 40/80GB: NVIDIA A100 datasheet (312 TFLOP/s BF16, 1.555 / 2.039 TB/s, 400 W, NVLink 600 GB/s).
- H100 SXM5: NVIDIA H100 datasheet (989.5 BF16 / 1979 FP8, 80 GB HBM3 3.35 TB/s, 700 W, NVLink 900 GB/s).
- H800 SXM: H100 compute with NVLink cut to 400 GB/s (NVIDIA H800 product brief; DeepSeek-V3 report sec. 3.1).
- H200 SXM: NVIDIA H200 datasheet (989.5 / 1979, 141 GB HBM3e 4.8 TB/s, 700 W, NVLink 900 GB/s).
- B200: HGX B200 datasheet column (2250 BF16 / 4500 FP8 / 9000 FP4, 180 GB 7.7 TB/s, 1000 W, NVLink 1.8 TB/s).
- GB200: GB200 NVL72 per-GPU column (2500 / 5000 / 10000, 186 GB 8.0 TB/s, 1200 W, NVLink 1.8 TB/s).
- L40S: NVIDIA L40S datasheet (362.05 BF16 / 733 FP8, 48 GB GDDR6 0.864 TB/s, 350 W, no NVLink).
- MI300X: ROCm docs mi300.md peak table (1307.4 BF16 / 2614.9 FP8, 192 GB 5.3 TB/s), 750 W (MLPerf v4.1
  system JSON); 7 Infinity Fabric links x 64 GB/s = 448 GB/s per GPU (AMD MI300X data sheet).
"""

from __future__ import annotations

from dataclasses import replace

from app.engine.specs import AcceleratorSpec


def _spec(
    slug: str,
    name: str,
    vendor: str,
    form: str,
    peaks: dict[str, float],
    mem_gb: float,
    tbs: float,
    tdp: float,
    link: float,
) -> AcceleratorSpec:
    return AcceleratorSpec(slug, name, vendor, form, peaks, mem_gb, tbs, tdp, link)


ACCELERATORS: dict[str, AcceleratorSpec] = {
    "a100-sxm-40gb": _spec(
        "a100-sxm-40gb",
        "NVIDIA A100 40GB SXM4",
        "NVIDIA",
        "SXM",
        {"bf16": 312.0, "fp16": 312.0, "tf32": 156.0},
        40,
        1.555,
        400,
        600,
    ),
    "a100-sxm-80gb": _spec(
        "a100-sxm-80gb",
        "NVIDIA A100 80GB SXM4",
        "NVIDIA",
        "SXM",
        {"bf16": 312.0, "fp16": 312.0, "tf32": 156.0},
        80,
        2.039,
        400,
        600,
    ),
    "h100-sxm": _spec(
        "h100-sxm",
        "NVIDIA H100 SXM5 80GB",
        "NVIDIA",
        "SXM",
        {"bf16": 989.5, "fp16": 989.5, "fp8": 1979.0, "tf32": 494.7},
        80,
        3.35,
        700,
        900,
    ),
    "h800-sxm": _spec(
        "h800-sxm",
        "NVIDIA H800 SXM5 80GB",
        "NVIDIA",
        "SXM",
        {"bf16": 989.5, "fp16": 989.5, "fp8": 1979.0},
        80,
        3.35,
        700,
        400,
    ),
    "h200-sxm": _spec(
        "h200-sxm",
        "NVIDIA H200 SXM 141GB",
        "NVIDIA",
        "SXM",
        {"bf16": 989.5, "fp16": 989.5, "fp8": 1979.0},
        141,
        4.8,
        700,
        900,
    ),
    "b200": _spec(
        "b200",
        "NVIDIA B200",
        "NVIDIA",
        "SXM",
        {"bf16": 2250.0, "fp16": 2250.0, "fp8": 4500.0, "fp4": 9000.0},
        180,
        7.7,
        1000,
        1800,
    ),
    "gb200": _spec(
        "gb200",
        "NVIDIA GB200 (NVL72)",
        "NVIDIA",
        "Superchip",
        {"bf16": 2500.0, "fp16": 2500.0, "fp8": 5000.0, "fp4": 10000.0},
        186,
        8.0,
        1200,
        1800,
    ),
    "l40s": replace(
        _spec("l40s", "NVIDIA L40S", "NVIDIA", "PCIe", {"bf16": 362.05, "fp16": 362.05, "fp8": 733.0}, 48, 0.864, 350,
              0),
        memory_ecc_fraction=1 / 16,  # GDDR6 with ECC on (L40S ships with it enabled)
    ),
    "mi300x": _spec(
        "mi300x",
        "AMD Instinct MI300X",
        "AMD",
        "OAM",
        {"bf16": 1307.4, "fp16": 1307.4, "fp8": 2614.9, "int8": 2614.9},
        192,
        5.3,
        750,
        448,
    ),
}
