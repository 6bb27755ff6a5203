"""Workload presets: published architectures with the source of each shape.

Transformer shapes are read from each model's config.json / paper; classic models are described by forward
GFLOPs per sample (2 x multiply-accumulates) and the input bytes per sample.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from app.engine.workload import ClassicModel, ModelShape

HF = "https://huggingface.co"


@dataclass(frozen=True)
class Preset:
    slug: str
    display_name: str
    kind: Literal["transformer", "classic"]
    shape: ModelShape | ClassicModel
    source_url: str
    notes: str = ""


def _t(slug: str, name: str, url: str, notes: str = "", **shape: float | bool) -> Preset:
    return Preset(slug, name, "transformer", ModelShape(name=name, **shape), url, notes)


def _c(slug: str, name: str, url: str, notes: str, **shape: float) -> Preset:
    return Preset(slug, name, "classic", ClassicModel(name=name, **shape), url, notes)


_TRANSFORMERS = (
    _t("llama-2-7b", "Llama 2 7B", f"{HF}/meta-llama/Llama-2-7b-hf/blob/main/config.json",
       params=6.74e9, layers=32, hidden_size=4096, attention_heads=32, kv_heads=32, ffn_hidden_size=11008,
       vocab_size=32000),
    _t("llama-2-13b", "Llama 2 13B", f"{HF}/meta-llama/Llama-2-13b-hf/blob/main/config.json",
       params=13.0e9, layers=40, hidden_size=5120, attention_heads=40, kv_heads=40, ffn_hidden_size=13824,
       vocab_size=32000),
    _t("llama-2-70b", "Llama 2 70B", f"{HF}/meta-llama/Llama-2-70b-hf/blob/main/config.json",
       params=68.98e9, layers=80, hidden_size=8192, attention_heads=64, kv_heads=8, ffn_hidden_size=28672,
       vocab_size=32000),
    _t("llama-3.1-8b", "Llama 3.1 8B", f"{HF}/meta-llama/Llama-3.1-8B/blob/main/config.json",
       params=8.03e9, layers=32, hidden_size=4096, attention_heads=32, kv_heads=8, ffn_hidden_size=14336,
       vocab_size=128256),
    _t("llama-3.1-70b", "Llama 3.1 70B", f"{HF}/meta-llama/Llama-3.1-70B/blob/main/config.json",
       params=70.55e9, layers=80, hidden_size=8192, attention_heads=64, kv_heads=8, ffn_hidden_size=28672,
       vocab_size=128256),
    _t("llama-3.1-405b", "Llama 3.1 405B", f"{HF}/meta-llama/Llama-3.1-405B/blob/main/config.json",
       params=405.85e9, layers=126, hidden_size=16384, attention_heads=128, kv_heads=8, ffn_hidden_size=53248,
       vocab_size=128256),
    _t("mixtral-8x7b", "Mixtral 8x7B", f"{HF}/mistralai/Mixtral-8x7B-v0.1/blob/main/config.json",
       "46.7B total, 12.9B active per token (mistral.ai/news/mixtral-of-experts)",
       params=46.7e9, active_params=12.9e9, layers=32, hidden_size=4096, attention_heads=32, kv_heads=8,
       ffn_hidden_size=14336, vocab_size=32000, experts=8, experts_per_token=2),
    _t("mixtral-8x22b", "Mixtral 8x22B", f"{HF}/mistralai/Mixtral-8x22B-v0.1/blob/main/config.json",
       "140.6B total, 39B active per token (mistral.ai/news/mixtral-8x22b: 141B / 39B)",
       params=140.6e9, active_params=39.1e9, layers=56, hidden_size=6144, attention_heads=48, kv_heads=8,
       ffn_hidden_size=16384, vocab_size=32000, experts=8, experts_per_token=2),
    _t("deepseek-v3", "DeepSeek-V3", f"{HF}/deepseek-ai/DeepSeek-V3/blob/main/config.json",
       "671B total / 37B active (arXiv 2412.19437); MLA kv_lora_rank 512 + rope 64; 256 routed + 1 shared "
       "expert, 8 routed per token, node-limited routing to at most 4 nodes (section 2.1.2); first 3 layers "
       "dense; ffn_hidden_size is the routed expert width",
       params=671e9, active_params=37e9, layers=61, hidden_size=7168, attention_heads=128, kv_heads=128,
       ffn_hidden_size=2048, vocab_size=129280, experts=256, experts_per_token=8, kv_lora_rank=512,
       qk_rope_head_dim=64, head_dim_override=192, shared_experts=1, q_lora_rank=1536, qk_nope_head_dim=128,
       v_head_dim=128, routed_nodes_max=4),
    _t("qwen3-235b-a22b", "Qwen3-235B-A22B", f"{HF}/Qwen/Qwen3-235B-A22B/blob/main/config.json",
       "235B total / 22B active; 128 experts, 8 per token, expert width 1536; head_dim 128",
       params=235e9, active_params=22e9, layers=94, hidden_size=4096, attention_heads=64, kv_heads=4,
       ffn_hidden_size=1536, vocab_size=151936, experts=128, experts_per_token=8, head_dim_override=128),
    _t("gpt-3-175b", "GPT-3 175B", "https://arxiv.org/abs/2005.14165", "Table 2.1 (GPT-3 175B)",
       params=175e9, layers=96, hidden_size=12288, attention_heads=96, kv_heads=96, ffn_hidden_size=49152,
       vocab_size=50257),
    _t("gpt-j-6b", "GPT-J 6B", f"{HF}/EleutherAI/gpt-j-6b/blob/main/config.json",
       "attention and feed-forward computed in parallel from one layer input (kingoflolz/mesh-transformer-jax "
       "README; GPTJBlock sums both outputs)",
       parallel_attention=True, params=6.05e9, layers=28, hidden_size=4096, attention_heads=16, kv_heads=16,
       ffn_hidden_size=16384, vocab_size=50400),
    _t("falcon-180b", "Falcon 180B", f"{HF}/tiiuae/falcon-180B/blob/main/config.json",
       "parallel attention and MLP in each block (config parallel_attn; Almazrouei et al. 2023, arXiv 2311.16867)",
       parallel_attention=True, params=180e9, layers=80, hidden_size=14848, attention_heads=232, kv_heads=8,
       ffn_hidden_size=59392, vocab_size=65024),
)

_CLASSIC = (
    _c("resnet-50", "ResNet-50", "https://arxiv.org/abs/1512.03385",
       "4.1 GMACs at 224x224 (paper Table 1: 3.8e9 FLOPs counted as MACs; torchvision 4.09 GMACs); "
       "uint8 224x224x3 input", params=25.6e6, gflops_per_sample=8.2, bytes_per_sample=150_528,
       activation_mb_per_sample=100.0),
    _c("bert-large", "BERT-large (seq 384)", "https://arxiv.org/abs/1810.04805",
       "340M params; forward ~2 x 335M x 384 tokens + attention at MLPerf SQuAD seq 384; int32 ids/mask/segment",
       params=340e6, gflops_per_sample=270.0, bytes_per_sample=384 * 3 * 4, activation_mb_per_sample=400.0),
    _c("vit-l-16", "ViT-L/16 (224)", "https://arxiv.org/abs/2010.11929",
       "304M params, 61.6 GMACs at 224x224 (timm vit_large_patch16_224)", params=304e6,
       gflops_per_sample=123.2, bytes_per_sample=150_528, activation_mb_per_sample=250.0),
    _c("yolov5s", "YOLOv5s (640)", "https://github.com/ultralytics/yolov5",
       "7.2M params, 16.5 GFLOPs at 640x640 (README model table)", params=7.2e6, gflops_per_sample=16.5,
       bytes_per_sample=640 * 640 * 3, activation_mb_per_sample=60.0),
)

_PRESETS: dict[str, Preset] = {p.slug: p for p in _TRANSFORMERS + _CLASSIC}


def list_presets() -> list[Preset]:
    """All presets, transformers first, in a stable order."""
    return list(_PRESETS.values())


def get_preset(slug: str) -> Preset | None:
    return _PRESETS.get(slug.lower())
