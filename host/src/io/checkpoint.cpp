#include "attractor/host/io/checkpoint.hpp"

#include <algorithm>
#include <filesystem>
#include <limits>
#include <nlohmann/json.hpp>

#include "attractor/core/error.hpp"
#include "attractor/host/io/atomic_file.hpp"
#include "attractor/host/io/input_file.hpp"
#include "attractor/host/io/npy.hpp"
#include "io/json_file.hpp"

namespace attractor {

namespace {

using nlohmann::json;

// Array names are identifiers, so a file name made from one stays inside the folder.
bool is_array_name(const std::string& name) {
  return !name.empty() && name.size() <= 64 && std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
  });
}

// A non-negative integer field, read without json's conversions (which would turn 2.9 into 2 or
// throw its own type errors).
std::int64_t count_field(const json& meta, const char* key, const std::string& path) {
  core::require(meta.contains(key), path, std::string("has no \"") + key + "\"");
  const json& value = meta.at(key);
  core::require(value.is_number_integer() && value.get<std::int64_t>() >= 0 &&
                    !(value.is_number_unsigned() &&
                      value.get<std::uint64_t>() >
                          static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())),
                path, std::string("\"") + key + "\" must be a non-negative integer");
  return value.get<std::int64_t>();
}

}  // namespace

Checkpoint::Checkpoint(std::string folder, std::string identity)
    : folder_(std::move(folder)), identity_(std::move(identity)) {}

std::string Checkpoint::array_file(std::int64_t generation, const std::string& array) const {
  return "checkpoint-" + std::to_string(generation) + "-" + array + ".npy";
}

void Checkpoint::save(const std::string& phase, std::int64_t epochs_done,
                      const std::vector<TrainingState>& states, const std::string& history) {
  ++generation_;
  json arrays = json::object();
  json steps = json::array();
  std::vector<std::string> files;
  for (const auto& state : states) {
    for (const auto& [name, values] : state.arrays) {
      const std::string file = array_file(generation_, name);
      write_npy(folder_ + "/" + file, {static_cast<std::int64_t>(values->size())},
                std::vector<double>(values->begin(), values->end()), NpyDtype::Float32);
      arrays[name] = file;
      files.push_back(file);
    }
    steps.push_back(state.steps ? *state.steps : 0);
  }
  const json meta = {{"identity", json::parse(identity_)},
                     {"phase", phase},
                     {"epochs_done", epochs_done},
                     {"generation", generation_},
                     {"arrays", arrays},
                     {"history", json::parse(history)},
                     {"steps", steps}};
  write_file_atomically(json_path(), [&](std::ostream& out) { out << meta.dump(1); });
  std::error_code ec;
  for (const auto& file : previous_files_) std::filesystem::remove(folder_ + "/" + file, ec);
  previous_files_ = std::move(files);
}

CheckpointRecord Checkpoint::open() {
  const std::string path = json_path();
  std::error_code ec;
  core::require(
      std::filesystem::symlink_status(path, ec).type() != std::filesystem::file_type::not_found,
      path, "no checkpoint to resume from");
  const json meta = read_json_file(path, "a checkpoint");
  core::require(meta.is_object() && meta.contains("identity"), path,
                "not a checkpoint of attractor learn");
  if (meta["identity"] != json::parse(identity_)) {
    throw core::InputError(path +
                           ": written by a run with other parameters or data; resume "
                           "with the same options");
  }
  CheckpointRecord record;
  core::require(meta.contains("phase") && meta["phase"].is_string(), path,
                "\"phase\" must be a string");
  record.phase = meta["phase"].get<std::string>();
  record.epochs_done = count_field(meta, "epochs_done", path);
  record.generation = count_field(meta, "generation", path);
  record.history = meta.contains("history") ? meta["history"].dump() : "null";
  core::require(meta.contains("arrays") && meta["arrays"].is_object(), path,
                "\"arrays\" must be an object");
  for (const auto& item : meta["arrays"].items()) {
    core::require(
        is_array_name(item.key()), path,
        "array name \"" + core::printable_excerpt(item.key()) + "\" is not an identifier");
    core::require(
        item.value() == array_file(record.generation, item.key()), path,
        "array \"" + item.key() + "\" must be in " + array_file(record.generation, item.key()));
    record.arrays.push_back(item.key());
  }
  core::require(meta.contains("steps") && meta["steps"].is_array(), path,
                "\"steps\" must be a list");
  for (const auto& step : meta["steps"]) {
    core::require(step.is_number_integer() && step.get<std::int64_t>() >= 0, path,
                  "\"steps\" must hold non-negative integers");
    record.steps.push_back(step.get<std::int64_t>());
  }
  generation_ = record.generation;
  previous_files_.clear();
  for (const auto& array : record.arrays) previous_files_.push_back(array_file(generation_, array));
  return record;
}

void Checkpoint::restore(const CheckpointRecord& record,
                         const std::vector<TrainingState>& states) const {
  core::require(record.steps.size() == states.size(), json_path(),
                "\"steps\" has " + std::to_string(record.steps.size()) + " entries, expected " +
                    std::to_string(states.size()));
  for (std::size_t s = 0; s < states.size(); ++s) {
    for (const auto& [name, values] : states[s].arrays) {
      core::require(std::count(record.arrays.begin(), record.arrays.end(), name) == 1, json_path(),
                    "has no array '" + name + "'");
      const std::string path = folder_ + "/" + array_file(record.generation, name);
      const NpyArray array = read_npy(path);
      core::require(array.values.size() == values->size(), path,
                    "has " + std::to_string(array.values.size()) + " entries, expected " +
                        std::to_string(values->size()));
      core::require(core::all_finite(array.values), path, "contains NaN or Inf");
      std::copy(array.values.begin(), array.values.end(), values->begin());
    }
    if (states[s].steps) *states[s].steps = record.steps[s];
  }
}

}  // namespace attractor
