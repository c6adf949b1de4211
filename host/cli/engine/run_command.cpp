// run: evolve user-supplied initial states of a user-supplied network and write the results.
#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <limits>

#include "attractor/core/error.hpp"
#include "attractor/host/engine/processes.hpp"
#include "attractor/host/io/atomic_file.hpp"
#include "attractor/host/io/matrix_market.hpp"
#include "attractor/host/io/npy.hpp"
#include "attractor/host/io/output_folder.hpp"
#include "common.hpp"

namespace attractor::cli {

namespace {

using core::require;

struct RunCli {
  CommonOptions common;
  std::string weights_path, init_path, bias_path, patterns_path, out_dir;
  std::string dynamics = "discrete-sync", activation = "tanh", integrator = "rk4";
  double threshold = 0.0, gain = 1.0;
  core::RunOptions options;
  std::int64_t steps = -1;  // -1: not given
  double t_end = std::numeric_limits<double>::infinity();
  double temperature = std::numeric_limits<double>::quiet_NaN();  // NaN: not given
};

bool ends_with(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() &&
         s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

core::Weights read_weights(const std::string& path) {
  if (ends_with(path, ".mtx")) {
    auto csr = read_matrix_market(path);
    require(csr.rows == csr.cols, path,
            fmt::format("weights must be square, got {} x {}", csr.rows, csr.cols));
    require(csr.rows > 0, path, "the weight matrix is empty");
    return csr;
  }
  require(ends_with(path, ".npy"), path, "weights must be a .npy (dense) or .mtx (sparse) file");
  auto array = read_npy(path);
  require(array.shape.size() == 2 && array.shape[0] == array.shape[1] && array.shape[0] > 0, path,
          "weights must be a non-empty square N x N array, got shape " + shape_text(array.shape));
  require_finite(array.values, path);
  core::DenseMatrix<double> dense;
  dense.rows = dense.cols = array.shape[0];
  dense.values = std::move(array.values);
  return dense;
}

nlohmann::json summary_json(const RunCli& cli, const core::Network& network,
                            const core::RunResult& result, const core::StateBatch& states,
                            const std::vector<std::string>& files) {
  nlohmann::json per_state = nlohmann::json::array();
  const bool continuous = cli.options.dynamics == core::Dynamics::Continuous;
  for (const auto& r : result.states) {
    nlohmann::json s = {{"outcome", core::to_string(r.outcome)}, {"steps", r.steps}};
    s["energy"] = result.energy_defined ? nlohmann::json(r.energy) : nlohmann::json(nullptr);
    if (r.outcome == core::Outcome::LimitCycle) {
      s["period"] = r.period;
      if (continuous) s["period_time"] = r.period_time;
    }
    if (continuous) {
      s["time"] = r.time;
      s["residual"] = r.residual;
    }
    if (cli.options.patterns != nullptr) {
      s["best_overlap"] = r.best_overlap;
      s["matched_pattern"] =
          r.matched_pattern >= 0 ? nlohmann::json(r.matched_pattern) : nlohmann::json(nullptr);
    }
    per_state.push_back(std::move(s));
  }
  nlohmann::json out = {{"command", "run"},
                        {"backend", result.backend},
                        {"precision", core::to_string(result.precision)},
                        {"n", network.size()},
                        {"batch", states.batch},
                        {"synapses", network.synapse_count()},
                        {"processes", Processes::world().size()},
                        {"dynamics", cli.dynamics},
                        {"energy_defined", result.energy_defined},
                        {"engine_seconds", result.seconds},
                        {"neuron_updates", result.neuron_updates},
                        {"seed", cli.common.seed},
                        {"out", cli.out_dir},
                        {"files", files},
                        {"states", per_state}};
  if (continuous) {
    out["activation"] = cli.activation;
    out["gain"] = cli.gain;
    out["integrator"] = cli.integrator;
  }
  if (core::is_glauber(cli.options.dynamics)) out["temperature"] = cli.options.temperature;
  if (!result.recording.steps.empty()) out["recorded_steps"] = result.recording.steps;
  return out;
}

int run(RunCli& cli) {
  // Everything the user gave is read and checked before any work or output.
  auto& options = cli.options;
  options.dynamics = parse_enum<core::Dynamics>(cli.dynamics, "--dynamics");
  options.integrator = parse_enum<core::Integrator>(cli.integrator, "--integrator");
  options.seed = cli.common.seed;
  const bool continuous = options.dynamics == core::Dynamics::Continuous;
  options.t_end = cli.t_end;
  require(continuous || !std::isfinite(cli.t_end), "--t-end",
          "only applies to continuous dynamics");
  const bool glauber = core::is_glauber(options.dynamics);
  require(glauber != std::isnan(cli.temperature), "--temperature",
          glauber ? "glauber dynamics need a temperature (--temperature T, T > 0)"
                  : "only applies to glauber and glauber-sync dynamics");
  if (glauber) {
    require(std::isfinite(cli.temperature) && cli.temperature > 0, "--temperature",
            "must be positive and finite");
    options.temperature = cli.temperature;
  }
  options.max_steps = cli.steps >= 0 ? cli.steps
                      : (continuous && std::isfinite(cli.t_end))
                          ? std::numeric_limits<std::int64_t>::max() / 2
                          : 1000;
  require(options.max_steps >= 1, "--steps", "must be at least 1");

  core::Network network;
  network.weights = read_weights(cli.weights_path);
  if (auto* csr = std::get_if<core::CsrMatrix<double>>(&network.weights);
      csr != nullptr && parse_enum<core::Precision>(cli.common.precision, "--precision") ==
                            core::Precision::Float32) {
    // A float32 run reads float32 weights in place: the float64 copy is not kept beside them.
    // (Dense weights stay float64: the GPU looks for their exact integer form there.)
    network.weights = core::to_float32(std::move(*csr), cli.weights_path);
  }
  const std::int64_t n = network.size();
  network.threshold = cli.threshold;
  network.activation = {continuous
                            ? parse_enum<core::ActivationKind>(cli.activation, "--activation")
                            : core::ActivationKind::Sign,
                        cli.gain};
  if (!cli.bias_path.empty()) {
    auto bias = read_npy(cli.bias_path);
    require(bias.shape.size() == 1 && bias.shape[0] == n, cli.bias_path,
            fmt::format("bias must have shape ({},), got {}", n, shape_text(bias.shape)));
    require_finite(bias.values, cli.bias_path);
    network.bias = std::move(bias.values);
  }
  network.validate(cli.weights_path);
  core::StateBatch states = read_states(cli.init_path, n);
  if (!continuous) {
    require(core::all_signs(states.values), cli.init_path,
            "discrete dynamics need initial states of +1 and -1");
  }
  core::PatternSet patterns;
  if (!cli.patterns_path.empty()) {
    auto array = read_npy(cli.patterns_path);
    require(array.shape.size() == 2 && array.shape[1] == n, cli.patterns_path,
            fmt::format("patterns must have shape (P, {}), got {}", n, shape_text(array.shape)));
    require(core::all_signs(array.values), cli.patterns_path, "patterns must hold +1 and -1 only");
    patterns.count = array.shape[0];
    patterns.n = n;
    patterns.values.assign(array.values.begin(), array.values.end());
    options.patterns = &patterns;
  }
  if (options.record_every > 0) {
    options.record_states = true;
  } else {
    // Without --record-every, energy.npy still holds the initial and the final energy:
    // record step 0 only.
    options.record_every = std::numeric_limits<std::int64_t>::max();
  }
  options.validate();
  auto engine = cli.common.make_row_engine(network, options);
  // The folder is opened before the work, so an unwritable --out fails fast; it keeps what it
  // held unless the run succeeds. Under MPI every process ends with the whole result and the
  // first writes it.
  const bool writer = Processes::world().root();
  std::unique_ptr<OutputFolder> folder;
  if (writer) {
    folder = std::make_unique<OutputFolder>(
        cli.out_dir,
        std::vector<std::string>{"final.npy", "energy.npy", "trajectory.npy", "time.npy",
                                 "overlaps.npy", "summary.json"},
        "summary.json");
  }

  // The work.
  const std::int64_t batch = states.batch;
  core::RunResult result;
  {
    Progress progress("run");
    options.progress = progress.callback();
    result = engine->run(network, states, options);
  }

  // The output, each file written whole or not at all.
  std::vector<std::string> files;
  const auto write = [&](const std::string& name, const std::vector<std::int64_t>& shape,
                         const std::vector<double>& values) {
    if (writer) write_npy(folder->path(name), shape, values);
    files.push_back(name);
  };
  write("final.npy", {batch, n}, states.values);
  const auto& rec = result.recording;
  const bool recorded = cli.options.record_states;
  if (result.energy_defined) {
    std::vector<double> energy = rec.energy;
    std::int64_t rows = static_cast<std::int64_t>(rec.steps.size());
    if (!recorded) {
      for (const auto& r : result.states) energy.push_back(r.energy);
      rows = 2;
    }
    write("energy.npy", {rows, batch}, energy);
  }
  if (recorded) {
    const auto rows = static_cast<std::int64_t>(rec.steps.size());
    write("trajectory.npy", {rows, batch, n}, rec.states);
    if (continuous) write("time.npy", {rows, batch}, rec.time);
  }
  if (options.patterns != nullptr) write("overlaps.npy", {batch, patterns.count}, result.overlaps);
  files.push_back("summary.json");
  const nlohmann::json summary = summary_json(cli, network, result, states, files);
  if (writer) {
    write_file_atomically(folder->path("summary.json"),
                          [&](std::ostream& out) { out << summary.dump(2) << '\n'; });
    folder->commit();
  }

  if (cli.common.json) {
    print_json(summary);
    return 0;
  }
  std::int64_t counts[3] = {0, 0, 0};
  double steps = 0;
  for (const auto& r : result.states) {
    ++counts[static_cast<int>(r.outcome)];
    steps += static_cast<double>(r.steps);
  }
  fmt::print("attractor run: {} state(s) of a {}-neuron network, {}, backend {}\n", batch, n,
             cli.dynamics, result.backend);
  fmt::print("  outcomes     {} fixed points, {} limit cycles, {} wandering\n", counts[0],
             counts[1], counts[2]);
  fmt::print("  mean steps   {:.2f}  ({:.3f} s in the engine)\n",
             batch > 0 ? steps / static_cast<double>(batch) : 0.0, result.seconds);
  fmt::print("  energy       {}\n", result.energy_defined ? "defined (symmetric weights)"
                                                          : "not defined (asymmetric weights)");
  fmt::print("  wrote        {}/{{{}}}\n", cli.out_dir, fmt::join(files, ", "));
  return 0;
}

}  // namespace

Action add_run(CLI::App& app) {
  auto* command = app.add_subcommand(
      "run",
      "Evolve initial states of a network read from files (.npy dense or .mtx sparse "
      "weights) and write final states, energies, trajectories and a JSON summary");
  auto cli = std::make_shared<RunCli>();
  cli->common.add_to(*command, {core::Precision::Float32, core::Precision::Float64},
                     kEnginePrecisionHelp);
  command->add_option("--weights", cli->weights_path, "N x N weights: W.npy (dense) or W.mtx")
      ->required();
  command->add_option("--init", cli->init_path, "Initial states X.npy of shape (B, N) or (N,)")
      ->required();
  command->add_option("--bias", cli->bias_path, "Bias h.npy of shape (N,)");
  command->add_option("--threshold", cli->threshold, "Threshold a (the field is Tx + h - a)")
      ->capture_default_str();
  command->add_option("--patterns", cli->patterns_path,
                      "Stored patterns P.npy of shape (P, N), for overlaps");
  command
      ->add_option("--dynamics", cli->dynamics,
                   "discrete-sync, discrete-async, glauber (heat bath, one neuron at a time), "
                   "glauber-sync (heat bath, all at once) or continuous")
      ->check(CLI::IsMember(
          {"discrete-sync", "discrete-async", "glauber", "glauber-sync", "continuous"}))
      ->capture_default_str();
  command->add_option(
      "--temperature", cli->temperature,
      "Glauber dynamics: temperature T > 0 (P(s_i = +1) = 1 / (1 + exp(-2 h_i / T)))");
  command->add_option("--activation", cli->activation, "Continuous: tanh, logistic or linear")
      ->check(CLI::IsMember({"tanh", "logistic", "linear"}))
      ->capture_default_str();
  command->add_option("--gain", cli->gain, "Continuous: activation gain beta")
      ->capture_default_str();
  command->add_option("--integrator", cli->integrator, "Continuous: euler, rk4 or dopri5")
      ->check(CLI::IsMember(enum_choices<core::Integrator>()))
      ->capture_default_str();
  command->add_option("--dt", cli->options.dt, "Continuous: time step (first step for dopri5)")
      ->capture_default_str();
  command->add_option("--steps", cli->steps, "Step budget (default 1000; unlimited with --t-end)");
  command->add_option("--t-end", cli->t_end, "Continuous: integrate until this time");
  command->add_option("--tol", cli->options.tol, "Continuous: fixed point when |du/dt| <= tol")
      ->capture_default_str();
  command->add_option("--rtol", cli->options.rtol, "Dopri5: relative local error")
      ->capture_default_str();
  command->add_option("--atol", cli->options.atol, "Dopri5: absolute local error")
      ->capture_default_str();
  command->add_option("--max-period", cli->options.max_period, "Longest cycle looked for")
      ->capture_default_str();
  command->add_option("--record-every", cli->options.record_every,
                      "Record states and energy every K steps (trajectory.npy)");
  command->add_option("--out", cli->out_dir, "Output folder")->required();
  return [cli] { return run(*cli); };
}

}  // namespace attractor::cli
