"""The two plans of issue 4's 'Done when', shared by the plan and report tests."""

from __future__ import annotations

from typing import Any

# (a) Llama 3.1 70B trained on 15T tokens in 30 days.
TRAINING_A: dict[str, Any] = {
    "name": "Llama 3.1 70B pretraining, 15T tokens in 30 days",
    "workload": {"kind": "training", "model": "llama-3.1-70b", "tokens": 15e12, "deadline_days": 30},
}

# (b) Llama 3.1 70B served at 50 requests/s, 2,000 in / 500 out, TTFT < 1 s, TPOT < 50 ms.
INFERENCE_B: dict[str, Any] = {
    "name": "Llama 3.1 70B chat serving, 50 req/s",
    "workload": {"kind": "inference", "model": "llama-3.1-70b", "input_tokens": 2000, "output_tokens": 500,
                 "requests_per_s": 50, "ttft_ms_max": 1000, "tpot_ms_max": 50},
}

SECTIONS = ("server", "compute", "racks", "network", "storage", "power", "reliability", "energy", "cost", "bom",
            "warnings")
