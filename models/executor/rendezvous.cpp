#include "models/executor/rendezvous.hpp"

namespace strata::models {

template <class Map, class Key>
std::optional<Arrivals> Rendezvous::arrive(Map& meetings, const Key& key, std::size_t members,
                                           Arrival arrival) {
  Arrivals& arrived = meetings[key];
  arrived.push_back(std::move(arrival));
  if (arrived.size() < members) return std::nullopt;
  Arrivals complete = std::move(arrived);
  meetings.erase(key);
  return complete;
}

std::optional<Arrivals> Rendezvous::collective(std::uint64_t instance, std::size_t members, Arrival arrival) {
  return arrive(collectives_, instance, members, std::move(arrival));
}

std::optional<Arrivals> Rendezvous::point_to_point(int sender, int receiver, std::uint64_t tag,
                                                   Arrival arrival) {
  return arrive(transfers_, std::make_tuple(sender, receiver, tag), 2, std::move(arrival));
}

}  // namespace strata::models
