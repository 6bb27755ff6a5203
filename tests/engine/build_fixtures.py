"""Specs shared by the facility and cost tests (hand-checked values need the same server).

NVIDIA DGX H100 datasheet: 8 x H100 SXM (700 W TDP each), ~10.2 kW max system power, 8U, 130.45 kg;
8 x ConnectX-7 400 Gb/s compute NICs. Price is a test value, not market data.
"""

from app.engine.specs import AcceleratorSpec, ServerSpec

H100 = AcceleratorSpec("h100-sxm", "H100 SXM", "NVIDIA", "SXM", {"bf16": 989.5}, 80.0, 3.35, 700.0, 900.0)
DGX_H100 = ServerSpec("dgx-h100", "DGX H100", "NVIDIA", "DGXH-G640F+P2EDI36", H100, 8, 8, 8, 400.0, 2, 400.0,
                      30.72, 128.0, 8, 10200.0, 8400.0, "air", 130.45, 1.0)
