// Jobs sharing a cluster (scenarios/jobs): two DP-heavy jobs whose gradients cross the same oversubscribed
// leaf uplinks slow each other; on a non-blocking tree they do not; a job alone takes what its own scenario
// takes at flow fidelity; bad jobs files name the file and path.
#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>

#include "scenarios/jobs/jobs_file.hpp"
#include "scenarios/jobs/shared_cluster_run.hpp"
#include "scenarios/runner/strategy_run.hpp"
#include "sim/error.hpp"
#include "small_llama.hpp"

using namespace strata;
namespace fs = std::filesystem;

namespace {

// Llama-3-8B's layer shapes with 8 layers, on 2 DGX H100 nodes: pure data parallelism (every gradient
// crosses the network) or TP8 DP2.
nlohmann::json job_scenario(const std::string& system = "dgx-h100") {
  return {{"name", "job"},
          {"cluster", {{"system", system}, {"nodes", 2}}},
          {"model", small_llama()},
          {"training", {{"seq_len", 2048}, {"global_batch", 16}}},
          {"strategies",
           {{{"name", "dp16"}, {"dp", 16}, {"zero", 1}},
            {{"name", "tp8-dp2"}, {"tp", 8}, {"dp", 2}, {"sequence_parallel", true}, {"zero", 1}}}}};
}

// Four nodes, two per leaf: job a on nodes 0 and 2, job b on 1 and 3, so both jobs' rings cross both leaves'
// uplinks.
nlohmann::json jobs_document(double oversubscription, const std::string& strategy_b = "dp16") {
  return {
      {"name", "two jobs"},
      {"cluster",
       {{"system", "dgx-h100"}, {"nodes", 4}, {"oversubscription", oversubscription}, {"leaf_radix", 16}}},
      {"jobs",
       {{{"name", "a"}, {"scenario", "job.json"}, {"strategy", "dp16"}, {"nodes", {0, 2}}},
        {{"name", "b"}, {"scenario", "job.json"}, {"strategy", strategy_b}, {"nodes", {1, 3}}}}}};
}

struct Files {
  fs::path dir = fs::temp_directory_path() / ("strata-jobs-" + std::to_string(::getpid()));
  Files() {
    fs::create_directories(dir);
    std::ofstream(dir / "job.json") << job_scenario().dump();
  }
  ~Files() { fs::remove_all(dir); }
  scenarios::JobsFile read(const nlohmann::json& jobs) const {
    std::ofstream(dir / "jobs.json") << jobs.dump();
    return scenarios::read_jobs_file(dir / "jobs.json", models::ProfileCatalog(STRATA_SOURCE_PROFILE_DIR),
                                     models::ModelCatalog(STRATA_SOURCE_PRESET_DIR));
  }
  std::string error(const nlohmann::json& jobs) const {
    try {
      read(jobs);
    } catch (const sim::InputError& e) {
      return e.what();
    }
    return "no error";
  }
};

}  // namespace

