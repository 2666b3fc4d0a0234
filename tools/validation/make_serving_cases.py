#!/usr/bin/env python3
"""Builds scenarios/validation/serving_*.json from ../shared/reference/published_inference.json.

Run from the repository root: python3 tools/validation/make_serving_cases.py [REFERENCE_JSON]
The generated files are committed; CI never runs this script. The settings a case takes from its source
(trtllm-bench's benchmark settings: request counts per input/output length, offline arrival, FP8 checkpoints;
Azure's guide: TensorRT-LLM's static-batch benchmark, its config.json) are the same for every record of a source; what a source does not state is written into the case's
"description". Records that cannot become a case yet are listed with the reason on stdout.
"""
import json
import pathlib
import sys

ROOT = pathlib.Path(__file__).resolve().parents[2]
REFERENCE = (pathlib.Path(sys.argv[1]) if len(sys.argv) > 1
             else ROOT.parent / "shared" / "reference" / "published_inference.json")
OUT = ROOT / "scenarios" / "validation"

# Llama 3.3 70B has Llama 3.1 70B's architecture (its config.json differs in nothing the model reads).
PRESETS = {"Llama 3.1 8B": "llama3.1-8b", "Llama 3.3 70B": "llama3.1-70b", "Llama 3.1 405B": "llama3.1-405b",
           "Qwen3-235B-A22B": "qwen3-235b-a22b", "Llama 4 Maverick": "llama4-maverick",
           "Llama 4 Scout": "llama4-scout"}
# The source's benchmark settings: "MoE models (Qwen3-235B-A22B, Llama 4 Maverick) run with attention data
# parallelism (enable_attention_dp) and expert parallelism ep = tp". Llama 4 Scout is not named there and its
# records give no ep: TensorRT-LLM's Mapping then takes moe_tp = tp, ep = 1, without attention dp.
ATTENTION_DP = {"Qwen3-235B-A22B", "Llama 4 Maverick"}
DEFAULT_MAPPING_MOE = {"Llama 4 Scout"}
GROUP = "TensorRT-LLM perf-overview (H100 FP8)"
MOE_GROUP = "TensorRT-LLM perf-overview, MoE (H100 FP8)"
# Azure's AI benchmarking guide (Azure/AI-benchmarking-guide, Azure_Results/*.md, Sept 2024). Its model URLs
# in config.json: Mistral-7B-v0.1, Meta-Llama-3-8B, Meta-Llama-3-70B, Meta-Llama-3.1-405B-FP8.
AZURE_PRESETS = {"Mistral 7B": "mistral-7b", "Llama 3 8B": "llama3-8b", "Llama 3 70B": "llama3-70b",
                 "Llama 3 405B": "llama3.1-405b"}
# ND A100 v4 has 8 A100 40GB (SXM4, NVSwitch); ND H100 v5 has 8 H100 SXM5 80GB (NVSwitch).
AZURE_SYSTEMS = {"Azure ND A100 v4": "dgx-a100-40gb", "Azure ND H100 v5": "dgx-h100"}
AZURE_GROUP = "Azure benchmarking guide (TensorRT-LLM, static batches)"


def trtllm_case(record, counts):
    """A trtllm-bench record: offline max-throughput, in-flight batching, FP8 checkpoints."""
    rid = record["id"]
    model = PRESETS.get(record["model"]["name"])
    if model is None:
        return None, f"no preset for {record['model']['name']}"
    m = record["measured"]
    isl, osl, tp = m["input_len"], m["output_len"], record["parallel"]["tp"]
    strategy = {"name": f"tp{tp}", "tp": tp}
    description = ""
    if record["model"]["name"] in ATTENTION_DP:
        ep = record["parallel"]["ep"]
        strategy.update({"name": f"tp{tp}-ep{ep}-adp", "ep": ep, "attention_dp": True})
        description = " Attention dp and ep = tp, as the source's settings say for this model."
    elif record["model"]["name"] in DEFAULT_MAPPING_MOE:
        description = (" The source gives no ep: TensorRT-LLM's default mapping (experts split over tp, "
                       "ep 1), no attention dp.")
    moe = record["model"]["name"] in ATTENTION_DP | DEFAULT_MAPPING_MOE
    return {
        "name": f"serving_{rid[len('trtllm_'):]}",
        "description": ("Validation case (serving). trtllm-bench throughput, offline: every request queued at "
                        "t = 0, fixed lengths. Assumptions: FP8 weights and FP8 KV cache (NVIDIA's ModelOpt "
                        "FP8 checkpoints); kv_memory_fraction 0.9 (trtllm-bench's default; the source says "
                        "0.90-0.95 by run without naming which); batch limits by trtllm-bench's heuristic "
                        "(no chunked prefill: trtllm-bench's default)." + description),
        "cluster": {"system": "dgx-h100", "nodes": 1, "gpus_per_node": tp},
        "model": model,
        "inference": {"requests": counts[f"{isl}/{osl}"], "input_len": isl, "output_len": osl,
                      "arrival": "offline"},
        "strategies": [{
            **strategy, "weights_dtype": "fp8", "kv_dtype": "fp8",
            "expected": {"output_tokens_per_s": m["total_output_tokens_per_sec"],
                         "group": MOE_GROUP if moe else GROUP},
            "source": (f"{record['source']['title']}, {record['source']['location']}; "
                       f"shared/reference/published_inference.json record {rid}"),
        }],
    }, None


