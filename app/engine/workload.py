"""Workload inputs: model shapes and numeric precisions, as frozen dataclasses [units in names]."""

from __future__ import annotations

from dataclasses import dataclass

BYTES_PER_VALUE: dict[str, float] = {
    "fp32": 4.0,
    "tf32": 4.0,
    "bf16": 2.0,
    "fp16": 2.0,
    "fp8": 1.0,
    "int8": 1.0,
    "fp4": 0.5,
}


@dataclass(frozen=True)
class Precision:
    """Compute precision of the matmuls; weights in inference are stored at this precision."""

    name: str

    @property
    def bytes_per_value(self) -> float:
        return BYTES_PER_VALUE[self.name]


@dataclass(frozen=True)
class ModelShape:
    """A transformer (dense or MoE). `params` is the total count, `active_params` those used per token.

    Optional MLA fields describe DeepSeek-style compressed KV (kv_lora_rank + rope head dim per layer).
    """

    name: str
    params: float
    layers: int
    hidden_size: int
    attention_heads: int
    kv_heads: int
    ffn_hidden_size: int
    vocab_size: int
    active_params: float | None = None
    experts: int = 1
    experts_per_token: int = 1
    kv_lora_rank: int = 0  # MLA latent size per layer (0 = standard GQA/MHA cache)
    qk_rope_head_dim: int = 0
    q_lora_rank: int = 0  # MLA query latent size (DeepSeek-V3: 1536); 0 = full-rank query projection
    qk_nope_head_dim: int = 0  # MLA per-head query/key dim without rotary part (DeepSeek-V3: 128)
    v_head_dim: int = 0  # MLA per-head value dim (DeepSeek-V3: 128); 0 = head_dim
    head_dim_override: int = 0  # explicit attention head dim when it is not hidden / heads (Qwen3: 128)
    shared_experts: int = 0  # always-active experts per MoE layer (DeepSeek-V3: 1)
    # Node-limited routing: a token's routed experts live on at most this many nodes (0 = no limit).
    # DeepSeek-V3: M = 4 (arXiv 2412.19437 section 2.1.2, "Node-Limited Routing").
    routed_nodes_max: int = 0
    # Attention and MLP computed side by side from one layer input (GPT-J; Falcon: config "parallel_attn"):
    # tensor parallelism can then reduce both outputs with one all-reduce per layer instead of two.
    parallel_attention: bool = False

    @property
    def active(self) -> float:
        return self.active_params or self.params

    @property
    def head_dim(self) -> float:
        return self.head_dim_override or self.hidden_size / self.attention_heads

    @property
    def is_moe(self) -> bool:
        return self.experts > 1


@dataclass(frozen=True)
class ClassicModel:
    """A non-transformer model described per sample (vision, recommendation)."""

    name: str
    params: float
    gflops_per_sample: float  # forward pass [GFLOP]
    bytes_per_sample: float  # input read per sample [bytes]
    activation_mb_per_sample: float  # training activations per sample [MB]
