"""GPU check of the serving model: a Llama-3.1-8B-shaped model (random weights, built from its
configuration — nothing is downloaded) decodes a batch with Hugging Face `generate` on the GPU
while a Tracker reads NVML's energy counter; prints the measured GPU energy per output token
beside `combien infer`'s estimate for the same batch and lengths.

    python bench/gpu_infer_check.py [--batch 64] [--tokens-in 224] [--tokens-out 256]

HF `generate` is a simpler engine than vLLM (no paged attention, no continuous batching): expect
it to use more energy per token than the vLLM measurements combien is calibrated on.
Exits 1 with a clear message on a machine without an NVIDIA GPU.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batch", type=int, default=64)
    parser.add_argument("--tokens-in", type=int, default=224)
    parser.add_argument("--tokens-out", type=int, default=256)
    args = parser.parse_args()
    try:
        import torch
        from transformers import LlamaConfig, LlamaForCausalLM
    except ImportError as exc:
        sys.stderr.write(f"gpu_infer_check: {exc.name} is not installed\n")
        raise SystemExit(1) from None
    if not torch.cuda.is_available():
        sys.stderr.write("gpu_infer_check: no NVIDIA GPU (torch.cuda.is_available() is False)\n")
        raise SystemExit(1)

    import combien
    from combien.serving.infer import infer

    config = LlamaConfig(
        hidden_size=4096,
        intermediate_size=14336,
        num_hidden_layers=32,
        num_attention_heads=32,
        num_key_value_heads=8,
        vocab_size=128256,
        max_position_embeddings=8192,
        rope_theta=500000.0,
    )
    torch.manual_seed(0)
    with torch.device("cuda"):
        model = LlamaForCausalLM(config).to(torch.bfloat16).eval()
    prompt = torch.randint(0, config.vocab_size, (args.batch, args.tokens_in), device="cuda")
    kwargs = dict(
        max_new_tokens=args.tokens_out,
        min_new_tokens=args.tokens_out,
        do_sample=False,
        pad_token_id=0,
    )
    with torch.no_grad():
        model.generate(prompt[:, :16], max_new_tokens=8, do_sample=False, pad_token_id=0)
        torch.cuda.synchronize()
        db = str(Path(tempfile.mkdtemp()) / "runs.db")
        tracker = combien.Tracker(db=db, project="gpu-infer-check", location="US-VA")
        tracker.start()
        t0 = time.monotonic()
        model.generate(prompt, **kwargs)
        torch.cuda.synchronize()
        elapsed = time.monotonic() - t0
        tracker.stop()
    gpu_j = sum(e for d, e in tracker.measurement().devices if d.kind == "gpu")
    tokens = args.batch * args.tokens_out
    measured = gpu_j / 3600 / tokens
    bill = infer(
        model="llama-3.1-8b",
        hardware="h100-sxm",
        gpus=1,
        batch=args.batch,
        tokens_in=args.tokens_in,
        tokens_out=args.tokens_out,
        samples=2000,
    )
    it = bill.per_request["it_energy_kwh"]
    overhead = bill.inputs["server_overhead"].value
    est = [v / overhead / args.tokens_out * 1000 for v in (it.value, it.low, it.high)]
    print(
        f"HF generate: batch {args.batch}, {args.tokens_in} in / {args.tokens_out} out, "
        f"{elapsed:.1f} s, {tokens / elapsed:,.0f} tokens/s, {gpu_j / elapsed:.0f} W"
    )
    print(f"measured GPU energy per output token: {measured:.3e} Wh")
    print(f"combien infer (vLLM-calibrated):     {est[0]:.3e} Wh [{est[1]:.3e}–{est[2]:.3e}]")
    print(f"measured / estimated: {measured / est[0]:.2f}")


if __name__ == "__main__":
    main()
