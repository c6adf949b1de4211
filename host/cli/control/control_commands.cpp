// control and memory-experiment: controlled plasticity, T(ξ) = A + ξ with ξ chosen by the
// discounted optimal-control problem, on the embedded example network (a diluted asymmetric
// Hebbian network with silent synapses) or on A and a silent mask read from Matrix Market files.
#include <fmt/format.h>

#include <map>
#include <memory>

#include "attractor/core/error.hpp"
#include "attractor/host/control/control_experiments.hpp"
#include "attractor/host/io/atomic_file.hpp"
#include "attractor/host/io/matrix_market.hpp"
#include "attractor/host/io/npy.hpp"
#include "attractor/host/io/output_folder.hpp"
#include "common.hpp"

namespace attractor::cli {

namespace {

using core::require;
using Index = std::int64_t;

// The network: the embedded example, or A (+ mask, bias) from files.
struct NetworkOptions {
  ControlNetworkParams params;
  std::string A_path, mask_path, bias_path;

  void add_to(CLI::App& command) {
    auto* group = command.add_option_group("network", "The embedded example, or --A from a file");
    group->add_option("--n", params.n, "Neurons of the example network")->capture_default_str();
    group->add_option("--patterns", params.patterns, "Patterns stored in the example's A")
        ->capture_default_str();
    group
        ->add_option("--connectivity", params.connectivity,
                     "Probability of each existing synapse i <- j of the example")
        ->capture_default_str();
    group
        ->add_option("--silent", params.silent,
                     "Probability that a missing synapse is a silent candidate")
        ->capture_default_str();
    group->add_option("--strength", params.strength, "J: A = J/(c N) sum_mu xi xi^T")
        ->capture_default_str();
    group->add_option("--gain", params.gain, "beta of the tanh neurons")->capture_default_str();
    group->add_option("--K", params.K, "Bound |xi| <= K on existing synapses")
        ->capture_default_str();
    group->add_option("--k", params.k, "Bound |xi| <= k on silent synapses")->capture_default_str();
    group->add_option("--A", A_path, "A as a Matrix Market .mtx (its entries: existing synapses)");
    group->add_option("--mask", mask_path,
                      "Silent candidates as a Matrix Market .mtx (with --A; default none)");
    group->add_option("--bias", bias_path, "Bias b as an (N,) .npy (with --A; default 0)");
  }

  bool from_files() const { return !A_path.empty(); }

  void validate() const {
    require(from_files() || (mask_path.empty() && bias_path.empty()), "--mask",
            "--mask and --bias need --A");
    if (!from_files()) params.validate();
  }

  ControlNetworkExample build(core::Engine& engine, std::uint64_t seed) const {
    if (!from_files()) {
      auto p = params;
      p.seed = seed;
      return control_network_example(p, engine);
    }
    const auto A = read_matrix_market(A_path);
    require(A.rows == A.cols && A.rows > 0, A_path,
            fmt::format("A must be square and non-empty, got {} x {}", A.rows, A.cols));
    core::CsrMatrix<double> mask;
    if (mask_path.empty()) {
      mask.rows = mask.cols = A.rows;
      mask.row_ptr.assign(static_cast<std::size_t>(A.rows + 1), 0);
    } else {
      mask = read_matrix_market(mask_path);
      require(mask.rows == A.rows && mask.cols == A.cols, mask_path,
              fmt::format("the mask must be {0} x {0} like A, got {1} x {2}", A.rows, mask.rows,
                          mask.cols));
    }
    std::vector<double> b;
    if (!bias_path.empty()) {
      auto array = read_npy(bias_path);
      require(
          array.shape.size() == 1 && array.shape[0] == A.rows, bias_path,
          fmt::format("the bias must have shape ({},), got {}", A.rows, shape_text(array.shape)));
      require_finite(array.values, bias_path);
      b = std::move(array.values);
    }
    require(std::isfinite(params.K) && std::isfinite(params.k) && params.K >= 0 && params.k >= 0 &&
                params.k <= params.K,
            "--k", "the bounds must satisfy 0 <= k <= K");
    ControlNetworkExample example;
    example.net = core::ControlledNetwork::build(A, mask, {core::ActivationKind::Tanh, params.gain},
                                                 params.K, params.k, std::move(b));
    return example;
  }

