// NameTable: one table of words per enumeration, both ways, and the "expected ..." list.
#include <catch2/catch.hpp>

#include "sim/name_table.hpp"

namespace {

enum class Colour { kRed, kGreen, kBlue };
constexpr strata::sim::NameTable<Colour, 3> kColours{
    {{{Colour::kRed, "red"}, {Colour::kGreen, "green"}, {Colour::kBlue, "blue"}}}};

}  // namespace

TEST_CASE("a name table maps values to words and back, and lists its words", "[name-table]") {
  static_assert(kColours.name(Colour::kGreen) == "green");
  CHECK(kColours.value("blue") == Colour::kBlue);
  CHECK_FALSE(kColours.value("Blue").has_value());
  CHECK_FALSE(kColours.value("").has_value());
  CHECK(kColours.choices() == "red, green or blue");
  constexpr strata::sim::NameTable<Colour, 1> one{{{{Colour::kRed, "red"}}}};
  CHECK(one.choices() == "red");
}
