#include "common.hpp"

#include <unistd.h>

#include <fmt/format.h>

#include <cstdio>
#include <filesystem>
#include <iostream>

#include "attractor/core/error.hpp"
#include "attractor/host/engine/cpu_engine.hpp"
#include "attractor/host/engine/processes.hpp"
#include "attractor/host/engine/split_batch_engine.hpp"
#include "attractor/host/io/npy.hpp"

namespace attractor::cli {

const char* const kEnginePrecisionHelp =
    "Arithmetic of weights and states: float32 (half the bytes, products summed in float64 on "
    "the CPU) or float64 (the reference)";

void CommonOptions::add_to(CLI::App& command, const std::vector<core::Precision>& precisions,
                           const std::string& precision_help) {
  command.add_option("--seed", seed, "Seed of every random draw (patterns, noise, update order)")
      ->capture_default_str();
  command.add_option("--backend", backend, "Where to run: cpu, cuda or auto")
      ->check(CLI::IsMember(enum_choices<Backend>()))
      ->capture_default_str();
  std::vector<std::string> names;
  for (const auto p : precisions) names.emplace_back(to_string(p));
  precision = names.front();
  command.add_option("--precision", precision, precision_help)
      ->check(CLI::IsMember(names))
      ->capture_default_str();
  command.add_flag("--json", json, "Print the result as JSON on stdout (for scripts)");
}

void RecallOptions::add_to(CLI::App& command, std::int64_t& neurons, std::int64_t& steps,
                           double& overlap, const std::string& steps_help,
                           const std::string& match_help) {
  command.add_option("--n", neurons, "Number of neurons N")->capture_default_str();
  dynamics_option_ =
      command
          .add_option("--dynamics", dynamics,
                      "How states evolve: discrete-sync (every neuron at once) or "
                      "discrete-async (one neuron at a time, in a fresh random order each sweep)")
          ->check(CLI::IsMember(enum_choices<core::Dynamics>()))
          ->capture_default_str();
  command.add_option("--steps", steps, steps_help)->capture_default_str();
  command.add_option("--match", overlap, match_help)->capture_default_str();
  // The previous release's spellings: hidden (no group), still parsed.
  mode_option_ = command.add_option("--mode", deprecated_mode_)
                     ->check(CLI::IsMember({"sync", "async"}))
                     ->group("");
  max_steps_option_ = command.add_option("--max-steps", steps)->group("");
}

core::Dynamics RecallOptions::parsed_dynamics() const {
  if (max_steps_option_ != nullptr && max_steps_option_->count() > 0) {
    std::cerr << "attractor: --max-steps is deprecated and will be removed in the next release; "
                 "use --steps\n";
  }
  if (mode_option_ == nullptr || mode_option_->count() == 0) {
    return parse_enum<core::Dynamics>(dynamics, "--dynamics");
  }
  core::require(dynamics_option_->count() == 0, "--mode",
                "is the deprecated spelling of --dynamics; give one of them");
  const std::string replacement = deprecated_mode_ == "sync" ? "discrete-sync" : "discrete-async";
  std::cerr << "attractor: --mode is deprecated and will be removed in the next release; use "
               "--dynamics "
            << replacement << "\n";
  return parse_enum<core::Dynamics>(replacement, "--mode");
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
  auto engine = attractor::make_engine(parse_enum<Backend>(backend, "--backend"),
                                       parse_enum<core::Precision>(precision, "--precision"),
                                       device_for(processes.local_rank()));
  if (processes.size() == 1) return engine;
  return std::make_unique<SplitBatchEngine>(std::move(engine), processes);
}

std::unique_ptr<core::EnsembleEngine> CommonOptions::make_ensemble_engine() const {
  return attractor::make_ensemble_engine(parse_enum<Backend>(backend, "--backend"),
                                         parse_enum<core::Precision>(precision, "--precision"),
                                         device_for(Processes::world().local_rank()));
}

std::unique_ptr<core::Engine> CommonOptions::make_row_engine(
    const core::Network& network, const core::RunOptions& options) const {
  const auto& processes = Processes::world();
  if (processes.size() == 1) return make_engine();
  core::require(backend != "cuda", "--backend",
                "a network's rows are shared out across processes on the CPU engine; drop "
                "--backend cuda under mpirun (the GPU engine runs one process's network whole)");
  check_row_partition(network, options, processes.size());
  return std::make_unique<CpuEngine>(processes,
                                     parse_enum<core::Precision>(precision, "--precision"));
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
  const double percent =
      total > 0 ? 100.0 * static_cast<double>(done) / static_cast<double>(total) : 0.0;
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
