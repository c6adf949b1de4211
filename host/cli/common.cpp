#include "common.hpp"

#include <unistd.h>

#include <fmt/format.h>

#include <cstdio>
#include <filesystem>
#include <iostream>

#include "attractor/core/error.hpp"
#include "attractor/host/engine/cpu_engine.hpp"
#include "attractor/host/io/npy.hpp"
#include "attractor/host/engine/processes.hpp"
#include "attractor/host/engine/split_batch_engine.hpp"

namespace attractor::cli {

void CommonOptions::add_to(CLI::App& command) {
  command.add_option("--seed", seed, "Seed of every random draw (patterns, noise, update order)")
      ->capture_default_str();
  command.add_option("--backend", backend, "Where to run: cpu, cuda or auto")
      ->check(CLI::IsMember({"auto", "cpu", "cuda"}))
      ->capture_default_str();
  command.add_option("--precision", precision,
                     "Arithmetic on the GPU: float32 or float64 (the CPU engine is float64 always)")
      ->check(CLI::IsMember({"float32", "float64"}))
      ->capture_default_str();
  command.add_flag("--json", json, "Print the result as JSON on stdout (for scripts)");
}

void CommonOptions::require_cpu_backend(const std::string& command) const {
  core::require(backend != "cuda", "--backend",
                command + " runs on the CPU only; use --backend cpu or auto");
}

Action run_parsed(std::shared_ptr<Subcommands> commands) {
  return [commands = std::move(commands)]() {
    for (auto& [command, action] : *commands) {
      if (command->parsed()) return action();
    }
    return 2;
  };
}

std::unique_ptr<core::Engine> CommonOptions::make_engine() const {
  const auto& processes = Processes::world();
  auto engine = attractor::make_engine(parse_backend(backend, "--backend"),
                                  core::parse_precision(precision, "--precision"),
                                  device_for(processes.local_rank()));
  if (processes.size() == 1) return engine;
  return std::make_unique<SplitBatchEngine>(std::move(engine), processes);
}

std::unique_ptr<core::EnsembleEngine> CommonOptions::make_ensemble_engine() const {
  return attractor::make_ensemble_engine(parse_backend(backend, "--backend"),
                                    core::parse_precision(precision, "--precision"),
                                    device_for(Processes::world().local_rank()));
}

std::unique_ptr<core::Engine> CommonOptions::make_row_engine(const core::Network& network,
                                                             const core::RunOptions& options) const {
  const auto& processes = Processes::world();
  if (processes.size() == 1) return make_engine();
  core::require(backend != "cuda", "--backend",
                "a network's rows are shared out across processes on the CPU engine; drop "
                "--backend cuda under mpirun (the GPU engine runs one process's network whole)");
  check_row_partition(network, options, processes.size());
  return std::make_unique<CpuEngine>(processes);
}

Progress::Progress(std::string label)
    : label_(std::move(label)), start_(Clock::now()), last_(start_),
      tty_(::isatty(::fileno(stderr)) != 0) {}

Progress::~Progress() {
  if (printed_ && tty_) std::cerr << '\n';
}

void Progress::update(std::int64_t done, std::int64_t total) {
  // One line of progress per run, not one per process.
  if (!Processes::world().root()) return;
  const auto now = Clock::now();
  const double elapsed = std::chrono::duration<double>(now - start_).count();
  const double since_last = std::chrono::duration<double>(now - last_).count();
  if (elapsed < 1.0 || since_last < (tty_ ? 0.25 : 5.0)) return;
  last_ = now;
  printed_ = true;
  const double percent = total > 0 ? 100.0 * static_cast<double>(done) / static_cast<double>(total)
                                   : 0.0;
  char line[160];
  std::snprintf(line, sizeof line, "%s: %3.0f%% (%lld/%lld), %.1f s", label_.c_str(), percent,
                static_cast<long long>(done), static_cast<long long>(total), elapsed);
  std::cerr << (tty_ ? "\r" : "") << line << (tty_ ? "" : "\n") << std::flush;
}

void print_json(const nlohmann::json& value) { std::cout << value.dump(2) << '\n'; }

void require_finite(const std::vector<double>& values, const std::string& path) {
  core::require(core::all_finite(values), path, "contains NaN or Inf");
}

core::StateBatch read_states(const std::string& path, std::int64_t n) {
  return state_batch(read_npy(path), n, path);
}

}  // namespace attractor::cli
