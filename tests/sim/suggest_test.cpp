// Nearest-word suggestions for typos.
#include "sim/suggest.hpp"

#include <catch2/catch.hpp>
#include <string>
#include <vector>

using strata::sim::did_you_mean;
using strata::sim::edit_distance;
using strata::sim::nearest_word;

TEST_CASE("edit distance counts inserts, deletes, substitutions and swaps of neighbours", "[suggest]") {
  CHECK(edit_distance("", "") == 0);
  CHECK(edit_distance("run", "run") == 0);
  CHECK(edit_distance("rnu", "run") == 1);  // a swap
  CHECK(edit_distance("global_bach", "global_batch") == 1);
  CHECK(edit_distance("kitten", "sitting") == 3);
  CHECK(edit_distance("DP", "dp") == 0);  // case does not count
  CHECK(edit_distance("", "abc") == 3);
}

TEST_CASE("the nearest word is offered only when it is a likely typo", "[suggest]") {
  const std::vector<std::string> commands = {"run", "search", "sweep", "validate", "hw", "model"};
  CHECK(nearest_word("rnu", commands) == "run");
  CHECK(nearest_word("swep", commands) == "sweep");
  CHECK(nearest_word("valdiate", commands) == "validate");
  CHECK_FALSE(nearest_word("frobnicate", commands));
  CHECK_FALSE(nearest_word("xy", commands));   // two edits from "hw": too many for a short word
  CHECK_FALSE(nearest_word("run", commands));  // a right word needs no suggestion
  CHECK_FALSE(nearest_word("", commands));
  CHECK_FALSE(nearest_word(std::string(10'000, 'a'), commands));  // long input is not compared
  CHECK(did_you_mean("serch", commands) == " (did you mean \"search\"?)");
  CHECK(did_you_mean("zzz", commands).empty());
}
