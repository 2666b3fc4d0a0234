// Parsing of unit strings, done once at the edge (scenario files, profiles, CLI flags).
//
// Grammar: <number><optional spaces><unit>, where <number> is a plain decimal ("4096", "1.5", "2e9"; no sign,
// no hex, no inf/nan). Units are case-sensitive where the case carries meaning (B = byte, b = bit).
//   bytes:     B, KB, MB, GB, TB, PB (powers of 1000), KiB, MiB, GiB, TiB, PiB (powers of 1024), or a bare
//              integer meaning bytes. The result must be a whole number of bytes: "1.5KiB" is 1536 B, "1.5B"
//              is an error.
//   bandwidth: <bytes unit>/s ("50GB/s", "25GiB/s") or <bits unit>/s with b, Kb, Mb, Gb, Tb ("400Gb/s").
//   duration:  ps, ns, us (or µs), ms, s; rounded to the nearest picosecond.
//   FLOP rate: FLOP/s with an optional decimal prefix K, M, G, T, P ("989TFLOP/s", "1.979PFLOP/s").
// A bad string throws InputError quoting the string and saying what was expected; callers locate it with
// InputError::located(file, json_path).
#pragma once

#include <string_view>

#include "sim/sim_time.hpp"
#include "sim/units.hpp"

namespace strata::sim {

Bytes parse_bytes(std::string_view text);
Bandwidth parse_bandwidth(std::string_view text);
SimTime parse_duration(std::string_view text);
FlopRate parse_flop_rate(std::string_view text);

}  // namespace strata::sim
