#include "attractor/host/io/output_folder.hpp"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <stdexcept>

#include "attractor/core/error.hpp"
#include "attractor/host/io/atomic_file.hpp"

namespace attractor {

namespace fs = std::filesystem;

namespace {

// `pattern` with at most one '*' standing for any text.
bool matches(const std::string& pattern, const std::string& name) {
  const std::size_t star = pattern.find('*');
  if (star == std::string::npos) return pattern == name;
  const std::size_t tail = pattern.size() - star - 1;
  return name.size() >= pattern.size() - 1 && name.compare(0, star, pattern, 0, star) == 0 &&
         name.compare(name.size() - tail, tail, pattern, star + 1, tail) == 0;
}

void move(const std::string& from, const std::string& to) {
  if (std::rename(from.c_str(), to.c_str()) != 0) {
    throw std::runtime_error(to + ": cannot move the result into place: " + std::strerror(errno));
  }
}

}  // namespace

OutputFolder::OutputFolder(std::string folder, std::vector<std::string> outputs, std::string record)
    : folder_(std::move(folder)), outputs_(std::move(outputs)), record_(std::move(record)) {
  std::error_code ec;
  fs::create_directories(folder_, ec);
  core::require(!ec && fs::is_directory(folder_), folder_,
                "cannot create the output folder" + (ec ? ": " + ec.message() : std::string()));
  require_writable_folder(folder_, "--out");
  remove_stale_temporaries(folder_);
  staging_ = make_temporary_folder(folder_, ".results");
}

OutputFolder::~OutputFolder() {
  std::error_code ec;
  if (!staging_.empty()) fs::remove_all(staging_, ec);
}

bool OutputFolder::is_output(const std::string& name) const {
  for (const auto& pattern : outputs_) {
    if (matches(pattern, name)) return true;
  }
  return false;
}

std::string OutputFolder::path(const std::string& name) {
  if (!is_output(name) || name.find('/') != std::string::npos) {
    throw std::logic_error("OutputFolder: '" + name + "' is not one of this command's outputs");
  }
  written_.insert(name);
  return staging_ + "/" + name;
}

void OutputFolder::commit() {
  const std::string record = folder_ + "/" + record_;
  std::remove(record.c_str());
  for (const auto& name : written_) {
    if (name != record_) move(staging_ + "/" + name, folder_ + "/" + name);
  }
  // The previous run's results that this run did not replace; only files, and only the names
  // this command writes.
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(folder_, ec)) {
    const std::string name = entry.path().filename().string();
    if (!is_output(name) || written_.count(name) != 0) continue;
    if (entry.is_symlink(ec) || entry.is_regular_file(ec)) fs::remove(entry.path(), ec);
  }
  if (written_.count(record_) != 0) move(staging_ + "/" + record_, record);
  fs::remove_all(staging_, ec);
  staging_.clear();
  sync_folder(folder_);
}

}  // namespace attractor
