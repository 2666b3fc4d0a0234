// Where the ranks of an execution graph meet: a collective starts when every member of its group has reached
// its task (the same `instance` on each), a send/recv when both the sender and the receiver have (the same
// (sender, receiver, tag)). Each arrival holds its stream until the transfer ends (sim::TaskCompletion).
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <tuple>
#include <utility>
#include <vector>

#include "models/graph/execution_graph.hpp"
#include "sim/serial_resource.hpp"

namespace strata::models {

struct Arrival {
  TaskId task = 0;
  sim::TaskCompletion done;
};
using Arrivals = std::vector<Arrival>;

class Rendezvous {
 public:
  // Records an arrival at collective `instance` of a group of `members` ranks; returns every arrival, in
  // arrival order, when this one completes the meeting, else nothing.
  std::optional<Arrivals> collective(std::uint64_t instance, std::size_t members, Arrival arrival);
  // The same for a send/recv pair.
  std::optional<Arrivals> point_to_point(int sender, int receiver, std::uint64_t tag, Arrival arrival);

  // Meetings some member has reached but not all.
  std::size_t open_meetings() const { return collectives_.size() + transfers_.size(); }

 private:
  template <class Map, class Key>
  static std::optional<Arrivals> arrive(Map& meetings, const Key& key, std::size_t members, Arrival arrival);

  std::map<std::uint64_t, Arrivals> collectives_;
  std::map<std::tuple<int, int, std::uint64_t>, Arrivals> transfers_;
};

}  // namespace strata::models
