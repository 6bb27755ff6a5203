"""Estimate endpoints: presets, answers with every documented field, and clear errors for bad input."""

from __future__ import annotations

import math

import pytest

TRAIN = {"model": "llama-3.1-70b", "accelerator": "h100-sxm", "gpu_count": 64, "precision": "bf16",
         "seq_len": 8192}
INFER = {"model": "llama-3.1-70b", "accelerator": "h100-sxm", "gpu_count": 4, "precision": "fp8",
         "input_tokens": 2000, "output_tokens": 500}
TRAIN_FIELDS = {"tokens_per_s", "tokens_per_s_per_gpu", "model_tflops_per_gpu", "mfu", "step_time_s", "parallelism",
                "memory_per_gpu_gib", "memory_breakdown", "time_breakdown", "confidence", "warnings"}
INFER_FIELDS = {"output_tokens_per_s", "output_tokens_per_s_per_gpu", "requests_per_s", "ttft_ms", "tpot_ms",
                "concurrency", "max_concurrency", "kv_cache_gib", "weights_gib", "limiting_bound"}


def _all_finite(value) -> bool:
    if isinstance(value, float):
        return math.isfinite(value)
    if isinstance(value, dict):
        return all(_all_finite(v) for v in value.values())
    if isinstance(value, list):
        return all(_all_finite(v) for v in value)
    return True


def test_presets_listed_with_sources(client):
    presets = {p["slug"]: p for p in client.get("/api/v1/models").json()}
    required = {"llama-2-7b", "llama-2-13b", "llama-2-70b", "llama-3.1-8b", "llama-3.1-70b", "llama-3.1-405b",
                "mixtral-8x7b", "deepseek-v3", "qwen3-235b-a22b", "gpt-3-175b", "gpt-j-6b", "falcon-180b",
                "resnet-50", "bert-large", "vit-l-16"}
    assert required <= set(presets)
    assert all(p["source_url"].startswith("https://") for p in presets.values())
    assert presets["llama-3.1-70b"]["shape"]["layers"] == 80
    assert client.get("/api/v1/models/llama-3.1-405b").json()["shape"]["hidden_size"] == 16384


def test_unknown_preset_404_names_list_endpoint(client):
    resp = client.get("/api/v1/models/gpt-9")
    assert resp.status_code == 404 and "/api/v1/models" in resp.json()["detail"]
    resp = client.post("/api/v1/estimates/training", json={**TRAIN, "model": "gpt-9"})
    assert resp.status_code == 404 and "/api/v1/models" in resp.json()["detail"]


def test_unknown_hardware_404_names_list_endpoint(client):
    resp = client.post("/api/v1/estimates/training", json={**TRAIN, "accelerator": "tpu-v9"})
    assert resp.status_code == 404 and "/api/v1/accelerators" in resp.json()["detail"]


def test_training_with_tokens_has_run_figures(client):
    body = client.post("/api/v1/estimates/training", json={**TRAIN, "tokens": 15e12}).json()
    assert TRAIN_FIELDS <= set(body)
    assert body["gpu_hours_low"] < body["gpu_hours"] < body["gpu_hours_high"]
    assert body["gpu_hours"] == pytest.approx(body["wall_clock_hours"] * 64)
    assert 0 < body["goodput"] < 1
    assert body["tokens_per_s"] == pytest.approx(body["tokens_per_s_per_gpu"] * 64)
    assert _all_finite(body)


def test_training_on_server_uses_its_domain(client):
    body = client.post("/api/v1/estimates/training",
                       json={**TRAIN, "accelerator": None, "server": "nvidia-dgx-h100"}).json()
    assert body["parallelism"]["tp"] <= 8


def test_inference_fields(client):
    body = client.post("/api/v1/estimates/inference", json=INFER).json()
    assert INFER_FIELDS <= set(body)
    assert body["limiting_bound"] in {"compute", "memory_bandwidth", "memory_capacity", "communication"}
    assert body["concurrency"] <= body["max_concurrency"]
    assert _all_finite(body)


SHAPE = {"params": 7e9, "layers": 32, "hidden_size": 4096, "attention_heads": 32}


@pytest.mark.parametrize(("patch", "fields"), [
    ({"model": {**SHAPE, "attention_heads": 30}}, ["model.attention_heads"]),
    ({"model": {**SHAPE, "kv_heads": 5}}, ["model.kv_heads"]),
    ({"model": {**SHAPE, "experts": 4, "experts_per_token": 8}}, ["model.experts_per_token"]),
    ({"model": {**SHAPE, "active_params": 8e9}}, ["model.active_params"]),
    ({"model": {**SHAPE, "params": 1e16}}, ["model.params"]),
    ({"model": {**SHAPE, "layers": 0}}, ["model.layers"]),
    ({"model": {**SHAPE, "bogus": 1}}, ["model.bogus"]),
    ({"model": 5}, ["model"]),
    ({"model": "Not A Slug!"}, ["model"]),
    ({"gpu_count": 0}, ["gpu_count"]),
    ({"gpu_count": -8}, ["gpu_count"]),
    ({"seq_len": 0}, ["seq_len"]),
    ({"precision": "fp7"}, ["precision"]),
    ({"server": "nvidia-dgx-h100"}, [""]),
])
def test_impossible_training_inputs_are_422_naming_the_field(client, patch, fields):
    resp = client.post("/api/v1/estimates/training", json={**TRAIN, **patch})
    assert resp.status_code == 422, resp.text
    errors = resp.json()["errors"]
    if fields != [""]:  # one error per bad field, named by its path alone (no pydantic union-branch labels)
        assert [e["field"] for e in errors] == fields, errors
        assert not any(e["message"].startswith("Value error") for e in errors)


