"""Serving closed and frontier models: sizes estimated with their source and range, the KV cache
from the model's shape (active parameters for a mixture of experts), three scopes of energy."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest

from combien.data import catalog
from combien.engine import serving
from combien.errors import InputError, UnknownNameError
from combien.serving.infer import infer

KV_RATIO = 2.34e-6  # defaults.csv kv_elements_per_param: Llama-3-70B's 163,840 elements ÷ 70e9


def test_every_size_estimate_is_sourced_and_ordered() -> None:
    rows = list(catalog.size_estimates())
    assert len(rows) >= 20
    for row in rows:
        assert row.source and row.as_of, row.id
        assert row.architecture in ("dense", "moe"), row.id
        if row.architecture == "moe":
            assert row.active_params is not None and row.active_params < row.params, row.id
        for low, mid, high in (
            (row.params_low, row.params, row.params_high),
            (row.active_low, row.active_params, row.active_high),
        ):
            if low is not None and high is not None and mid is not None:
                assert low < mid < high, row.id


@pytest.mark.parametrize(
    ("model", "total", "active_low", "active_high"),
    [  # EcoLogits' repository (models.json, 2025-11): total, and 10–30% of it active
        ("gpt-4o", 440e9, 44e9, 132e9),
        ("claude-3.5-sonnet", 440e9, 44e9, 132e9),
        ("claude-3-opus", 2000e9, 200e9, 600e9),
        ("gpt-4", 1760e9, 176e9, 528e9),
    ],
)
def test_closed_models_are_served_with_an_estimated_size(
    model: str, total: float, active_low: float, active_high: float
) -> None:
    bill = infer(model=model, samples=500)
    params, active = bill.inputs["params"], bill.inputs["active_params"]
    assert params.value == total and params.origin == "catalog"
    assert (active.low, active.high) == (active_low, active_high)
    # the geometric mean of the bounds, written to 4 significant digits in the CSV
    assert active.value == pytest.approx((active_low * active_high) ** 0.5, rel=1e-3)
    assert "EcoLogits" in active.source
    assert "estimated-size" in [w.code for w in bill.warnings]
    # three scopes: facility = IT × PUE, IT = accelerators × server overhead (central values)
    line: dict[str, Any] = bill.to_dict()["per_request"]  # type: ignore[assignment]
    gpu, it, facility = (
        line[k]["value"] for k in ("gpu_energy_kwh", "it_energy_kwh", "energy_kwh")
    )
    assert it == pytest.approx(gpu * bill.inputs["server_overhead"].value)
    assert facility == pytest.approx(it * bill.inputs["pue"].value)
    bottle = bill.requests_per_500ml
    assert bottle is not None and bottle.low < bottle.value < bottle.high


def test_a_served_model_known_by_its_api_name() -> None:
    bill = infer(model="gpt-4o-mini-2024-07-18", samples=100)
    assert bill.labels["model"] == "gpt-4o-mini"
    params = bill.inputs["params"]
    assert (params.low, params.high) == (8e9, 28e9)  # dense, 8–28B in EcoLogits
    assert bill.inputs["active_params"] == params


def test_open_weights_sizes_are_published_not_estimated() -> None:
    bill = infer(model="gpt-oss-120b", samples=100)
    assert bill.inputs["params"].value == 117e9 and bill.inputs["active_params"].value == 5.1e9
    assert "estimated-size" not in [w.code for w in bill.warnings]


def test_unknown_served_model_suggests_from_both_tables() -> None:
    with pytest.raises(UnknownNameError, match="did you mean"):
        infer(model="gpt-4oo")


def test_moe_kv_cache_from_active_parameters() -> None:
    # DeepSeek-V3's size without its architecture: 671B total, 37B active
    bill = infer(params="671B", active_params="37B", samples=100)
    assert bill.inputs["kv_bytes_per_token"].value == pytest.approx(KV_RATIO * 37e9 * 2)
    dense = infer(params="70B", samples=100)
    assert dense.inputs["kv_bytes_per_token"].value == pytest.approx(KV_RATIO * 70e9 * 2)


def test_architecture_decides_the_kv_cache_when_known() -> None:
    bill = infer(model="llama-3.1-70b", samples=100)
    # Meta's config: 80 layers × 8 KV heads × 128 head size, K and V, 2 bytes each
    assert bill.inputs["kv_bytes_per_token"].value == 2 * 80 * 8 * 128 * 2


def test_decode_reads_only_the_experts_a_batch_routes_to() -> None:
    # a 440B mixture with 76B active: one request reads its 76B; with tokens routed evenly each
    # weight escapes all 64 requests with probability (1 − 76/440)^64 ≈ 5.6e-6: nearly all
    kv = 0.0
    one = serving.decode_bytes(440e9, 76e9, 1, 2, 1000, 500, kv)
    many = serving.decode_bytes(440e9, 76e9, 64, 2, 1000, 500, kv)
    assert one == pytest.approx(76e9 * 2)
    assert many == pytest.approx(440e9 * 2 * (1 - (1 - 76 / 440) ** 64))
    assert 0.99999 * 440e9 * 2 < many < 440e9 * 2
    # two tokens of a 10-in-100 mixture share a weight with probability 0.1 × 0.1: they read
    # 100 × (1 − 0.9²) = 19, not 20; a dense model reads all its weights at any batch
    assert serving.decode_bytes(100, 10, 2, 1, 0, 0, kv) == pytest.approx(19)
    assert serving.decode_bytes(100, 100, 3, 1, 0, 0, kv) == pytest.approx(100)
    # a dense model's size and active size are drawn apart: an active draw above the total
    # reads the total, not a negative share raised to the batch
    assert serving.decode_bytes(100, 110, 256, 1, 0, 0, kv) == pytest.approx(100)
    samples = serving.decode_bytes(440e9, np.array([44e9, 132e9]), 4, 1, 0, 0, kv)
    assert list(samples) == pytest.approx([440e9 * (1 - 0.9**4), 440e9 * (1 - 0.7**4)])


def test_the_replica_meets_the_latency_target_on_the_fewest_gpu_seconds() -> None:
    loose = infer(params="8B", tpot_ms=1000, samples=100)
    tight = infer(params="8B", tpot_ms=15, samples=100)
    # vLLM's max_num_seqs caps a loose target: batch 256 on the one GPU its memory needs, a
    # 39 ms step, 15 ms of it the engine's 59 µs per sequence; at 15 ms the engine alone
    # rules out batch 256, and one GPU at batch 64 takes 15.1 ms: two GPUs at batch 64, whose
    # reads and compute take half as long (the engine's time does not divide)
    assert loose.inputs["batch"].value == 256 and loose.inputs["batch"].origin == "derived"
    assert loose.serving["gpus_per_replica"] == 1
    assert tight.inputs["batch"].value == 64 and tight.serving["gpus_per_replica"] == 2
    assert "more than the 1 its memory needs" in tight.inputs["gpus"].source
    one = infer(params="8B", tpot_ms=20, samples=100)
    assert one.inputs["batch"].value == 64 and one.serving["gpus_per_replica"] == 1
    step, one_step = tight.serving["decode_step_ms"], one.serving["decode_step_ms"]
    assert isinstance(step, float) and isinstance(one_step, float)
    assert 15 < one_step < 16 and step <= 15
    engine_ms = 64 * catalog.default("serving_token_overhead_s").value * 1000
    assert step - engine_ms == pytest.approx((one_step - engine_ms) / 2)
    # a target no replica size meets is refused with the best achievable
    with pytest.raises(InputError, match="no batch meets the latency targets"):
        infer(params="405B", tpot_ms=1, samples=100)  # 810 GB over 64 H100: 6 ms a token
    assert tight.inputs["tpot_ms"].value == 15 and tight.inputs["tpot_ms"].origin == "user"
    default = infer(params="8B", samples=100)
    assert default.inputs["tpot_ms"].value == 40  # MLPerf interactive, Llama 2 70B
    assert default.inputs["ttft_ms"].value == 450


def test_light_traffic_keeps_the_replica_its_memory_needs() -> None:
    # without traffic the replicas are busy: 405B takes 32 H100 to run batch 256 within 40 ms;
    # at 1,000 requests a day no batch fills, and the 16 its memory needs serve it on one fleet
    # of 16 instead of 32
    busy = infer(model="llama-3.1-405b", hardware="h100-sxm", samples=100)
    light = infer(model="llama-3.1-405b", hardware="h100-sxm", requests_per_day=1000, samples=100)
    assert busy.serving["gpus_per_replica"] == 32 and busy.serving["gpus_for_memory"] == 16
    assert light.serving["gpus_per_replica"] == 16 and light.serving["gpus_total"] == 16
    fleet = (
        "1 replica for 1,000 requests/day, on 2 whole servers of 8 = 16 accelerators provisioned;"
    )
    assert fleet in light.setup_text()  # the replica fills both servers: none idle
    # an 8B model on one A100 at 100 requests a day: one GPU per replica on one 8-GPU server
    small = infer(model="llama-3.1-8b", hardware="a100-80gb", requests_per_day=100, samples=100)
    assert small.serving["gpus_per_replica"] == 1 and small.serving["gpus_total"] == 8


def test_the_users_gpus_are_not_said_to_be_derived() -> None:
    given = infer(model="llama-3.1-70b", gpus=8, samples=100)
    assert given.serving["gpus_for_memory"] == 4  # a fact of the memory, kept in the JSON
    assert "would hold it" not in given.setup_text()
    derived = infer(model="llama-3.1-70b", rps=100, samples=100)
    assert "4 would hold it, 8 meet the latency target" in derived.setup_text()


def test_light_traffic_pays_for_idle_servers() -> None:
    # one request a second to an 8B model: one 1-GPU replica, on a whole 8-GPU server
    bill = infer(model="llama-3.1-8b", rps=1, samples=100)
    replica_s = bill.serving["replica_seconds_per_request"]
    assert isinstance(replica_s, float)
    assert bill.serving["gpus_per_replica"] == 1
    assert bill.serving["replicas"] == 1 and bill.serving["gpus_total"] == 8
    assert bill.inputs["utilisation"].value == pytest.approx(1 * replica_s * 1 / 8)
    busy = infer(model="llama-3.1-8b", rps=1, utilisation=1.0, samples=100)
    ratio = bill.per_request["energy_kwh"].value / busy.per_request["energy_kwh"].value
    assert ratio > 5  # most of the server idles, and idle power is charged
    # said as it is: one replica of one GPU, on one whole server whose other 7 GPUs idle
    assert "1 × h100-sxm per replica" in bill.setup_text()
    assert (
        "1 replica for 86,400 requests/day, on 1 whole server of 8 = 8 accelerators "
        "provisioned, of which 7 hold no replica and idle"
    ) in bill.setup_text()
    assert bill.inputs["utilisation"].source.endswith(
        "× 1 GPU per replica ÷ 8 GPUs provisioned (1 replica for the peak, on 1 whole server of 8)"
    )
    assert {"replicas", "gpus_total", "gpus_busy"} <= set(bill.to_dict()["serving"])
    assert bill.serving["gpus_busy"] == 1
    # a given utilisation provisions the replicas alone, in no whole servers
    one = infer(model="llama-3.1-8b", requests_per_day=1, utilisation=0.5, samples=100)
    assert "1 replica for 1 request/day = 1 accelerator;" in one.setup_text()
    # a share of the time too small for a whole percent is not said to be 0%
    rare = infer(model="llama-3.1-8b", rps=0.001, samples=100)
    assert "replicas busy 0% " not in rare.setup_text()
    assert f"replicas busy {100 * rare.inputs['utilisation'].value:.2g}% " in rare.setup_text()


def test_replicas_are_sized_for_the_peak() -> None:
    mean = infer(model="llama-3.1-70b", rps=100, samples=100)
    peaky = infer(model="llama-3.1-70b", rps=100, peak_to_mean=2, samples=100)
    replica_s = mean.serving["replica_seconds_per_request"]
    gpus = mean.serving["gpus_per_replica"]
    assert isinstance(replica_s, float) and isinstance(gpus, int)
    assert mean.serving["replicas"] == math.ceil(100 * replica_s)
    assert peaky.serving["replicas"] == math.ceil(200 * replica_s)
    provisioned = peaky.serving["gpus_total"]
    assert isinstance(provisioned, int) and provisioned % 8 == 0  # whole 8-GPU servers
    assert peaky.inputs["utilisation"].value == pytest.approx(100 * replica_s * gpus / provisioned)


def test_a_product_name_is_served_as_its_default_model() -> None:
    # OpenAI, 'Introducing GPT-5' (2025-08-07): GPT-5 is ChatGPT's default model (products.csv)
    product = catalog.products().get("ChatGPT")
    assert (product.model, product.since) == ("gpt-5", "2025-08-07")
    chatgpt, gpt5 = infer(model="chatgpt", samples=500), infer(model="gpt-5", samples=500)
    assert chatgpt.to_dict()["per_request"] == gpt5.to_dict()["per_request"]
    (said,) = [w for w in chatgpt.warnings if w.code == "product-model"]
    assert "ChatGPT answers with gpt-5 by default since 2025-08-07" in said.message
    with pytest.raises(UnknownNameError, match="did you mean: chatgpt"):
        infer(model="chatgp")


def test_the_kv_cache_precision_sets_its_bytes() -> None:
    # Llama 3.1 70B: 2 × 80 layers × 8 KV heads × 128 values a token, 2 bytes each in bf16 (the
    # engines' default), 1 in fp8; at batch 64 over 1,000 + 500 tokens the replica holds 140 GB
    # of weights + 64 × 1,500 × those bytes
    common = {"model": "llama-3.1-70b", "hardware": "h100-sxm", "gpus": 4, "batch": 64}
    bf16, fp8 = (infer(kv_precision=p, samples=100, **common) for p in ("bf16", "fp8"))
    assert bf16.serving["kv_cache_bytes_per_token"] == 2 * 80 * 8 * 128 * 2
    assert fp8.serving["kv_cache_bytes_per_token"] == 2 * 80 * 8 * 128 * 1
    assert infer(samples=100, **common).serving["kv_cache_bytes_per_token"] == 327_680
    for bill, kv in ((bf16, 327_680), (fp8, 163_840)):
        assert bill.serving["replica_memory_gb"] == pytest.approx((70e9 * 2 + 64 * 1500 * kv) / 1e9)
    assert fp8.labels["kv_precision"] == "fp8"
    # a smaller cache is read faster: less energy per request
    per_request = [b.per_request["accelerator_energy_kwh"].value for b in (bf16, fp8)]
    assert per_request[1] < per_request[0]
    with pytest.raises(InputError, match="--kv-precision"):
        infer(kv_precision="fp4", samples=100, **common)


def test_mxfp4_weights_hold_gpt_oss_120b_on_one_80_gb_gpu() -> None:
    # OCP Microscaling v1.0: 32 four-bit values share an 8-bit scale, 4.25 bits a weight. OpenAI's
    # model card: gpt-oss-120b (117B parameters, MoE weights in MXFP4) runs within 80 GB
    bill = infer(model="gpt-oss-120b", hardware="h100-sxm", precision="mxfp4", batch=16,
                 samples=100)  # fmt: skip
    assert bill.serving["weight_bytes_per_param"] == 4.25 / 8
    weights_gb = 117e9 * 4.25 / 8 / 1e9  # 62.2 GB
    assert weights_gb < bill.serving["replica_memory_gb"] <= 80 * 0.9  # usable share of 80 GB
    assert bill.serving["gpus_for_memory"] == 1
    bf16 = infer(model="gpt-oss-120b", hardware="h100-sxm", batch=16, samples=100)
    assert bf16.serving["gpus_for_memory"] == 4  # 234 GB over 72 GB usable per GPU


def test_another_engines_time_per_sequence_replaces_vllms() -> None:
    # the decode step is memory + compute + batch × the engine's time per sequence and step:
    # vLLM's 59 µs by default (calibrated on ML.ENERGY), any other given in µs
    common = {"model": "llama-3.1-8b", "hardware": "h100-sxm", "gpus": 1, "batch": 64}
    vllm = infer(samples=100, **common)
    none = infer(engine_time_us=0, samples=100, **common)
    slow = infer(engine_time_us=100, samples=100, **common)
    stored = catalog.default("serving_token_overhead_s").value
    assert vllm.inputs["serving_token_overhead_s"].value == stored == 59e-6
    assert none.inputs["serving_token_overhead_s"].origin == "user"
    steps = [b.serving["decode_step_ms"] for b in (none, vllm, slow)]
    assert isinstance(steps[0], float) and isinstance(steps[1], float)
    assert isinstance(steps[2], float)
    assert steps[1] - steps[0] == pytest.approx(64 * 0.059)
    assert steps[2] - steps[0] == pytest.approx(64 * 0.100)
    energy = [b.per_request["accelerator_energy_kwh"].value for b in (none, vllm, slow)]
    assert energy[0] < energy[1] < energy[2]
    with pytest.raises(InputError, match="--engine-time-us cannot be negative"):
        infer(engine_time_us=-1, samples=100, **common)


def test_the_decode_step_is_split_where_its_time_goes() -> None:
    # Llama 3.1 8B on one H100 at batch 64, 1,000 tokens in and 500 out: the weights (16.06 GB)
    # and the batch's KV cache at mean context (64 × 1,250 × 131,072 bytes) read at 0.66 of
    # 3.35 TB/s; 2 × 8.03e9 × 64 FLOP at 0.375 of 989.4 TFLOP/s; 64 × 59 µs of engine time
    bill = infer(model="llama-3.1-8b", hardware="h100-sxm", gpus=1, batch=64, samples=100)
    s = bill.serving
    params = bill.inputs["params"].value
    read = params * 2 + 64 * 1250 * 131_072
    assert s["decode_memory_ms"] == pytest.approx(1e3 * read / (3.35e12 * 0.66), rel=1e-3)
    flop = 2 * params * 64
    peak = catalog.hardware().get("h100-sxm").peak_flops("bf16")
    assert s["decode_compute_ms"] == pytest.approx(1e3 * flop / (peak * 0.375), rel=1e-9)
    assert s["decode_engine_ms"] == pytest.approx(64 * 0.059)
    parts = s["decode_memory_ms"] + s["decode_compute_ms"] + s["decode_engine_ms"]
    assert s["decode_step_ms"] == pytest.approx(parts)


def test_a_given_batch_whose_cache_does_not_fit_says_how_many_would() -> None:
    # MLPerf's Llama 2 70B offline set-up: 2 H100 with fp8 weights batching up to 896. At the
    # default 1,000 tokens in and 291.7 out, each request holds 1,291.7 × 327,680 bytes of KV
    # cache; beside 70 GB of weights in 2 × 80 × 0.9 GB, ⌊(144 − 70) / 0.4233⌋ = 174 fit
    bill = infer(
        model="llama-2-70b", hardware="h100-sxm", gpus=2, batch=896, precision="fp8",
        tokens_out=291.7, samples=100,
    )  # fmt: skip
    per_request_gb = (1000 + 291.7) * 2 * 80 * 8 * 128 * 2 / 1e9
    fits = math.floor((2 * 80 * 0.9 - 70) / per_request_gb)
    assert fits == 174
    (warning,) = [w.message for w in bill.warnings if w.code == "kv-cache-full"]
    assert "896 requests" in warning and f"{fits} would" in warning
    assert f"pass --batch {fits}" in warning
    # the bill serves the batch as given, and at that batch the warning is gone
    assert bill.inputs["batch"].value == 896
    fitting = infer(
        model="llama-2-70b", hardware="h100-sxm", gpus=2, batch=fits, precision="fp8",
        tokens_out=291.7, samples=100,
    )  # fmt: skip
    assert "kv-cache-full" not in [w.code for w in fitting.warnings]


def test_a_given_batch_is_checked_against_the_latency_targets() -> None:
    # Llama 3.1 8B at batch 1 on one H100: a token takes about 7.4 ms (16 GB of weights read at
    # 3.35 TB/s × 0.66, and the engine's time), the first token about 43 ms
    common = dict(model="llama-3.1-8b", hardware="h100-sxm", batch=1, gpus=1, samples=100)
    missed = infer(tpot_ms=1, ttft_ms=1000, **common)  # type: ignore[arg-type]
    step, prefill = missed.serving["decode_step_ms"], missed.serving["prefill_ms"]
    assert isinstance(step, float) and isinstance(prefill, float)
    assert 1 < step < 40 and prefill < 1000
    (warning,) = [w.message for w in missed.warnings if w.code == "latency-target-missed"]
    assert warning.startswith("--tpot-ms 1 is not met: at batch 1 on 1 × h100-sxm each output ")
    assert f"token takes {step:,.1f} ms" in warning and "drop --batch" in warning
    # both targets are kept in the inputs, as the user's
    for name, value in (("tpot_ms", 1), ("ttft_ms", 1000)):
        assert missed.inputs[name].value == value and missed.inputs[name].origin == "user"
    assert missed.to_dict()["inputs"]["tpot_ms"]["value"] == 1
    # the first token misses 1 ms too; a target the replica meets is not warned of
    first = infer(ttft_ms=1, **common)  # type: ignore[arg-type]
    (warning,) = [w.message for w in first.warnings if w.code == "latency-target-missed"]
    assert "--ttft-ms 1 is not met" in warning and f"takes {prefill:,.1f} ms" in warning
    met = infer(tpot_ms=40, **common)  # type: ignore[arg-type]
    assert "latency-target-missed" not in [w.code for w in met.warnings]
    assert met.inputs["tpot_ms"].value == 40 and "ttft_ms" not in met.inputs


def test_weights_in_a_format_the_chip_lacks_are_refused() -> None:
    # V100 computes in fp16 and fp32 only (precisions.csv): fp8 weights need Hopper or later
    with pytest.raises(InputError, match=r"v100 has no fp8 — its precisions: fp16, fp32$"):
        infer(model="llama-3.1-8b", hardware="v100", precision="fp8")
    with pytest.raises(InputError, match="a100-80gb has no fp8 — its precisions: bf16, fp16"):
        infer(model="llama-3.1-8b", hardware="a100-80gb", precision="fp8")
    # the assumed part (Anthropic's TPUs) is said to be one, with the flag that changes it
    with pytest.raises(InputError, match=r"tpu-v6e has no fp8 .* pass --hardware for a chip"):
        infer(model="claude-3.5-sonnet", precision="fp8")
    # int4 weights are stored, not computed in: 0.5 bytes each, at the V100's (fp16) peak
    int4 = infer(model="llama-3.1-8b", hardware="v100", precision="int4", samples=100)
    assert int4.serving["weight_bytes_per_param"] == 0.5
    v100 = catalog.hardware().get("v100")
    assert int4.inputs["peak_flops"].value == v100.peak_flops("bf16")


def test_a_preset_without_a_size_says_so() -> None:
    with pytest.raises(InputError) as caught:
        infer(model="gemini-ultra")
    assert str(caught.value).startswith(
        "the gemini-ultra preset (Gemini 1.0 Ultra, Google DeepMind) has no parameter count"
    )
    assert "give --params (e.g. 70B)" in str(caught.value)
    assert "or --model PRESET" not in str(caught.value)  # --model was given


def test_only_language_models_are_served() -> None:
    # Epoch AI files AlexNet under vision and AlphaGo under games: no tokens to generate
    assert catalog.models().get("alexnet").domain == ("vision",)
    for model, domain in (("alexnet", "vision"), ("xception", "vision"), ("alphazero", "games")):
        with pytest.raises(
            InputError, match=f"is not a language model — Epoch AI files it under {domain}"
        ):
            infer(model=model)
    # a multimodal model that is also a language model is served
    assert "language" in catalog.models().get("gpt-4o").domain
    assert infer(model="gpt-4o", samples=100).per_request["energy_kwh"].value > 0
    # with its energy per request given, nothing of the model is used
    given = infer(model="alexnet", request_energy_kwh=1e-4, samples=100)
    assert given.per_request["it_energy_kwh"].value == pytest.approx(1e-4)


def test_a_request_longer_than_the_context_window_is_warned_of() -> None:
    # Llama 3.1 8B reads 131,072 tokens (max_position_embeddings, architectures.csv)
    assert catalog.architecture("llama-3.1-8b").context == 131_072
    long = infer(model="llama-3.1-8b", tokens_in=130_000, tokens_out=2_000, samples=100)
    (warning,) = [w.message for w in long.warnings if w.code == "beyond-context"]
    assert (
        "a request of 132,000 tokens (in + out) is longer than llama-3.1-8b's context " in warning
    )
    assert "window of 131,072 tokens" in warning
    fits = infer(model="llama-3.1-8b", tokens_in=130_000, tokens_out=1_000, samples=100)
    assert "beyond-context" not in [w.code for w in fits.warnings]


def test_the_serving_hardware_help_names_the_makers_parts() -> None:
    # `infer --hardware` and `lifecycle --serve-hardware`: the examples the help gives are the
    # parts assumed, and its last resort is the resolver's
    from combien.fields import SERVING_HARDWARE_HELP
    from combien.resolve.serving import DEFAULT_HARDWARE

    assert f"else {DEFAULT_HARDWARE})" in SERVING_HARDWARE_HELP
    for model, part in (("gpt-4o", "b200"), ("claude-3.5-sonnet", "tpu-v6e")):
        assert f"{part} for {model}" in SERVING_HARDWARE_HELP
        assert infer(model=model, samples=100).serving["hardware"] == part
