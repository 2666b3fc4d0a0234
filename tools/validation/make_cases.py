#!/usr/bin/env python3
"""Builds scenarios/validation/*.json from ../shared/reference/published_training.json.

Run from the repository root: python3 tools/validation/make_cases.py [REFERENCE_JSON]
The generated files are committed; CI never runs this script. Every assumption a case makes (a setting its
source does not state) is written into the case's "description"; the rules are the same for every record of
a source, never chosen per case. Records that cannot become a case are listed with the reason on stdout.
"""
import json
import pathlib
import sys

ROOT = pathlib.Path(__file__).resolve().parents[2]
REFERENCE = pathlib.Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT.parent / "shared" / "reference" / "published_training.json"
OUT = ROOT / "scenarios" / "validation"

PRESETS = {
    "GPT-1.7B": "gpt-1.7b", "GPT-3.6B": "gpt-3.6b", "GPT-7.5B": "gpt-7.5b", "GPT-18.4B": "gpt-18.4b",
    "GPT-39.1B": "gpt-39.1b", "GPT-76.1B": "gpt-76.1b", "GPT-145.6B": "gpt-145.6b", "GPT-310.1B": "gpt-310.1b",
    "GPT-529.6B": "gpt-529.6b", "GPT-1008.0B": "gpt-1t", "GPT-1T": "gpt-1t", "GPT-22B": "gpt-22b",
    "GPT-3 175B": "gpt3-175b", "MT-NLG 530B": "mt-nlg-530b", "GPT3-175B": "gpt3-175b",
    "LLAMA2-7B": "llama2-7b", "LLAMA2-13B": "llama2-13b", "LLAMA2-70B": "llama2-70b",
    "LLAMA3-8B": "llama3-8b", "LLAMA3-70B": "llama3-70b", "GPT-3 175B (174.6B)": "gpt3-175b",
}
# Megatron-Bridge performance summaries: model column -> preset.
MBRIDGE_PRESETS = {"LLAMA3_8B": "llama3-8b", "LLAMA3_70B": "llama3-70b", "LLAMA3.1_405B": "llama3.1-405b",
                   "Qwen3_30B_a3B": "qwen3-30b-a3b", "Qwen3_235B_a22B": "qwen3-235b-a22b",
                   "DeepSeekV3": "deepseek-v3"}
# Validation groups: one per source and framework; `strata validate` prints each group's MAPE.
GROUPS = {
    "sc21": "SC21 Megatron-LM (A100)", "sc21_zero3": "SC21 DeepSpeed ZeRO-3 (A100)",
    "korthikanti": "Korthikanti 2022 Megatron-LM (A100)", "megatron_2020": "Megatron-LM 2020 (A100)",
    "megatron_h100": "Megatron-Core README (H100)", "nemo": "NeMo 24.07 Megatron-Core (H100)",
    "mbridge": "Megatron-Bridge Megatron-Core (H100)", "llmfoundry": "llm-foundry PyTorch FSDP (A100)",
}
H100_V131K = {"GPT-7.1B": "gpt-7.1b-v131k", "GPT-16B": "gpt-16b-v131k", "GPT-32B": "gpt-32b-v131k",
              "GPT-70B": "gpt-70b-v131k", "GPT-119B": "gpt-119b-v131k", "GPT-177B": "gpt-177b-v131k",
              "GPT-314B": "gpt-314b-v131k", "GPT-462B": "gpt-462b-v131k"}


def source_of(record):
    s = record["source"]
    where = s.get("table") or s.get("location") or ""
    return f'{s["title"]}, {where}; shared/reference/published_training.json record {record["id"]}'


def megatron_flops(m, batch, rc_factor, vocab_term):
    """The source's own FLOPs per step: rc_factor * B s l h^2 (1 + s/(6h) + V/(vocab_term l h))."""
    b, s, l, h, v = batch, m["seq_len"], m["layers"], m["hidden"], m["vocab"]
    return rc_factor * b * s * l * h * h * (1 + s / (6 * h) + v / (vocab_term * l * h))


