// Flow-level (fluid) network: named resources with capacities (links, NVSwitch planes, NICs, PCIe, memory
// ports) and flows that each move a number of bytes over a path of resources. A BandwidthSharingSolver sets
// the rates; they are recomputed whenever the set of flows or a capacity changes, and exactly one completion
// event (the earliest finishing flow) is kept scheduled on the EventQueue.
//
// Contract:
//  - Changes made at one instant (many flows starting together) are batched: rates are recomputed once, by
//    an event scheduled at the current time, or at once when a rate is queried.
//  - A flow completes at the first picosecond at which all its bytes have moved (times are rounded up).
//  - Zero-size flows complete at the current time, through the same completion path as any other flow.
//  - Completion callbacks of flows finishing at the same instant run in the order the flows were started;
//    callbacks may start and cancel flows.
//  - Zero capacities, negative sizes, empty uncapped paths and unknown resources are SimulationErrors.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "sim/bandwidth_sharing.hpp"
#include "sim/event_queue.hpp"
#include "sim/units.hpp"

namespace strata::sim {

struct ResourceId {
  std::uint32_t index = 0;
  friend bool operator==(const ResourceId&, const ResourceId&) = default;
};

struct FlowId {
  std::uint64_t serial = 0;  // unique per started flow, from 1
  std::uint32_t slot = 0;
  friend bool operator==(const FlowId&, const FlowId&) = default;
};

class FluidNetwork {
 public:
  using CompletionCallback = std::function<void(FlowId)>;

  FluidNetwork(EventQueue& queue, std::unique_ptr<BandwidthSharingSolver> solver);
  FluidNetwork(const FluidNetwork&) = delete;
  FluidNetwork& operator=(const FluidNetwork&) = delete;
  ~FluidNetwork();

  ResourceId add_resource(std::string name, Bandwidth capacity);
  void set_capacity(ResourceId resource, Bandwidth capacity);
  Bandwidth capacity(ResourceId resource) const;
  const std::string& resource_name(ResourceId resource) const;
  std::size_t resource_count() const { return names_.size(); }

  FlowId start_flow(std::span<const ResourceId> path, Bytes size, CompletionCallback on_complete,
                    std::optional<Bandwidth> rate_cap = std::nullopt);
  // A flow that uses `weights[i]` of resource path[i] per unit of its rate (bandwidth_sharing.hpp): e.g. a
  // bundle standing for k like flows, of one member's size, with weight k, or a bundle split over several
  // links with each link's share. Weights are positive, one per path element.
  FlowId start_flow(std::span<const ResourceId> path, std::span<const double> weights, Bytes size,
                    CompletionCallback on_complete, std::optional<Bandwidth> rate_cap = std::nullopt);
  // Removes an active flow without calling its callback. Returns false if it was not active.
  bool cancel_flow(FlowId flow);
  bool is_active(FlowId flow) const;

  // Current rate and bytes left of an active flow (recomputes rates first if changes are pending).
  Bandwidth rate(FlowId flow);
  double remaining_bytes(FlowId flow);
  // Sum of the rates of active flows crossing `resource` (counted per occurrence in their paths, each times
  // its weight there).
  Bandwidth load(ResourceId resource);

  std::size_t active_flow_count() const { return active_.size(); }
  std::uint64_t solve_count() const { return solve_count_; }
  std::string_view solver_name() const { return solver_->name(); }

 private:
  struct Flow {
    std::uint64_t serial = 0;  // 0 while the slot is free
    std::vector<std::uint32_t> path;
    std::vector<double> weights;  // parallel to path; empty: 1 each
    double size = 0.0;
    double remaining = 0.0;  // bytes
    double rate = 0.0;       // bytes per second
    double rate_cap = SharingProblem::kUncapped;
    std::uint32_t active_position = 0;
    CompletionCallback on_complete;
  };

  const Flow& flow_at(FlowId flow) const;
  void check_resource(ResourceId resource) const;
  void advance_to_now();
  void mark_changed();
  void recompute_if_changed();
  void recompute();
  void schedule_completion();
  void on_completion_event();
  void remove_active(std::uint32_t slot);

  EventQueue& queue_;
  std::unique_ptr<BandwidthSharingSolver> solver_;
  std::vector<std::string> names_;
  SharingProblem problem_;  // capacities are kept here; flows are refilled at each recompute
  std::vector<double> rates_;
  std::vector<Flow> flows_;
  std::vector<std::uint32_t> free_slots_;
  std::vector<std::uint32_t> active_;  // slots of active flows; solver flow i is active_[i]
  SimTime advanced_until_ = SimTime::zero();
  EventId completion_event_;
  EventId recompute_event_;
  bool changed_ = false;
  std::uint64_t next_serial_ = 1;
  std::uint64_t solve_count_ = 0;
};

}  // namespace strata::sim
