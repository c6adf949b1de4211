#include "attractor/host/control/control_experiments.hpp"

#include <algorithm>
#include <cmath>
#include <string>

#include "attractor/core/error.hpp"
#include "attractor/core/limits.hpp"
#include "attractor/core/network.hpp"
#include "attractor/core/philox.hpp"
#include "attractor/host/memory/hebbian.hpp"

namespace attractor {

using core::require;
using Index = std::int64_t;

namespace {

// Streams of the RngPurpose::Weights draws that build the example network.
constexpr std::uint32_t kSynapseStream = 0, kSilentStream = 1;
// Streams of the cue draws: flips of stored cues, signs of novel ones.
constexpr std::uint32_t kNovelStreamBase = 1u << 20;

// Runs `network` from `states` (B × N, overwritten with the end states) as the outcome
// continuations do.
std::vector<core::StateResult> settle(const core::Network& network, std::vector<double>& states,
                                      core::Engine& engine, const OutcomeOptions& options) {
  const Index n = network.size();
  core::StateBatch batch(static_cast<Index>(states.size()) / n, n);
  std::copy(states.begin(), states.end(), batch.values.begin());
  const auto result = engine.run(network, batch, continuation_options(options));
  states.assign(batch.values.begin(), batch.values.end());
  return result.states;
}

}  // namespace

void ControlNetworkParams::validate() const {
  require(n >= 2 && n <= 1'000'000, "--n", "must lie in [2, 1000000], got " + std::to_string(n));
  require(patterns >= 1 && patterns <= n, "--patterns",
          "must lie in [1, N], got " + std::to_string(patterns));
  require(std::isfinite(connectivity) && connectivity > 0 && connectivity <= 1, "--connectivity",
          "must lie in (0, 1]");
  require(std::isfinite(silent) && silent >= 0 && silent <= 1, "--silent", "must lie in [0, 1]");
  require(std::isfinite(strength) && strength > 0, "--strength", "must be positive");
  require(std::isfinite(gain) && gain > 0, "--gain", "must be positive");
  require(strength * gain > 1, "--strength",
          "J beta must exceed 1, or the stored patterns are not equilibria");
  require(std::isfinite(K) && K >= 0, "--K", "must be finite and >= 0");
  require(std::isfinite(k) && k >= 0 && k <= K, "--k", "must lie in [0, K]");
  const double synapses =
      static_cast<double>(n) * static_cast<double>(n) * std::min(1.0, connectivity + silent);
  require(synapses <= 2e9, "--connectivity",
          "the union pattern would hold about " + std::to_string(synapses) +
              " synapses, more than 2e9");
  // Each synapse of the union pattern holds A, its index, its bound and the solver's state.
  core::require_memory(static_cast<std::int64_t>(synapses) * 24,
                       "--n, --connectivity and --silent");
}

ControlNetworkExample control_network_example(const ControlNetworkParams& params,
                                              core::Engine& engine) {
  params.validate();
  const Index n = params.n;
  const core::CounterRng rng{params.seed};
  ControlNetworkExample example;
  example.patterns = random_patterns(params.patterns, n, params.seed);
  const auto& xi = example.patterns;
  std::vector<core::Triplet<double>> A, mask;
  const double scale = params.strength / (params.connectivity * static_cast<double>(n));
  for (Index i = 0; i < n; ++i) {
    for (Index j = 0; j < n; ++j) {
      if (i == j) continue;
      const auto index = static_cast<std::uint64_t>(i * n + j);
      if (rng.uniform(core::RngPurpose::Weights, kSynapseStream, index) < params.connectivity) {
        double hebb = 0.0;
        for (Index mu = 0; mu < xi.count; ++mu) hebb += xi.pattern(mu)[i] * xi.pattern(mu)[j];
        A.push_back({i, j, scale * hebb});
      } else if (rng.uniform(core::RngPurpose::Weights, kSilentStream, index) < params.silent) {
        mask.push_back({i, j, 1.0});
      }
    }
  }
  example.net =
      core::ControlledNetwork::build(core::csr_from_triplets(n, n, std::move(A), "A"),
                                     core::csr_from_triplets(n, n, std::move(mask), "silent mask"),
                                     {core::ActivationKind::Tanh, params.gain}, params.K, params.k);

  // a = J tanh(β a): the fixed-point iteration converges from a = J (the map is a contraction
  // near the positive root when J β > 1).
  double a = params.strength;
  for (int it = 0; it < 200; ++it) a = params.strength * std::tanh(params.gain * a);
  example.amplitude = a;
  example.equilibria.resize(static_cast<std::size_t>(xi.count * n));
  for (Index mu = 0; mu < xi.count; ++mu) {
    for (Index i = 0; i < n; ++i) example.equilibria[mu * n + i] = a * xi.pattern(mu)[i];
  }
  const std::vector<double> no_control(static_cast<std::size_t>(example.net.synapses()), 0.0);
  OutcomeOptions precise;
  precise.tol = 1e-10;
  precise.max_steps = 100000;
  settle(network_with(example.net, no_control.data()), example.equilibria, engine, precise);
  return example;
}

ControlNetworkParams memory_network_params() {
  ControlNetworkParams p;
  p.K = 0.1;
  p.k = 0.01;
  return p;
}

ControlSettings::ControlSettings() {
  problem.mu = 0.3;
  problem.lambda = 2.0;
  solve.gtol = 1e-6;
  solve.max_iterations = 3000;
}

void ControlSettings::validate() const {
  problem.validate();
  solve.validate();
  outcome.validate();
}

std::vector<double> control_cues(const ControlNetworkExample& example, Index stored, double noise,
                                 double jitter, Index novel, std::uint64_t seed) {
  require(stored >= 0 && novel >= 0 && stored + novel >= 1, "cues",
          "need at least one stored or novel cue");
  require(std::isfinite(noise) && noise >= 0 && noise <= 0.5, "--noise", "must lie in [0, 0.5]");
  require(std::isfinite(jitter) && jitter >= 0 && jitter <= 1, "--jitter", "must lie in [0, 1]");
  const Index n = example.net.n(), P = example.patterns.count;
  require(P >= 1, "cues",
          "stored and novel cues are drawn for the example network; a network from A needs its "
          "cues given");
  const core::CounterRng rng{seed};
  std::vector<double> cues;
  cues.reserve(static_cast<std::size_t>((stored + novel) * n));
  for (Index b = 0; b < stored; ++b) {
    const double* u = example.equilibria.data() + (b % P) * n;
    for (Index i = 0; i < n; ++i) {
      const bool flip = rng.uniform(core::RngPurpose::CueNoise, static_cast<std::uint32_t>(b),
                                    static_cast<std::uint64_t>(i)) < noise;
      const double shift =
          jitter * example.amplitude *
          (2.0 * rng.uniform(core::RngPurpose::InitialState, static_cast<std::uint32_t>(b),
                             static_cast<std::uint64_t>(i)) -
           1.0);
      cues.push_back((flip ? -u[i] : u[i]) + shift);
    }
  }
  for (Index b = 0; b < novel; ++b) {
    const auto stream = kNovelStreamBase + static_cast<std::uint32_t>(b);
    for (Index i = 0; i < n; ++i) {
      cues.push_back(example.amplitude *
                     rng.sign(core::RngPurpose::Patterns, stream, static_cast<std::uint64_t>(i)));
    }
  }
  return cues;
}

ControlBatchReport run_control_batch(const ControlNetworkExample& example,
                                     const core::ControlProblem& problem,
                                     const std::vector<double>& cues, core::ControlBatch& batch,
                                     core::Engine& engine, const SolveOptions& solve,
                                     const OutcomeOptions& outcome,
                                     const core::ProgressFn& progress) {
  ControlBatchReport report;
  report.solution = solve_control_batch(example.net, problem, cues, batch, solve, {}, progress);
  report.outcomes = classify_outcomes(example.net, problem, report.solution, engine, outcome);
  const Index n = example.net.n();
  for (std::size_t b = 0; b < report.outcomes.size(); ++b) {
    const auto& u = report.outcomes[b].u_limit;
    double best = -1.0;
    Index nearest = -1;
    for (Index mu = 0; mu < example.patterns.count; ++mu) {
      const double m = std::fabs(sign_overlap(example.equilibria.data() + mu * n, u.data(), n));
      if (m > best) best = m, nearest = mu;
    }
    report.stored_overlap.push_back(best);
    report.nearest_pattern.push_back(nearest);
    report.cue_overlap.push_back(sign_overlap(cues.data() + b * n, u.data(), n));
  }
  return report;
}

void MemoryExperimentParams::validate() const {
  require(!sequence.empty() && sequence.size() <= 10000, "--sequence",
          "needs between 1 and 10000 stages");
  std::vector<int> recorded(static_cast<std::size_t>(patterns()), 0);
  for (const Index entry : sequence) {
    if (entry >= 0) {
      require(recorded[entry] == 0, "--sequence",
              "pattern " + std::to_string(entry) + " is presented twice");
      recorded[entry] = 1;
    } else {
      const Index r = -entry - 1;
      require(r < patterns() && recorded[r] == 1, "--sequence",
              "release " + std::to_string(entry) + " names pattern " + std::to_string(r) +
                  ", which was not presented before it");
      recorded[r] = 2;
    }
  }
  require(std::isfinite(probe_noise) && probe_noise >= 0 && probe_noise < 0.5, "--probe-noise",
          "must lie in [0, 0.5)");
  require(std::isfinite(overlap) && overlap > 0 && overlap <= 1, "--overlap", "must lie in (0, 1]");
}

Index MemoryExperimentParams::patterns() const {
  Index count = 0;
  for (const Index entry : sequence) count = std::max(count, entry >= 0 ? entry + 1 : -entry);
  return count;
}

MemoryExperimentReport run_memory_experiment(
    const ControlNetworkExample& example, const core::ControlProblem& problem,
    const MemoryExperimentParams& params, core::ControlBatch& batch, core::Engine& engine,
    const SolveOptions& solve, const OutcomeOptions& outcome, const core::ProgressFn& progress) {
  params.validate();
  const auto& base = example.net;
  const Index n = base.n(), synapses = base.synapses(), patterns = params.patterns();
  const auto stages = static_cast<Index>(params.sequence.size());
  const std::vector<double> cues = control_cues(example, 0, 0.0, 0.0, patterns, params.seed);
  const core::CounterRng rng{params.seed};
  MemoryExperimentReport report;
  report.trace.assign(static_cast<std::size_t>(synapses), 0.0);
  auto& M = report.trace;
  // The efficacy A + clip(M, ±bound) (or A + M) on the union pattern.
  const auto efficacy = [&] {
    core::ControlledNetwork net = base;
    for (Index i = 0; i < n; ++i) {
      for (Index e = base.T.row_ptr[i]; e < base.T.row_ptr[i + 1]; ++e) {
        const double change = params.bounded ? core::clamp_to_bound(M[e], base.bound(i, e)) : M[e];
        net.T.values[e] = base.T.values[e] + change;
      }
    }
    return net;
  };
  std::vector<std::vector<double>> memories(static_cast<std::size_t>(patterns));
  std::vector<std::vector<double>> recorded_change(static_cast<std::size_t>(patterns));
  std::vector<int> was_held(static_cast<std::size_t>(patterns), -1);
  for (Index s = 0; s < stages; ++s) {
    const Index entry = params.sequence[s];
    MemoryStage stage;
    stage.stage = s;
    stage.release = entry < 0;
    stage.pattern = entry >= 0 ? entry : -entry - 1;
    const Index r = stage.pattern;
    if (stage.release) {
      const auto& change = recorded_change[r];
      for (std::size_t e = 0; e < change.size(); ++e) M[e] -= change[e];
      // A released memory is no longer one the network should hold.
      memories[r].clear();
      was_held[r] = -1;
    } else {
      const core::ControlledNetwork current = efficacy();
      const std::vector<double> cue(cues.begin() + r * n, cues.begin() + (r + 1) * n);
      const BatchSolution solution = solve_control_batch(current, problem, cue, batch, solve);
      const OutcomeReport result =
          classify_outcomes(current, problem, solution, engine, outcome).front();
      stage.outcome = result.outcome;
      stage.J = solution.problems.front().cost.J;
      stage.tail_bound = solution.plan.tail_bound;
      stage.xi_inf_max = result.xi_inf_max;
      if (result.outcome == ControlOutcome::Recorded) {
        recorded_change[r] = final_control(base, problem, solution.problems.front().controls);
        for (Index e = 0; e < synapses; ++e) M[e] += recorded_change[r][e];
        memories[r] = result.u_limit;
      }
    }
    for (Index i = 0; i < n; ++i) {
      for (Index e = base.T.row_ptr[i]; e < base.T.row_ptr[i + 1]; ++e) {
        const double ratio = std::fabs(M[e]) / base.bound(i, e);
        stage.trace_max_over_bound = std::max(stage.trace_max_over_bound, ratio);
        // The release of a change takes it out again up to rounding, which must not count.
        stage.saturated += ratio > 1.0 + 1e-9;
      }
    }
    // Probe every recorded memory on the efficacy after this stage, all in one engine run; the
    // flips are keyed by (memory, stage).
    std::vector<double> probes;
    std::vector<Index> probed;
    for (Index q = 0; q < patterns; ++q) {
      if (memories[q].empty()) continue;
      probed.push_back(q);
      const auto stream = static_cast<std::uint32_t>(q * stages + s);
      for (Index i = 0; i < n; ++i) {
        const bool flip = rng.uniform(core::RngPurpose::CueNoise, stream,
                                      static_cast<std::uint64_t>(i)) < params.probe_noise;
        probes.push_back(flip ? -memories[q][i] : memories[q][i]);
      }
    }
    stage.held.assign(static_cast<std::size_t>(patterns), -1);
    stage.probe_overlap.assign(static_cast<std::size_t>(patterns), 0.0);
    if (!probed.empty()) {
      const std::vector<double> zero(static_cast<std::size_t>(synapses), 0.0);
      settle(network_with(efficacy(), zero.data()), probes, engine, outcome);
      for (std::size_t p = 0; p < probed.size(); ++p) {
        const Index q = probed[p];
        const double m = sign_overlap(memories[q].data(), probes.data() + p * n, n);
        const int held = m >= params.overlap ? 1 : 0;
        stage.probe_overlap[q] = m;
        stage.held[q] = held;
        if (was_held[q] == 1 && held == 0) report.events.push_back({"forgotten", q, s});
        if (was_held[q] == 0 && held == 1) report.events.push_back({"recovered", q, s});
        was_held[q] = held;
      }
    }
    report.stages.push_back(std::move(stage));
    if (progress) progress(s + 1, stages);
  }
  return report;
}

std::vector<ParetoPoint> run_pareto_sweep(const ControlNetworkExample& example,
                                          const core::ControlProblem& problem,
                                          const std::vector<double>& mus,
                                          const std::vector<double>& cues,
                                          core::ControlBatch& batch, core::Engine& engine,
                                          const SolveOptions& solve, const OutcomeOptions& outcome,
                                          const core::ProgressFn& progress) {
  require(!mus.empty(), "--mus", "need at least one value");
  for (const double mu : mus) {
    require(std::isfinite(mu) && mu > 0 && mu < 1, "--mus",
            "every mu must lie in (0, 1), got " + std::to_string(mu));
  }
  std::vector<ParetoPoint> points;
  for (std::size_t m = 0; m < mus.size(); ++m) {
    core::ControlProblem at = problem;
    at.mu = mus[m];
    const auto report = run_control_batch(example, at, cues, batch, engine, solve, outcome);
    ParetoPoint point;
    point.mu = mus[m];
    point.tail_bound = report.solution.plan.tail_bound;
    const auto count = static_cast<double>(report.outcomes.size());
    for (std::size_t b = 0; b < report.outcomes.size(); ++b) {
      point.state_cost += report.solution.problems[b].cost.state_cost / count;
      point.control_cost += report.solution.problems[b].cost.control_cost / count;
      point.state_integral += report.solution.problems[b].cost.state_cost / (1.0 - at.mu) / count;
      point.control_integral += report.solution.problems[b].cost.control_cost / at.mu / count;
      point.outcomes.push_back(report.outcomes[b].outcome);
      switch (report.outcomes[b].outcome) {
        case ControlOutcome::Recognized: ++point.recognized; break;
        case ControlOutcome::Recorded: ++point.recorded; break;
        case ControlOutcome::LimitCycle: ++point.limit_cycles; break;
        case ControlOutcome::Wandering: ++point.wandering; break;
      }
    }
    points.push_back(point);
    if (progress) progress(static_cast<Index>(m + 1), static_cast<Index>(mus.size()));
  }
  return points;
}

}  // namespace attractor
