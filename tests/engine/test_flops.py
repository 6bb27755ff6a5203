"""FLOPs per token against hand-computed values (PaLM appendix B convention)."""

import pytest

from app.engine.flops import (
    attention_flops_per_token,
    hardware_flops_per_token,
    model_flops_per_token,
    recompute_flops_per_token,
)
from app.engine.workload import ModelShape

# Llama 3 70B: 80 layers, h 8192, 64 heads, 8 KV heads, FFN 28672, vocab 128256 (Llama 3 paper, Table 3).
LLAMA3_70B = ModelShape("llama3-70b", 70.6e9, 80, 8192, 64, 8, 28672, 128256)
GPT3_175B = ModelShape("gpt3-175b", 175e9, 96, 12288, 96, 96, 49152, 50257)


def test_llama3_70b_model_flops_per_token_at_8k():
    # 6 x 70.6e9 = 4.236e11; 12 x 80 x 8192 x 8192 = 6.4425e10; total 4.8802e11
    assert model_flops_per_token(LLAMA3_70B, 8192) == pytest.approx(4.8802e11, rel=1e-4)


def test_gpt3_attention_term_is_small_at_2k():
    # 12 x 96 x 2048 x 12288 = 2.899e10, about 2.7% of 6N = 1.05e12
    assert attention_flops_per_token(GPT3_175B, 2048) == pytest.approx(2.8991e10, rel=1e-4)
    assert model_flops_per_token(GPT3_175B, 2048) == pytest.approx(1.079e12, rel=1e-3)


def test_full_recompute_turns_6n_into_8n():
    extra = recompute_flops_per_token(GPT3_175B, 2048, "full")
    assert extra == pytest.approx(2 * 175e9 + 2.8991e10 / 3, rel=1e-4)
    assert hardware_flops_per_token(GPT3_175B, 2048, "full") / model_flops_per_token(GPT3_175B, 2048) == (
        pytest.approx(4 / 3, rel=1e-6)
    )


def test_selective_recompute_adds_only_attention_forward():
    assert recompute_flops_per_token(LLAMA3_70B, 8192, "selective") == pytest.approx(4 * 80 * 8192 * 8192)
    assert recompute_flops_per_token(LLAMA3_70B, 8192, "none") == 0.0


def test_moe_uses_active_parameters():
    dsv3 = ModelShape(
        "deepseek-v3", 671e9, 61, 7168, 128, 128, 2048, 129280, active_params=37e9, experts=256, experts_per_token=8
    )
    assert model_flops_per_token(dsv3, 4096) == pytest.approx(6 * 37e9 + 12 * 61 * 4096 * 7168)
