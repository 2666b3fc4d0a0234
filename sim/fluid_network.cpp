#include "sim/fluid_network.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

#include "sim/error.hpp"

namespace strata::sim {
namespace {

// Picoseconds per second: rates are bytes per second, the clock counts picoseconds.
constexpr double kPsPerSecond = 1e12;

}  // namespace

FluidNetwork::FluidNetwork(EventQueue& queue, std::unique_ptr<BandwidthSharingSolver> solver)
    : queue_(queue), solver_(std::move(solver)), advanced_until_(queue.now()) {
  if (!solver_) throw SimulationError("FluidNetwork needs a bandwidth-sharing solver");
}

FluidNetwork::~FluidNetwork() {
  queue_.cancel(completion_event_);
  queue_.cancel(recompute_event_);
}

void FluidNetwork::check_resource(ResourceId resource) const {
  if (resource.index >= names_.size()) {
    throw SimulationError("unknown network resource #" + std::to_string(resource.index));
  }
}

ResourceId FluidNetwork::add_resource(std::string name, Bandwidth capacity) {
  if (capacity.bytes_per_s() <= 0.0)
    throw SimulationError("network resource \"" + name + "\" has zero capacity");
  STRATA_ASSERT(names_.size() < std::numeric_limits<std::uint32_t>::max(), "too many network resources");
  names_.push_back(std::move(name));
  problem_.capacities.push_back(capacity.bytes_per_s());
  return ResourceId{static_cast<std::uint32_t>(names_.size() - 1)};
}

void FluidNetwork::set_capacity(ResourceId resource, Bandwidth capacity) {
  check_resource(resource);
  if (capacity.bytes_per_s() <= 0.0) {
    throw SimulationError("network resource \"" + names_[resource.index] + "\" set to zero capacity");
  }
  advance_to_now();
  problem_.capacities[resource.index] = capacity.bytes_per_s();
  mark_changed();
}

Bandwidth FluidNetwork::capacity(ResourceId resource) const {
  check_resource(resource);
  return Bandwidth::from_bytes_per_s(problem_.capacities[resource.index]);
}

const std::string& FluidNetwork::resource_name(ResourceId resource) const {
  check_resource(resource);
  return names_[resource.index];
}

FlowId FluidNetwork::start_flow(std::span<const ResourceId> path, Bytes size, CompletionCallback on_complete,
                                std::optional<Bandwidth> rate_cap) {
  return start_flow(path, {}, size, std::move(on_complete), rate_cap);
}

FlowId FluidNetwork::start_flow(std::span<const ResourceId> path, std::span<const double> weights, Bytes size,
                                CompletionCallback on_complete, std::optional<Bandwidth> rate_cap) {
  for (ResourceId resource : path) check_resource(resource);
  if (!weights.empty() && weights.size() != path.size())
    throw SimulationError("a weighted flow needs one weight per path element");
  for (double weight : weights) {
    if (!(weight > 0.0) || !std::isfinite(weight)) throw SimulationError("flow weights must be positive");
  }
  if (rate_cap && rate_cap->bytes_per_s() <= 0.0)
    throw SimulationError("flow with a zero rate cap never completes");
  if (path.empty() && !rate_cap)
    throw SimulationError("flow with an empty path and no rate cap has unbounded rate");
  advance_to_now();

  std::uint32_t slot = 0;
  if (free_slots_.empty()) {
    slot = static_cast<std::uint32_t>(flows_.size());
    flows_.emplace_back();
  } else {
    slot = free_slots_.back();
    free_slots_.pop_back();
  }
  Flow& flow = flows_[slot];
  flow.serial = next_serial_++;
  flow.path.clear();
  for (ResourceId resource : path) flow.path.push_back(resource.index);
  flow.weights.assign(weights.begin(), weights.end());
  flow.size = size.as_double();
  flow.remaining = flow.size;
  flow.rate = 0.0;
  flow.rate_cap = rate_cap ? rate_cap->bytes_per_s() : SharingProblem::kUncapped;
  flow.on_complete = std::move(on_complete);
  flow.active_position = static_cast<std::uint32_t>(active_.size());
  active_.push_back(slot);
  mark_changed();
  return FlowId{flow.serial, slot};
}

bool FluidNetwork::is_active(FlowId flow) const {
  return flow.serial != 0 && flow.slot < flows_.size() && flows_[flow.slot].serial == flow.serial;
}

const FluidNetwork::Flow& FluidNetwork::flow_at(FlowId flow) const {
  if (!is_active(flow)) throw SimulationError("flow #" + std::to_string(flow.serial) + " is not active");
  return flows_[flow.slot];
}

bool FluidNetwork::cancel_flow(FlowId flow) {
  if (!is_active(flow)) return false;
  advance_to_now();
  remove_active(flow.slot);
  mark_changed();
  return true;
}

Bandwidth FluidNetwork::rate(FlowId flow) {
  flow_at(flow);
  recompute_if_changed();
  return Bandwidth::from_bytes_per_s(flows_[flow.slot].rate);
}

double FluidNetwork::remaining_bytes(FlowId flow) {
  flow_at(flow);
  advance_to_now();
  return std::max(0.0, flows_[flow.slot].remaining);
}

Bandwidth FluidNetwork::load(ResourceId resource) {
  check_resource(resource);
  recompute_if_changed();
  double total = 0.0;
  for (std::uint32_t slot : active_) {
    const Flow& flow = flows_[slot];
    for (std::size_t i = 0; i < flow.path.size(); ++i) {
      if (flow.path[i] == resource.index) total += flow.rate * (flow.weights.empty() ? 1.0 : flow.weights[i]);
    }
  }
  return Bandwidth::from_bytes_per_s(total);
}

// Moves every active flow forward at its current rate to the current time.
void FluidNetwork::advance_to_now() {
  const SimTime now = queue_.now();
  if (now == advanced_until_) return;
  const double elapsed_s = static_cast<double>((now - advanced_until_).ps()) / kPsPerSecond;
  for (std::uint32_t slot : active_) flows_[slot].remaining -= flows_[slot].rate * elapsed_s;
  advanced_until_ = now;
}

void FluidNetwork::mark_changed() {
  changed_ = true;
  if (!queue_.is_pending(recompute_event_)) {
    recompute_event_ = queue_.schedule_at(queue_.now(), [this] { recompute_if_changed(); });
  }
}

void FluidNetwork::recompute_if_changed() {
  if (changed_) recompute();
}

void FluidNetwork::recompute() {
  advance_to_now();
  changed_ = false;
  queue_.cancel(recompute_event_);
  problem_.clear_flows();
  for (std::uint32_t slot : active_) {
    const Flow& flow = flows_[slot];
    if (flow.weights.empty()) {
      problem_.add_flow(flow.path, flow.rate_cap);
    } else {
      problem_.add_flow(flow.path, flow.weights, flow.rate_cap);
    }
  }
  rates_.assign(active_.size(), 0.0);
  solver_->solve(problem_, rates_);
  ++solve_count_;
  for (std::size_t i = 0; i < active_.size(); ++i) flows_[active_[i]].rate = rates_[i];
  schedule_completion();
}

void FluidNetwork::schedule_completion() {
  queue_.cancel(completion_event_);
  double earliest_ps = std::numeric_limits<double>::infinity();
  for (std::uint32_t slot : active_) {
    const Flow& flow = flows_[slot];
    STRATA_ASSERT(flow.rate > 0.0, "every active flow gets a positive rate");
    earliest_ps = std::min(earliest_ps, std::max(0.0, flow.remaining) / flow.rate * kPsPerSecond);
  }
  if (active_.empty()) return;
  const SimTime when = queue_.now() + SimTime::from_ps_rounded(std::ceil(earliest_ps));
  completion_event_ = queue_.schedule_at(when, [this] { on_completion_event(); });
}

void FluidNetwork::on_completion_event() {
  advance_to_now();
  // A flow is done when what is left would take under a picosecond (the event time was rounded up), or is
  // within rounding of its size.
  std::vector<std::uint32_t> finished;
  for (std::uint32_t slot : active_) {
    const Flow& flow = flows_[slot];
    const double tolerance = std::max(flow.rate / kPsPerSecond, flow.size * 1e-12);
    if (flow.remaining <= tolerance) finished.push_back(slot);
  }
  std::sort(finished.begin(), finished.end(),
            [&](std::uint32_t a, std::uint32_t b) { return flows_[a].serial < flows_[b].serial; });
  std::vector<std::pair<FlowId, CompletionCallback>> callbacks;
  callbacks.reserve(finished.size());
  for (std::uint32_t slot : finished) {
    callbacks.emplace_back(FlowId{flows_[slot].serial, slot}, std::move(flows_[slot].on_complete));
    remove_active(slot);
  }
  // Rates are recomputed once, after the callbacks have started whatever follows these flows.
  mark_changed();
  for (auto& [id, callback] : callbacks) {
    if (callback) callback(id);
  }
}

void FluidNetwork::remove_active(std::uint32_t slot) {
  Flow& flow = flows_[slot];
  const std::uint32_t position = flow.active_position;
  active_[position] = active_.back();
  flows_[active_[position]].active_position = position;
  active_.pop_back();
  flow.serial = 0;
  flow.on_complete = nullptr;
  free_slots_.push_back(slot);
}

}  // namespace strata::sim
