// demo, recall and capacity: associative memory experiments on an embedded default (recall:
// Hebbian weights; capacity: Hebb, Storkey or pseudo-inverse).
#include <fmt/format.h>

#include <cmath>
#include <string>

#include "attractor/core/error.hpp"
#include "attractor/host/memory/recall.hpp"
#include "common.hpp"

namespace attractor::cli {

namespace {

void add_storage_option(CLI::App& command, std::string& storage) {
  command
      .add_option("--storage", storage,
                  "Hebbian weights: dense (8 N^2 bytes), factored (the patterns, P N bytes; "
                  "T s = Xi^T Xi s / N - P s / N) or auto (dense up to N = 8192)")
      ->check(CLI::IsMember(enum_choices<Storage>()))
      ->capture_default_str();
}

// The load up to which the theory of each storage rule expects the stored patterns to be
// retrieved (from themselves) at N neurons, and what it says.
struct CapacityTheory {
  double alpha;
  std::string statement;
};

CapacityTheory capacity_theory(StorageRule rule, std::int64_t n) {
  switch (rule) {
    case StorageRule::Storkey: {
      const double alpha = 1.0 / std::sqrt(2.0 * std::log(static_cast<double>(n)));
      return {alpha, fmt::format("Storkey (1997): patterns stay stable up to P = N/sqrt(2 ln N), "
                                 "P/N = {:.3f} at this N",
                                 alpha)};
    }
    case StorageRule::PseudoInverse:
      return {1.0, "Personnaz et al. (1985): every stored pattern is a fixed point up to P = N"};
    case StorageRule::Hebb: break;
  }
  return {0.138, "AGS (1985), N -> infinity: retrieval collapses at P/N = 0.138"};
}

nlohmann::json to_json(const RecallReport& r) {
  const auto& p = r.params;
  return {{"command", "recall"},
          {"backend", r.backend},
          {"n", p.n},
          {"patterns", p.patterns},
          {"load", static_cast<double>(p.patterns) / static_cast<double>(p.n)},
          {"cues", p.cues},
          {"noise", p.noise},
          {"dynamics", core::to_string(p.dynamics)},
          {"storage", to_string(r.storage)},
          {"seed", p.seed},
          {"match_overlap", p.match_overlap},
          {"recall_rate", r.recall_rate},
          {"mean_overlap", r.mean_overlap},
          {"mean_steps", r.mean_steps},
          {"outcomes",
           {{"fixed_point", r.fixed_points},
            {"limit_cycle", r.limit_cycles},
            {"wandering", r.wandering}}},
          {"engine_seconds", r.seconds},
          {"neuron_updates_per_second", r.updates_per_second},
          {"target_overlap", r.target_overlap},
          {"steps", r.steps}};
}

void print_table(const RecallReport& r, const char* title) {
  const auto& p = r.params;
  fmt::print("{}\n", title);
  fmt::print("  neurons N          {}\n", p.n);
  fmt::print("  patterns P         {}  (load P/N = {:.3f})\n", p.patterns,
             static_cast<double>(p.patterns) / static_cast<double>(p.n));
  fmt::print("  cues               {}, each with {:.0f}% of its bits flipped\n", p.cues,
             100 * p.noise);
  fmt::print("  dynamics           {}\n", core::to_string(p.dynamics));
  fmt::print("  weights            {}\n", r.storage == Storage::Factored
                                              ? "factored Hebbian (patterns kept, P·N bytes)"
                                              : "dense Hebbian matrix");
  fmt::print("  backend            {}\n", r.backend);
  fmt::print("  recall rate        {:.1f}%  (final overlap >= {})\n", 100 * r.recall_rate,
             p.match_overlap);
  fmt::print("  mean final overlap {:.4f}\n", r.mean_overlap);
  fmt::print("  mean steps         {:.2f}\n", r.mean_steps);
  fmt::print("  outcomes           {} fixed points, {} limit cycles, {} wandering\n",
             r.fixed_points, r.limit_cycles, r.wandering);
  fmt::print("  neuron updates/s   {:.3g}  ({:.3f} s in the engine)\n", r.updates_per_second,
             r.seconds);
}

struct RecallCli {
  CommonOptions common;
  RecallParams params;
  RecallOptions recall{"discrete-sync"};
  std::string storage = "auto";

  void add_to(CLI::App& command, bool full) {
    common.add_to(command, {core::Precision::Float32, core::Precision::Float64},
                  kEnginePrecisionHelp);
    if (!full) return;
    recall.add_to(command, params.n, params.max_steps, params.match_overlap,
                  "Step budget per cue (sweeps for discrete-async)",
                  "A cue counts as recalled when its final overlap reaches this");
    command.add_option("--patterns", params.patterns, "Stored random patterns P")
        ->capture_default_str();
    command.add_option("--noise", params.noise, "Fraction of bits flipped in each cue")
        ->capture_default_str();
    command.add_option("--cues", params.cues, "Number of cues B recalled in one batch")
        ->capture_default_str();
    add_storage_option(command, storage);
  }

