// "Did you mean ...?" for a mistyped key, name, command or option: the nearest known word by edit distance.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace strata::sim {

// Edits (insert, delete, substitute, swap two neighbours) between two words, case-insensitive.
std::size_t edit_distance(std::string_view a, std::string_view b);

// The candidate nearest to `word` when it is close enough to be a typo of it: at most one edit for words of
// up to 4 characters, two up to 8, three beyond (a third of a long word); the first of equally near ones.
// Nothing for a word that is a candidate itself.
std::optional<std::string> nearest_word(std::string_view word, const std::vector<std::string>& candidates);

// " (did you mean \"x\"?)" for the nearest word, or "".
std::string did_you_mean(std::string_view word, const std::vector<std::string>& candidates);

}  // namespace strata::sim