def model_of(record):
    m = record["model"]
    name = m["name"]
    if record["id"].startswith("megatron_readme_2020"):
        return {"architectures": ["GPT2LMHeadModel"], "n_layer": m["layers"], "n_embd": m["hidden"], "n_head": m["heads"],
                "n_inner": m["ffn_hidden"], "vocab_size": m["vocab"], "n_positions": m["seq_len"],
                "activation_function": "gelu", "tie_word_embeddings": True}
    if record["id"].startswith("megatron_readme_h100"):
        if name in H100_V131K:
            return H100_V131K[name]
        # GPT-1.7B of the H100 table is not SC21's 1.7B: hidden 2048, 16 heads, vocab 131072, seq 4096.
        return {"architectures": ["GPT2LMHeadModel"], "n_layer": m["layers"], "n_embd": m["hidden"], "n_head": m["heads"],
                "n_inner": m["ffn_hidden"], "vocab_size": m["vocab"], "n_positions": m["seq_len"],
                "activation_function": "gelu", "tie_word_embeddings": True}
    if record["id"].startswith("llmfoundry_"):
        # MPT as llm-foundry benchmarked it: its printed NumParams (7b at 2048: 6,658,859,008) count biases on
        # every linear layer and LayerNorm (no_bias false) and a learned position table of max_seq_len x d_model
        # (it grows with the sequence); ALiBi as the record states; no dropout (MPTConfig's defaults, 0).
        return {"architectures": ["MPTForCausalLM"], "n_layers": m["layers"], "d_model": m["hidden"],
                "n_heads": m["heads"], "expansion_ratio": m["ffn_hidden"] // m["hidden"], "vocab_size": m["vocab"],
                "max_seq_len": m["seq_len"], "no_bias": False, "learned_pos_emb": True,
                "attn_config": {"alibi": True}}
    if record["id"].startswith("mbridge_"):
        return MBRIDGE_PRESETS.get(name.split(" ")[0])
    return PRESETS.get(name)


def mbridge_skip(record):
    """Why a Megatron-Bridge record cannot be a case, or None."""
    name = record["model"]["name"]
    task = record["source"]["title"].rsplit("(", 1)[-1].rstrip(")")
    if task != "pretrain":
        what = {"sft": "SFT on packed variable-length sequences", "lora": "LoRA adapters"}.get(task, task)
        return "fine-tuning (%s) is not modelled" % what
    if name.startswith("Nemotron"):
        return "hybrid Mamba-Transformer (Nemotron 3 Nano): Mamba layers are not modelled"
    if name.startswith("GPT OSS"):
        return "GPT-OSS attention (alternating 128-token sliding windows, attention sinks) is not modelled"
    return None


