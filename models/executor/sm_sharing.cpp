#include "models/executor/sm_sharing.hpp"

namespace strata::models {

int nccl_kernel_sms(const SystemProfile& system, const Task& task, bool spans_nodes) {
  const std::array<int, 3>& channels = system.collectives.nccl_channels.value;
  switch (task.type) {
    case TaskType::kCollective:
      if (!task.collective.holds_sms) return 0;
      return spans_nodes ? channels[1] : channels[0];
    case TaskType::kSend:
    case TaskType::kRecv: return task.p2p.holds_sms ? channels[2] : 0;
    default: return 0;
  }
}

void SmSharing::hold(TaskId id, int gpu, int sms) {
  if (sms <= 0 || gpu < 0) return;
  if (static_cast<std::size_t>(gpu) >= held_.size()) held_.resize(static_cast<std::size_t>(gpu) + 1, 0);
  held_[static_cast<std::size_t>(gpu)] += sms;
  holdings_[id] = Holding{gpu, sms};
}

void SmSharing::release(TaskId id) {
  const auto found = holdings_.find(id);
  if (found == holdings_.end()) return;
  held_[static_cast<std::size_t>(found->second.gpu)] -= found->second.sms;
  holdings_.erase(found);
}

int SmSharing::held(int gpu) const {
  return static_cast<std::size_t>(gpu) < held_.size() ? held_[static_cast<std::size_t>(gpu)] : 0;
}

}  // namespace strata::models