TEST_CASE("two jobs sharing an oversubscribed spine slow each other, on a non-blocking one they do not",
          "[scenario][jobs]") {
  const Files files;
  const std::vector<scenarios::JobResult> spine = scenarios::run_jobs(files.read(jobs_document(4)));
  REQUIRE(spine.size() == 2);
  for (const scenarios::JobResult& job : spine) {
    INFO(job.name);
    // Alone a job's ring has each leaf's uplinks to itself; together the two rings split them.
    CHECK(job.slowdown() > 0.5);
    CHECK(job.shared_step_s > job.alone_step_s);
  }
  const std::vector<scenarios::JobResult> open = scenarios::run_jobs(files.read(jobs_document(1)));
  for (const scenarios::JobResult& job : open)
    CHECK(job.shared_step_s == Approx(job.alone_step_s).epsilon(1e-9));
  CHECK(open[0].alone_step_s < spine[0].alone_step_s);  // 4:1 slows even a job alone

  // A job alone on the non-blocking cluster takes what its own scenario takes at flow fidelity.
  scenarios::Scenario own =
      scenarios::read_scenario(files.dir / "job.json", models::ProfileCatalog(STRATA_SOURCE_PROFILE_DIR),
                               models::ModelCatalog(STRATA_SOURCE_PRESET_DIR));
  own.fidelity = "flow";
  CHECK(open[0].alone_step_s == Approx(scenarios::run_strategy(own, 0).step_time_s).epsilon(1e-9));

  // A TP-heavy neighbour sends less over the spine, and costs less than a DP one.
  const std::vector<scenarios::JobResult> mixed =
      scenarios::run_jobs(files.read(jobs_document(4, "tp8-dp2")));
  CHECK(mixed[0].slowdown() > 0.0);
  CHECK(mixed[0].slowdown() < spine[0].slowdown());

  const nlohmann::json report = scenarios::jobs_report_json(files.read(jobs_document(4)), spine);
  CHECK(report["jobs"][1]["slowdown_pct"].get<double>() == Approx(100 * spine[1].slowdown()));
  CHECK(scenarios::jobs_table(files.read(jobs_document(4)), spine).find("a    dp16      0,2") !=
        std::string::npos);
}

TEST_CASE("bad jobs files name the file and path", "[scenario][jobs]") {
  const Files files;
  using Catch::Matchers::Contains;
  nlohmann::json doc = jobs_document(2);
  doc["fidelity"] = "analytic";
  CHECK_THAT(files.error(doc), Contains("jobs.json: /fidelity: jobs share the cluster through its network"));
  doc = jobs_document(2);
  doc["jobs"].erase(1);
  CHECK_THAT(files.error(doc), Contains("/jobs: one job shares the cluster with nobody"));
  doc = jobs_document(2);
  doc["jobs"][1]["nodes"] = {2, 3};
  CHECK_THAT(files.error(doc), Contains("/jobs/1/nodes: node 2 already runs job \"a\""));
  doc["jobs"][1]["nodes"] = {{"first", 3}, {"count", 2}};
  CHECK_THAT(files.error(doc), Contains("/jobs/1/nodes: nodes 3 to 4 do not fit the cluster's 4 nodes"));
  doc["jobs"][1]["nodes"] = {1, 1};
  CHECK_THAT(files.error(doc), Contains("/jobs/1/nodes/1: node 1 is listed twice"));
  doc["jobs"][1]["nodes"] = {3};
  CHECK_THAT(files.error(doc), Contains("/jobs/1/nodes: gives 1 nodes, but job.json's strategies are for 2"));
  doc = jobs_document(2);
  doc["jobs"][1]["name"] = "a";
  CHECK_THAT(files.error(doc), Contains("/jobs/1/name: duplicate job name"));
  doc = jobs_document(2);
  doc["jobs"][0].erase("strategy");
  CHECK_THAT(files.error(doc), Contains("/jobs/0: \"strategy\" is required: job.json has 2 strategies"));
  doc["jobs"][0]["strategy"] = "dp8";
  CHECK_THAT(files.error(doc),
             Contains("/jobs/0/strategy: job.json has no strategy named \"dp8\" (have: dp16, tp8-dp2)"));

  nlohmann::json spine_job = job_scenario();
  spine_job["cluster"]["oversubscription"] = 2;
  spine_job["fidelity"] = "flow";
  std::ofstream(files.dir / "job.json") << spine_job.dump();
  CHECK_THAT(
      files.error(jobs_document(2)),
      Contains("/jobs/0/scenario: job.json sets /cluster/oversubscription (the network), which the jobs "
               "file's cluster decides"));
  std::ofstream(files.dir / "job.json") << job_scenario("dgx-a100").dump();
  CHECK_THAT(files.error(jobs_document(2)), Contains("job.json runs on dgx-a100, the cluster is dgx-h100"));
}
