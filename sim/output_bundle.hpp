// A directory of output files written by one command (`strata run -o DIR`: report.json, report.html,
// trace-*.json), so that a reader can tell a complete bundle from an interrupted one and a reused directory
// never mixes two runs.
//
// Protocol: the constructor reads DIR/manifest.json if a previous command left one, then writes a manifest
// with "complete": false listing the files this command will write; each file is written atomically
// (atomic_file.hpp); finish() removes the files the previous manifest listed that this command did not
// write (old traces) and the temporaries a killed writer left (NAME.tmp of any listed name), then rewrites
// the manifest last with "complete": true and every file's size. A directory whose manifest is missing or
// says false holds no complete bundle. Only files a manifest lists, and their temporaries, are ever removed.
#pragma once

#include <cstdint>
#include <filesystem>
#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace strata::sim {

class OutputBundle {
 public:
  static constexpr const char* kManifestName = "manifest.json";

  // Throws InputError naming `dir` when it cannot be created or is not writable, before any work is lost,
  // and when a planned name is not a plain file name.
  OutputBundle(std::filesystem::path dir, std::string command, std::vector<std::string> planned);

  // Throws InputError naming `dir` when a bundle could not be written there (not a directory, or neither it
  // nor its nearest existing parent writable). Creates nothing: commands call it before their work.
  static void check_writable(const std::filesystem::path& dir);

  // Writes one planned file atomically.
  void write(const std::string& name, std::string_view content);
  // Cleans what earlier commands owned and marks the bundle complete; returns the files written.
  std::vector<std::filesystem::path> finish();

 private:
  void write_manifest(bool complete) const;

  std::filesystem::path dir_;
  std::string command_;
  std::vector<std::string> planned_;
  std::set<std::string> previous_;  // names the previous manifest listed
  std::vector<std::pair<std::string, std::uintmax_t>> written_;
};

}  // namespace strata::sim
