#pragma once
// Pieces every subcommand shares: the common options, progress on stderr, JSON and table output.
#include <CLI/CLI.hpp>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <utility>
#include <vector>

#include "attractor/core/engine.hpp"
#include "attractor/core/state_batch.hpp"
#include "attractor/host/engine/engine_factory.hpp"
#include "attractor/host/io/npy.hpp"

namespace attractor::cli {

// --seed, --backend, --precision, --json: present on every subcommand. --precision offers only
// the arithmetic the command's backends have (the first is the default), and its help says what
// it means there: every other value is refused when the command line is parsed.
struct CommonOptions {
  std::uint64_t seed = 1;
  std::string backend = "auto";
  std::string precision;
  bool json = false;

  void add_to(CLI::App& command, const std::vector<core::Precision>& precisions,
              const std::string& precision_help);
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

// The options of every command that recalls stored patterns (recall, capacity, dam, ensemble),
// one spelling each: --n, --dynamics, --steps, --match. The spellings of the previous release,
// --mode sync|async and --max-steps, still parse for one release, hidden from --help, with a
// deprecation note on stderr.
struct RecallOptions {
  explicit RecallOptions(std::string default_dynamics) : dynamics(std::move(default_dynamics)) {}

  std::string dynamics;

  // Registers the options on `command`, bound to the experiment's own fields; the help texts say
  // what a step and a match mean for this command.
  void add_to(CLI::App& command, std::int64_t& neurons, std::int64_t& steps, double& overlap,
              const std::string& steps_help, const std::string& match_help);
  // --dynamics (or the deprecated --mode) as a value; InputError for an unknown name.
  core::Dynamics parsed_dynamics() const;

 private:
  std::string deprecated_mode_;
  CLI::Option* mode_option_ = nullptr;
  CLI::Option* max_steps_option_ = nullptr;
  CLI::Option* dynamics_option_ = nullptr;
};

// --precision's help for the commands whose engines offer both: the CUDA engine computes in
// either, the CPU engine in float64.
extern const char* const kEnginePrecisionHelp;

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
  core::ProgressFn callback() {
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
