#include "attractor/host/memory/recall.hpp"

#include <algorithm>
#include <cmath>

#include "attractor/core/error.hpp"
#include "attractor/host/memory/hebbian.hpp"
#include "attractor/host/memory/storage_rules.hpp"

namespace attractor {

namespace {

// Dense float64 weights need 8 N² bytes; factored ones 2 P·N (Ξ and Ξᵀ) and the states 8 B·N.
// Past these sizes a run could not fit the memory of any machine this targets.
constexpr std::int64_t kMaxDenseN = 46341;           // 8 N² < 16 GiB
constexpr std::int64_t kMaxFactoredN = 100'000'000;  // 8 B·N stays sane for small batches
constexpr double kMaxBytes = 64.0 * (1 << 30);

void check_common(std::int64_t n, Storage storage, std::int64_t max_steps, double match_overlap,
                  core::Dynamics dynamics) {
  const std::int64_t max_n =
      resolve_storage(storage, n) == Storage::Dense ? kMaxDenseN : kMaxFactoredN;
  core::require(n >= 2 && n <= max_n, "--n",
                "must lie in [2, " + std::to_string(max_n) + "] with " +
                    to_string(resolve_storage(storage, n)) + " weights, got " + std::to_string(n));
  core::require(max_steps >= 1, "--steps", "must be at least 1");
  core::require(match_overlap > 0 && match_overlap <= 1, "--match", "must lie in (0, 1]");
  core::require(
      dynamics == core::Dynamics::DiscreteSync || dynamics == core::Dynamics::DiscreteAsync,
      "--dynamics", "must be discrete-sync or discrete-async");
}

// Bytes of weights (dense or factored) plus B states of N float64 values.
void check_memory(std::int64_t n, std::int64_t patterns, std::int64_t states, Storage storage) {
  const double nn = static_cast<double>(n);
  const double weights = resolve_storage(storage, n) == Storage::Dense
                             ? 8.0 * nn * nn
                             : 2.0 * static_cast<double>(patterns) * nn;
  const double bytes = weights + 8.0 * static_cast<double>(states) * nn;
  core::require(bytes <= kMaxBytes, "--n",
                "this run would need " + std::to_string(static_cast<long long>(bytes / (1 << 20))) +
                    " MiB, more than the 65536 MiB allowed");
}

}  // namespace

Storage resolve_storage(Storage storage, std::int64_t n) {
  if (storage != Storage::Auto) return storage;
  return n <= 8192 ? Storage::Dense : Storage::Factored;
}

void RecallParams::validate() const {
  check_common(n, storage, max_steps, match_overlap, dynamics);
  core::require(patterns >= 1 && patterns <= n, "--patterns",
                "must lie in [1, N], got " + std::to_string(patterns));
  core::require(cues >= 1 && cues <= 1'000'000, "--cues",
                "must lie in [1, 1000000], got " + std::to_string(cues));
  core::require(std::isfinite(noise) && noise >= 0 && noise <= 0.5, "--noise",
                "must lie in [0, 0.5] (a flip probability)");
  check_memory(n, patterns, cues, storage);
}

Storage resolve_storage(Storage storage, std::int64_t n, StorageRule rule) {
  if (rule != StorageRule::Hebb && storage == Storage::Auto) return Storage::Dense;
  return resolve_storage(storage, n);
}

Storage CapacityParams::resolved_storage() const { return resolve_storage(storage, n, rule); }

void CapacityParams::validate() const {
  core::require(rule == StorageRule::Hebb || storage != Storage::Factored, "--storage",
                std::string("factored weights hold only Hebb's rule; --rule ") + to_string(rule) +
                    " needs dense weights");
  const Storage weights = resolved_storage();
  check_common(n, weights, max_steps, match_overlap, dynamics);
  core::require(!alphas.empty(), "--alphas", "needs at least one load");
  for (double alpha : alphas) {
    if (rule == StorageRule::PseudoInverse && std::isfinite(alpha) && alpha > 0) {
      const auto p = std::llround(alpha * static_cast<double>(n));
      core::require(p <= n, "--alphas",
                    "load " + std::to_string(alpha) + " stores P = " + std::to_string(p) +
                        " > N = " + std::to_string(n) +
                        " patterns, which are linearly dependent; --rule pinv needs P <= N");
    }
    core::require(std::isfinite(alpha) && alpha > 0 && alpha <= 1, "--alphas",
                  "each load P/N must lie in (0, 1]");
    core::require(std::llround(alpha * static_cast<double>(n)) >= 1, "--alphas",
                  "load " + std::to_string(alpha) + " stores no pattern at this N");
  }
  core::require(trials >= 1 && trials <= 10'000, "--trials", "must lie in [1, 10000]");
  const double max_alpha = *std::max_element(alphas.begin(), alphas.end());
  const auto max_patterns = std::llround(max_alpha * static_cast<double>(n));
  check_memory(n, max_patterns, max_patterns, weights);
}

RecallReport run_recall(const RecallParams& params, core::Engine& engine,
                        const core::ProgressFn& progress) {
  params.validate();
  RecallReport report;
  report.params = params;
  report.backend = engine.name();
  const core::PatternSet patterns = random_patterns(params.patterns, params.n, params.seed);
  report.storage = resolve_storage(params.storage, params.n);
  const core::Network network = hebbian_network(patterns, report.storage == Storage::Factored);
  core::StateBatch states = noisy_cues(patterns, params.cues, params.noise, params.seed);

  core::RunOptions options;
  options.dynamics = params.dynamics;
  options.max_steps = params.max_steps;
  options.match_overlap = params.match_overlap;
  options.seed = params.seed;
  options.progress = progress;
  const core::RunResult result = engine.run(network, states, options);

  for (std::int64_t b = 0; b < params.cues; ++b) {
    const double m = patterns.overlap(b % params.patterns, states.state(b));
    const auto& r = result.states[b];
    report.target_overlap.push_back(m);
    report.steps.push_back(r.steps);
    report.recall_rate += m >= params.match_overlap;
    report.mean_overlap += m;
    report.mean_steps += static_cast<double>(r.steps);
    report.fixed_points += r.outcome == core::Outcome::FixedPoint;
    report.limit_cycles += r.outcome == core::Outcome::LimitCycle;
    report.wandering += r.outcome == core::Outcome::Wandering;
  }
  const double count = static_cast<double>(params.cues);
  report.recall_rate /= count;
  report.mean_overlap /= count;
  report.mean_steps /= count;
  report.seconds = result.seconds;
  report.updates_per_second =
      result.seconds > 0 ? static_cast<double>(result.neuron_updates) / result.seconds : 0.0;
  return report;
}

std::vector<CapacityPoint> run_capacity(const CapacityParams& params, core::Engine& engine,
                                        const core::ProgressFn& progress) {
  params.validate();
  std::vector<CapacityPoint> curve;
  const std::int64_t total = static_cast<std::int64_t>(params.alphas.size()) * params.trials;
  std::int64_t done = 0;
  for (std::size_t a = 0; a < params.alphas.size(); ++a) {
    CapacityPoint point;
    point.alpha = params.alphas[a];
    point.patterns = std::llround(point.alpha * static_cast<double>(params.n));
    double sum = 0, sum2 = 0, steps = 0, retrieved = 0;
    for (std::int64_t trial = 0; trial < params.trials; ++trial) {
      // One seed per (α, trial) so every point of the curve is reproducible on its own.
      const std::uint64_t seed =
          params.seed * 1'000'003u + a * 10'007u + static_cast<std::uint64_t>(trial);
      const core::PatternSet patterns = random_patterns(point.patterns, params.n, seed);
      const core::Network network =
          memory_network(params.rule, patterns, params.resolved_storage() == Storage::Factored);
      core::StateBatch states(point.patterns, params.n);
      for (std::size_t k = 0; k < patterns.values.size(); ++k)
        states.values[k] = patterns.values[k];
      core::RunOptions options;
      options.dynamics = params.dynamics;
      options.max_steps = params.max_steps;
      options.seed = seed;
      const core::RunResult result = engine.run(network, states, options);
      for (std::int64_t mu = 0; mu < point.patterns; ++mu) {
        const double m = patterns.overlap(mu, states.state(mu));
        sum += m;
        sum2 += m * m;
        retrieved += m >= params.match_overlap;
        steps += static_cast<double>(result.states[mu].steps);
      }
      if (progress) progress(++done, total);
    }
    const double count = static_cast<double>(point.patterns * params.trials);
    point.mean_overlap = sum / count;
    point.overlap_stddev =
        std::sqrt(std::max(0.0, sum2 / count - point.mean_overlap * point.mean_overlap));
    point.retrieval_rate = retrieved / count;
    point.mean_steps = steps / count;
    curve.push_back(point);
  }
  return curve;
}

}  // namespace attractor
