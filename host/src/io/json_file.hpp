#pragma once
// Reading a JSON file other people made (a graph, a checkpoint): through InputFile, its size
// checked against core::kMaxJsonBytes before parsing, a parse error an InputError with a
// printable excerpt of the parser's message. nlohmann stays out of the public headers.
#include <nlohmann/json.hpp>
#include <string>

#include "attractor/core/error.hpp"
#include "attractor/core/limits.hpp"
#include "attractor/host/io/input_file.hpp"

namespace attractor {

inline nlohmann::json read_json_file(const std::string& path, const std::string& kind) {
  InputFile file(path, kind);
  core::require(file.size() <= static_cast<std::uint64_t>(core::kMaxJsonBytes), path,
                "is larger than the limit of " + std::to_string(core::kMaxJsonBytes) + " bytes");
  try {
    return nlohmann::json::parse(file.stream());
  } catch (const nlohmann::json::exception& e) {
    throw core::InputError(path + ": not valid JSON (" + core::printable_excerpt(e.what(), 160) +
                           ")");
  }
}

}  // namespace attractor
