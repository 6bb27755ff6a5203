"""FLOPs per token of a transformer [FLOP/token].

Model FLOPs (used for MFU and model TFLOP/s) follow the PaLM convention (Chowdhery et al. 2022,
appendix B): 6 N_a + 12 L s h per token, attention counted as non-causal. Hardware FLOPs add the
recomputed forward pass. Executed FLOPs (what takes time) count causal flash attention as half.
"""

from __future__ import annotations

from app.engine.workload import ModelShape

RECOMPUTE_POLICIES = ("none", "selective", "full")


def attention_flops_per_token(model: ModelShape, seq_len: int) -> float:
    """Attention score + value FLOPs, forward and backward, non-causal [FLOP/token]: 12 L s h (PaLM).

    MLA (kv_lora_rank > 0) scores with its own per-head dims: 6 L s n_h (d_qk + d_v), d_qk = nope + rope
    (DeepSeek-V3: 128 heads x (192 + 128) = 40,960 vs h = 7,168, i.e. 2.86x the 12 L s h figure;
    dims from the model's config.json, DeepSeek-V3 report arXiv 2412.19437 section 2.1.1)."""
    if model.kv_lora_rank > 0:
        d_qk = (model.qk_nope_head_dim + model.qk_rope_head_dim) or model.head_dim
        d_v = model.v_head_dim or model.head_dim
        return 6.0 * model.layers * seq_len * model.attention_heads * (d_qk + d_v)
    return 12.0 * model.layers * seq_len * model.hidden_size


def model_flops_per_token(model: ModelShape, seq_len: int) -> float:
    """Model FLOPs per trained token [FLOP/token]: 6 N_a + 12 L s h (PaLM appendix B)."""
    return 6.0 * model.active + attention_flops_per_token(model, seq_len)


def recompute_flops_per_token(model: ModelShape, seq_len: int, recompute: str) -> float:
    """Extra forward FLOPs for activation recomputation [FLOP/token].

    full: one more forward pass, 2 N_a + 4 L s h (so 8 N instead of 6 N); selective: only the
    attention core, 4 L s h (Korthikanti et al. 2022, section 5); none: 0.
    """
    attention_forward = attention_flops_per_token(model, seq_len) / 3.0
    if recompute == "full":
        return 2.0 * model.active + attention_forward
    if recompute == "selective":
        return attention_forward
    return 0.0


def hardware_flops_per_token(model: ModelShape, seq_len: int, recompute: str) -> float:
    """Model FLOPs plus recomputation [FLOP/token] (the 'HFU' numerator)."""
    return model_flops_per_token(model, seq_len) + recompute_flops_per_token(model, seq_len, recompute)


def embedding_params(model: ModelShape) -> float:
    """Input embedding + output projection parameters [params], capped at 30% of N for odd shapes."""
    return min(2.0 * model.vocab_size * model.hidden_size, 0.3 * model.params)


def expert_active_params(model: ModelShape) -> float:
    """Routed-expert parameters used per token [params]: L x top-k x 3 h f_e (SwiGLU experts)."""
    if not model.is_moe:
        return 0.0
    per_layer = model.experts_per_token * 3.0 * model.hidden_size * model.ffn_hidden_size
    return min(model.layers * per_layer, 0.9 * model.active)


def expert_total_params(model: ModelShape) -> float:
    """All routed-expert parameters [params]: L x E x 3 h f_e, capped below N."""
    if not model.is_moe:
        return 0.0
    per_layer = model.experts * 3.0 * model.hidden_size * model.ffn_hidden_size
    return min(model.layers * per_layer, 0.97 * model.params)


def dense_gemm_flops_per_token(model: ModelShape) -> float:
    """Executed FLOPs of the non-expert matmuls incl. the LM head, fwd+bwd [FLOP/token].

    6 x (active params - expert params - input embedding lookup, which does no matmul).
    """
    lookup = embedding_params(model) / 2.0
    return 6.0 * max(model.active - expert_active_params(model) - lookup, 0.05 * model.active)


def expert_gemm_flops_per_token(model: ModelShape) -> float:
    """Executed FLOPs of the routed-expert matmuls, fwd+bwd [FLOP/token]."""
    return 6.0 * expert_active_params(model)


def executed_attention_flops_per_token(model: ModelShape, seq_len: int, attention: str) -> float:
    """Attention core FLOPs actually executed [FLOP/token]: causal flash kernels skip about half."""
    causal_share = 0.5 if attention == "flash" else 1.0
    return attention_flops_per_token(model, seq_len) * causal_share
