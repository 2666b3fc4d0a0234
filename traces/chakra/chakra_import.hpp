// Chakra execution traces, one per rank, as an execution graph (traces/README.md, "Chakra execution traces").
//
// Each node becomes a task of its rank once its data dependencies are done, as ASTRA-sim's trace feeder runs
// them (control dependencies are not followed: in Chakra's converter output a CPU operator also names the
// GPU kernel it launched as one, a cycle with that kernel's data dependency on it): compute nodes on the CPU
// thread or GPU stream their "tid" names (one node at a time on each), collectives and sends/receives on a
// communication stream of their own. Tasks are emitted in dependency order, smallest node id first among the
// ready ones, which is each stream's program order.
//  - COMP_NODE, MEM_LOAD_NODE, MEM_STORE_NODE, METADATA_NODE: their measured duration_micros;
//  - COMM_COLL_NODE with comm_type and comm_size: a collective of the network model over the job (all ranks,
//    or --world-size GPUs when one rank's trace stands for a larger job); comm_size is taken as the
//    nccl-tests size (the buffer of an all-reduce, the gathered output of an all-gather). Reduce, gather,
//    scatter, barrier and nodes without those attributes (a CPU-side dispatch) keep their measured duration;
//  - COMM_SEND_NODE / COMM_RECV_NODE with comm_dst / comm_src: a send or receive to that rank, paired by
//    comm_tag; without a peer in the job they keep their measured duration.
// A dependency on a node the trace does not have is dropped and counted (Chakra's converter leaves out the
// process root that most nodes name as a control dependency); a cycle is an error naming the file and a node.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "models/graph/execution_graph.hpp"
#include "traces/chakra/chakra_trace.hpp"

namespace strata::traces {

struct ChakraImportOptions {
  int world_size = 0;  // GPUs of the job; 0: one per trace. More than the traces: the others are symmetric
};

struct ChakraImport {
  models::ExecutionGraph graph;
  std::int64_t nodes = 0;
  std::int64_t modelled_collectives = 0;  // per rank, summed
  std::int64_t modelled_transfers = 0;    // sends and receives
  std::int64_t absent_dependencies = 0;   // dependencies on nodes the traces do not have, dropped
  std::map<std::string, std::int64_t> measured_communication;  // reason -> nodes kept at their duration
};

ChakraImport import_chakra(const std::vector<ChakraTrace>& ranks, const ChakraImportOptions& options = {});

}  // namespace strata::traces
