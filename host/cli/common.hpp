#pragma once
// Pieces every subcommand shares: the common options, progress on stderr, JSON and table output.
#include <CLI/CLI.hpp>
#include <chrono>
#include <cstdint>
#include <functional>
#include <nlohmann/json.hpp>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "attractor/core/engine.hpp"
#include "attractor/core/state_batch.hpp"
#include "attractor/host/engine/engine_factory.hpp"
#include "attractor/host/io/npy.hpp"

namespace attractor::cli {

// --seed, --backend, --precision, --json: present on every subcommand.
struct CommonOptions {
  std::uint64_t seed = 1;
  std::string backend = "auto";
  std::string precision = "float32";
  bool json = false;

  void add_to(CLI::App& command);
  // InputError on --backend unless it is cpu or auto: for commands that only run on the host.
  void require_cpu_backend(const std::string& command) const;
  // Under MPI each process gets its own GPU (dealt out per machine) or the CPU, and
  // make_engine's engine shares a batch of states out across the processes.
  std::unique_ptr<core::Engine> make_engine() const;
  std::unique_ptr<core::EnsembleEngine> make_ensemble_engine() const;
  // One network's rows shared out across the processes (the CPU engine); make_engine() on one.
  // InputError, before any work, when this network and run cannot be shared out.
  std::unique_ptr<core::Engine> make_row_engine(const core::Network& network,
                                                const core::RunOptions& options) const;
};

// Prints "label: 42% (21/50), 3.1 s" on stderr once the work has taken longer than a second,
// at most a few times a second (one line per few seconds when stderr is not a terminal).
class Progress {
 public:
  explicit Progress(std::string label);
  ~Progress();
  Progress(const Progress&) = delete;
  Progress& operator=(const Progress&) = delete;
  void update(std::int64_t done, std::int64_t total);
  // update() as a callback for the library's progress hooks; valid while this object lives.
  std::function<void(std::int64_t, std::int64_t)> callback() {
    return [this](std::int64_t done, std::int64_t total) { update(done, total); };
  }

 private:
  using Clock = std::chrono::steady_clock;
  std::string label_;
  Clock::time_point start_, last_;
  bool printed_ = false;
  bool tty_;
};

void print_json(const nlohmann::json& value);

// InputError naming `path` when any value is NaN or Inf.
void require_finite(const std::vector<double>& values, const std::string& path);
// Initial states from a (B, N) or (N,) .npy file; `n` is the network's size.
core::StateBatch read_states(const std::string& path, std::int64_t n);

// Subcommands. Each registers its options and returns the action to run after parsing.
using Action = std::function<int()>;
Action add_demo(CLI::App& app);
Action add_recall(CLI::App& app);
Action add_capacity(CLI::App& app);
Action add_run(CLI::App& app);
Action add_ensemble(CLI::App& app);
Action add_dam(CLI::App& app);
Action add_control(CLI::App& app);
Action add_memory_experiment(CLI::App& app);
Action add_learn(CLI::App& app);
Action add_physical(CLI::App& app);  // physical_command.cpp

// `attractor learn <rule>`: each family of rules registers its subcommands under `learn` and the
// action that runs each one.
using Subcommands = std::vector<std::pair<CLI::App*, Action>>;
// The action that runs whichever of `commands` was parsed (2 when none was).
Action run_parsed(std::shared_ptr<Subcommands> commands);
void add_local_rule_commands(CLI::App& learn, Subcommands& out);      // local_rules_command.cpp
void add_competing_unit_commands(CLI::App& learn, Subcommands& out);  // competing_units_command.cpp

}  // namespace attractor::cli
