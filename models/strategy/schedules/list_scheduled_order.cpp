#include "models/strategy/schedules/list_scheduled_order.hpp"

#include <algorithm>
#include <queue>
#include <set>
#include <tuple>

#include "sim/error.hpp"

namespace strata::models {
namespace {

constexpr std::int64_t kForwardUnits = 1;
constexpr std::int64_t kBackwardUnits = 2;

struct Pass {
  std::int64_t mb = 0;
  int vs = 0;
  bool forward = true;
};

}  // namespace

std::vector<std::vector<PipelinePass>> list_scheduled_orders(const ListScheduleInput& in) {
  const std::int64_t m = in.microbatches;
  const int last = in.virtual_stages - 1;
  // Ready passes per rank: backward by (ready time, micro-batch, stage), forward by (ready time, -stage, mb).
  using Key = std::tuple<std::int64_t, std::int64_t, std::int64_t>;
  std::vector<std::set<Key>> backward(static_cast<std::size_t>(in.ranks));
  std::vector<std::set<Key>> forward(static_cast<std::size_t>(in.ranks));
  // Per copy: its micro-batches in order, the next to enter, how many are in flight.
  std::vector<std::vector<std::int64_t>> queue(static_cast<std::size_t>(in.copies));
  for (std::int64_t mb = 0; mb < m; ++mb) queue.at(static_cast<std::size_t>(in.copy_of(mb))).push_back(mb);
  std::vector<std::size_t> next_entry(static_cast<std::size_t>(in.copies), 0);
  std::vector<int> in_flight(static_cast<std::size_t>(in.copies), 0);
  std::vector<std::int64_t> free_since(static_cast<std::size_t>(in.copies), 0);

  const auto rank_of = [&](std::int64_t mb, int vs) {
    return static_cast<std::size_t>(in.place(mb, vs).stage);
  };
  const auto make_ready = [&](const Pass& p, std::int64_t at) {
    if (p.forward)
      forward[rank_of(p.mb, p.vs)].insert({at, -p.vs, p.mb});
    else
      backward[rank_of(p.mb, p.vs)].insert({at, p.mb, p.vs});
  };
  // The next micro-batch of each copy enters as soon as the copy has room.
  const auto admit = [&](std::int64_t at) {
    for (std::size_t c = 0; c < queue.size(); ++c) {
      while (next_entry[c] < queue[c].size() && in_flight[c] < in.admitted) {
        ++in_flight[c];
        make_ready({queue[c][next_entry[c]++], 0, true}, std::max(at, free_since[c]));
      }
    }
  };

  std::vector<std::vector<PipelinePass>> orders(static_cast<std::size_t>(in.ranks));
  std::vector<bool> busy(static_cast<std::size_t>(in.ranks), false);
  // Completions: (time, rank, pass).
  using Done = std::tuple<std::int64_t, int, std::int64_t, int, bool>;
  std::priority_queue<Done, std::vector<Done>, std::greater<>> running;
  std::int64_t now = 0;
  std::int64_t passes_left = 2 * m * in.virtual_stages;
  admit(0);
  while (passes_left > 0) {
    for (int r = 0; r < in.ranks; ++r) {
      const auto ri = static_cast<std::size_t>(r);
      if (busy[ri]) continue;
      Pass pass;
      if (!backward[ri].empty()) {
        const auto [at, mb, vs] = *backward[ri].begin();
        backward[ri].erase(backward[ri].begin());
        pass = {mb, static_cast<int>(vs), false};
      } else if (!forward[ri].empty()) {
        const auto [at, stage, mb] = *forward[ri].begin();
        forward[ri].erase(forward[ri].begin());
        pass = {mb, static_cast<int>(-stage), true};
      } else {
        continue;
      }
      busy[ri] = true;
      orders[ri].push_back({pass.forward ? PassKind::kForward : PassKind::kBackward, pass.mb,
                            in.place(pass.mb, pass.vs).chunk});
      running.push(
          {now + (pass.forward ? kForwardUnits : kBackwardUnits), r, pass.mb, pass.vs, pass.forward});
    }
    STRATA_ASSERT(!running.empty(), "list scheduling stalled: no pass is ready and none runs");
    now = std::get<0>(running.top());
    while (!running.empty() && std::get<0>(running.top()) == now) {
      const auto [at, r, mb, vs, is_forward] = running.top();
      running.pop();
      busy[static_cast<std::size_t>(r)] = false;
      --passes_left;
      if (is_forward) {
        make_ready(vs == last ? Pass{mb, vs, false} : Pass{mb, vs + 1, true}, now);
      } else if (vs > 0) {
        make_ready({mb, vs - 1, false}, now);
      } else {
        const auto c = static_cast<std::size_t>(in.copy_of(mb));
        --in_flight[c];
        free_since[c] = now;
      }
    }
    admit(now);
  }
  return orders;
}

double peak_in_flight(const std::vector<PipelinePass>& order, int chunks) {
  int held = 0;
  int most = 0;
  for (const PipelinePass& pass : order) {
    held += pass.kind == PassKind::kForward ? 1 : (pass.kind == PassKind::kInputGradient ? 0 : -1);
    most = std::max(most, held);
  }
  return static_cast<double>(most) / chunks;
}

ChunkPlace v_shape_place(int p, int vs) {
  const int chunk = vs / p;
  const int position = vs % p;
  return {chunk, chunk % 2 == 0 ? position : p - 1 - position};
}

int v_shape_virtual_stage(int p, int chunk, int stage) {
  return chunk * p + (chunk % 2 == 0 ? stage : p - 1 - stage);
}

}  // namespace strata::models
