// physical train|modes: learning in flow, elastic and linear networks, and the eigen-analysis
// of their Hessians.
#include <fmt/format.h>

#include <chrono>
#include <cmath>
#include <filesystem>
#include <limits>
#include <memory>
#include <string>
#include <vector>

#include "attractor/core/error.hpp"
#include "attractor/core/limits.hpp"
#include "attractor/host/io/atomic_file.hpp"
#include "attractor/host/io/matrix_market.hpp"
#include "attractor/host/io/npy.hpp"
#include "attractor/host/io/output_folder.hpp"
#include "attractor/host/physical/hessian_modes.hpp"
#include "attractor/host/physical/physical_learning.hpp"
#include "common.hpp"

namespace attractor::cli {

namespace {

using nlohmann::json;
using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

constexpr double kUnset = std::numeric_limits<double>::quiet_NaN();

// How a network is described on the command line: a file, or a builder and its parameters.
struct NetworkOptions {
  std::string graph, kind = "flow", ground = "auto", phi = "linear", lattice = "none";
  std::int64_t nodes = 512;
  int dim = 2;
  double degree = kUnset;

  void add_to(CLI::App& command) {
    command.add_option("--graph", graph,
                       "Network JSON file (kind, nodes, positions, edges, weights, ground), as "
                       "`physical train --out` writes; replaces the builder options");
    command.add_option("--network", kind, "Built network: flow, elastic or linear")
        ->check(CLI::IsMember(enum_choices<PhysicalKind>()))
        ->capture_default_str();
    command.add_option("--nodes", nodes, "Nodes of the built network")->capture_default_str();
    command.add_option("--dim", dim, "Space dimension of a random network: 2 or 3")
        ->capture_default_str();
    command.add_option("--degree", degree,
                       "Mean degree of a random network (default 4 flow, 8 elastic: nearest-"
                       "neighbour graphs below ~8 keep local floppy spots)");
    command
        .add_option("--lattice", lattice,
                    "Build a lattice of about --nodes nodes instead: square or triangular")
        ->check(CLI::IsMember({"none", "square", "triangular"}))
        ->capture_default_str();
    command
        .add_option("--ground", ground,
                    "node (one grounded node; pinned nodes for elastic), boundary (every node "
                    "near the box's faces) or auto (what the task needs)")
        ->check(CLI::IsMember({"auto", "node", "boundary"}))
        ->capture_default_str();
    command
        .add_option("--phi", phi,
                    "Edge response phi(w): linear (phi = w), square (w^2) or exp (e^w)")
        ->check(CLI::IsMember(enum_choices<EdgeResponse>()))
        ->capture_default_str();
  }