def azure_dtypes(record):
    """Weights and KV dtypes of an Azure run, from the guide's own files (the records say "not stated")."""
    if record["hardware"]["gpu"] == "A100":
        return "bf16", "bf16", "16-bit weights and KV (the results page says float16; fp16 and bf16 run alike)"
    if "405B" in record["model"]["name"]:
        return "fp8", "bf16", ("FP8 weights and 16-bit KV: config.json names the Meta-Llama-3.1-405B-FP8 "
                               "checkpoint and converts it without KV quantization (16-bit weights, 811 GB, "
                               "would not fit in 8 x 80 GB)")
    return "fp8", "fp8", ("FP8 weights and FP8 KV: the guide's config.json of the time (commit fa0a080) sets "
                          "precision fp8, which LLMBenchmark.py builds with quantize.py --qformat fp8 "
                          "--kv_cache_dtype fp8; the results page does not state it")


def azure_case(record):
    """An Azure AI-benchmarking-guide record: TensorRT-LLM's benchmarks/python/benchmark.py, static batches."""
    rid = record["id"]
    model = AZURE_PRESETS.get(record["model"]["name"])
    if model is None:
        return None, f"no preset for {record['model']['name']}"
    m = record["measured"]
    isl, osl, tp, batch = m["input_len"], m["output_len"], record["parallel"]["tp"], m["batch_size"]
    weights, kv, dtype_note = azure_dtypes(record)
    return {
        "name": f"serving_{rid}",
        "description": ("Validation case (serving). TensorRT-LLM's benchmarks/python/benchmark.py (-m dec, "
                        "GenerationSession) as the Azure AI benchmarking guide's LLMBenchmark.py runs it: one "
                        "static batch of batch_size requests, its prompts in one context pass, then one "
                        "generation step per output token; gpt_benchmark.py reports tokens_per_sec = "
                        "batch_size x output_len / latency of the whole batch, i.e. output tokens per second. "
                        "max_num_tokens 8192 (trtllm-build's default; the 405B build sets 8192). Assumptions: "
                        + dtype_note + ". Not modelled: the Python runtime's per-step host time (no CUDA "
                        "graphs: benchmark.py's default)."),
        "cluster": {"system": AZURE_SYSTEMS[record["hardware"]["system"]], "nodes": 1, "gpus_per_node": tp},
        "model": model,
        "inference": {"requests": batch, "input_len": isl, "output_len": osl, "arrival": "offline"},
        "strategies": [{
            "name": f"tp{tp}-static-bs{batch}", "tp": tp, "weights_dtype": weights, "kv_dtype": kv,
            "scheduler": "static", "max_batch_size": batch, "max_num_tokens": 8192,
            "expected": {"output_tokens_per_s": m["tokens_per_sec"], "group": AZURE_GROUP},
            "source": (f"{record['source']['title']}, {record['source']['location']}; "
                       f"shared/reference/published_inference.json record {rid}"),
        }],
    }, None


def main():
    reference = json.loads(REFERENCE.read_text())
    counts = reference["benchmark_settings"]["trtllm_perf_overview"]["num_requests_by_isl_osl"]
    written = 0
    for record in reference["records"]:
        rid = record["id"]
        if rid.startswith("trtllm_"):
            case, why_not = trtllm_case(record, counts)
        elif rid.startswith("azure_infer_"):
            case, why_not = azure_case(record)
        else:
            case, why_not = None, "no builder for its source"
        if case is None:
            print(f"skip {rid}: {why_not}")
            continue
        (OUT / f"{case['name']}.json").write_text(json.dumps(case, indent=1) + "\n")
        written += 1
    print(f"wrote {written} cases")


if __name__ == "__main__":
    main()