  nlohmann::json to_json(const ControlNetworkExample& ex) const {
    nlohmann::json j{{"n", ex.net.n()},
                     {"synapses", ex.net.synapses()},
                     {"existing", ex.net.existing()},
                     {"silent", ex.net.synapses() - ex.net.existing()},
                     {"K", ex.net.K},
                     {"k", ex.net.k},
                     {"gain", ex.net.activation.gain}};
    if (from_files()) {
      j["A"] = A_path;
      j["mask"] = mask_path;
    } else {
      j["example"] = {{"patterns", params.patterns},
                      {"connectivity", params.connectivity},
                      {"silent_probability", params.silent},
                      {"strength", params.strength},
                      {"amplitude", ex.amplitude}};
    }
    return j;
  }
};

// The control problem, the solver and the outcome rules as options, from the library's settings.
struct ProblemOptions : ControlSettings {
  void add_to(CLI::App& command) {
    auto* group = command.add_option_group("problem", "The control problem and its solver");
    group->add_option("--mu", problem.mu, "Weight of |xi|^2 against |X|^2 in J, in [0, 1]")
        ->capture_default_str();
    group->add_option("--lambda", problem.lambda, "Discount rate of J")->capture_default_str();
    group->add_option("--dt", problem.dt, "Euler step of the dynamics")->capture_default_str();
    group->add_option("--intervals", problem.intervals, "Piecewise-constant control intervals")
        ->capture_default_str();
    group->add_option("--tail-tol", problem.tail_tol, "Bound on the truncated tail of J")
        ->capture_default_str();
    group->add_option("--gtol", solve.gtol, "Stop at a scaled projected step <= gtol")
        ->capture_default_str();
    group->add_option("--max-iterations", solve.max_iterations, "Solver iterations per problem")
        ->capture_default_str();
    group
        ->add_option("--same-overlap", outcome.same_overlap,
                     "A fixed point A alone keeps with this sign overlap is an existing one")
        ->capture_default_str();
    group->add_option("--max-steps", outcome.max_steps, "Steps of each continuation")
        ->capture_default_str();
  }

  nlohmann::json to_json() const {
    return {{"mu", problem.mu},
            {"lambda", problem.lambda},
            {"dt", problem.dt},
            {"intervals", problem.intervals},
            {"tail_tol", problem.tail_tol},
            {"gtol", solve.gtol},
            {"max_iterations", solve.max_iterations}};
  }
};

nlohmann::json plan_json(const core::ControlPlan& plan) {
  return {{"steps", plan.steps}, {"horizon", plan.horizon}, {"tail_bound", plan.tail_bound}};
}

std::unique_ptr<core::Engine> float64_engine(const CommonOptions& common) {
  return make_engine(parse_enum<Backend>(common.backend, "--backend"), core::Precision::Float64);
}

// The network the control of stage r ran on, with ξ_∞ as its values: ξ_∞ on the union pattern.
core::CsrMatrix<double> on_union_pattern(const core::ControlledNetwork& net,
                                         const std::vector<double>& values) {
  core::CsrMatrix<double> out = net.T;
  out.values = values;
  return out;
}

struct ControlCli {
  CommonOptions common;
  NetworkOptions network;
  ProblemOptions problem;
  Index stored = 2, novel = 2;
  double noise = 0.0, jitter = 0.03;
  std::string init_path, out_dir;
  std::unique_ptr<OutputFolder> folder;  // --out, once the inputs are read
  std::vector<double> mus;
  CLI::App* command = nullptr;

