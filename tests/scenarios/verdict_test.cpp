// The verdict that opens the reports: winner, margin and the categories that explain it.
#include "scenarios/report/verdict.hpp"

#include <catch2/catch.hpp>
#include <map>
#include <string>

#include "scenarios/report/report_table.hpp"

namespace scenarios = strata::scenarios;

namespace {

constexpr double kGiB = 1024.0 * 1024.0 * 1024.0;

scenarios::StrategyResult result(const std::string& name, double step,
                                 std::map<std::string, double> breakdown, double peak_gib = 40,
                                 bool oom = false) {
  scenarios::StrategyResult r;
  r.strategy.name = name;
  r.step_time_s = step;
  for (const std::string& key : scenarios::time_breakdown_keys()) r.time_breakdown_s[key] = 0.0;
  for (const auto& [key, seconds] : breakdown) r.time_breakdown_s[key] = seconds;
  r.memory.peak_bytes = peak_gib * kGiB;
  r.memory.capacity_bytes = 80 * kGiB;
  r.memory.oom = oom;
  return r;
}

}  // namespace

TEST_CASE("the verdict names the winner, its margin and the categories where the runner-up loses time",
          "[report][verdict]") {
  const std::string text = scenarios::verdict(
      {result("fsdp", 10.0, {{"compute", 9.5}, {"dp", 0.5}}),
       result("tp-pp", 11.0, {{"compute", 8.0}, {"tp", 2.0}, {"bubble", 0.99}, {"dp", 0.01}}),
       result("lean", 9.0, {{"compute", 9.0}}, 96.0, true)});
  CHECK(
      text ==
      "fsdp wins by 10.0% over tp-pp (10.000 s vs 11.000 s per step): tp-pp loses 2.000 s to exposed "
      "tensor-parallel communication and 0.990 s to the pipeline bubble; fsdp spends 1.500 s more in compute "
      "and 0.490 s more in exposed data-parallel communication. lean would be 10.0% faster but needs 96.0 "
      "GiB "
      "per GPU of 80.0 GiB.");
}

TEST_CASE("the verdict calls a margin under 1% a tie and says when nothing or one thing fits",
          "[report][verdict]") {
  const std::string tie = scenarios::verdict(
      {result("a", 10.0, {{"compute", 10.0}}), result("b", 10.05, {{"compute", 10.0}, {"pp", 0.05}})});
  CHECK(tie.rfind("a and b tie (0.5% apart, closer than the model resolves; 10.000 s vs 10.050 s per step)",
                  0) == 0);
  CHECK(scenarios::verdict({result("a", 10.0, {}), result("b", 9.0, {}, 90, true)})
            .rfind("a is the only strategy that fits in memory (10.000 s per step).", 0) == 0);
  CHECK(scenarios::verdict({result("a", 10.0, {}, 90, true), result("b", 9.0, {}, 85, true)}) ==
        "No strategy fits in memory: the leanest, b, needs 85.0 GiB per GPU of 80.0 GiB.");
  CHECK(scenarios::verdict({}).empty());
}

TEST_CASE("the table opens with the verdict wrapped at 110 columns, units on their numbers' lines",
          "[report][verdict]") {
  const std::string table = scenarios::ranking_table(
      {result("first-strategy-with-a-long-name", 10.0, {{"compute", 9.0}, {"bubble", 1.0}}),
       result("second-strategy-with-a-long-name", 12.3, {{"compute", 8.0}, {"tp", 3.0}, {"bubble", 1.3}})});
  const std::string head = table.substr(0, table.find("rank  strategy"));
  std::size_t start = 0;
  while (start < head.size()) {
    const std::size_t end = head.find('\n', start);
    CHECK(end - start <= 110);
    CHECK(head.compare(start, 2, "s ") != 0);  // no line starts with a unit
    start = end + 1;
  }
  INFO(head);
  CHECK(head.find("first-strategy-with-a-long-name wins by 23.0%") == 0);
}

TEST_CASE("the biggest time sink is named only when it is over 0.5% of the step", "[report][verdict]") {
  CHECK(scenarios::biggest_sink_label(result("a", 10.0, {{"compute", 9.0}, {"tp", 0.7}, {"bubble", 0.3}})) ==
        "tp 0.700 s (7%)");
  CHECK(scenarios::biggest_sink_label(result("b", 10.0, {{"compute", 9.96}, {"dp", 0.04}})) ==
        "none over 0.5%");
}
