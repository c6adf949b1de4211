// ensemble: many small Hebbian networks at once, each recalling its own pattern from a noisy cue —
// the shape of a disorder average, run through the ensemble engine.
#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "attractor/core/ensemble.hpp"
#include "attractor/core/error.hpp"
#include "attractor/core/philox.hpp"
#include "attractor/host/engine/processes.hpp"
#include "attractor/host/engine/split_batch_engine.hpp"
#include "attractor/host/memory/hebbian.hpp"
#include "common.hpp"

namespace attractor::cli {

namespace {

using core::require;
using Index = std::int64_t;

// Past this the host copy of the weights (8 N² bytes per network) would not fit a sane machine.
constexpr double kMaxWeightBytes = 16.0 * (1 << 30);

struct EnsembleCli {
  CommonOptions common;
  Index networks = 256;
  Index n = 200;
  Index patterns = 20;
  double flip = 0.1;
  RecallOptions recall{"discrete-sync"};
  Index max_steps = 100;
  double match = 0.95;

  void validate() const {
    require(networks >= 1 && networks <= 1'000'000, "--networks",
            "must lie in [1, 1000000], got " + std::to_string(networks));
    require(n >= 2 && n <= 8192, "--n", "must lie in [2, 8192], got " + std::to_string(n));
    require(patterns >= 1 && patterns <= n, "--patterns",
            "must lie in [1, N], got " + std::to_string(patterns));
    require(std::isfinite(flip) && flip >= 0 && flip <= 0.5, "--flip",
            "must lie in [0, 0.5] (a flip probability)");
    require(max_steps >= 1, "--steps", "must be at least 1");
    require(match > 0 && match <= 1, "--match", "must lie in (0, 1]");
    const double bytes = 8.0 * static_cast<double>(networks) * static_cast<double>(n * n);
    require(bytes <= kMaxWeightBytes, "--networks",
            fmt::format("{} networks of {} neurons need {:.0f} MiB of weights, more than the "
                        "{:.0f} MiB allowed",
                        networks, n, bytes / (1 << 20), kMaxWeightBytes / (1 << 20)));
  }
};

// Network e's P patterns: ξ^μ_i = CounterRng(seed).sign(Patterns, stream e, μ N + i), so network
// e is the same network whatever the ensemble's size.
core::PatternSet network_patterns(const EnsembleCli& cli, Index e) {
  const core::CounterRng rng{cli.common.seed};
  core::PatternSet xi{cli.patterns, cli.n,
                      std::vector<std::int8_t>(static_cast<std::size_t>(cli.patterns * cli.n))};
  for (Index k = 0; k < cli.patterns * cli.n; ++k) {
    xi.values[k] = static_cast<std::int8_t>(
        rng.sign(core::RngPurpose::Patterns, static_cast<std::uint32_t>(e), k));
  }
  return xi;
}

struct Summary {
  double retrieval_rate = 0, mean_overlap = 0, mean_steps = 0;
  Index max_steps_taken = 0;
  Index outcomes[3] = {0, 0, 0};  // by core::Outcome
};

int run_ensemble(const EnsembleCli& cli) {
  cli.validate();
  const core::Dynamics dynamics = cli.recall.parsed_dynamics();
  auto engine = cli.common.make_ensemble_engine();

  // Network e: Hebbian weights of its own patterns, cued with its own pattern 0, each bit flipped
  // with probability --flip (CounterRng(seed).uniform(CueNoise, stream e, neuron i)). Under MPI
  // each process builds and runs its own block of networks, which are the same networks, drawing
  // the same numbers, as in one process.
  const Index count = cli.networks, n = cli.n;
  const auto& processes = Processes::world();
  const Share mine = share_of(count, processes.rank(), processes.size());
  const Index local = mine.size();
  core::Ensemble ensemble;
  ensemble.count = local;
  ensemble.n = n;
  ensemble.activation.kind = core::ActivationKind::Sign;
  core::Ensemble::DenseStack stack;
  stack.values.resize(static_cast<std::size_t>(local * n * n));
  // Row k: network (mine.begin + k)'s pattern 0, the one its cue comes from.
  core::PatternSet targets{local, n, std::vector<std::int8_t>(static_cast<std::size_t>(local * n))};
  core::StateBatch states(local, n);
  const core::CounterRng rng{cli.common.seed};
  for (Index k = 0; k < local; ++k) {
    const Index e = mine.begin + k;
    const core::PatternSet xi = network_patterns(cli, e);
    const core::DenseMatrix<double> T = hebbian_weights(xi);
    std::copy(T.values.begin(), T.values.end(),
              stack.values.begin() + static_cast<std::ptrdiff_t>(k * n * n));
    std::copy_n(xi.pattern(0), n, targets.values.begin() + static_cast<std::ptrdiff_t>(k * n));
    for (Index i = 0; i < n; ++i) {
      const bool flipped =
          rng.uniform(core::RngPurpose::CueNoise, static_cast<std::uint32_t>(e), i) < cli.flip;
      states.state(k)[i] = flipped ? -xi.values[i] : xi.values[i];
    }
  }
  ensemble.weights = std::move(stack);

  core::RunOptions options;
  options.dynamics = dynamics;
  options.max_steps = cli.max_steps;
  options.match_overlap = cli.match;
  options.seed = cli.common.seed;
  options.stream_offset = static_cast<std::uint64_t>(mine.begin);
  core::RunResult result;
  if (local > 0) {
    Progress progress("ensemble");
    options.progress = progress.callback();
    result = engine->run(ensemble, states, options);
  }

  // m = (1/N) Σ_i ξ^0_i s_i; a network retrieves when it stops at a fixed point with m ≥ --match.
  // Every network's result and m, gathered in network order, so the sums below are the same sums
  // whatever the number of processes.
  std::vector<double> mine_overlaps;
  for (Index k = 0; k < local; ++k) mine_overlaps.push_back(targets.overlap(k, states.state(k)));
  const std::vector<double> overlaps = processes.gather(mine_overlaps);
  result = gather_results(processes, result);
  result.backend = engine->name();
  Summary s;
  for (Index e = 0; e < count; ++e) {
    const double m = overlaps[e];
    const auto& r = result.states[e];
    s.retrieval_rate += r.outcome == core::Outcome::FixedPoint && m >= cli.match;
    s.mean_overlap += m;
    s.mean_steps += static_cast<double>(r.steps);
    s.max_steps_taken = std::max(s.max_steps_taken, r.steps);
    ++s.outcomes[static_cast<int>(r.outcome)];
  }
  s.retrieval_rate /= static_cast<double>(count);
  s.mean_overlap /= static_cast<double>(count);
  s.mean_steps /= static_cast<double>(count);
  const double load = static_cast<double>(cli.patterns) / static_cast<double>(n);

  if (cli.common.json) {
    print_json({{"command", "ensemble"},
                {"backend", result.backend},
                {"precision", core::to_string(result.precision)},
                {"networks", count},
                {"processes", processes.size()},
                {"n", n},
                {"patterns", cli.patterns},
                {"load", load},
                {"flip", cli.flip},
                {"dynamics", core::to_string(dynamics)},
                {"seed", cli.common.seed},
                {"match_overlap", cli.match},
                {"retrieval_rate", s.retrieval_rate},
                {"mean_overlap", s.mean_overlap},
                {"outcomes",
                 {{"fixed_point", s.outcomes[0]},
                  {"limit_cycle", s.outcomes[1]},
                  {"wandering", s.outcomes[2]}}},
                {"steps", {{"mean", s.mean_steps}, {"max", s.max_steps_taken}}},
                {"max_steps", cli.max_steps},
                {"seconds", result.seconds},
                {"loop_seconds", result.loop_seconds},
                {"neuron_updates", result.neuron_updates}});
    return 0;
  }
  fmt::print("attractor ensemble: {} Hebbian networks, each recalling its own pattern\n", count);
  fmt::print("  neurons N          {}\n", n);
  fmt::print("  patterns P         {} per network  (load P/N = {:.3f})\n", cli.patterns, load);
  fmt::print("  cues               each network's pattern 0 with {:.0f}% of its bits flipped\n",
             100 * cli.flip);
  fmt::print("  dynamics           {}, at most {} steps\n", core::to_string(dynamics),
             cli.max_steps);
  fmt::print("  backend            {}\n", result.backend);
  fmt::print("  retrieval rate     {:.1f}%  (fixed point with overlap >= {})\n",
             100 * s.retrieval_rate, cli.match);
  fmt::print("  mean final overlap {:.4f}\n", s.mean_overlap);
  fmt::print("  outcomes           {} fixed points, {} limit cycles, {} wandering\n", s.outcomes[0],
             s.outcomes[1], s.outcomes[2]);
  fmt::print("  steps              {:.2f} mean, {} max\n", s.mean_steps, s.max_steps_taken);
  fmt::print("  time               {:.3f} s in the engine, {:.3f} s stepping\n", result.seconds,
             result.loop_seconds);
  return 0;
}

}  // namespace

Action add_ensemble(CLI::App& app) {
  auto* command = app.add_subcommand(
      "ensemble",
      "Many small Hebbian networks at once, each recalling its own pattern from a "
      "noisy cue (one ensemble engine run)");
  auto cli = std::make_shared<EnsembleCli>();
  cli->common.add_to(*command, {core::Precision::Float32, core::Precision::Float64},
                     kEnginePrecisionHelp);
  command->add_option("--networks", cli->networks, "Number of independent networks")
      ->capture_default_str();
  command->add_option("--patterns", cli->patterns, "Random patterns P stored in each network")
      ->capture_default_str();
  command->add_option("--flip", cli->flip, "Fraction of bits flipped in each network's cue")
      ->capture_default_str();
  cli->recall.add_to(*command, cli->n, cli->max_steps, cli->match,
                     "Step budget per network (sweeps for discrete-async)",
                     "A network retrieves when it stops at a fixed point with this overlap");
  return [cli] { return run_ensemble(*cli); };
}

}  // namespace attractor::cli