  void add_to(CLI::App& app) {
    command = &app;
    common.add_to(app, {core::Precision::Float64},
                  "float64: control problems are solved in float64 on every backend");
    network.add_to(app);
    problem.add_to(app);
    auto* cues = app.add_option_group("cues", "The initial states u0, one control problem each");
    cues->add_option("--stored", stored, "Cues at stored equilibria of the example")
        ->capture_default_str();
    cues->add_option("--jitter", jitter, "Each stored cue's neurons moved by up to jitter * a")
        ->capture_default_str();
    cues->add_option("--noise", noise, "Fraction of each stored cue's signs flipped")
        ->capture_default_str();
    cues->add_option("--novel", novel, "Cues a eta at new random patterns eta")
        ->capture_default_str();
    cues->add_option("--init", init_path, "Initial states as a (B, N) or (N,) .npy instead");
    app.add_option("--mus", mus,
                   "Solve the same cues at each of these mu (the Pareto sweep) instead of --mu")
        ->delimiter(',');
    app.add_option("--out", out_dir,
                   "Folder for summary.json, xi_inf_<b>.mtx, u_limit.npy and the traces of "
                   "|X|(t), |xi|(t)");
  }

  void validate() {
    network.validate();
    problem.validate();
    require(network.from_files() ? !init_path.empty() : true, "--init",
            "a network from --A needs its initial states from --init");
    if (init_path.empty()) {
      require(stored >= 0 && novel >= 0 && stored + novel >= 1, "--stored",
              "need at least one cue (--stored or --novel)");
      require(stored <= 100000 && novel <= 100000, "--stored", "at most 100000 cues of each kind");
      require(std::isfinite(noise) && noise >= 0 && noise <= 0.5, "--noise",
              "must lie in [0, 0.5]");
      require(std::isfinite(jitter) && jitter >= 0 && jitter <= 1, "--jitter",
              "must lie in [0, 1]");
    }
    for (const double mu : mus) {
      require(std::isfinite(mu) && mu > 0 && mu < 1, "--mus", "every mu must lie in (0, 1)");
    }
  }

  nlohmann::json cue_json(const ControlBatchReport& report, Index b,
                          const std::vector<std::string>& kinds) const {
    const auto& s = report.solution.problems[b];
    const auto& o = report.outcomes[b];
    nlohmann::json j{{"cue", b},
                     {"kind", kinds[b]},
                     {"outcome", to_string(o.outcome)},
                     {"J", s.cost.J},
                     {"state_cost", s.cost.state_cost},
                     {"control_cost", s.cost.control_cost},
                     {"iterations", s.iterations},
                     {"evaluations", s.evaluations},
                     {"converged", s.converged},
                     {"projected_gradient", s.projected_gradient},
                     {"final_residual", o.final_residual},
                     {"xi_inf_max", o.xi_inf_max},
                     {"xi_inf_norm", o.xi_inf_norm},
                     {"residual_without_control", o.residual_without_control},
                     {"existing_overlap", o.existing_overlap},
                     {"continuation_time", o.continuation_time},
                     {"cue_overlap", report.cue_overlap[b]}};
    if (o.outcome == ControlOutcome::LimitCycle) {
      j["period"] = o.period;
      j["period_time"] = o.period_time;
    }
    if (report.nearest_pattern[b] >= 0) {
      j["nearest_pattern"] = report.nearest_pattern[b];
      j["stored_overlap"] = report.stored_overlap[b];
    }
    return j;
  }

  int run() {
    validate();
    auto engine = float64_engine(common);
    auto batch = make_control_batch(parse_enum<Backend>(common.backend, "--backend"));
    const auto ex = network.build(*engine, common.seed);
    std::vector<double> cues;
    std::vector<std::string> kinds;
    if (!init_path.empty()) {
      auto states = read_states(init_path, ex.net.n());
      cues = std::move(states.values);
      kinds.assign(static_cast<std::size_t>(states.batch), "file");
    } else {
      cues = control_cues(ex, stored, noise, jitter, novel, common.seed);
      kinds.assign(static_cast<std::size_t>(stored), "stored");
      kinds.resize(static_cast<std::size_t>(stored + novel), "novel");
    }
    // Bad shapes and values of the cues are input errors before any work or output.
    static_cast<void>(core::plan_horizon(ex.net, problem.problem, cues));
    if (!out_dir.empty()) {
      folder = std::make_unique<OutputFolder>(
          out_dir,
          std::vector<std::string>{"summary.json", "xi_inf_*.mtx", "u_limit.npy", "residual.npy",
                                   "control_norm.npy", "time.npy"},
          "summary.json");
    }

    nlohmann::json result{{"command", "control"},
                          {"backend", batch->name()},
                          {"seed", common.seed},
                          {"network", network.to_json(ex)},
                          {"problem", problem.to_json()}};
    if (!mus.empty()) return run_sweep(ex, cues, kinds, *batch, *engine, result);

    ControlBatchReport report;
    {
      Progress progress("control");
      report = run_control_batch(ex, problem.problem, cues, *batch, *engine, problem.solve,
                                 problem.outcome, progress.callback());
    }
    result["plan"] = plan_json(report.solution.plan);
    result["seconds"] = report.solution.seconds;
    nlohmann::json per_cue = nlohmann::json::array();
    std::map<std::string, Index> counts;
    for (std::size_t b = 0; b < report.outcomes.size(); ++b) {
      per_cue.push_back(cue_json(report, static_cast<Index>(b), kinds));
      ++counts[to_string(report.outcomes[b].outcome)];
    }
    result["outcomes"] = counts;
    result["cues"] = per_cue;
    if (!out_dir.empty()) write_outputs(ex, cues, report, result);
    if (common.json) {
      print_json(result);
    } else {
      print_table(report, kinds, result);
    }
    return 0;
  }

