"""Workload presets: shapes consistent with their published parameter counts."""

import pytest

from app.engine.workload import ClassicModel, ModelShape
from app.models_library import get_preset, list_presets

REQUIRED = ["llama-2-7b", "llama-2-13b", "llama-2-70b", "llama-3.1-8b", "llama-3.1-70b", "llama-3.1-405b",
            "mixtral-8x7b", "deepseek-v3", "qwen3-235b-a22b", "gpt-3-175b", "gpt-j-6b", "falcon-180b",
            "resnet-50", "bert-large", "vit-l-16", "yolov5s"]


def test_all_required_presets_exist_with_sources():
    slugs = [p.slug for p in list_presets()]
    assert set(REQUIRED) <= set(slugs) and len(slugs) == len(set(slugs))
    for p in list_presets():
        assert p.source_url.startswith("https://")
        assert isinstance(p.shape, ModelShape if p.kind == "transformer" else ClassicModel)


def test_unknown_slug_is_none():
    assert get_preset("gpt-17") is None


def _dense_params(m: ModelShape) -> float:
    attn = m.hidden_size * m.head_dim * (2 * m.attention_heads + 2 * m.kv_heads)
    return m.layers * (attn + 3 * m.hidden_size * m.ffn_hidden_size) + 2 * m.vocab_size * m.hidden_size


@pytest.mark.parametrize("slug", ["llama-2-7b", "llama-2-70b", "llama-3.1-8b", "llama-3.1-70b", "llama-3.1-405b"])
def test_llama_shapes_reproduce_param_count(slug):
    m = get_preset(slug).shape
    assert _dense_params(m) == pytest.approx(m.params, rel=0.02)


def test_deepseek_v3_shape():
    m = get_preset("deepseek-v3").shape
    assert (m.layers, m.hidden_size, m.experts, m.experts_per_token, m.shared_experts) == (61, 7168, 256, 8, 1)
    assert (m.kv_lora_rank, m.qk_rope_head_dim, m.params, m.active) == (512, 64, 671e9, 37e9)


@pytest.mark.parametrize("slug", ["mixtral-8x7b", "mixtral-8x22b"])
def test_mixtral_shapes_reproduce_total_and_active_params(slug):
    # 8 experts of 3 h f per layer, top-2 routed; attention and embeddings shared (Mistral AI: 46.7B/12.9B, 141B/39B)
    m = get_preset(slug).shape
    shared = _dense_params(m) - m.layers * 3 * m.hidden_size * m.ffn_hidden_size
    expert = m.layers * 3 * m.hidden_size * m.ffn_hidden_size
    assert shared + m.experts * expert == pytest.approx(m.params, rel=0.02)
    assert shared + m.experts_per_token * expert == pytest.approx(m.active, rel=0.02)
