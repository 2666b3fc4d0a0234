#include "models/executor/time_attribution.hpp"

#include <algorithm>

namespace strata::models {

namespace {

const std::string kOther = category_name(TimeCategory::kOther);
const std::string kWait = category_name(TimeCategory::kWait);
const std::string kBubble = category_name(TimeCategory::kBubble);
const std::string kPipeline = category_name(TimeCategory::kPipeline);

}  // namespace

TimeAttribution::TimeAttribution(int ranks, int streams_per_rank)
    : streams_per_rank_(streams_per_rank),
      streams_(static_cast<std::size_t>(ranks) * static_cast<std::size_t>(streams_per_rank)),
      seconds_(static_cast<std::size_t>(ranks)),
      last_category_(static_cast<std::size_t>(ranks)),
      last_finish_(static_cast<std::size_t>(ranks), sim::SimTime::zero()),
      in_pipeline_(static_cast<std::size_t>(ranks), 0),
      compute_seconds_(static_cast<std::size_t>(ranks), 0.0) {}

void TimeAttribution::add_rank() {
  streams_.resize(streams_.size() + static_cast<std::size_t>(streams_per_rank_));
  seconds_.emplace_back();
  last_category_.emplace_back();
  last_finish_.push_back(sim::SimTime::zero());
  in_pipeline_.push_back(0);
  compute_seconds_.push_back(0.0);
}

void TimeAttribution::ran(int rank, int stream, const std::string& category, sim::SimTime start,
                          sim::SimTime end, bool device_compute) {
  const double operation = (end - start).seconds();
  operation_seconds_[category.empty() ? kOther : category] += operation;
  if (device_compute) compute_seconds_[static_cast<std::size_t>(rank)] += operation;
  if (category == kPipeline) in_pipeline_[static_cast<std::size_t>(rank)] = 1;
  StreamState& s = state(rank, stream);
  const bool communication = is_communication_category(category);
  if (start != s.last_end) {
    s.run_start = start;
    // A communication run that began when another one of this rank ended continues it.
    for (int other = 0; communication && other < streams_per_rank_; ++other) {
      const StreamState& o = state(rank, other);
      if (other != stream && other != kComputeStream && o.communication && o.last_end == start)
        s.run_start = std::min(s.run_start, o.run_start);
    }
  }
  s.last_end = end;
  s.communication = communication;
  const auto r = static_cast<std::size_t>(rank);
  if (stream == kComputeStream && end > start)
    seconds_[r][category.empty() ? kOther : category] += (end - start).seconds();
  if (end >= last_finish_[r]) {
    last_finish_[r] = end;
    last_category_[r] = category;
  }
}

void TimeAttribution::compute_stream_resumed(int rank, sim::SimTime now, const std::string& blocker_category,
                                             int blocker_stream) {
  const StreamState& compute = state(rank, kComputeStream);
  if (now <= compute.last_end) return;
  const double gap = (now - compute.last_end).seconds();
  TimeBreakdown& seconds = seconds_[static_cast<std::size_t>(rank)];
  if (blocker_stream < 0 || !is_communication_category(blocker_category)) {
    seconds[kWait] += gap;
    return;
  }
  const StreamState& blocker = state(rank, blocker_stream);
  const double transfer = (now - std::max(blocker.run_start, compute.last_end)).seconds();
  const double exposed = std::clamp(transfer, 0.0, gap);
  if (exposed > 0) seconds[blocker_category] += exposed;
  if (gap > exposed) seconds[blocker_category == kPipeline ? kBubble : kWait] += gap - exposed;
}

std::vector<TimeBreakdown> TimeAttribution::finish(sim::SimTime step_end) {
  for (std::size_t r = 0; r < seconds_.size(); ++r) {
    const sim::SimTime compute_end = streams_[r * static_cast<std::size_t>(streams_per_rank_)].last_end;
    const sim::SimTime own_end = std::max(compute_end, std::min(last_finish_[r], step_end));
    if (own_end > compute_end) {
      const std::string& last = last_category_[r];
      seconds_[r][is_communication_category(last) ? last : kWait] += (own_end - compute_end).seconds();
    }
    if (step_end > own_end) seconds_[r][in_pipeline_[r] ? kBubble : kWait] += (step_end - own_end).seconds();
  }
  return std::move(seconds_);
}

}  // namespace strata::models
