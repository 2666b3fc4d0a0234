#include "scenarios/inference_fields.hpp"

#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <string>

#include "scenarios/request_file.hpp"
#include "scenarios/scenario_file.hpp"
#include "sim/error.hpp"

namespace strata::scenarios {
namespace {

using sim::JsonLocation;
using sim::JsonObjectReader;

constexpr std::int64_t kMaxRequests = 1'000'000;  // 48 bytes of state each
constexpr std::int64_t kMaxLength = 10'000'000;   // tokens of one prompt or output

// "8/s" or "0.5/s": requests per second, above zero.
double read_rate(const nlohmann::json& value, const JsonLocation& where) {
  const std::string text = sim::json_string(value, where);
  const std::string number = text.size() > 2 && text.ends_with("/s") ? text.substr(0, text.size() - 2) : "";
  bool plain = !number.empty();
  for (const char c : number) plain = plain && ((c >= '0' && c <= '9') || c == '.' || c == 'e' || c == 'E');
  char* end = nullptr;
  errno = 0;
  const double rate = plain ? std::strtod(number.c_str(), &end) : 0.0;
  if (!plain || end != number.c_str() + number.size() || errno != 0 || !std::isfinite(rate) || !(rate > 0) ||
      rate > 1e9) {
    where.fail("expected a request rate such as \"8/s\" (above zero, at most 1e9/s), found \"" + text + "\"");
  }
  return rate;
}

// A count, or {"uniform": [low, high], "seed": N}.
models::LengthDistribution read_length(const nlohmann::json& value, const JsonLocation& where) {
  if (!value.is_object()) return {sim::json_integer(value, where, 1, kMaxLength)};
  JsonObjectReader r(value, where);
  const auto& bounds = sim::json_array(r.required("uniform"), r.location_of("uniform"));
  if (bounds.size() != 2) r.location_of("uniform").fail("expected [low, high]");
  models::LengthDistribution length;
  length.low = sim::json_integer(bounds[0], r.location_of("uniform").child(std::size_t{0}), 1, kMaxLength);
  length.high = sim::json_integer(bounds[1], r.location_of("uniform").child(std::size_t{1}), 1, kMaxLength);
  if (length.high < length.low) r.location_of("uniform").fail("high is below low");
  if (const nlohmann::json* seed = r.optional("seed"))
    length.seed = static_cast<std::uint64_t>(sim::json_integer(*seed, r.location_of("seed"), 0, INT64_MAX));
  r.finish();
  return length;
}

void read_arrival(const nlohmann::json& value, const JsonLocation& where, const std::filesystem::path& file,
                  models::ServingWorkload& workload) {
  if (value.is_string()) {
    const std::string kind = value.get<std::string>();
    if (kind != "offline")
      where.fail("expected \"offline\" or {\"poisson\": \"<rate>/s\", \"seed\": N}, found \"" + kind + "\"");
    workload.arrival = models::ArrivalKind::kOffline;
    return;
  }
  JsonObjectReader r(value, where);
  if (r.has("trace")) {
    const std::string name = sim::json_string(r.required("trace"), r.location_of("trace"));
    r.finish();
    workload.arrival = models::ArrivalKind::kTrace;
    workload.trace_file = (file.parent_path() / name).string();
    workload.trace = read_request_file(workload.trace_file);
    return;
  }
  workload.arrival = models::ArrivalKind::kPoisson;
  workload.rate_per_s = read_rate(r.required("poisson"), r.location_of("poisson"));
  if (const nlohmann::json* seed = r.optional("seed"))
    workload.seed = static_cast<std::uint64_t>(sim::json_integer(*seed, r.location_of("seed"), 0, INT64_MAX));
  r.finish();
}

void read_slo(JsonObjectReader r, models::ServingWorkload& workload) {
  models::ServiceLevel slo;
  slo.ttft = sim::json_duration(r.required("ttft"), r.location_of("ttft"));
  slo.tpot = sim::json_duration(r.required("tpot"), r.location_of("tpot"));
  for (const char* key : {"ttft", "tpot"}) {
    const sim::SimTime value = std::string(key) == "ttft" ? slo.ttft : slo.tpot;
    if (!(value > sim::SimTime::zero())) r.location_of(key).fail("must be above zero");
  }
  r.finish();
  workload.slo = slo;
}

models::Dtype read_dtype(JsonObjectReader& r, const char* key, models::Dtype fallback) {
  const nlohmann::json* value = r.optional(key);
  if (value == nullptr) return fallback;
  const std::string word = sim::json_string(*value, r.location_of(key));
  if (word != "bf16" && word != "fp16" && word != "fp8" && word != "fp4")
    r.location_of(key).fail("expected bf16, fp16, fp8 or fp4, found \"" + word + "\"");
  return *models::dtype_from_name(word);
}

int read_count(JsonObjectReader& r, const char* key, int fallback, int max) {
  const nlohmann::json* value = r.optional(key);
  return value == nullptr ? fallback
                          : static_cast<int>(sim::json_integer(*value, r.location_of(key), 1, max));
}

}  // namespace

namespace {

// {"length": 512, "prefixes": 4}: request i starts with prefix i mod prefixes, of `length` tokens.
void read_shared_prefix(JsonObjectReader r, models::ServingWorkload& workload) {
  const JsonLocation at = r.location();
  if (workload.arrival == models::ArrivalKind::kTrace)
    at.fail("the request file gives each request's prefix (prefix_id, prefix_len)");
  workload.shared_prefix_len = r.required_integer("length", 1, kMaxLength);
  workload.shared_prefixes = r.required_integer("prefixes", 1, kMaxRequests);
  if (workload.shared_prefix_len > workload.input_len.low) {
    r.location_of("length").fail("a prefix of " + std::to_string(workload.shared_prefix_len) +
                                 " tokens is longer than the shortest prompt (" +
                                 std::to_string(workload.input_len.low) + ")");
  }
  if (r.has("attention"))
    r.location_of("attention")
        .fail("how attention reads a shared prefix is the deployment's \"prefix_attention\"");
  r.finish();
}

}  // namespace

DeploymentSearchSpace read_deployment_search(JsonObjectReader r, const models::TransformerConfig& model) {
  DeploymentSearchSpace space;
  // Each key's list, each value read as the deployment key of the same name reads it.
  const auto each = [&r](const char* key, const auto& read_one) {
    const nlohmann::json* value = r.optional(key);
    if (value == nullptr) return;
    const JsonLocation at = r.location_of(key);
    const auto& list = sim::json_array(*value, at);
    if (list.empty()) at.fail("an empty list leaves nothing to search; omit the key to search every value");
    for (std::size_t i = 0; i < list.size(); ++i) {
      for (std::size_t j = 0; j < i; ++j)
        if (list[j] == list[i]) at.child(i).fail("repeats " + list[i].dump());
      read_one(list[i], at.child(i));
    }
  };
  each("tp", [&](const auto& v, const auto& at) {
    space.tp.push_back(static_cast<int>(sim::json_integer(v, at, 1, 1'000'000)));
  });
  each("max_batch_size", [&](const auto& v, const auto& at) {
    space.max_batch_size.push_back(static_cast<int>(sim::json_integer(v, at, 1, 1'000'000)));
  });
  for (const char* key : {"weights_dtype", "kv_dtype"}) {
    auto& list = std::string(key) == "weights_dtype" ? space.weights_dtype : space.kv_dtype;
    each(key, [&](const auto& v, const auto& at) {
      const auto dtype = models::dtype_from_name(sim::json_string(v, at));
      if (!dtype || *dtype == models::Dtype::kFp32 || *dtype == models::Dtype::kTf32)
        at.fail("expected bf16, fp16, fp8 or fp4");
      list.push_back(*dtype);
    });
  }
  each("chunked_prefill",
       [&](const auto& v, const auto& at) { space.chunked_prefill.push_back(sim::json_bool(v, at)); });
  for (const char* key : {"ep", "attention_dp"}) {
    if (r.has(key) && model.moe.experts == 0)
      r.location_of(key).fail(model.name + " has no experts; searching " + key + " would change nothing");
  }
  each("ep", [&](const auto& v, const auto& at) {
    space.ep.push_back(static_cast<int>(sim::json_integer(v, at, 1, 1'000'000)));
  });
  each("attention_dp",
       [&](const auto& v, const auto& at) { space.attention_dp.push_back(sim::json_bool(v, at)); });
  each("disaggregated",
       [&](const auto& v, const auto& at) { space.disaggregated.push_back(sim::json_bool(v, at)); });
  r.finish();
  return space;
}

models::ServingWorkload read_inference(JsonObjectReader r, const std::filesystem::path& scenario_file) {
  models::ServingWorkload workload;
  if (const nlohmann::json* arrival = r.optional("arrival"))
    read_arrival(*arrival, r.location_of("arrival"), scenario_file, workload);
  if (workload.arrival == models::ArrivalKind::kTrace) {
    for (const char* key : {"requests", "input_len", "output_len"}) {
      if (r.has(key)) r.location_of(key).fail("given by the request file (" + workload.trace_file + ")");
    }
    workload.requests = static_cast<std::int64_t>(workload.trace.size());
  } else {
    workload.requests = r.required_integer("requests", 1, kMaxRequests);
    workload.input_len = read_length(r.required("input_len"), r.location_of("input_len"));
    workload.output_len = read_length(r.required("output_len"), r.location_of("output_len"));
  }
  if (r.has("slo")) read_slo(r.required_object("slo"), workload);
  if (r.has("shared_prefix")) read_shared_prefix(r.required_object("shared_prefix"), workload);
  r.finish();
  return workload;
}

namespace {

// ep and attention_dp: refused where they would change nothing (a dense model) or cannot be laid out.
void read_expert_fields(JsonObjectReader& r, const models::TransformerConfig& model, models::Deployment& d) {
  const bool moe = model.moe.experts > 0;
  if (r.has("ep")) {
    if (!moe) r.location_of("ep").fail(model.name + " has no experts; ep would change nothing");
    d.ep = read_count(r, "ep", 1, 1'000'000);
    if (d.tp % d.ep != 0) {
      r.location_of("ep").fail("ep " + std::to_string(d.ep) + " does not divide tp " + std::to_string(d.tp) +
                               " (expert parallelism splits a replica's tp GPUs)");
    }
    if (model.moe.experts % d.ep != 0) {
      r.location_of("ep").fail("ep " + std::to_string(d.ep) + " does not divide the model's " +
                               std::to_string(model.moe.experts) + " experts");
    }
  }
  if (const nlohmann::json* value = r.optional("attention_dp")) {
    d.attention_dp = sim::json_bool(*value, r.location_of("attention_dp"));
    if (d.attention_dp && !moe) {
      r.location_of("attention_dp")
          .fail(model.name +
                " has no experts: attention dp would leave nothing to share across the tp GPUs; "
                "use replicas of tp 1 instead");
    }
    if (d.attention_dp && d.tp == 1) {
      r.location_of("attention_dp")
          .fail("a replica of tp 1 has one attention rank already; attention dp would change nothing");
    }
  }
}

// A disaggregated pool: {"tp": 2, "replicas": 3, "max_batch_size": 64, "max_num_tokens": 8192}.
models::ServingPool read_pool(JsonObjectReader r, const models::TransformerConfig& model) {
  models::ServingPool pool;
  pool.tp = read_count(r, "tp", 1, 1'000'000);
  pool.replicas = read_count(r, "replicas", 1, 65'536);
  if (model.heads % pool.tp != 0) {
    r.location_of("tp").fail("tp " + std::to_string(pool.tp) + " does not divide the model's " +
                             std::to_string(model.heads) + " attention heads");
  }
  models::Deployment layout;  // the expert keys read and checked as a deployment's, with the pool's tp
  layout.tp = pool.tp;
  read_expert_fields(r, model, layout);
  pool.ep = layout.ep;
  pool.attention_dp = layout.attention_dp;
  if (r.has("max_batch_size")) pool.max_batch_size = read_count(r, "max_batch_size", 1, 1'000'000);
  if (r.has("max_num_tokens")) pool.max_num_tokens = read_count(r, "max_num_tokens", 1, 100'000'000);
  r.finish();
  return pool;
}

// "prefill" and "decode" pools, both or neither; with them the keys each pool sets, and the layouts a pool
// does not model, are refused at the deployment's level.
void read_pools(JsonObjectReader& r, const models::TransformerConfig& model, models::Deployment& d) {
  if (!r.has("prefill") && !r.has("decode")) return;
  for (const char* key : {"prefill", "decode"}) {
    if (!r.has(key))
      r.location().fail(
          std::string("a disaggregated deployment needs both \"prefill\" and \"decode\" pools; \"") + key +
          "\" is missing");
  }
  for (const char* key : {"tp", "replicas", "ep", "attention_dp", "max_batch_size", "max_num_tokens"}) {
    if (r.has(key))
      r.location_of(key).fail(std::string("with prefill and decode pools each pool sets its own \"") + key +
                              "\"");
  }
  if (r.has("pp")) r.location_of("pp").fail("pp with disaggregated pools is not modelled; use one of them");
  d.prefill_pool = read_pool(r.required_object("prefill"), model);
  d.decode_pool = read_pool(r.required_object("decode"), model);
}

}  // namespace

models::Deployment read_deployment_fields(JsonObjectReader& r, const models::TransformerConfig& model,
                                          const models::GpuProfile& gpu, int gpus) {
  models::Deployment d;
  read_pools(r, model, d);
  d.tp = read_count(r, "tp", 1, 1'000'000);
  // Each replica is a simulated rank with its own scheduler: bounded, so that a scenario cannot ask for
  // gigabytes of them.
  d.replicas = read_count(r, "replicas", 1, 65'536);
  d.pp = read_count(r, "pp", 1, 1'000'000);
  if (d.pp > model.layers) {
    r.location_of("pp").fail("pp " + std::to_string(d.pp) + " is more stages than the model's " +
                             std::to_string(model.layers) + " layers");
  }
  read_expert_fields(r, model, d);
  if (model.heads % d.tp != 0) {
    r.location_of("tp").fail("tp " + std::to_string(d.tp) + " does not divide the model's " +
                             std::to_string(model.heads) + " attention heads");
  }
  const std::int64_t used = d.disaggregated()
                                ? static_cast<std::int64_t>(d.prefill_pool->tp) * d.prefill_pool->replicas +
                                      static_cast<std::int64_t>(d.decode_pool->tp) * d.decode_pool->replicas
                                : static_cast<std::int64_t>(d.tp) * d.pp * d.replicas;
  if (used != gpus) {
    const std::string formula = d.disaggregated() ? "prefill tp x replicas + decode tp x replicas = "
                                : d.pp > 1        ? "tp x pp x replicas = "
                                                  : "tp x replicas = ";
    r.location().fail(formula + std::to_string(used) + " GPUs, but the cluster has " + std::to_string(gpus));
  }
  if (d.attention_dp && d.pp > 1)
    r.location_of("pp").fail("attention dp with pipeline stages is not modelled; use one of them");
  d.weights_dtype = read_dtype(r, "weights_dtype", models::Dtype::kBf16);
  if (!gpu.peak_flops.contains(d.weights_dtype) || !gpu.gemm_max_efficiency.contains(d.weights_dtype)) {
    r.location_of("weights_dtype")
        .fail(gpu.display_name + " has no " + std::string(models::dtype_name(d.weights_dtype)) +
              " GEMMs in its profile (" + gpu.name + ")");
  }
  d.kv_dtype = read_dtype(r, "kv_dtype", models::Dtype::kBf16);
  if (d.kv_dtype == models::Dtype::kFp4)
    r.location_of("kv_dtype").fail("an fp4 KV cache is not modelled; use bf16, fp16 or fp8");
  if (r.has("max_batch_size")) d.max_batch_size = read_count(r, "max_batch_size", 1, 1'000'000);
  if (r.has("max_num_tokens")) d.max_num_tokens = read_count(r, "max_num_tokens", 1, 100'000'000);
  if (const nlohmann::json* value = r.optional("chunked_prefill"))
    d.chunked_prefill = sim::json_bool(*value, r.location_of("chunked_prefill"));
  d.kv_block_tokens = read_count(r, "kv_block_tokens", d.kv_block_tokens, 1'000'000);
  if (const nlohmann::json* value = r.optional("kv_memory_fraction")) {
    d.kv_memory_fraction = sim::json_number(*value, r.location_of("kv_memory_fraction"));
    if (!(d.kv_memory_fraction > 0 && d.kv_memory_fraction <= 1))
      r.location_of("kv_memory_fraction").fail("expected a fraction in (0, 1]");
  }
  if (const nlohmann::json* value = r.optional("scheduler"))
    d.scheduler = sim::json_word(*value, r.location_of("scheduler"), models::kBatchSchedulerNames);
  if (const nlohmann::json* value = r.optional("prefix_caching"))
    d.prefix_caching = sim::json_bool(*value, r.location_of("prefix_caching"));
  if (const nlohmann::json* value = r.optional("prefix_attention")) {
    d.prefix_attention =
        sim::json_word(*value, r.location_of("prefix_attention"), models::kPrefixAttentionNames);
    if (d.prefix_attention == models::PrefixAttentionKind::kShared && d.disaggregated())
      r.location_of("prefix_attention")
          .fail("the decode pool receives each request's KV whole, with no cached prefix to read once");
    if (d.prefix_attention == models::PrefixAttentionKind::kShared && !d.prefix_caching)
      r.location_of("prefix_attention")
          .fail(
              "a shared prefix is read once only when it is cached: "
              "prefix_caching is off");
  }
  if (const nlohmann::json* value = r.optional("preemption"))
    d.preemption = sim::json_word(*value, r.location_of("preemption"), models::kPreemptionNames);
  if (const nlohmann::json* value = r.optional("swap_space")) {
    if (d.preemption != models::PreemptionKind::kSwap)
      r.location_of("swap_space").fail("only preemption \"swap\" uses host memory for KV blocks");
    d.swap_space_bytes = sim::json_bytes(*value, r.location_of("swap_space")).as_double();
  }
  return d;
}

}  // namespace strata::scenarios
