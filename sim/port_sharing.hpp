// Activities that share ports by how much of each they use. An activity has a duration at full speed and,
// for each port it crosses, the fraction of that port it keeps busy while running at full speed (its
// utilization, in (0, 1]). While the utilizations on every port sum to at most 1, every activity runs at full
// speed and ends exactly its duration after it started. When a port is oversubscribed the activities
// crossing it slow down: their speeds s_i in (0, 1] are the max-min fair allocation under
//   sum over activities i crossing port p of u_ip * s_i <= 1   for every port p
// (weighted progressive filling, sim/max_min_fair_solver.hpp, ports of capacity 1, weights u_ip, caps 1), and
// an activity's remaining full-speed time drains at its speed. Two activities that each keep a port fully
// busy therefore take twice as long side by side; an activity that uses a tenth of it barely slows the other.
//
// This is the analytic network's contention model (models/network/analytic_backend.hpp): a transfer's
// duration comes from a calibrated curve, and sharing stretches it only where concurrent transfers need more
// of a GPU's NIC, NVLink or host link than it has.
//
// Contract:
//  - Each activity keeps its own completion event. An activity's event is rescheduled only when its speed
//    changes, so activities that never contend finish at start + duration to the picosecond, and events run
//    in the order they would without sharing.
//  - Speeds are recomputed at once whenever an activity starts on an oversubscribed port or one that was
//    slowed ends (no batching: the set of concurrent activities is small).
//  - `done` callbacks may start new activities.
//  - Bad arguments (unknown port, utilization outside (0, 1], negative duration) are SimulationErrors.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "sim/bandwidth_sharing.hpp"
#include "sim/event_queue.hpp"
#include "sim/sim_time.hpp"

namespace strata::sim {

struct PortUse {
  std::uint32_t port = 0;
  double utilization = 1.0;  // (0, 1]: the share of the port busy at full speed
};

class PortSharing {
 public:
  using Done = std::function<void()>;

  PortSharing(EventQueue& queue, std::unique_ptr<BandwidthSharingSolver> solver);
  PortSharing(const PortSharing&) = delete;
  PortSharing& operator=(const PortSharing&) = delete;
  ~PortSharing();

  std::uint32_t add_port(std::string name);
  const std::string& port_name(std::uint32_t port) const;
  std::size_t port_count() const { return names_.size(); }

  // Starts an activity now; `done` runs when it ends. A port listed twice counts twice.
  void start(SimTime duration, std::span<const PortUse> uses, Done done);

  std::size_t active_count() const { return active_.size(); }
  // The summed utilization of the activities now crossing `port` (above 1: oversubscribed).
  double demand(std::uint32_t port) const;
  // Activities currently running below full speed.
  std::size_t slowed_count() const { return slowed_; }
  std::uint64_t solve_count() const { return solves_; }

 private:
  struct Activity {
    std::uint64_t serial = 0;  // 0 while the slot is free
    std::vector<PortUse> uses;
    double remaining_ps = 0;  // full-speed time left at `anchor`
    SimTime anchor;
    double speed = 1.0;
    EventId completion;
    Done done;
    std::uint32_t active_position = 0;
  };

  void check_port(std::uint32_t port) const;
  bool oversubscribed(std::span<const PortUse> uses) const;
  void resolve_speeds();
  void set_speed(std::uint32_t slot, double speed);
  void schedule(std::uint32_t slot);
  void finish(std::uint32_t slot);

  EventQueue& queue_;
  std::unique_ptr<BandwidthSharingSolver> solver_;
  std::vector<std::string> names_;
  std::vector<double> demand_;        // per port
  std::vector<std::uint32_t> users_;  // per port: active activities crossing it (with multiplicity)
  std::vector<Activity> activities_;
  std::vector<std::uint32_t> free_slots_;
  std::vector<std::uint32_t> active_;  // slots
  SharingProblem problem_;
  std::vector<double> speeds_;
  std::size_t slowed_ = 0;
  std::uint64_t next_serial_ = 1;
  std::uint64_t solves_ = 0;
};

}  // namespace strata::sim