  void write_outputs(const ControlNetworkExample& ex, const std::vector<double>& cues,
                     const ControlBatchReport& report, nlohmann::json& result) const {
    const Index n = ex.net.n(), count = static_cast<Index>(report.outcomes.size());
    const auto& plan = report.solution.plan;
    std::vector<double> u_limit, residual, control, time;
    for (Index b = 0; b < count; ++b) {
      const auto& solved = report.solution.problems[b];
      const auto& o = report.outcomes[b];
      u_limit.insert(u_limit.end(), o.u_limit.begin(), o.u_limit.end());
      const std::vector<double> u0(cues.begin() + b * n, cues.begin() + (b + 1) * n);
      const auto trace = trace_control(ex.net, problem.problem, plan, solved.controls, u0);
      residual.insert(residual.end(), trace.residual.begin(), trace.residual.end());
      control.insert(control.end(), trace.control.begin(), trace.control.end());
      time = trace.time;
      write_matrix_market(
          folder->path(fmt::format("xi_inf_{}.mtx", b)),
          on_union_pattern(ex.net, final_control(ex.net, problem.problem, solved.controls)));
    }
    const Index points = plan.steps + 1;
    write_npy(folder->path("u_limit.npy"), {count, n}, u_limit);
    write_npy(folder->path("residual.npy"), {count, points}, residual);
    write_npy(folder->path("control_norm.npy"), {count, points}, control);
    write_npy(folder->path("time.npy"), {points}, time);
    result["files"] = {"summary.json", "xi_inf_<cue>.mtx", "u_limit.npy",
                       "residual.npy", "control_norm.npy", "time.npy"};
    write_file_atomically(folder->path("summary.json"),
                          [&](std::ostream& out) { out << result.dump(2) << '\n'; });
    folder->commit();
  }

  void print_table(const ControlBatchReport& report, const std::vector<std::string>& kinds,
                   const nlohmann::json& result) const {
    const auto& plan = report.solution.plan;
    fmt::print(
        "attractor control: {} neurons, {} synapses ({} silent), K = {}, k = {}, backend {}\n",
        result["network"]["n"].get<Index>(), result["network"]["synapses"].get<Index>(),
        result["network"]["silent"].get<Index>(), result["network"]["K"].get<double>(),
        result["network"]["k"].get<double>(), report.solution.backend);
    fmt::print("  J = int ((1-mu)|X|^2 + mu|xi|^2) e^(-lambda t) dt, mu = {}, lambda = {}\n",
               problem.problem.mu, problem.problem.lambda);
    fmt::print("  horizon {} ({} Euler steps of {}, {} control intervals), tail of J <= {:.2e}\n",
               plan.horizon, plan.steps, problem.problem.dt, problem.problem.intervals,
               plan.tail_bound);
    fmt::print("  {:>4} {:>7} {:>12} {:>10} {:>10} {:>10} {:>10} {:>6}\n", "cue", "kind", "outcome",
               "J", "max|xi_inf|", "|X|(T)", "cue m", "iters");
    for (std::size_t b = 0; b < report.outcomes.size(); ++b) {
      const auto& s = report.solution.problems[b];
      const auto& o = report.outcomes[b];
      fmt::print("  {:>4} {:>7} {:>12} {:>10.4g} {:>10.3g} {:>10.3g} {:>10.3f} {:>6}{}\n", b,
                 kinds[b], to_string(o.outcome), s.cost.J, o.xi_inf_max, o.final_residual,
                 report.cue_overlap[b], s.iterations, s.converged ? "" : " (not converged)");
    }
    fmt::print("  {:.2f} s{}\n", report.solution.seconds,
               out_dir.empty() ? "" : fmt::format(", wrote {}/summary.json and traces", out_dir));
  }

