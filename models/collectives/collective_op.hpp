// Collective operations and NCCL's bus-bandwidth convention (nccl-tests, doc/PERFORMANCE.md):
//   algbw = size / time, busbw = algbw * factor, where factor is 2(n-1)/n for all-reduce, (n-1)/n for
//   all-gather, reduce-scatter and all-to-all, and 1 for broadcast and send/recv. busbw is comparable across
//   GPU counts: it is the rate each GPU's busiest link must sustain. `size` follows nccl-tests: the buffer of
//   all-reduce and broadcast, the whole gathered output of all-gather, the whole input of reduce-scatter, the
//   per-GPU send buffer of all-to-all, and the message of send/recv.
#pragma once

#include <array>
#include <optional>
#include <string_view>

namespace strata::models {

enum class CollectiveOp { kAllReduce, kAllGather, kReduceScatter, kAllToAll, kBroadcast, kSendRecv };

inline constexpr std::array<CollectiveOp, 6> kAllCollectiveOps{
    CollectiveOp::kAllReduce, CollectiveOp::kAllGather, CollectiveOp::kReduceScatter,
    CollectiveOp::kAllToAll,  CollectiveOp::kBroadcast, CollectiveOp::kSendRecv};

// "all-reduce", "all-gather", "reduce-scatter", "all-to-all", "broadcast", "send-recv".
std::string_view collective_op_name(CollectiveOp op);
std::optional<CollectiveOp> collective_op_from_name(std::string_view name);
// The busbw/algbw factor for `ranks` participants (ranks >= 1; 0 for a single rank of a reduction).
double bus_bandwidth_factor(CollectiveOp op, int ranks);

}  // namespace strata::models
