// `strata model list` and `strata model show NAME|config.json [--seq-len N] [--json]`.
#include <CLI/CLI.hpp>
#include <algorithm>
#include <cstdio>
#include <memory>
#include <nlohmann/json.hpp>
#include <ostream>
#include <string>

#include "models/workload/model_catalog.hpp"
#include "sim/json_text.hpp"
#include "strata/commands.hpp"
#include "strata/profile_location.hpp"

namespace strata::tools {
namespace {

struct ModelOptions {
  std::string presets;
  std::string model;
  std::int64_t seq_len = 0;  // 0: 4096, or the model's maximum if smaller
  bool json = false;
};

std::string billions(double value) {
  char text[32];
  std::snprintf(text, sizeof text, "%.3fB", value / 1e9);
  return text;
}

void show(const ModelOptions& options, std::ostream& out) {
  const models::ModelCatalog catalog(resolve_preset_dir(options.presets));
  const models::ModelPreset preset = models::resolve_model(catalog, options.model);
  const models::TransformerConfig& c = preset.config;
  std::int64_t seq = options.seq_len;
  if (seq == 0) seq = c.max_positions > 0 ? std::min<std::int64_t>(4096, c.max_positions) : 4096;
  const models::ParameterCounts counts = models::count_parameters(c);
  const double forward_per_token = models::forward_flops(c, seq) / static_cast<double>(seq);
  std::vector<int> representative{0};
  for (int layer = 1; layer < c.layers; ++layer) {
    if (c.is_moe_layer(layer) != c.is_moe_layer(0)) {
      representative.push_back(layer);
      break;
    }
  }
  if (options.json) {
    nlohmann::json layers = nlohmann::json::array();
    for (int layer : representative) {
      nlohmann::json ops = nlohmann::json::array();
      for (const auto& op : models::layer_operators(c, layer, seq)) {
        ops.push_back({{"name", op.name},
                       {"parameters", op.parameters},
                       {"forward_flops_per_token", op.forward_flops_per_token}});
      }
      layers.push_back(
          {{"layer", layer}, {"kind", c.is_moe_layer(layer) ? "moe" : "dense"}, {"operators", ops}});
    }
    out << sim::json_text(nlohmann::json{{"name", c.name},
                                         {"architecture", c.architecture},
                                         {"source", preset.source},
                                         {"layers", c.layers},
                                         {"hidden_size", c.hidden},
                                         {"num_attention_heads", c.heads},
                                         {"num_key_value_heads", c.kv_heads},
                                         {"intermediate_size", c.ffn_hidden},
                                         {"vocab_size", c.vocab},
                                         {"params_total", counts.total},
                                         {"params_active", counts.active},
                                         {"params_embedding", counts.embedding},
                                         {"params_lm_head", counts.lm_head},
                                         {"seq_len", seq},
                                         {"forward_flops_per_token", forward_per_token},
                                         {"training_flops_per_token", 3.0 * forward_per_token},
                                         {"layer_operators", layers}},
                          2)
        << '\n';
    return;
  }
  out << c.name << " (" << c.architecture << ")\n  source: " << preset.source << "\n"
      << "  layers " << c.layers << ", hidden " << c.hidden << ", heads " << c.heads << " (kv " << c.kv_heads
      << "), ffn " << c.ffn_hidden << ", vocab " << c.vocab;
  if (c.moe.experts > 0) out << ", experts " << c.moe.experts << " (top " << c.moe.experts_per_token << ")";
  out << "\n  params_total " << billions(counts.total) << ", params_active " << billions(counts.active)
      << " (embedding " << billions(counts.embedding) << ", lm head " << billions(counts.lm_head) << ")\n";
  char line[200];
  std::snprintf(line, sizeof line, "  FLOPs per token at seq %lld: forward %.4g, training (3x) %.4g\n",
                static_cast<long long>(seq), forward_per_token, 3.0 * forward_per_token);
  out << line;
  for (int layer : representative) {
    out << "  layer " << layer << " (" << (c.is_moe_layer(layer) ? "moe" : "dense") << "):\n";
    for (const auto& op : models::layer_operators(c, layer, seq)) {
      std::snprintf(line, sizeof line, "    %-52s params %12.4g  forward FLOPs/token %12.4g\n",
                    op.name.c_str(), op.parameters, op.forward_flops_per_token);
      out << line;
    }
  }
}

}  // namespace

void add_model_command(CLI::App& app, std::ostream& out) {
  auto options = std::make_shared<ModelOptions>();
  CLI::App* model =
      app.add_subcommand("model", "Model presets and HuggingFace configs: parameters, FLOPs, operators");
  model->require_subcommand(1);
  model->add_option("--presets", options->presets, kPresetDirHelp);
  CLI::App* list = model->add_subcommand("list", "List model presets");
  list->callback([&out, options] {
    const models::ModelCatalog catalog(resolve_preset_dir(options->presets));
    for (const std::string& name : catalog.names()) out << name << '\n';
  });
  CLI::App* show_command =
      model->add_subcommand("show", "Parameters, FLOPs per token and per-layer operators");
  show_command->add_option("model", options->model, "Preset name or path to a config.json")->required();
  show_command->add_option("--seq-len", options->seq_len, "Sequence length for attention FLOPs")
      ->check(CLI::Range(1, 10'000'000));
  show_command->add_flag("--json", options->json, "Print JSON");
  show_command->callback([&out, options] { show(*options, out); });
}

}  // namespace strata::tools