  PhysicalNetwork build(std::uint64_t seed, Grounding auto_ground) const {
    PhysicalNetwork net;
    if (!graph.empty()) {
      net = read_physical_network(graph);
    } else {
      const auto physical_kind = parse_enum<PhysicalKind>(kind, "--kind");
      const auto grounding =
          ground == "auto" ? auto_ground : parse_enum<Grounding>(ground, "--ground");
      core::require(nodes >= 2 && nodes <= core::kMaxNeurons, "--nodes",
                    "must lie in [2, " + std::to_string(core::kMaxNeurons) + "]");
      if (physical_kind == PhysicalKind::Linear) {
        // N × N couplings, their Hessian and the solver's dense factor.
        core::require_memory(core::checked_product({nodes, nodes, 3, 8}, core::kMaxEstimate,
                                                   "--nodes", "the couplings' memory"),
                             "--nodes (a linear network)");
        net = linear_network(nodes, seed);
      } else if (lattice != "none") {
        core::require(nodes >= 4, "--nodes", "a lattice needs at least 4 nodes");
        const auto side =
            static_cast<std::int64_t>(std::llround(std::sqrt(static_cast<double>(nodes))));
        net = lattice_network(physical_kind, side, (nodes + side - 1) / side,
                              lattice == "triangular", grounding);
      } else {
        const double z =
            std::isnan(degree) ? (physical_kind == PhysicalKind::Elastic ? 8.0 : 4.0) : degree;
        net = random_geometric_network(physical_kind, nodes, dim, z, seed, grounding);
      }
    }
    if (graph.empty() || phi != "linear") net.phi = parse_enum<EdgeResponse>(phi, "--phi");
    return net;
  }
};

json network_summary(const PhysicalSystem& system) {
  const auto& net = system.network();
  return {{"kind", to_string(net.kind)},
          {"phi", to_string(net.phi)},
          {"nodes", net.nodes},
          {"edges", net.edges.size()},
          {"mean_degree",
           net.nodes ? 2.0 * static_cast<double>(net.edges.size()) / static_cast<double>(net.nodes)
                     : 0.0},
          {"grounded", net.ground.size()},
          {"free_dofs", system.free_dofs()},
          {"learning_dofs", system.learning_dofs()}};
}

std::vector<double> to_vector(const Eigen::VectorXd& v) { return {v.data(), v.data() + v.size()}; }

void add_spectrum(json& out, const ResponseSpectrum& spectrum) {
  out["g_bar"] = spectrum.g_bar;
  out["participation_ratio"] = spectrum.participation;
  out["d_eff"] = spectrum.d_eff;
}

json ensemble_json(const EnsembleDimension& ensemble) {
  return {{"forces", ensemble.forces},
          {"participation_ratio", ensemble.participation},
          {"d_eff", ensemble.d_eff},
          {"g_bar", ensemble.g_bar}};
}

// One eigen-analysis of H(w) (analyze_modes) as the report lists it.
json analyze(const PhysicalSystem& system, const std::vector<double>& w, const PhysicalTask& task,
             std::int64_t modes_kept, std::int64_t forces, std::uint64_t seed) {
  const auto r = analyze_modes(system, w, task, modes_kept, forces, seed);
  const auto& values = r.modes.values;
  const auto& alignment = r.alignment;
  const auto kept = static_cast<std::ptrdiff_t>(r.kept);
  json out = {{"lowest_eigenvalues", std::vector<double>(values.data(), values.data() + kept)},
              {"f", std::vector<double>(alignment.f.begin(), alignment.f.begin() + kept)},
              {"a", std::vector<double>(alignment.a.begin(), alignment.a.begin() + kept)},
              {"alignment",
               std::vector<double>(alignment.product.begin(), alignment.product.begin() + kept)}};
  if (r.spectrum) {
    add_spectrum(out, *r.spectrum);
    const std::size_t carrier = alignment.carrier;
    out["carrier_mode"] = {{"index", carrier},
                           {"eigenvalue", values[static_cast<Eigen::Index>(carrier)]},
                           {"f", alignment.f[carrier]},
                           {"a", alignment.a[carrier]},
                           {"alignment", alignment.product[carrier]}};
  }
  if (r.ensemble) out["ensemble"] = ensemble_json(*r.ensemble);
  return out;
}

json task_nodes(const std::vector<PhysicalTask>& tasks) {
  json out = json::array();
  for (const auto& task : tasks) {
    out.push_back({{"inputs", task.input_nodes},
                   {"outputs", task.output_nodes},
                   {"targets", to_vector(task.B)}});
  }
  return out;
}

void add_train(CLI::App& physical, Subcommands& commands) {
  CLI::App* cmd = physical.add_subcommand(
      "train",
      "Train a physical network by contrastive (nudge) or coupled learning on allostery, the "
      "source/target reference of Stern et al. (reference) or the iris flowers (iris), with the "
      "Hessian's lowest modes, alignment and D_eff along training");
  auto common = std::make_shared<CommonOptions>();
  auto network = std::make_shared<NetworkOptions>();
  struct Options {
    std::string task = "allostery", rule, solver = "cholesky", out, data;
    std::int64_t inputs = -1, outputs = -1, tasks = 1, steps = -1, analyze_every = -1, modes = 10,
                 forces = 0;
    double alpha = kUnset, eta = 1e-3, floor = 1e-4, gain = 1.0, force = 1.0, target = 1.0,
           test_fraction = 0.2;
  };
  auto o = std::make_shared<Options>();
  common->add_to(*cmd, {core::Precision::Float64},
                 "float64: physical networks are solved on the CPU, in float64");
  network->add_to(*cmd);
  cmd->add_option("--task", o->task, "allostery, reference or iris")
      ->check(CLI::IsMember({"allostery", "reference", "iris"}))
      ->capture_default_str();
  cmd->add_option("--inputs", o->inputs, "Input nodes per task (default 2 allostery, 5 reference)");
  cmd->add_option("--outputs", o->outputs,
                  "Output nodes per task (default 1 allostery, 3 reference)");
  cmd->add_option("--tasks", o->tasks, "Tasks learned at once (allostery, reference)")
      ->capture_default_str();
  cmd->add_option("--gain", o->gain,
                  "Allostery target: the output's response as a multiple of the input's own")
      ->capture_default_str();
  cmd->add_option("--force", o->force,
                  "Norm of the input force (allostery), or force per unit "
                  "feature (iris)")
      ->capture_default_str();
  cmd->add_option("--target", o->target,
                  "Iris: output target +target for the class, -target "
                  "for the others")
      ->capture_default_str();
  cmd->add_option(
      "--data", o->data,
      "Iris: a table in scikit-learn's CSV layout (default: the built-in iris flowers)");
  cmd->add_option("--test-fraction", o->test_fraction, "Iris: held-out fraction")
      ->capture_default_str();
  cmd->add_option("--rule", o->rule,
                  "nudge (contrastive) or couple (default: couple for "
                  "reference, nudge otherwise)")
      ->check(CLI::IsMember(enum_choices<ClampRule>()));
  cmd->add_option(
      "--alpha", o->alpha,
      "Learning rate (default 0.3 allostery, 0.1 reference or a linear network, 1 iris)");
  cmd->add_option("--eta", o->eta, "Nudge or clamping strength")->capture_default_str();
  cmd->add_option("--floor", o->floor, "Smallest conductance or stiffness phi(w) kept")
      ->capture_default_str();
  cmd->add_option("--steps", o->steps,
                  "Weight updates (default 8000 allostery, 10000 reference, 2000 iris)");
  cmd->add_option("--solver", o->solver, "cholesky (one factor per step) or cg")
      ->check(CLI::IsMember(enum_choices<HessianMethod>()))
      ->capture_default_str();
  cmd->add_option("--analyze-every", o->analyze_every,
                  "Eigen-analysis every K steps (default: 40 analyses per run)");
  cmd->add_option("--modes", o->modes, "Lowest modes recorded per analysis")->capture_default_str();
  cmd->add_option("--forces", o->forces,
                  "Random forces probing the response dimension at each analysis (0: off)")
      ->capture_default_str();
  cmd->add_option("--out", o->out,
                  "Folder for result.json and the network before and after (network_*.json)");

  commands.emplace_back(cmd, [common, network, o]() {
    common->require_cpu_backend("physical learning");
    const bool reference = o->task == "reference", iris = o->task == "iris";
    const auto rule = parse_enum<ClampRule>(
        o->rule.empty() ? (reference ? "couple" : "nudge") : o->rule, "--rule");
    PhysicalTrainParams params;
    params.rule = rule;
    // Plain gradient steps: a rate the default tasks learn with in a few thousand steps without
    // driving edges onto the floor (a larger one slams them there and the network stalls).
    const bool linear = network->graph.empty() && network->kind == "linear";
    params.alpha = !std::isnan(o->alpha) ? o->alpha : reference || linear ? 0.1 : iris ? 1.0 : 0.3;
    params.eta = o->eta;
    params.stiffness_floor = o->floor;
    params.steps = o->steps >= 0 ? o->steps : reference ? 10000 : iris ? 2000 : 8000;
    params.method = parse_enum<HessianMethod>(o->solver, "--solver");
    check_train_params(params);
    core::require(o->modes >= 1, "--modes", "must be at least 1");
    core::require(o->forces >= 0, "--forces", "must be non-negative");
    const std::int64_t every =
        o->analyze_every > 0 ? o->analyze_every : std::max<std::int64_t>(1, params.steps / 40);

    const PhysicalSystem system(
        network->build(common->seed, reference ? Grounding::Node : Grounding::Boundary),
        network->graph.empty() ? "network" : network->graph);
    // Every task holds its forces and targets, every step its cost (and its place in the JSON).
    const std::int64_t kMax = core::kMaxEstimate;
    core::require_memory(
        core::checked_product({std::max<std::int64_t>(o->tasks, 1), system.free_dofs(), 4, 8}, kMax,
                              "--tasks", "the tasks' memory") +
            core::checked_product({params.steps, 64}, kMax, "--steps", "the cost curve's memory"),
        "--tasks and --steps");
    std::vector<double> w = system.network().w;
    std::vector<PhysicalTask> tasks;
    ClassificationTasks classes;
    if (reference) {
      tasks = source_target_tasks(system, o->tasks, o->inputs > 0 ? o->inputs : 5,
                                  o->outputs > 0 ? o->outputs : 3, common->seed);
    } else if (iris) {
      const auto table = o->data.empty() ? iris_table() : read_feature_csv(o->data);
      classes =
          classification_tasks(system, table, o->test_fraction, o->force, o->target, common->seed);
      tasks = classes.train;
    } else {
      tasks = allostery_tasks(system, w, o->tasks, o->inputs > 0 ? o->inputs : 2,
                              o->outputs > 0 ? o->outputs : 1, o->gain, o->force, common->seed);
    }
    std::unique_ptr<OutputFolder> folder;
    if (!o->out.empty()) {
      folder = std::make_unique<OutputFolder>(
          o->out,
          std::vector<std::string>{"network_before.json", "network_after.json", "result.json"},
          "result.json");
    }

    const auto start = Clock::now();
    std::vector<double> costs;
    json analyses = json::array();
    Progress progress("physical train");
    train_physical(system, w, tasks, params,
                   [&](std::int64_t step, const std::vector<double>& w_now, double cost) {
                     costs.push_back(cost);
                     if (step % every == 0 || step == params.steps) {
                       json a = analyze(system, w_now, tasks[0], o->modes, o->forces, common->seed);
                       a["step"] = step;
                       a["cost"] = cost;
                       if (iris) {
                         a["train_accuracy"] = classification_accuracy(system, w_now, classes.train,
                                                                       classes.train_labels);
                         a["test_accuracy"] = classification_accuracy(system, w_now, classes.test,
                                                                      classes.test_labels);
                       }
                       analyses.push_back(std::move(a));
                     }
                     progress.update(step, params.steps);
                     return true;
                   });
    const double elapsed = seconds_since(start);
    const json& first = analyses.front();
    const json& last = analyses.back();
    std::int64_t at_floor = 0;
    const double floor = system.weight_floor(params.stiffness_floor);
    for (const double x : w) at_floor += x <= floor;
    json result = {{"command", "physical train"},
                   {"network", network_summary(system)},
                   {"task", o->task},
                   {"tasks", tasks.size()},
                   {"rule", to_string(rule)},
                   {"alpha", params.alpha},
                   {"eta", params.eta},
                   {"floor", params.stiffness_floor},
                   {"steps", params.steps},
                   {"seed", common->seed},
                   {"solver", o->solver},
                   {"seconds", elapsed},
                   {"initial_cost", costs.front()},
                   {"final_cost", costs.back()},
                   {"cost_ratio", costs.front() > 0 ? costs.back() / costs.front() : 0.0},
                   {"silent_cost", silent_cost(tasks)},
                   {"edges_at_floor", at_floor},
                   {"lowest_eigenvalue_before", first["lowest_eigenvalues"][0]},
                   {"lowest_eigenvalue_after", last["lowest_eigenvalues"][0]}};
    if (first.contains("d_eff")) {
      result["d_eff_before"] = first["d_eff"];
      result["d_eff_after"] = last["d_eff"];
    }
    if (iris) {
      result["train_accuracy"] = last["train_accuracy"];
      result["test_accuracy"] = last["test_accuracy"];
      result["test_samples"] = classes.test.size();
      const auto bound = linear_response_bound(system, classes);
      result["least_squares"] = {{"train_cost", bound.train_cost},
                                 {"train_accuracy", bound.train_accuracy},
                                 {"test_accuracy", bound.test_accuracy}};
    }
    if (folder) {
      json full = result;
      full["cost_curve"] = costs;
      full["analyses"] = analyses;
      full["task_nodes"] = task_nodes(tasks);
      PhysicalNetwork after = system.network();
      after.w = w;
      write_physical_network(folder->path("network_before.json"), system.network());
      write_physical_network(folder->path("network_after.json"), after);
      write_file_atomically(folder->path("result.json"),
                            [&](std::ostream& out) { out << full.dump(1) << '\n'; });
      folder->commit();
    }
    if (common->json) {
      print_json(result);
      return 0;
    }
    fmt::print("attractor physical train: {} network, {} task{} ({} rule)\n",
               to_string(system.network().kind), o->task, tasks.size() > 1 ? "s" : "",
               to_string(rule));
    fmt::print("  nodes / edges      {} / {}  ({} free DOFs, {} grounded)\n",
               system.network().nodes, system.network().edges.size(), system.free_dofs(),
               system.network().ground.size());
    fmt::print("  steps              {}  (alpha {}, eta {}, {:.2f} s)\n", params.steps,
               params.alpha, params.eta, elapsed);
    fmt::print("  cost               {:.3e} -> {:.3e}  (ratio {:.2e})\n", costs.front(),
               costs.back(), result["cost_ratio"].get<double>());
    fmt::print("  silent cost        {:.3e}  (no response at the outputs)\n",
               result["silent_cost"].get<double>());
    fmt::print("  lowest eigenvalue  {:.3e} -> {:.3e}\n",
               result["lowest_eigenvalue_before"].get<double>(),
               result["lowest_eigenvalue_after"].get<double>());
    if (result.contains("d_eff_before")) {
      fmt::print("  D_eff              {:.3f} -> {:.3f}\n", result["d_eff_before"].get<double>(),
                 result["d_eff_after"].get<double>());
    }
    if (iris) {
      fmt::print("  accuracy           train {:.1f}%, test {:.1f}% ({} held out)\n",
                 100 * result["train_accuracy"].get<double>(),
                 100 * result["test_accuracy"].get<double>(), classes.test.size());
      fmt::print(
          "  least squares      cost {:.3e}, train {:.1f}%, test {:.1f}% (the best any "
          "linear response can do)\n",
          result["least_squares"]["train_cost"].get<double>(),
          100 * result["least_squares"]["train_accuracy"].get<double>(),
          100 * result["least_squares"]["test_accuracy"].get<double>());
    }
    fmt::print("  edges at the floor {}\n", at_floor);
    if (!o->out.empty())
      fmt::print("  wrote              {}/result.json, network_before.json, network_after.json\n",
                 o->out);
    return 0;
  });
}

void add_modes(CLI::App& physical, Subcommands& commands) {
  CLI::App* cmd = physical.add_subcommand(
      "modes",
      "The lowest modes of a network's Hessian (dense, or Spectra's shift-invert Lanczos on a "
      "sparse Cholesky factor), its response spectrum and the dimension of its responses to "
      "random forces");
  auto common = std::make_shared<CommonOptions>();
  auto network = std::make_shared<NetworkOptions>();
  struct Options {
    std::int64_t count = 20, forces = 0;
    std::string method = "auto", write_hessian, write_modes;
    double tolerance = 1e-10;
  };
  auto o = std::make_shared<Options>();
  common->add_to(*cmd, {core::Precision::Float64},
                 "float64: physical networks are solved on the CPU, in float64");
  network->add_to(*cmd);
  cmd->add_option("--count", o->count, "Lowest modes to find")->capture_default_str();
  cmd->add_option("--method", o->method, "auto, dense or shift-invert")
      ->check(CLI::IsMember(enum_choices<ModeMethod>()))
      ->capture_default_str();
  cmd->add_option("--tolerance", o->tolerance, "Lanczos convergence tolerance")
      ->capture_default_str();
  cmd->add_option("--forces", o->forces, "Random forces for the measured response dimension")
      ->capture_default_str();
  cmd->add_option("--write-hessian", o->write_hessian, "Write H (free DOFs) as Matrix Market");
  cmd->add_option("--write-modes", o->write_modes,
                  "Write the eigenvalues and eigenvectors (.npy "
                  "prefix: PREFIX_values.npy, PREFIX_vectors.npy)");
  commands.emplace_back(cmd, [common, network, o]() {
    common->require_cpu_backend("the eigen-analysis");
    core::require(o->tolerance > 0 && o->tolerance < 1, "--tolerance", "must lie in (0, 1)");
    const PhysicalSystem system(network->build(common->seed, Grounding::Boundary),
                                network->graph.empty() ? "network" : network->graph);
    if (!o->write_hessian.empty()) require_writable_file(o->write_hessian, "--write-hessian");
    if (!o->write_modes.empty()) {
      require_writable_file(o->write_modes + "_values.npy", "--write-modes");
    }
    auto start = Clock::now();
    const auto H = system.hessian(system.network().w);
    const double assemble_s = seconds_since(start);
    start = Clock::now();
    HessianSolver solver;
    solver.factorize(H);
    const double factor_s = seconds_since(start);
    start = Clock::now();
    const auto modes = lowest_modes(H, o->count, parse_enum<ModeMethod>(o->method, "--method"),
                                    o->tolerance, &solver);
    const double modes_s = seconds_since(start);
    json result = {{"command", "physical modes"},
                   {"network", network_summary(system)},
                   {"method", modes.method},
                   {"count", modes.values.size()},
                   {"eigenvalues", to_vector(modes.values)},
                   {"hessian_nonzeros", H.nonZeros()},
                   {"factor_nonzeros", solver.factor_nonzeros()},
                   {"assemble_seconds", assemble_s},
                   {"factor_seconds", factor_s},
                   {"modes_seconds", modes_s},
                   {"lanczos_restarts", modes.iterations},
                   {"shift_solves", modes.operations}};
    if (modes.complete) add_spectrum(result, response_spectrum(modes.values));
    if (o->forces > 0) {
      start = Clock::now();
      result["ensemble"] = ensemble_json(ensemble_dimension(solver, o->forces, common->seed));
      result["ensemble"]["seconds"] = seconds_since(start);
    }
    if (!o->write_hessian.empty()) {
      std::vector<core::Triplet<double>> entries;
      for (Eigen::Index c = 0; c < H.outerSize(); ++c) {
        for (Eigen::SparseMatrix<double>::InnerIterator it(H, c); it; ++it) {
          entries.push_back({it.row(), it.col(), it.value()});
        }
      }
      write_matrix_market(o->write_hessian,
                          core::csr_from_triplets(H.rows(), H.cols(), std::move(entries), "H"),
                          true);
      result["hessian_file"] = o->write_hessian;
    }
    if (!o->write_modes.empty()) {
      write_npy(o->write_modes + "_values.npy", {modes.values.size()}, to_vector(modes.values));
      const Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor> V =
          modes.vectors;
      write_npy(o->write_modes + "_vectors.npy", {V.rows(), V.cols()},
                std::vector<double>(V.data(), V.data() + V.size()));
    }
    if (common->json) {
      print_json(result);
      return 0;
    }
    fmt::print("attractor physical modes: {} network, {} free DOFs, {} method\n",
               to_string(system.network().kind), system.free_dofs(), modes.method);
    fmt::print("  H non-zeros        {}  (Cholesky factor {})\n", H.nonZeros(),
               solver.factor_nonzeros());
    fmt::print("  seconds            assemble {:.3f}, factor {:.3f}, modes {:.3f}\n", assemble_s,
               factor_s, modes_s);
    fmt::print("  lowest eigenvalues");
    for (Eigen::Index n = 0; n < std::min<Eigen::Index>(modes.values.size(), 8); ++n) {
      fmt::print(" {:.4e}", modes.values[n]);
    }
    fmt::print("{}\n", modes.values.size() > 8 ? " ..." : "");
    if (modes.complete) {
      fmt::print("  g_bar, PR, D_eff   {:.4e}, {:.3f}, {:.3f}\n", result["g_bar"].get<double>(),
                 result["participation_ratio"].get<double>(), result["d_eff"].get<double>());
    }
    if (o->forces > 0) {
      fmt::print("  {} random forces  PR {:.3f}, D_eff {:.3f}\n", o->forces,
                 result["ensemble"]["participation_ratio"].get<double>(),
                 result["ensemble"]["d_eff"].get<double>());
    }
    return 0;
  });
}

}  // namespace

Action add_physical(CLI::App& app) {
  CLI::App* physical = app.add_subcommand(
      "physical",
      "Physical learning: flow, elastic and linear networks trained by local contrastive rules, "
      "and the eigen-analysis of their Hessians");
  physical->require_subcommand(1);
  auto commands = std::make_shared<Subcommands>();
  add_train(*physical, *commands);
  add_modes(*physical, *commands);
  return run_parsed(commands);
}

}  // namespace attractor::cli
