#include "sim/port_sharing.hpp"

#include <cmath>

#include "sim/error.hpp"

namespace strata::sim {
namespace {

// A port whose summed demand is within this of 1 still runs everyone at full speed (rounding in the sums).
constexpr double kDemandTolerance = 1e-12;

}  // namespace

PortSharing::PortSharing(EventQueue& queue, std::unique_ptr<BandwidthSharingSolver> solver)
    : queue_(queue), solver_(std::move(solver)) {
  if (!solver_) throw SimulationError("PortSharing needs a sharing solver");
}

PortSharing::~PortSharing() {
  for (std::uint32_t slot : active_) queue_.cancel(activities_[slot].completion);
}

std::uint32_t PortSharing::add_port(std::string name) {
  names_.push_back(std::move(name));
  demand_.push_back(0.0);
  users_.push_back(0);
  problem_.capacities.push_back(1.0);
  return static_cast<std::uint32_t>(names_.size() - 1);
}

void PortSharing::check_port(std::uint32_t port) const {
  if (port >= names_.size()) throw SimulationError("unknown port #" + std::to_string(port));
}

const std::string& PortSharing::port_name(std::uint32_t port) const {
  check_port(port);
  return names_[port];
}

double PortSharing::demand(std::uint32_t port) const {
  check_port(port);
  return demand_[port];
}

bool PortSharing::oversubscribed(std::span<const PortUse> uses) const {
  for (const PortUse& use : uses) {
    if (demand_[use.port] > 1.0 + kDemandTolerance) return true;
  }
  return false;
}

void PortSharing::start(SimTime duration, std::span<const PortUse> uses, Done done) {
  if (duration < SimTime::zero()) throw SimulationError("an activity cannot take negative time");
  for (const PortUse& use : uses) {
    check_port(use.port);
    if (!(use.utilization > 0.0 && use.utilization <= 1.0)) {
      throw SimulationError("port utilization must be in (0, 1], got " + std::to_string(use.utilization));
    }
  }
  std::uint32_t slot = 0;
  if (free_slots_.empty()) {
    slot = static_cast<std::uint32_t>(activities_.size());
    activities_.emplace_back();
  } else {
    slot = free_slots_.back();
    free_slots_.pop_back();
  }
  Activity& activity = activities_[slot];
  activity.serial = next_serial_++;
  activity.uses.assign(uses.begin(), uses.end());
  activity.remaining_ps = static_cast<double>(duration.ps());
  activity.anchor = queue_.now();
  activity.speed = 1.0;
  activity.done = std::move(done);
  activity.active_position = static_cast<std::uint32_t>(active_.size());
  active_.push_back(slot);
  for (const PortUse& use : activity.uses) {
    demand_[use.port] += use.utilization;
    ++users_[use.port];
  }
  // Full speed unless this activity oversubscribes a port or joins one that already is.
  if (slowed_ == 0 && !oversubscribed(activity.uses)) {
    activity.completion = queue_.schedule_at(queue_.now() + duration, [this, slot] { finish(slot); });
    return;
  }
  activity.completion = EventId{};
  resolve_speeds();  // schedules this activity's end too (its completion is not pending yet)
}

// Brings the activity's remaining time to now at its old speed, then schedules its end at the new one.
void PortSharing::set_speed(std::uint32_t slot, double speed) {
  Activity& activity = activities_[slot];
  const SimTime now = queue_.now();
  if (speed == activity.speed && queue_.is_pending(activity.completion)) return;
  activity.remaining_ps -= static_cast<double>((now - activity.anchor).ps()) * activity.speed;
  if (activity.remaining_ps < 0.0) activity.remaining_ps = 0.0;
  activity.anchor = now;
  if (activity.speed < 1.0) --slowed_;
  activity.speed = speed;
  if (activity.speed < 1.0) ++slowed_;
  schedule(slot);
}

void PortSharing::schedule(std::uint32_t slot) {
  Activity& activity = activities_[slot];
  queue_.cancel(activity.completion);
  const double ps =
      activity.speed == 1.0 ? activity.remaining_ps : std::ceil(activity.remaining_ps / activity.speed);
  activity.completion =
      queue_.schedule_at(activity.anchor + SimTime::from_ps_rounded(ps), [this, slot] { finish(slot); });
}

void PortSharing::resolve_speeds() {
  problem_.clear_flows();
  std::vector<std::uint32_t> path;
  std::vector<double> weights;
  for (std::uint32_t slot : active_) {
    path.clear();
    weights.clear();
    for (const PortUse& use : activities_[slot].uses) {
      path.push_back(use.port);
      weights.push_back(use.utilization);
    }
    if (path.empty()) {
      problem_.add_flow(path, 1.0);
    } else {
      problem_.add_flow(path, weights, 1.0);
    }
  }
  speeds_.assign(active_.size(), 1.0);
  solver_->solve(problem_, speeds_);
  ++solves_;
  // Slots are copied first: set_speed does not change the active set, but keeps the loop obvious.
  const std::vector<std::uint32_t> slots = active_;
  for (std::size_t i = 0; i < slots.size(); ++i) set_speed(slots[i], std::min(1.0, speeds_[i]));
}

void PortSharing::finish(std::uint32_t slot) {
  Activity& activity = activities_[slot];
  Done done = std::move(activity.done);
  const bool was_slowed = activity.speed < 1.0;
  if (was_slowed) --slowed_;
  for (const PortUse& use : activity.uses) {
    if (--users_[use.port] == 0) {
      demand_[use.port] = 0.0;  // no drift once a port is idle
    } else {
      demand_[use.port] -= use.utilization;
    }
  }
  const std::uint32_t position = activity.active_position;
  active_[position] = active_.back();
  activities_[active_[position]].active_position = position;
  active_.pop_back();
  activity.serial = 0;
  activity.completion = EventId{};
  free_slots_.push_back(slot);
  // Activities it slowed may speed up: an activity below full speed shares a port with others.
  if (slowed_ > 0) resolve_speeds();
  if (done) done();
}

}  // namespace strata::sim
