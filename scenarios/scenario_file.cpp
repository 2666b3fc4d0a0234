#include "scenarios/scenario_file.hpp"

#include <algorithm>
#include <initializer_list>
#include <limits>
#include <set>
#include <string>

#include "models/network/network_backend.hpp"
#include "models/workload/hf_config.hpp"
#include "scenarios/inference_fields.hpp"
#include "scenarios/strategy_fields.hpp"
#include "sim/error.hpp"
#include "sim/json_input.hpp"

namespace strata::scenarios {
namespace {

using sim::JsonLocation;
using sim::JsonObjectReader;

models::ModelPreset read_model(const nlohmann::json& value, const JsonLocation& where,
                               const std::filesystem::path& file, const models::ModelCatalog& models) {
  if (value.is_string()) {
    std::string name = value.get<std::string>();
    if (models::names_a_file(name)) {
      // A config file, relative to the scenario file like {"hf_config": ...}.
      const std::filesystem::path config = file.parent_path() / name;
      std::error_code error;
      if (!std::filesystem::is_regular_file(config, error))
        where.fail("no model preset or file \"" + name + "\" (looked for " + config.string() +
                   ", relative to the scenario file)");
      name = config.string();
    }
    try {
      return models::resolve_model(models, name);
    } catch (const sim::InputError& error) {
      if (error.source().empty()) where.fail(error.detail());
      throw;
    }
  }
  if (value.is_object() && value.contains("hf_config")) {
    JsonObjectReader r(value, where);
    const std::filesystem::path config = file.parent_path() / r.required_string("hf_config");
    r.finish();
    models::ModelPreset preset;
    preset.config = models::read_hf_config_file(config);
    preset.source = "HuggingFace config " + config.string();
    return preset;
  }
  if (value.is_object()) {
    models::ModelPreset preset;
    preset.config = models::read_hf_config(value, where, "inline");
    preset.source = "inline model in " + file.string();
    return preset;
  }
  where.fail("expected a preset name, {\"hf_config\": \"path\"} or an inline HuggingFace-style object");
}

models::TrainingSpec read_training(JsonObjectReader r) {
  models::TrainingSpec training;
  training.seq_len = r.required_integer("seq_len", 1, 100'000'000);
  training.global_batch = r.required_integer("global_batch", 1, 1'000'000'000);
  const std::string dtype = r.optional_string("dtype").value_or("bf16");
  if (dtype != "bf16" && dtype != "fp16" && dtype != "fp8")
    r.location_of("dtype").fail("expected bf16, fp16 or fp8");
  training.dtype = *models::dtype_from_name(dtype);
  if (const nlohmann::json* attention = r.optional("attention")) {
    training.attention =
        sim::json_word(*attention, r.location_of("attention"), models::kAttentionKernelNames);
  }
  if (const auto optimizer = r.optional_string("optimizer"); optimizer && *optimizer != "adam") {
    r.location_of("optimizer").fail("only \"adam\" is modelled");
  }
  r.finish();
  return training;
}

// A strategy's published result: "expected" with its metrics (`metrics`: the keys this kind of scenario
// accepts), and the "source" it needs. Nothing when the strategy has neither.
std::optional<Expectation> read_expected(JsonObjectReader& r, std::initializer_list<const char*> metrics) {
  const nlohmann::json* expected = r.optional("expected");
  const auto source = r.optional_string("source");
  if (expected == nullptr) {
    if (source) r.location_of("source").fail("\"source\" belongs to an \"expected\" result");
    return std::nullopt;
  }
  JsonObjectReader e(*expected, r.location_of("expected"));
  Expectation expectation;
  std::string names;
  bool any = false;
  for (const char* metric : metrics) {
    names += std::string(names.empty() ? "" : " or ") + metric;
    const nlohmann::json* v = e.optional(metric);
    if (v == nullptr) continue;
    const double value = sim::json_number(*v, e.location_of(metric));
    if (!(value > 0)) e.location_of(metric).fail("must be above zero");
    const std::string key = metric;
    (key == "step_time_s"            ? expectation.step_time_s
     : key == "tokens_per_s_per_gpu" ? expectation.tokens_per_s_per_gpu
                                     : expectation.output_tokens_per_s) = value;
    any = true;
  }
  if (const nlohmann::json* v = e.optional("tolerance_pct")) {
    expectation.tolerance_pct = sim::json_number(*v, e.location_of("tolerance_pct"));
    if (!(expectation.tolerance_pct > 0 && expectation.tolerance_pct <= 100))
      e.location_of("tolerance_pct").fail("expected a percentage in (0, 100]");
  }
  if (const auto group = e.optional_string("group")) {
    if (group->empty() || group->size() > 200)
      e.location_of("group").fail("expected a name of 1 to 200 characters");
    expectation.group = *group;
  }
  e.finish();
  if (!any) e.location().fail("needs " + names);
  if (!source) r.location().fail("a strategy with \"expected\" needs a \"source\" (publication and table)");
  expectation.source = *source;
  return expectation;
}

StrategySpec read_strategy(JsonObjectReader r, const models::TrainingSpec& training) {
  StrategySpec spec;
  models::ParallelStrategy& s = spec.strategy;
  s.name = r.required_string("name");
  read_strategy_fields(r, s, training);
  spec.expected = read_expected(r, {"step_time_s", "tokens_per_s_per_gpu"});
  r.finish();
  return spec;
}

DeploymentSpec read_deployment(JsonObjectReader r, const Scenario& scenario) {
  DeploymentSpec spec;
  const std::string name = r.required_string("name");
  spec.deployment =
      read_deployment_fields(r, scenario.model.config, scenario.cluster.gpu, scenario.cluster.gpus());
  spec.deployment.name = name;
  spec.expected = read_expected(r, {"output_tokens_per_s"});
  r.finish();
  return spec;
}

// A serving scenario's deployments (its "strategies"), with unique names.
void read_deployments(JsonObjectReader& root, Scenario& scenario) {
  const auto& listed = sim::json_array(root.required("strategies"), root.location_of("strategies"));
  if (listed.empty()) root.location_of("strategies").fail("at least one deployment is required");
  for (std::size_t i = 0; i < listed.size(); ++i) {
    const JsonLocation at = root.location_of("strategies").child(i);
    DeploymentSpec spec = read_deployment(JsonObjectReader(listed[i], at), scenario);
    for (const DeploymentSpec& earlier : scenario.deployments) {
      if (earlier.deployment.name == spec.deployment.name)
        at.child("name").fail("duplicate strategy name \"" + spec.deployment.name + "\"");
    }
    scenario.deployments.push_back(std::move(spec));
  }
}

// Each search dimension is a strategy field (strategy_fields.hpp) whose list of values is read with the
// field's own reader.
SearchSpace read_search(JsonObjectReader r) {
  SearchSpace space;
  for (const StrategyField& field : strategy_fields()) {
    if (field.search == nullptr) continue;
    const nlohmann::json* value = r.optional(field.key);
    if (value == nullptr) continue;
    const sim::JsonLocation at = r.location_of(field.key);
    const auto& list = sim::json_array(*value, at);
    if (list.empty()) at.fail("an empty list leaves nothing to search; omit the key to search every value");
    std::set<std::string, std::less<>> seen;
    for (std::size_t i = 0; i < list.size(); ++i) {
      // A repeated value would enumerate (and simulate) its candidates twice.
      if (!seen.insert(list[i].dump()).second) at.child(i).fail("repeats " + list[i].dump());
      field.search(list[i], at.child(i), space);
    }
  }
  r.finish();
  return space;
}

}  // namespace

std::string checked_fidelity(const std::string& fidelity, const sim::JsonLocation& where) {
  if (models::network_fidelity_from_name(fidelity)) return fidelity;
  where.fail("expected analytic or flow, found \"" + fidelity + "\"");
}

void check_fidelity_fit(const Scenario& scenario, const sim::JsonLocation& fidelity_at) {
  if (scenario.inference && scenario.fidelity == "flow") {
    fidelity_at.fail(
        "flow fidelity runs training scenarios; serving deployments run at analytic fidelity for now (a "
        "replica simulates one GPU per tensor-parallel group, so there are no per-GPU flows to share links)");
  }
  if (scenario.inference && scenario.cluster.overrides_given) {
    scenario.cluster.overrides_given->fail(
        "acts on training scenarios only for now: a serving replica simulates one GPU per tensor-parallel "
        "group, so a per-GPU override would change some of its GPUs and not others");
  }
  if (scenario.inference && scenario.cluster.jitter_given) {
    scenario.cluster.jitter_given->fail(
        "acts on training scenarios only for now: a serving iteration is priced as one kernel per replica, "
        "so "
        "per-kernel noise would not be per kernel");
  }
  if (scenario.fidelity == "analytic" && scenario.cluster.topology_given) {
    scenario.cluster.topology_given->fail(
        "has no effect at analytic fidelity, where only the GPUs' ports are shared; the topology acts with "
        "\"fidelity\": \"flow\" (or strata run --fidelity flow)");
  }
}

void Scenario::require_training(const std::string& command) const {
  if (inference) {
    throw sim::InputError(file.string(), "/inference",
                          command +
                              " runs training scenarios; a serving scenario runs with strata run and "
                              "strata validate");
  }
}

std::optional<std::size_t> Scenario::strategy_index(const std::string& wanted) const {
  for (std::size_t i = 0; i < strategies.size(); ++i) {
    if (strategies[i].strategy.name == wanted) return i;
  }
  return std::nullopt;
}

std::string Scenario::strategy_names() const {
  std::string names;
  for (const StrategySpec& spec : strategies) names += (names.empty() ? "" : ", ") + spec.strategy.name;
  return names;
}

const StrategySpec& Scenario::strategy(const std::string& wanted) const {
  if (const std::optional<std::size_t> index = strategy_index(wanted)) return strategies[*index];
  throw sim::InputError(file.string(), "/strategies",
                        "no strategy named \"" + wanted + "\" (have: " + strategy_names() + ")");
}

Scenario read_scenario(const std::filesystem::path& path, const models::ProfileCatalog& profiles,
                       const models::ModelCatalog& models) {
  return read_scenario_document(sim::read_json_file(path), path, profiles, models);
}

Scenario read_scenario_document(const nlohmann::json& document, const std::filesystem::path& path,
                                const models::ProfileCatalog& profiles, const models::ModelCatalog& models) {
  JsonObjectReader root(document, JsonLocation{path.string(), ""});
  Scenario scenario;
  scenario.file = path;
  scenario.name = root.required_string("name");
  scenario.description = root.optional_string("description").value_or("");
  scenario.cluster = read_cluster(root.required_object("cluster"), profiles);
  scenario.model = read_model(root.required("model"), root.location_of("model"), path, models);
  scenario.fidelity =
      checked_fidelity(root.optional_string("fidelity").value_or("analytic"), root.location_of("fidelity"));
  const JsonLocation fidelity_at = root.location_of("fidelity");
  if (root.has("inference")) {
    if (root.has("training"))
      root.location_of("training").fail("a serving scenario (\"inference\") has no \"training\"");
    scenario.inference = read_inference(root.required_object("inference"), path);
    if (root.has("search"))
      scenario.deployment_search =
          read_deployment_search(root.required_object("search"), scenario.model.config);
    if (root.has("strategies") || !scenario.deployment_search) read_deployments(root, scenario);
    root.finish();
    check_fidelity_fit(scenario, fidelity_at);
    return scenario;
  }
  if (!root.has("training")) root.location().fail("missing required key \"training\" (or \"inference\")");
  scenario.training = read_training(root.required_object("training"));
  if (const nlohmann::json* search = root.optional("search"))
    scenario.search = read_search(JsonObjectReader(*search, root.location_of("search")));
  static const nlohmann::json kNone = nlohmann::json::array();
  const nlohmann::json* listed = root.optional("strategies");
  if (listed == nullptr && !scenario.search)
    root.location().fail("missing required key \"strategies\" (or \"search\" for strata search)");
  const auto& strategies =
      sim::json_array(listed != nullptr ? *listed : kNone, root.location_of("strategies"));
  if (strategies.empty() && !scenario.search)
    root.location_of("strategies").fail("at least one strategy is required");
  for (std::size_t i = 0; i < strategies.size(); ++i) {
    const JsonLocation at = root.location_of("strategies").child(i);
    StrategySpec spec = read_strategy(JsonObjectReader(strategies[i], at), scenario.training);
    try {
      spec.strategy.framework = profiles.framework(spec.strategy.framework.name);
    } catch (const sim::InputError& error) {
      // An unknown name is this file's error; a bad profile keeps its own file and path.
      throw error.located(path.string(), at.child("framework").path);
    }
    try {
      models::validate_strategy(scenario.model.config, scenario.training, spec.strategy,
                                scenario.cluster.gpus());
    } catch (const sim::InputError& error) {
      const std::string field = error.json_path() == "/seq_len" || error.json_path() == "/global_batch"
                                    ? "/training" + error.json_path()
                                    : at.path + error.json_path();
      throw sim::InputError(path.string(), field, error.detail());
    }
    for (const StrategySpec& earlier : scenario.strategies) {
      if (earlier.strategy.name == spec.strategy.name)
        at.child("name").fail("duplicate strategy name \"" + spec.strategy.name + "\"");
    }
    scenario.strategies.push_back(std::move(spec));
  }
  root.finish();
  check_fidelity_fit(scenario, fidelity_at);
  return scenario;
}

}  // namespace strata::scenarios
