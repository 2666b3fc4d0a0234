#!/usr/bin/env python3
"""Builds scenarios/validation/serving_*.json from ../shared/reference/published_inference.json.

Run from the repository root: python3 tools/validation/make_serving_cases.py [REFERENCE_JSON]
The generated files are committed; CI never runs this script. The settings a case takes from its source
(trtllm-bench's benchmark settings: request counts per input/output length, offline arrival, FP8 checkpoints)
are the same for every record of a source; what a source does not state is written into the case's
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


def main():
    reference = json.loads(REFERENCE.read_text())
    settings = reference["benchmark_settings"]["trtllm_perf_overview"]
    counts = settings["num_requests_by_isl_osl"]
    written = 0
    for record in reference["records"]:
        rid = record["id"]
        if not rid.startswith("trtllm_"):
            print(f"skip {rid}: Azure's runs do not say whether tokens_per_sec counts output or all tokens")
            continue
        model = PRESETS.get(record["model"]["name"])
        if model is None:
            print(f"skip {rid}: no preset for {record['model']['name']}")
            continue
        m = record["measured"]
        isl, osl, tp = m["input_len"], m["output_len"], record["parallel"]["tp"]
        name = f"serving_{rid[len('trtllm_'):]}"
        strategy = {"name": f"tp{tp}", "tp": tp}
        description = ""
        if record["model"]["name"] in ATTENTION_DP:
            ep = record["parallel"]["ep"]
            strategy.update({"name": f"tp{tp}-ep{ep}-adp", "ep": ep, "attention_dp": True})
            description = " Attention dp and ep = tp, as the source's settings say for this model."
        elif record["model"]["name"] in DEFAULT_MAPPING_MOE:
            description = (" The source gives no ep: TensorRT-LLM's default mapping (experts split over tp, "
                           "ep 1), no attention dp.")
        case = {
            "name": name,
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
                "expected": {"output_tokens_per_s": m["total_output_tokens_per_sec"], "group": MOE_GROUP if record["model"]["name"] in ATTENTION_DP | DEFAULT_MAPPING_MOE else GROUP},
                "source": (f"{record['source']['title']}, {record['source']['location']}; "
                           f"shared/reference/published_inference.json record {rid}"),
            }],
        }
        (OUT / f"{name}.json").write_text(json.dumps(case, indent=1) + "\n")
        written += 1
    print(f"wrote {written} cases")


if __name__ == "__main__":
    main()
