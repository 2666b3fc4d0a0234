// Test helper: the InputError message a profile reader gives for a shipped profile with one edit, read from
// a scratch copy that keeps the file's name (profile names must match their files).
#pragma once

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <functional>
#include <nlohmann/json.hpp>
#include <string>

#include "input_error.hpp"

template <class Read>
std::string error_of_edited(const std::filesystem::path& shipped,
                            const std::function<void(nlohmann::json&)>& edit, Read read) {
  std::ifstream in(shipped);
  nlohmann::json document = nlohmann::json::parse(in);
  edit(document);
  const auto dir =
      std::filesystem::temp_directory_path() / ("strata-edited-profile-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  const auto path = dir / shipped.filename();
  std::ofstream(path) << document.dump(1);
  const std::string message = error_of([&] { read(path); });
  std::filesystem::remove_all(dir);
  return message;
}
