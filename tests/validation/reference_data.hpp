// The records of shared/reference/hardware_measurements.json, keyed by id (beside the checkout; the suite's
// main() skips the run when the directory is missing).
#pragma once

#include <fstream>
#include <nlohmann/json.hpp>
#include <string>

inline nlohmann::json reference_records() {
  std::ifstream in(std::string(STRATA_REFERENCE_DIR) + "/hardware_measurements.json");
  const nlohmann::json document = nlohmann::json::parse(in);
  nlohmann::json records = nlohmann::json::object();
  for (const auto& record : document.at("records")) records[record.at("id").get<std::string>()] = record;
  return records;
}
