// NCCL collectives over all local GPUs from one process (ncclCommInitAll), float data, nccl-tests
// conventions: `size` is the all-reduce/broadcast buffer, the gathered output of all-gather, the input of
// reduce-scatter, the per-GPU send buffer of all-to-all, the message of send/recv (rank i to i+1). busbw uses
// the nccl-tests factors. Multi-node runs need an MPI build (not built here): the probe reports one node.
#include <vector>

#include "probe.hpp"
#ifdef STRATA_PROBE_HAS_NCCL
#include <nccl.h>
#endif

namespace strata::probes {

#ifndef STRATA_PROBE_HAS_NCCL
nlohmann::json nccl_probe(const nlohmann::json&, int, int) {
  return {{"status", "skipped"},
          {"reason", "the probe was built without NCCL"},
          {"rows", nlohmann::json::array()}};
}
#else
namespace {

void check_nccl(ncclResult_t result, const char* what) {
  if (result != ncclSuccess) throw ProbeError(std::string(what) + ": " + ncclGetErrorString(result));
}

double bus_factor(const std::string& op, int n) {
  if (op == "all-reduce") return 2.0 * (n - 1) / n;
  if (op == "all-gather" || op == "reduce-scatter" || op == "all-to-all")
    return static_cast<double>(n - 1) / n;
  return 1.0;
}

// Enqueues one collective on every rank (inside a group).
void enqueue(const std::string& op, std::size_t bytes, int n, std::vector<ncclComm_t>& comms,
             std::vector<cudaStream_t>& streams, std::vector<float*>& send, std::vector<float*>& recv) {
  const std::size_t count = bytes / sizeof(float);
  check_nccl(ncclGroupStart(), "ncclGroupStart");
  for (int r = 0; r < n; ++r) {
    const auto i = static_cast<std::size_t>(r);
    if (op == "all-reduce") {
      check_nccl(ncclAllReduce(send[i], recv[i], count, ncclFloat, ncclSum, comms[i], streams[i]),
                 "ncclAllReduce");
    } else if (op == "all-gather") {
      check_nccl(ncclAllGather(send[i], recv[i], count / n, ncclFloat, comms[i], streams[i]),
                 "ncclAllGather");
    } else if (op == "reduce-scatter") {
      check_nccl(ncclReduceScatter(send[i], recv[i], count / n, ncclFloat, ncclSum, comms[i], streams[i]),
                 "ncclReduceScatter");
    } else if (op == "broadcast") {
      check_nccl(ncclBroadcast(send[i], recv[i], count, ncclFloat, 0, comms[i], streams[i]), "ncclBroadcast");
    } else if (op == "all-to-all") {
      const std::size_t chunk = count / n;
      for (int peer = 0; peer < n; ++peer) {
        check_nccl(ncclSend(send[i] + chunk * peer, chunk, ncclFloat, peer, comms[i], streams[i]),
                   "ncclSend");
        check_nccl(ncclRecv(recv[i] + chunk * peer, chunk, ncclFloat, peer, comms[i], streams[i]),
                   "ncclRecv");
      }
    } else {  // send-recv: to the next rank, from the previous
      check_nccl(ncclSend(send[i], count, ncclFloat, (r + 1) % n, comms[i], streams[i]), "ncclSend");
      check_nccl(ncclRecv(recv[i], count, ncclFloat, (r + n - 1) % n, comms[i], streams[i]), "ncclRecv");
    }
  }
  check_nccl(ncclGroupEnd(), "ncclGroupEnd");
}

}  // namespace

nlohmann::json nccl_probe(const nlohmann::json& plan, int warmup, int repeats) {
  int n = 0;
  check_cuda(cudaGetDeviceCount(&n), "cudaGetDeviceCount");
  if (n < 2) {
    return {{"status", "skipped"},
            {"reason", "one GPU: NCCL collectives need at least two"},
            {"gpus", n},
            {"rows", nlohmann::json::array()}};
  }
  std::vector<ncclComm_t> comms(static_cast<std::size_t>(n));
  check_nccl(ncclCommInitAll(comms.data(), n, nullptr), "ncclCommInitAll");
  std::vector<cudaStream_t> streams(comms.size());
  std::vector<cudaEvent_t> start(comms.size()), stop(comms.size());
  for (int r = 0; r < n; ++r) {
    check_cuda(cudaSetDevice(r), "cudaSetDevice");
    check_cuda(cudaStreamCreate(&streams[static_cast<std::size_t>(r)]), "cudaStreamCreate");
  }
  nlohmann::json rows = nlohmann::json::array();
  for (const auto& op_json : plan.at("ops")) {
    const std::string op = op_json.get<std::string>();
    for (const auto& size_json : plan.at("sizes")) {
      const auto bytes = size_json.get<std::size_t>();
      if (bytes < sizeof(float) * static_cast<std::size_t>(n)) continue;  // below one element per rank
      std::vector<float*> send(comms.size(), nullptr), recv(comms.size(), nullptr);
      bool allocated = true;
      for (int r = 0; r < n && allocated; ++r) {
        cudaSetDevice(r);
        allocated = cudaMalloc(&send[static_cast<std::size_t>(r)], bytes) == cudaSuccess &&
                    cudaMalloc(&recv[static_cast<std::size_t>(r)], bytes) == cudaSuccess;
      }
      if (!allocated) {
        cudaGetLastError();
        rows.push_back(
            {{"op", op}, {"size_bytes", bytes}, {"status", "skipped"}, {"reason", "out of device memory"}});
      } else {
        for (int i = 0; i < warmup; ++i) enqueue(op, bytes, n, comms, streams, send, recv);
        for (int r = 0; r < n; ++r)
          cudaSetDevice(r), cudaStreamSynchronize(streams[static_cast<std::size_t>(r)]);
        // As nccl-tests: time `repeats` back-to-back collectives between two events on rank 0's stream,
        // after all ranks' streams are idle; report the mean per collective.
        cudaSetDevice(0);
        cudaEvent_t begin = nullptr, end = nullptr;
        cudaEventCreate(&begin), cudaEventCreate(&end);
        cudaEventRecord(begin, streams[0]);
        for (int i = 0; i < repeats; ++i) enqueue(op, bytes, n, comms, streams, send, recv);
        cudaSetDevice(0);
        cudaEventRecord(end, streams[0]);
        for (int r = 0; r < n; ++r)
          cudaSetDevice(r), cudaStreamSynchronize(streams[static_cast<std::size_t>(r)]);
        float ms = 0;
        cudaEventElapsedTime(&ms, begin, end);
        cudaEventDestroy(begin), cudaEventDestroy(end);
        const double time_us = static_cast<double>(ms) * 1000.0 / repeats;
        const double algbw = static_cast<double>(bytes) / (time_us * 1e-6) / 1e9;
        rows.push_back({{"op", op},
                        {"size_bytes", bytes},
                        {"time_us", time_us},
                        {"algbw_GBps", algbw},
                        {"busbw_GBps", algbw * bus_factor(op, n)}});
      }
      for (int r = 0; r < n; ++r) {
        cudaSetDevice(r);
        cudaFree(send[static_cast<std::size_t>(r)]);
        cudaFree(recv[static_cast<std::size_t>(r)]);
      }
    }
  }
  for (int r = 0; r < n; ++r) {
    cudaSetDevice(r);
    cudaStreamDestroy(streams[static_cast<std::size_t>(r)]);
    ncclCommDestroy(comms[static_cast<std::size_t>(r)]);
  }
  return {{"status", "ok"}, {"gpus", n}, {"nodes", 1}, {"rows", rows}};
}
#endif

}  // namespace strata::probes
