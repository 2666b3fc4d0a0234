// One table of words per enumeration: the words scenarios, profiles and reports use for an enum's values,
// read and written from the same place (DESIGN.md, "one place for each fact").
//
//   inline constexpr sim::NameTable<Recompute, 3> kRecomputeNames{{{{Recompute::kNone, "none"}, ...}}};
//   kRecomputeNames.name(Recompute::kFull)      -> "full"
//   kRecomputeNames.value("selective")          -> Recompute::kSelective (std::nullopt for an unknown word)
//   kRecomputeNames.choices()                   -> "none, selective or full", for "expected ..." messages
#pragma once

#include <array>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace strata::sim {

template <class Enum, std::size_t N>
struct NameTable {
  struct Entry {
    Enum value;
    std::string_view name;
  };
  std::array<Entry, N> entries;

  // The value's word; every value of the enumeration is in the table (an absent one is a bug: "?").
  constexpr std::string_view name(Enum value) const {
    for (const Entry& entry : entries) {
      if (entry.value == value) return entry.name;
    }
    return "?";
  }
  constexpr std::optional<Enum> value(std::string_view word) const {
    for (const Entry& entry : entries) {
      if (entry.name == word) return entry.value;
    }
    return std::nullopt;
  }
  // "a, b or c" in table order.
  std::string choices() const {
    std::string out;
    for (std::size_t i = 0; i < N; ++i) {
      out += std::string(i == 0 ? "" : (i + 1 == N ? " or " : ", ")) + std::string(entries[i].name);
    }
    return out;
  }
};

}  // namespace strata::sim
