#include "models/collectives/analytic_collective.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

#include "sim/error.hpp"

namespace strata::models {
namespace {

double gbps(const sim::Bandwidth& bandwidth) { return bandwidth.bytes_per_s(); }

void check_scope(const SystemProfile& system, const CollectiveScope& scope) {
  if (scope.nodes < 1 || scope.gpus_per_node < 1) {
    throw sim::InputError("collective scope needs at least one node and one GPU per node, got " +
                          std::to_string(scope.nodes) + " x " + std::to_string(scope.gpus_per_node));
  }
  if (scope.gpus_per_node > system.gpus_per_node.value) {
    throw sim::InputError("system " + system.name + " has " + std::to_string(system.gpus_per_node.value) +
                          " GPUs per node, asked for " + std::to_string(scope.gpus_per_node));
  }
}

// GPUs of the scope that share one NVLink domain (a whole NVL72 rack spans several nodes).
int gpus_per_domain(const SystemProfile& system, const CollectiveScope& scope) {
  const int domain = system.nvlink_domain_gpus.value;
  if (domain <= system.gpus_per_node.value) return scope.gpus_per_node;
  const int nodes_per_domain = domain / system.gpus_per_node.value;
  return std::min(scope.nodes, nodes_per_domain) * scope.gpus_per_node;
}

// NICs the scope's GPUs of one node drive: a node's NICs are shared evenly by its GPUs.
double nics_used(const SystemProfile& system, const CollectiveScope& scope) {
  return static_cast<double>(system.nics_per_node.value) * scope.gpus_per_node / system.gpus_per_node.value;
}

double nic_rate(const SystemProfile& system) {
  return gbps(system.nic_bandwidth.value) * system.collectives.nic_efficiency.value;
}

struct Peak {
  double busbw;  // bytes per second
  CollectiveAlgorithm algorithm;
};

// NVLS all-reduce bus bandwidth of `gpus` GPUs of one NVLink domain; 0 where the table has no entry.
// NVLS groups larger than the table's largest count use its largest entry (one NVSwitch level).
double nvls_busbw(const SystemProfile& system, int gpus) {
  const auto& table = system.collectives.nvls_busbw_by_gpus.value;
  auto found = table.find(gpus);
  if (found == table.end() && !table.empty() && gpus > table.rbegin()->first) found = std::prev(table.end());
  return found == table.end() ? 0.0 : gbps(found->second);
}

Peak in_domain_peak(const SystemProfile& system, CollectiveOp op, int gpus) {
  const double ring = gbps(system.collectives.ring_busbw.value);
  if (op == CollectiveOp::kSendRecv) return {ring, CollectiveAlgorithm::kPointToPoint};
  if (op == CollectiveOp::kAllToAll) return {ring, CollectiveAlgorithm::kPairwise};
  if (op == CollectiveOp::kAllReduce) {
    const double nvls = nvls_busbw(system, gpus);
    if (nvls > ring) return {nvls, CollectiveAlgorithm::kNvls};
  }
  return {ring, CollectiveAlgorithm::kRing};
}

Peak peak_busbw(const SystemProfile& system, CollectiveOp op, const CollectiveScope& scope) {
  const int domain_gpus = gpus_per_domain(system, scope);
  if (domain_gpus == scope.ranks()) return in_domain_peak(system, op, domain_gpus);
  if (system.nics_per_node.value < 1)
    throw sim::InputError("system " + system.name + " has no NICs for multi-node collectives");
  const double ring = gbps(system.collectives.ring_busbw.value);
  const int domains = scope.ranks() / domain_gpus;
  switch (op) {
    case CollectiveOp::kSendRecv: return {nic_rate(system), CollectiveAlgorithm::kPointToPoint};
    case CollectiveOp::kAllToAll: {
      // Per GPU: (n-1)/n of its data is bus traffic; (domains-1)/domains of it leaves the domain through
      // this GPU's share of the NICs. busbw = bus bytes / time.
      const double per_gpu_nic = nic_rate(system) * nics_used(system, scope) / scope.gpus_per_node;
      const double n = scope.ranks();
      const double off_domain = (domains - 1.0) / domains;
      const double bus = (n - 1.0) / n;
      return {std::min(ring, per_gpu_nic * bus / off_domain), CollectiveAlgorithm::kPairwise};
    }
    default: {
      // R channels (one per NIC); each leaves every node once, over the network instead of an NVLink hop.
      // The busiest GPU sends over NVLink in R - floor(R / G) of the R channels, so its NVLink port carries
      // that share of the bus bytes: with one NIC per GPU, (G-1)/G. With one GPU per node no NVLink hop is
      // left.
      const double channels = network_channels(system, scope);
      const int gpus = scope.gpus_per_node;
      const double nvlink_share = gpus == 1 ? 0.0 : (channels - std::floor(channels / gpus)) / channels;
      const double nvlink_limit =
          nvlink_share > 0 ? ring / nvlink_share : std::numeric_limits<double>::infinity();
      return {std::min(nvlink_limit, channels * nic_rate(system)), CollectiveAlgorithm::kNetwork};
    }
  }
}

// Per-direction bytes on the busiest GPU's NVLink port and NIC share (CollectiveEstimate), by algorithm, for
// a collective of `size` bytes (nccl-tests convention) over n = scope.ranks() GPUs with bus factor f:
//  - ring inside a domain: every GPU sends and receives the bus bytes S f over NVLink;
//  - NVLS: each GPU sends its buffer S up to the switch and receives the reduced S (flow_collective.hpp);
//  - pairwise inside a domain: S (n-1)/n to the other GPUs; across domains the off-domain part
//    S (domains-1)/domains leaves through the GPU's NIC share and S (domain GPUs - 1)/n stays on NVLink;
//  - ring over the network: a node's R channels carry the bus bytes S f out of it once, shared by its g GPUs
//    (S f / g each), and the busiest GPU still moves the share computed in peak_busbw over NVLink;
//  - point to point: the message S, over NVLink inside a domain and over the NIC across.
void port_bytes(const SystemProfile& system, CollectiveOp op, double size, const CollectiveScope& scope,
                CollectiveEstimate& estimate) {
  const int n = scope.ranks();
  const double bus = size * bus_bandwidth_factor(op, std::max(n, 2));
  const int domain_gpus = gpus_per_domain(system, scope);
  const bool in_domain = domain_gpus == n;
  switch (estimate.algorithm) {
    case CollectiveAlgorithm::kNone: break;
    case CollectiveAlgorithm::kRing: estimate.nvlink_bytes = bus; break;
    case CollectiveAlgorithm::kNvls: estimate.nvlink_bytes = size; break;
    case CollectiveAlgorithm::kPairwise:
      if (in_domain) {
        estimate.nvlink_bytes = size * (n - 1.0) / n;
      } else {
        const double domains = static_cast<double>(n) / domain_gpus;
        estimate.nic_bytes = size * (domains - 1.0) / domains;
        estimate.nvlink_bytes = size * (domain_gpus - 1.0) / n;
      }
      break;
    case CollectiveAlgorithm::kNetwork: {
      const double channels = network_channels(system, scope);
      const int gpus = scope.gpus_per_node;
      const double nvlink_share = gpus == 1 ? 0.0 : (channels - std::floor(channels / gpus)) / channels;
      estimate.nic_bytes = bus / gpus;
      estimate.nvlink_bytes = bus * nvlink_share;
      break;
    }
    case CollectiveAlgorithm::kPointToPoint:
      (in_domain ? estimate.nvlink_bytes : estimate.nic_bytes) = size;
      break;
  }
}

}  // namespace

CollectiveScope scope_of_gpus(std::span<const int> gpus, int gpus_per_node) {
  // Called for every collective a step runs, over groups of up to the whole cluster: one pass without
  // allocating when the GPUs come in node order (as lowering lists them), else over a sorted copy.
  const auto scan = [gpus_per_node](std::span<const int> ordered, CollectiveScope& scope) {
    int nodes = 0, widest = 0, run = 0, current = -1;
    for (int gpu : ordered) {
      const int node = gpu / gpus_per_node;
      if (node < current) return false;
      if (node != current) ++nodes, run = 0, current = node;
      widest = std::max(widest, ++run);
    }
    scope = CollectiveScope{nodes, widest};
    return true;
  };
  CollectiveScope scope;
  if (scan(gpus, scope)) return scope;
  std::vector<int> sorted(gpus.begin(), gpus.end());
  std::sort(sorted.begin(), sorted.end());
  scan(sorted, scope);
  return scope;
}

int network_channels(const SystemProfile& system, const CollectiveScope& scope) {
  return std::max(1, static_cast<int>(std::lround(nics_used(system, scope))));
}

std::string_view collective_algorithm_name(CollectiveAlgorithm algorithm) {
  switch (algorithm) {
    case CollectiveAlgorithm::kNone: return "none";
    case CollectiveAlgorithm::kRing: return "ring";
    case CollectiveAlgorithm::kNvls: return "nvls";
    case CollectiveAlgorithm::kNetwork: return "ring-over-network";
    case CollectiveAlgorithm::kPairwise: return "pairwise";
    case CollectiveAlgorithm::kPointToPoint: return "p2p";
  }
  return "?";
}

double size_ramp_fraction(const CollectiveProfile& collectives, sim::Bytes size) {
  const auto& points = collectives.size_ramp.value;
  STRATA_ASSERT(points.size() >= 2, "the profile reader guarantees two ramp points");
  const double bytes = size.as_double();
  if (bytes <= points.front().first.as_double()) {
    // Latency-bound: the time of the first point, so the fraction shrinks in proportion to the size.
    return points.front().second * bytes / points.front().first.as_double();
  }
  if (bytes >= points.back().first.as_double()) return points.back().second;
  const auto upper =
      std::find_if(points.begin(), points.end(), [&](const auto& p) { return p.first.as_double() >= bytes; });
  const auto lower = std::prev(upper);
  const double x0 = std::log2(lower->first.as_double());
  const double x1 = std::log2(upper->first.as_double());
  const double t = (std::log2(bytes) - x0) / (x1 - x0);
  return lower->second + t * (upper->second - lower->second);
}

CollectiveEstimate analytic_collective(const SystemProfile& system, CollectiveOp op, sim::Bytes size,
                                       const CollectiveScope& scope) {
  check_scope(system, scope);
  CollectiveEstimate estimate;
  const int ranks = scope.ranks();
  const bool needs_peers = op != CollectiveOp::kSendRecv;
  if (size.count() == 0 || (needs_peers && ranks == 1)) return estimate;  // nothing moves
  const Peak peak = peak_busbw(system, op, scope);
  estimate.algorithm = peak.algorithm;
  estimate.peak_busbw = sim::Bandwidth::from_bytes_per_s(peak.busbw);
  // The ramp is the bus bandwidth of an all-reduce over one node's G GPUs (nccl-tests size). A ring
  // all-reduce of S bytes sends S/G per step and its busbw is that step's throughput, so a single transfer
  // of b bytes moves at the ramp of a G x b all-reduce.
  const sim::Bytes ramp_size = op == CollectiveOp::kSendRecv
                                   ? sim::Bytes::from_count(size.count() * system.gpus_per_node.value)
                                   : size;
  estimate.ramp = size_ramp_fraction(system.collectives, ramp_size);
  double busbw = peak.busbw * estimate.ramp;
  double seconds = size.as_double() * bus_bandwidth_factor(op, std::max(ranks, 2)) / busbw;
  estimate.ramp_time = sim::SimTime::from_seconds(seconds);
  const int domain_gpus = gpus_per_domain(system, scope);
  NcclScope nccl_scope;
  nccl_scope.ranks = ranks;
  nccl_scope.nodes = ranks / domain_gpus;
  nccl_scope.ring_busbw =
      peak.algorithm == CollectiveAlgorithm::kNvls ? gbps(system.collectives.ring_busbw.value) : peak.busbw;
  nccl_scope.nvls_busbw = system.nvls.value ? nvls_busbw(system, domain_gpus) : 0.0;
  estimate.nccl = nccl_choice(system, op, size.as_double(), nccl_scope);
  if (estimate.nccl && estimate.nccl->time.seconds() > seconds) {
    seconds = estimate.nccl->time.seconds();
    busbw = size.as_double() * bus_bandwidth_factor(op, std::max(ranks, 2)) / seconds;
    estimate.latency_bound = true;
  }
  estimate.time = sim::SimTime::from_seconds(seconds);
  estimate.busbw = sim::Bandwidth::from_bytes_per_s(busbw);
  estimate.algbw = sim::Bandwidth::from_bytes_per_s(size.as_double() / seconds);
  port_bytes(system, op, size.as_double(), scope, estimate);
  return estimate;
}

}  // namespace strata::models