def test_shape_rules_say_what_to_fix(client):
    resp = client.post("/api/v1/estimates/inference", json={**INFER, "model": {**SHAPE, "attention_heads": 30}})
    assert resp.json()["errors"] == [{"field": "model.attention_heads",
                                      "message": "must divide hidden_size (4096), got 30"}]
    resp = client.post("/api/v1/estimates/inference", json={**INFER, "model": 7})
    assert "preset slug (GET /api/v1/models) or an object" in resp.json()["errors"][0]["message"]


def test_parallelism_not_dividing_gpus_is_422(client):
    resp = client.post("/api/v1/estimates/training", json={**TRAIN, "gpu_count": 60,
                                                           "parallelism": {"tp": 8, "pp": 1}})
    assert resp.status_code == 422
    assert resp.json()["errors"][0]["field"] == "parallelism"


def test_model_too_big_is_422_with_reason(client):
    resp = client.post("/api/v1/estimates/training", json={**TRAIN, "model": "llama-3.1-405b", "gpu_count": 8})
    assert resp.status_code == 422
    # 405.85B x 2 bytes = 811.7 GB of weights; 90% of an "80GB" H100 (80 GiB = 85.9 GB) holds 77.3 GB -> 11
    assert "needs at least 11" in resp.json()["detail"]
    resp = client.post("/api/v1/estimates/inference", json={**INFER, "model": "llama-3.1-405b", "gpu_count": 1,
                                                            "precision": "bf16"})
    assert resp.status_code == 422


def test_classic_preset_points_to_plans(client):
    resp = client.post("/api/v1/estimates/training", json={**TRAIN, "model": "resnet-50"})
    assert resp.status_code == 422 and "plan" in resp.json()["detail"]


def test_runtime_is_an_input(client):
    new = client.post("/api/v1/estimates/inference", json={**INFER, "runtime": "trtllm-1.0"}).json()
    old = client.post("/api/v1/estimates/inference", json={**INFER, "runtime": "trtllm-0.6"}).json()
    assert old["output_tokens_per_s"] < new["output_tokens_per_s"]
    bad = client.post("/api/v1/estimates/inference", json={**INFER, "runtime": "magic"})
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "runtime"


def test_api_offers_every_runtime_preset():
    from typing import get_args

    from app.engine.inference_memory import RUNTIME_PRESETS
    from app.estimates.schemas import ServingRuntimeName

    assert set(get_args(ServingRuntimeName)) == set(RUNTIME_PRESETS)


def test_inline_deepseek_shape_is_modelled_with_its_mla_attention(client):
    """The ten common fields of DeepSeek-V3 (as a procurement tool would send them) get the preset's MLA details."""
    from app.estimates.schemas import ModelShapeIn
    from app.estimates.service import resolve_model

    inline = ModelShapeIn(params=671e9, active_params=37e9, layers=61, hidden_size=7168, attention_heads=128,
                          kv_heads=128, ffn_hidden_size=18432, vocab_size=129280, experts=256, experts_per_token=8)
    shape = resolve_model(inline)
    assert (shape.kv_lora_rank, shape.q_lora_rank, shape.v_head_dim) == (512, 1536, 128)  # DeepSeek-V3 config.json
    other = resolve_model(inline.model_copy(update={"layers": 60}))
    assert other.kv_lora_rank == 0  # not the same architecture: nothing is borrowed
    assert shape.routed_nodes_max == 4  # node-limited routing, arXiv 2412.19437 section 2.1.2


DEEPSEEK_H800 = {"model": "deepseek-v3", "accelerator": "h800-sxm", "gpu_count": 2048, "precision": "fp8",
                 "seq_len": 4096, "global_batch_tokens": 15360 * 4096,
                 "parallelism": {"tp": 1, "pp": 16, "ep": 64}}


def test_pipeline_schedule_and_moe_dispatcher_are_inputs(client):
    url = "/api/v1/estimates/training"
    dual = client.post(url, json={**DEEPSEEK_H800, "software": {"pipeline_schedule": "dualpipe"}})
    assert dual.status_code == 200, dual.text
    plain = client.post(url, json={**DEEPSEEK_H800, "software": {"moe_dispatcher": "alltoall"}}).json()
    body = dual.json()
    assert body["parallelism"]["vp"] == 1
    assert body["time_breakdown"]["communication_s"] < plain["time_breakdown"]["communication_s"]
    odd = client.post(url, json={**DEEPSEEK_H800, "parallelism": {"tp": 1, "pp": 1, "ep": 64},
                                 "software": {"pipeline_schedule": "dualpipe"}})
    assert odd.status_code == 422 and "even pipeline degree" in odd.json()["detail"]
    bad = client.post(url, json={**DEEPSEEK_H800, "software": {"moe_dispatcher": "pigeon"}})
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "software.moe_dispatcher"


def test_an_offline_job_counts_its_last_wave(client):
    steady = client.post("/api/v1/estimates/inference", json=INFER).json()
    assert steady["job_seconds"] is None
    c = steady["concurrency"]
    job = client.post("/api/v1/estimates/inference", json={**INFER, "requests": c * 2 + c // 2}).json()
    assert job["concurrency"] == c and job["ttft_ms"] == steady["ttft_ms"]  # a full wave's latencies
    assert job["output_tokens_per_s"] < steady["output_tokens_per_s"]  # the half-filled last wave
    assert job["job_seconds"] == pytest.approx((c * 2 + c // 2) * INFER["output_tokens"] / job["output_tokens_per_s"])
    small = client.post("/api/v1/estimates/inference", json={**INFER, "requests": 3}).json()
    assert small["concurrency"] == 3
    bad = client.post("/api/v1/estimates/inference", json={**INFER, "requests": 0})
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "requests"
