"""AcceleratorSpec fixtures for the inference tests and the inference fidelity benchmark.

Dense (no sparsity) tensor peaks, memory and bandwidth from the vendor datasheets:
NVIDIA product pages nvidia.com/en-us/data-center/{a100,h100,h200,l40s,dgx-b200} (sparse figures halved);
AMD ROCm docs docs/conceptual/gpu-arch/mi300.md (MI300X peak table).
"""

from __future__ import annotations

from app.engine.specs import AcceleratorSpec

ACCELERATORS: dict[str, AcceleratorSpec] = {
    # A100 80GB SXM4: 312 TF bf16/fp16 dense, 80 GB HBM2e at 2.039 TB/s, NVLink 3 600 GB/s, 400 W.
    "a100-sxm-80gb": AcceleratorSpec("a100-sxm-80gb", "A100 80GB SXM", "NVIDIA", "SXM",
                                     {"bf16": 312, "fp16": 312, "int8": 624}, 80, 2.039, 400, 600),
    # H100 SXM5: 989.5 TF bf16, 1979 TF fp8 dense, 80 GB HBM3 at 3.35 TB/s, NVLink 4 900 GB/s, 700 W.
    "h100-sxm": AcceleratorSpec("h100-sxm", "H100 SXM", "NVIDIA", "SXM",
                                {"bf16": 989.5, "fp16": 989.5, "fp8": 1979}, 80, 3.35, 700, 900),
    # H200 SXM: same compute as H100, 141 GB HBM3e at 4.8 TB/s, NVLink 4 900 GB/s, 700 W.
    "h200-sxm": AcceleratorSpec("h200-sxm", "H200 SXM", "NVIDIA", "SXM",
                                {"bf16": 989.5, "fp16": 989.5, "fp8": 1979}, 141, 4.8, 700, 900),
    # B200 (HGX/DGX B200): 2250 TF bf16, 4500 fp8, 9000 fp4 dense, 180 GB HBM3e at 7.7 TB/s, NVLink 5 1.8 TB/s.
    "b200": AcceleratorSpec("b200", "B200", "NVIDIA", "SXM",
                            {"bf16": 2250, "fp16": 2250, "fp8": 4500, "fp4": 9000}, 180, 7.7, 1000, 1800),
    # A100 80GB PCIe: 312 TF bf16/fp16 dense, 80 GB HBM2e at 1.935 TB/s, 300 W; tensor parallelism over PCIe
    # (NVLink bridges pair cards at most; the TensorRT-LLM perf-overview A100-PCIE column names none).
    "a100-pcie-80gb": AcceleratorSpec("a100-pcie-80gb", "A100 80GB PCIe", "NVIDIA", "PCIe",
                                      {"bf16": 312, "fp16": 312, "int8": 624}, 80, 1.935, 300, 0),
    # L40S: 362 TF bf16, 733 TF fp8 dense, 48 GB GDDR6 at 0.864 TB/s, no NVLink, 350 W.
    "l40s": AcceleratorSpec("l40s", "L40S", "NVIDIA", "PCIe",
                            {"bf16": 362.05, "fp16": 362.05, "fp8": 733}, 48, 0.864, 350, 0, 1 / 16),  # GDDR6 ECC
    # MI300X: 1307.4 TF bf16, 2614.9 TF fp8 dense, 192 GB HBM3 at 5.3 TB/s, 7 Infinity Fabric links, 750 W.
    "mi300x": AcceleratorSpec("mi300x", "MI300X", "AMD", "OAM",
                              {"bf16": 1307.4, "fp16": 1307.4, "fp8": 2614.9}, 192, 5.3, 750, 896),
}