def case(record):
    rid, p, m, measured = record["id"], record["parallel"], record["model"], record["measured"]
    gpus = record["gpu_count"]
    gpu = record["hardware"]["gpu"]
    assumptions = []
    if rid.startswith("sc21_t1"):
        family, system, dtype = "sc21", "dgx-a100", "fp16"
    elif rid.startswith("korthikanti_") and record["category"] == "training" and p["tp"]:
        family, system, dtype = "korthikanti", "dgx-a100", "fp16"
    elif rid.startswith("megatron_readme_h100_") and "strong" not in rid:
        family, system, dtype = "megatron_h100", "dgx-h100", "bf16"
        assumptions.append("bf16 (precision not stated; MFU is quoted against the 989 TFLOP/s BF16 peak)")
    elif rid.startswith("nemo2407_"):
        family, system, dtype = "nemo", "dgx-h100", "fp8"
    elif rid.startswith("sc21_t2_zero3"):
        family, system, dtype = "sc21_zero3", "dgx-a100", "fp16"
    elif rid.startswith("llmfoundry_"):
        family, system = "llmfoundry", "dgx-a100"
        dtype = "bf16"
        assumptions.append("DGX A100 (80 GB) for MosaicML's A100-80GB nodes with 1600 Gb/s RoCE: the same 8 x 200 Gb/s")
    elif rid.startswith("mbridge_"):
        reason = mbridge_skip(record)
        if reason:
            return None, reason
        family, system = "mbridge", "dgx-h100"
        dtype = "bf16" if "BF16" in rid else "fp8"
    elif rid.startswith("megatron_readme_2020_dgx2"):
        return None, "V100: no V100 profile is shipped"
    elif rid.startswith("megatron_readme_2020_dgxa100"):
        # The README version of Sep 2020 predates the A100 80GB (announced Nov 2020): the 40 GB DGX A100.
        family, system, dtype = "megatron_2020", "dgx-a100-40gb", "fp16"
        assumptions.append("A100 40GB (the README of Sep 2020 predates the 80GB part, announced Nov 2020)")
    elif "strong" in rid:
        return None, "parallel configuration inferred by the transcriber (unverified); only MFU endpoints published"
    else:
        return None, "no parallel configuration published (abstract figure)"
    if gpus > 8 and gpus % 8:
        return None, "GPU count not a multiple of 8"
    model = model_of(record)
    if model is None:
        return None, "architecture not stated by the source (%s)" % m["name"]

    tp, pp, dp = p["tp"], p["pp"], p["dp"]
    strategy = {"name": rid, "tp": tp, "pp": pp, "dp": dp}
    ep = p.get("ep") or 1
    if ep > 1:
        strategy["ep"] = ep
        assumptions.append("experts balanced (the source forces a balanced token distribution), expert TP 1 "
                           "(Megatron-Bridge's MoE configurations set expert_tensor_parallel_size 1)")
    cp = p.get("cp") or 1
    if cp > 1:
        strategy["cp"] = cp
        assumptions.append("ring attention for context parallelism (Megatron-Core's default cp_comm_type p2p)")
    mb = p.get("microbatch")
    if mb is None and family == "megatron_2020":
        # Megatron-LM of 2020 had no micro-batches: --batch-size was the local batch of one forward and
        # backward ("Global batch size is local batch size times data parallel size", arguments.py).
        mb = p["global_batch"] // p["dp"]
        assumptions.append("micro-batch = global batch / dp (2020 Megatron-LM's --batch-size, one pass per step)")
    if mb is None and family == "sc21_zero3":
        mb = p["global_batch"] // p["dp"]
    if mb is None:
        mb = 1
        assumptions.append("micro-batch 1 (not stated; Megatron-LM has no default)")
    strategy["micro_batch"] = mb
    vpp = p.get("vpp") or 1
    if vpp > 1:
        strategy["vpp"] = vpp
        strategy["schedule"] = "interleaved"
    elif pp > 1 and p.get("vpp") is None:
        assumptions.append("no interleaving (virtual pipeline stages not stated; Megatron-LM's default)")
    rc = p.get("recompute")
    if rc is None and family == "megatron_2020":
        rc = "full"
        assumptions.append("full activation recompute (the published TFLOP/s count the recompute forward, SC21's 96 B s l h^2 "
                           "formula; Megatron-LM's 2020 example scripts pass --checkpoint-activations)")
    if rc is None:
        strategy["recompute"] = "none"
        assumptions.append("no activation recompute (not stated; the framework's default)")
    elif rc == "none":
        strategy["recompute"] = "none"
    else:
        strategy["recompute"] = "full" if rc.startswith("full") else "selective"
    sp = p.get("sequence_parallel")
    if sp is None:
        sp = tp > 1 and family in ("megatron_h100", "nemo", "mbridge")
        if family in ("megatron_h100", "nemo", "mbridge") and tp > 1:
            assumptions.append("sequence parallelism with TP (Megatron-Core/NeMo performance configurations; TP overlap needs it)")
    strategy["sequence_parallel"] = bool(sp)
    # dp_overlap only means something when gradients are reduced (Strata refuses it otherwise).
    if family == "megatron_2020" and dp > 1:
        strategy["dp_overlap"] = False
        assumptions.append("gradient all-reduce after the backward (2020 Megatron-LM's default --DDP-impl local)")
    if family == "sc21" and dp > 1:
        strategy["dp_overlap"] = False
        assumptions.append("gradient all-reduce after the backward (Megatron-LM 2021's default local DDP does not overlap it)")
    if family in ("megatron_h100", "nemo", "mbridge") and tp > 1:
        strategy["tp_overlap"] = True
        if family in ("nemo", "mbridge"):
            assumptions.append("TP communication overlap (NeMo/Megatron-Bridge performance configurations)")
    if family in ("megatron_h100", "nemo") or (family == "mbridge" and not p.get("fsdp")):
        strategy["zero"] = 1
        assumptions.append("distributed optimizer = ZeRO-1 (--overlap-param-gather implies it; NeMo's default)")
    if family == "mbridge" and p.get("fsdp"):
        strategy["zero"] = 3
        assumptions.append("Megatron FSDP over the data-parallel ranks as ZeRO-3 (the table's FSDP column)")
    if family == "sc21_zero3":
        strategy["zero"] = 3
        strategy["framework"] = "deepspeed-0.3"
        assumptions.append("DeepSpeed ZeRO-3 over all ranks (no model parallelism, as the source states), as "
                           "DeepSpeed 0.3 of April 2021 ran it (framework deepspeed-0.3)")
    if family == "llmfoundry":
        strategy["framework"] = "pytorch-fsdp"
        strategy["zero"] = 3  # FULL_SHARD, as every row states
        # Composer's FSDP mixed precision: DEFAULT reduces gradients in fp32, PURE in the training dtype
        # (composer/distributed/mosaic_parallelism.py, get_mixed_precision).
        strategy["gradient_dtype"] = "fp32" if p.get("mixed_precision_mode") == "DEFAULT" else "bf16"
        assumptions.append("attention by the Triton FlashAttention kernel (llm-foundry's attn_impl triton: "
                           "scripts/train/benchmarking/submit_benchmarks.py defaults --attn_impl to triton, "
                           "and MPT's ALiBi bias needs it)")

    expected = {}
    b = p["global_batch"]
    if family in ("sc21", "sc21_zero3"):
        flops = megatron_flops(m, b, 96, 16)  # SC21 eq. 3, counts the recompute forward
        expected["step_time_s"] = round(flops / (gpus * measured["tflops_per_gpu"] * 1e12), 4)
        formula = "step = 96 B s l h^2 (1 + s/6h + V/16lh) / (GPUs x %g TFLOP/s) (SC21 eq. 3)" % measured["tflops_per_gpu"]
    elif family in ("korthikanti", "megatron_2020"):
        expected["step_time_s"] = measured["step_time_s"]
        formula = "iteration time as published"
    elif family == "megatron_h100":
        flops = megatron_flops(m, b, 72, 12)  # Megatron-LM num_floating_point_operations, no recompute
        expected["step_time_s"] = round(flops / (gpus * measured["tflops_per_gpu"] * 1e12), 4)
        formula = "step = 72 B s l h^2 (1 + s/6h + V/12lh) / (GPUs x %g TFLOP/s) (Megatron-LM model FLOPs)" % measured["tflops_per_gpu"]
    else:
        expected["tokens_per_s_per_gpu"] = measured["tokens_per_sec_per_gpu"]
        formula = "tokens/s/GPU as published (compared as step time = global batch x sequence / (tokens/s/GPU x GPUs))"
    expected["group"] = GROUPS[family]
    strategy["expected"] = expected
    strategy["source"] = source_of(record) + "; " + formula

    scenario = {
        "name": rid,
        "description": "Validation case. Assumptions: " + ("; ".join(assumptions) if assumptions else "none, the source states the configuration") + ".",
        # Runs on part of one DGX (1, 2 or 4 GPUs) use that many of its GPUs (cluster.gpus_per_node).
        "cluster": {"system": system, "nodes": gpus // 8} if gpus >= 8 else {"system": system, "nodes": 1, "gpus_per_node": gpus},
        "model": model,
        "training": {"seq_len": m["seq_len"], "global_batch": b, "dtype": dtype,
                     # 2020-22 Megatron-LM had no fused attention (Korthikanti et al. count the s x s tensors);
                     # Megatron-Core and NeMo run Transformer Engine's fused attention; llm-foundry's
                     # benchmarks the Triton FlashAttention kernel.
                     "attention": ("unfused" if family in ("sc21", "sc21_zero3", "korthikanti", "megatron_2020")
                                   else "triton" if family == "llmfoundry" else "fused")},
        "strategies": [strategy],
        "fidelity": "analytic",
    }
    return scenario, None


def main():
    records = json.loads(REFERENCE.read_text())["records"]
    OUT.mkdir(parents=True, exist_ok=True)
    made, skipped = 0, []
    for record in records:
        if record["category"] != "training":
            continue
        scenario, reason = case(record)
        if scenario is None:
            skipped.append((record["id"], reason))
            continue
        (OUT / (record["id"] + ".json")).write_text(json.dumps(scenario, indent=1) + "\n")
        made += 1
    print(f"wrote {made} cases to {OUT}")
    for rid, reason in skipped:
        print(f"skipped {rid}: {reason}")


if __name__ == "__main__":
    main()
