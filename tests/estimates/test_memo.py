"""Engine answers are reused only for the identical request on identical hardware."""

from __future__ import annotations

from app.memo import LruMemo


def test_reuses_identical_keys_and_evicts_oldest() -> None:
    memo, calls = LruMemo(maxsize=2), []

    def compute(value: int):  # type: ignore[no-untyped-def]
        return lambda: calls.append(value) or value

    assert memo.get_or_compute("a", compute(1)) == 1
    assert memo.get_or_compute("a", compute(99)) == 1  # reused, not recomputed
    memo.get_or_compute("b", compute(2))
    memo.get_or_compute("c", compute(3))  # evicts "a", the least recently used
    assert memo.get_or_compute("a", compute(4)) == 4
    assert calls == [1, 2, 3, 4]


def test_a_catalog_edit_changes_the_answer(client, editor_headers) -> None:  # type: ignore[no-untyped-def]
    body = {"model": "llama-3.1-8b", "accelerator": "h100-sxm", "gpu_count": 8, "precision": "bf16", "seq_len": 4096}
    before = client.post("/api/v1/estimates/training", json=body).json()["tokens_per_s"]
    etag = client.get("/api/v1/accelerators/h100-sxm").headers["etag"]
    resp = client.patch("/api/v1/accelerators/h100-sxm", json={"bf16_tflops": 400},
                        headers={**editor_headers, "If-Match": etag})
    assert resp.status_code == 200
    after = client.post("/api/v1/estimates/training", json=body).json()["tokens_per_s"]
    assert after < before  # a slower accelerator in the catalog is a new key, not a stale answer