  int run_sweep(const ControlNetworkExample& ex, const std::vector<double>& cues,
                const std::vector<std::string>& kinds, core::ControlBatch& batch,
                core::Engine& engine, nlohmann::json& result) const {
    std::vector<ParetoPoint> points;
    {
      Progress progress("control sweep");
      points = run_pareto_sweep(ex, problem.problem, mus, cues, batch, engine, problem.solve,
                                problem.outcome, progress.callback());
    }
    nlohmann::json sweep = nlohmann::json::array();
    for (const auto& p : points) {
      nlohmann::json outcomes = nlohmann::json::array();
      for (const auto o : p.outcomes) outcomes.push_back(to_string(o));
      sweep.push_back({{"mu", p.mu},
                       {"state_cost", p.state_cost},
                       {"control_cost", p.control_cost},
                       {"state_integral", p.state_integral},
                       {"control_integral", p.control_integral},
                       {"recognized", p.recognized},
                       {"recorded", p.recorded},
                       {"limit_cycle", p.limit_cycles},
                       {"wandering", p.wandering},
                       {"tail_bound", p.tail_bound},
                       {"outcomes", outcomes}});
    }
    result["cue_kinds"] = kinds;
    result["pareto"] = sweep;
    if (folder) {
      write_file_atomically(folder->path("summary.json"),
                            [&](std::ostream& out) { out << result.dump(2) << '\n'; });
      folder->commit();
    }
    if (common.json) {
      print_json(result);
      return 0;
    }
    fmt::print("attractor control: Pareto sweep over mu, {} cues, backend {}\n", kinds.size(),
               batch.name());
    fmt::print("  {:>5} {:>12} {:>12} {:>10} {:>9} {:>10}\n", "mu", "int |X|^2", "int |xi|^2",
               "recognized", "recorded", "tail");
    for (const auto& p : points) {
      fmt::print("  {:>5} {:>12.4g} {:>12.4g} {:>10} {:>9} {:>10.2e}\n", p.mu, p.state_integral,
                 p.control_integral, p.recognized, p.recorded, p.tail_bound);
    }
    return 0;
  }
};

struct MemoryCli {
  CommonOptions common;
  NetworkOptions network;
  ProblemOptions problem;
  MemoryExperimentParams params;
  bool unbounded = false;
  std::string out_dir;
  CLI::App* command = nullptr;

  MemoryCli() { network.params = memory_network_params(); }

  void add_to(CLI::App& app) {
    command = &app;
    common.add_to(app, {core::Precision::Float64},
                  "float64: control problems are solved in float64 on every backend");
    network.add_to(app);
    problem.add_to(app);
    app.add_option("--sequence", params.sequence,
                   "Stages: r >= 0 records novel pattern r, -(r+1) releases recording r")
        ->delimiter(',')
        ->allow_extra_args(false)
        ->capture_default_str();
    app.add_flag("--unbounded", unbounded,
                 "Efficacy A + M without the bound (to compare: what the bound took)");
    app.add_option("--probe-noise", params.probe_noise,
                   "Fraction of a memory's signs flipped in its probe")
        ->capture_default_str();
    app.add_option("--overlap", params.overlap, "A memory is held when its probe returns to this")
        ->capture_default_str();
    app.add_option("--out", out_dir, "Folder for summary.json and the final trace trace.mtx");
  }

