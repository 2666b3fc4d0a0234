// Runs the jobs of a jobs file (jobs_file.hpp) at flow fidelity, each alone on the cluster and then all of
// them together, and reports what the others cost each one.
//
// Definitions: a job's step time is when its last rank finishes its step (the jobs start together at t = 0);
// alone: the job on its nodes with the rest of the cluster idle; shared: with every job running its step at
// once, their transfers sharing links by max-min fairness (DP traffic of one job contends with another's
// where both cross the same leaf uplinks, spine or NICs). slowdown = shared / alone - 1. One shared step is
// simulated: a job that finishes first leaves the network to the others for the rest of theirs.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "scenarios/jobs/jobs_file.hpp"

namespace strata::scenarios {

struct JobResult {
  std::string name;
  std::string strategy;
  std::vector<int> nodes;
  int gpus = 0;
  double tokens_per_step = 0;
  double alone_step_s = 0;
  double shared_step_s = 0;
  double slowdown() const { return shared_step_s / alone_step_s - 1.0; }
};

// Every job, in file order. A job too large to simulate with every rank (models::kMaxLoweredTasks) is an
// InputError naming it.
std::vector<JobResult> run_jobs(const JobsFile& jobs);

// {"strata_jobs_report": 1, "name", "cluster": {...}, "jobs": [...]}: per job its strategy, nodes, GPUs,
// alone and shared step time and tokens/s/GPU, and the slowdown in percent.
nlohmann::json jobs_report_json(const JobsFile& jobs, const std::vector<JobResult>& results);
// The table `strata jobs` prints.
std::string jobs_table(const JobsFile& jobs, const std::vector<JobResult>& results);

}  // namespace strata::scenarios
