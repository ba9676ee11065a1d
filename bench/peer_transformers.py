#!/usr/bin/env python3
"""Times HF transformers on the same weights and shapes as `layerscript bench`, for a ratio.

Run by hand (not in CI), on the same machine, right after layerscript's bench:

    cargo run --release -- bench --save /tmp/bench-model --jsonl /tmp/bench.jsonl
    pip install torch transformers safetensors   # CPU wheels are enough
    python3 bench/peer_transformers.py /tmp/bench-model --jsonl /tmp/bench.jsonl

It mirrors the bench exactly: prefill of 8 x 128 tokens (one forward, all logits), then greedy
decode of 64 new tokens from 16-token prompts at batch 1 and 16 with the KV cache, best of 3 after
a warm-up, float32, eager attention, torch threads = all cores. Both tools append one JSON line to
the same file; the ratio is layerscript tok/s / transformers tok/s.
"""
import argparse
import json
import time

import torch
from transformers import AutoModelForCausalLM


def best_of(reps, fn):
    fn()
    best = float("inf")
    for _ in range(reps):
        t = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t)
    return best


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("model")
    ap.add_argument("--prefill-len", type=int, default=128)
    ap.add_argument("--prefill-batch", type=int, default=8)
    ap.add_argument("--new-tokens", type=int, default=64)
    ap.add_argument("--batches", default="1,16")
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--jsonl")
    a = ap.parse_args()
    model = AutoModelForCausalLM.from_pretrained(a.model, torch_dtype=torch.float32, attn_implementation="eager").eval()
    vocab = model.config.vocab_size
    prompt = [(i * 7) % (vocab - 1) for i in range(a.prefill_len)]
    results = []
    with torch.inference_mode():
        ids = torch.tensor([prompt] * a.prefill_batch)
        secs = best_of(a.reps, lambda: model(input_ids=ids))
        results.append({"name": f"prefill {a.prefill_batch}x{a.prefill_len}", "tokens_per_s": ids.numel() / secs, "seconds": secs})
        for b in [int(x) for x in a.batches.split(",")]:
            rows = torch.tensor([prompt[r % 7: r % 7 + 16] for r in range(b)])
            gen = lambda: model.generate(input_ids=rows, attention_mask=torch.ones_like(rows), max_new_tokens=a.new_tokens,
                                         min_new_tokens=a.new_tokens, do_sample=False, pad_token_id=0)
            secs = best_of(a.reps, gen)
            results.append({"name": f"decode batch {b}, {a.new_tokens} new", "tokens_per_s": b * a.new_tokens / secs, "seconds": secs})
    for r in results:
        print(f"{r['name']:<28} {r['tokens_per_s']:>10.1f} tok/s  ({r['seconds']:.3f} s)")
    if a.jsonl:
        with open(a.jsonl, "a") as f:
            f.write(json.dumps({"engine": "transformers", "torch_threads": torch.get_num_threads(), "results": results}) + "\n")


if __name__ == "__main__":
    main()