  int run() {
    require(!network.from_files(), "--A",
            "memory-experiment runs on the example network (its novel patterns need it)");
    network.validate();
    problem.validate();
    params.bounded = !unbounded;
    params.seed = common.seed;
    params.validate();
    auto engine = float64_engine(common);
    auto batch = make_control_batch(parse_enum<Backend>(common.backend, "--backend"));
    const auto ex = network.build(*engine, common.seed);
    std::unique_ptr<OutputFolder> folder;
    if (!out_dir.empty()) {
      folder = std::make_unique<OutputFolder>(
          out_dir, std::vector<std::string>{"summary.json", "trace.mtx"}, "summary.json");
    }
    MemoryExperimentReport report;
    {
      Progress progress("memory-experiment");
      report = run_memory_experiment(ex, problem.problem, params, *batch, *engine, problem.solve,
                                     problem.outcome, progress.callback());
    }
    nlohmann::json stages = nlohmann::json::array();
    for (const auto& s : report.stages) {
      nlohmann::json j{{"stage", s.stage},
                       {"action", s.release ? "release" : "record"},
                       {"pattern", s.pattern},
                       {"trace_max_over_bound", s.trace_max_over_bound},
                       {"saturated", s.saturated},
                       {"held", s.held},
                       {"probe_overlap", s.probe_overlap}};
      if (!s.release) {
        j["outcome"] = to_string(s.outcome);
        j["J"] = s.J;
        j["tail_bound"] = s.tail_bound;
        j["xi_inf_max"] = s.xi_inf_max;
      }
      stages.push_back(j);
    }
    nlohmann::json events = nlohmann::json::array();
    for (const auto& e : report.events) {
      events.push_back({{"kind", e.kind}, {"memory", e.memory}, {"stage", e.stage}});
    }
    const nlohmann::json result{{"command", "memory-experiment"},
                                {"backend", batch->name()},
                                {"seed", common.seed},
                                {"bounded", params.bounded},
                                {"sequence", params.sequence},
                                {"network", network.to_json(ex)},
                                {"problem", problem.to_json()},
                                {"stages", stages},
                                {"events", events}};
    if (folder) {
      write_matrix_market(folder->path("trace.mtx"), on_union_pattern(ex.net, report.trace));
      write_file_atomically(folder->path("summary.json"),
                            [&](std::ostream& out) { out << result.dump(2) << '\n'; });
      folder->commit();
    }
    if (common.json) {
      print_json(result);
      return 0;
    }
    fmt::print("attractor memory-experiment: efficacy A + {}, K = {}, k = {}, backend {}\n",
               params.bounded ? "clip(M, bound)" : "M (unbounded)", ex.net.K, ex.net.k,
               batch->name());
    fmt::print("  {:>5} {:>12} {:>12} {:>10}  held (memory 0, 1, ...)\n", "stage", "action",
               "outcome", "saturated");
    for (const auto& s : report.stages) {
      std::string held;
      for (const int h : s.held) held += h < 0 ? " ." : (h ? " H" : " -");
      fmt::print("  {:>5} {:>12} {:>12} {:>10} {}\n", s.stage,
                 fmt::format("{} {}", s.release ? "release" : "record", s.pattern),
                 s.release ? "" : to_string(s.outcome), s.saturated, held);
    }
    for (const auto& e : report.events) {
      fmt::print("  memory {} {} at stage {}\n", e.memory, e.kind, e.stage);
    }
    return 0;
  }
};

}  // namespace

Action add_control(CLI::App& app) {
  auto* command = app.add_subcommand(
      "control",
      "Controlled plasticity: steer the synapses xi (|xi| <= K existing, <= k silent) by the "
      "discounted optimal-control problem; classify each cue as recognized, recorded, limit "
      "cycle or wandering");
  auto state = std::make_shared<ControlCli>();
  state->add_to(*command);
  return [state] { return state->run(); };
}

Action add_memory_experiment(CLI::App& app) {
  auto* command = app.add_subcommand(
      "memory-experiment",
      "Record a sequence of patterns by accumulating T <- T + xi_inf with bounded synapses: "
      "forgetting past the bound, recovery within it");
  auto state = std::make_shared<MemoryCli>();
  state->add_to(*command);
  return [state] { return state->run(); };
}

}  // namespace attractor::cli