  int run(const char* title) {
    params.seed = common.seed;
    params.dynamics = recall.parsed_dynamics();
    params.storage = parse_enum<Storage>(storage, "--storage");
    params.validate();
    auto engine = common.make_engine();
    RecallReport report;
    {
      Progress progress("recall");
      report = run_recall(params, *engine, progress.callback());
    }
    if (common.json) {
      print_json(to_json(report));
    } else {
      print_table(report, title);
    }
    return 0;
  }
};

}  // namespace

Action add_demo(CLI::App& app) {
  auto* command = app.add_subcommand(
      "demo",
      "Store random patterns in a Hebbian network and recall them from noisy cues "
      "(an embedded default that runs in seconds)");
  auto state = std::make_shared<RecallCli>();
  state->add_to(*command, false);
  return [state] {
    return state->run("attractor demo: Hebbian associative memory, recall from noisy cues");
  };
}

Action add_recall(CLI::App& app) {
  auto* command =
      app.add_subcommand("recall", "Recall stored patterns from noisy cues in a Hebbian network");
  auto state = std::make_shared<RecallCli>();
  state->add_to(*command, true);
  return [state] { return state->run("attractor recall"); };
}

Action add_capacity(CLI::App& app) {
  auto* command =
      app.add_subcommand("capacity",
                         "Retrieval against the load P/N, starting each run at a stored pattern "
                         "(theory for Hebb's rule: collapse at P/N = 0.138)");
  struct State {
    CommonOptions common;
    CapacityParams params;
    RecallOptions recall{"discrete-async"};
    std::string storage = "auto";
    std::string rule = "hebb";
  };
  auto state = std::make_shared<State>();
  state->common.add_to(*command, {core::Precision::Float32, core::Precision::Float64},
                       kEnginePrecisionHelp);
  state->recall.add_to(*command, state->params.n, state->params.max_steps,
                       state->params.match_overlap, "Step budget per run",
                       "A pattern counts as retrieved when its final overlap reaches this");
  command->add_option("--alphas", state->params.alphas, "Loads P/N to measure")
      ->delimiter(',')
      ->capture_default_str();
  command->add_option("--trials", state->params.trials, "Independent networks per load")
      ->capture_default_str();
  add_storage_option(*command, state->storage);
  command
      ->add_option("--rule", state->rule,
                   "Storage rule: hebb (outer products), storkey (Storkey 1997, incremental) "
                   "or pinv (pseudo-inverse projection, needs P <= N; dense weights only for "
                   "storkey and pinv)")
      ->capture_default_str();
  return [state] {
    auto& p = state->params;
    p.seed = state->common.seed;
    p.dynamics = state->recall.parsed_dynamics();
    p.storage = parse_enum<Storage>(state->storage, "--storage");
    p.rule = parse_enum<StorageRule>(state->rule, "--rule");
    p.validate();
    const CapacityTheory theory = capacity_theory(p.rule, p.n);
    auto engine = state->common.make_engine();
    std::vector<CapacityPoint> curve;
    {
      Progress progress("capacity");
      curve = run_capacity(p, *engine, progress.callback());
    }
    if (state->common.json) {
      nlohmann::json points = nlohmann::json::array();
      for (const auto& c : curve) {
        points.push_back({{"alpha", c.alpha},
                          {"patterns", c.patterns},
                          {"retrieval_rate", c.retrieval_rate},
                          {"mean_overlap", c.mean_overlap},
                          {"overlap_stddev", c.overlap_stddev},
                          {"mean_steps", c.mean_steps}});
      }
      print_json({{"command", "capacity"},
                  {"backend", engine->name()},
                  {"n", p.n},
                  {"trials", p.trials},
                  {"dynamics", core::to_string(p.dynamics)},
                  {"rule", to_string(p.rule)},
                  {"storage", to_string(p.resolved_storage())},
                  {"seed", p.seed},
                  {"match_overlap", p.match_overlap},
                  {"theory_alpha_c", theory.alpha},
                  {"theory", theory.statement},
                  {"curve", points}});
      return 0;
    }
    fmt::print("attractor capacity: N = {}, rule {}, {} trial(s) per load, {}, backend {}\n", p.n,
               to_string(p.rule), p.trials, core::to_string(p.dynamics), engine->name());
    fmt::print("  {:>6} {:>6} {:>10} {:>14} {:>8}\n", "P/N", "P", "retrieved", "overlap", "steps");
    for (const auto& c : curve) {
      fmt::print("  {:>6.3f} {:>6} {:>9.1f}% {:>7.4f} ± {:.3f} {:>8.2f}\n", c.alpha, c.patterns,
                 100 * c.retrieval_rate, c.mean_overlap, c.overlap_stddev, c.mean_steps);
    }
    fmt::print("  theory: {}\n", theory.statement);
    return 0;
  };
}

}  // namespace attractor::cli
