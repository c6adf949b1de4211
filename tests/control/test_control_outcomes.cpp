// Controlled plasticity as science: what a controlled network does with a cue. On a diluted,
// asymmetric Hebbian network with two stored patterns (control_network_example), a cue at or
// near a stored equilibrium is recognized with the controls at or near zero, a novel pattern is
// recorded when K allows and not when K is too small, a memory is forgotten when the accumulated
// change on its synapses exceeds the bound and recovered when it comes back within it, and the μ
// sweep trades control for state cost. Every case runs on each backend (the CUDA batch where a
// device exists), and every solve's truncated tail is checked against its tolerance.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>
#include <memory>
#include <vector>

#include "attractor/core/error.hpp"
#include "attractor/host/control/control_experiments.hpp"
#include "attractor/host/engine/cpu_engine.hpp"
#include "attractor/host/engine/engine_factory.hpp"
#include "engine_backends.hpp"

namespace attractor {
namespace {

using Index = std::int64_t;

// J β = 1.5: the stored patterns are equilibria u* ≈ 0.86 ξ^μ, and a cue far from both leaves for
// one of them slowly (growth rate J β − 1 near the origin), so holding it is worth its cost. A
// neuron has ≈ 44 synapses (30 existing, 14 silent), so holding a novel pattern needs
// |ξ| ≈ a / (44 tanh(β a)) ≈ 0.02–0.05 per synapse: K = 0.3 allows it, K = 0.01 does not.
// These are ControlNetworkParams' defaults; the tests pin the seed.
ControlNetworkParams network_params(double K) {
  ControlNetworkParams params;
  params.K = K;
  params.k = K / 10;
  params.seed = 3;
  return params;
}

// One example network per K, built once (its equilibria come from the CPU engine).
const ControlNetworkExample& example(double K) {
  static std::map<double, ControlNetworkExample> cache;
  auto it = cache.find(K);
  if (it == cache.end()) {
    CpuEngine engine;
    it = cache.emplace(K, control_network_example(network_params(K), engine)).first;
  }
  return it->second;
}

// μ = 0.3 and λ = 2: the discount makes a recorded pattern cheaper to keep than the slow transit
// to a stored one, while a cue near a stored equilibrium gets there fast enough not to be held.
core::ControlProblem problem() {
  core::ControlProblem p;
  p.mu = 0.3;
  p.lambda = 2.0;
  p.dt = 0.05;
  p.intervals = 20;
  p.tail_tol = 1e-6;
  return p;
}

SolveOptions solve_options() {
  SolveOptions options;
  options.gtol = 1e-6;
  options.max_iterations = 3000;
  return options;
}

double max_abs(const std::vector<double>& v) {
  double m = 0.0;
  for (const double x : v) m = std::max(m, std::fabs(x));
  return m;
}

class ControlOutcomes : public ::testing::TestWithParam<Backend> {
 protected:
  void SetUp() override {
    try {
      batch_ = make_control_batch(GetParam());
      engine_ = make_engine(GetParam(), core::Precision::Float64);
    } catch (const core::InputError& e) {
      GTEST_SKIP() << e.what();
    }
  }

  // Solves and classifies, checking what every reported solve must satisfy: the truncated tail
  // below its tolerance, every control inside its box, the solver stationary.
  ControlBatchReport solve(const ControlNetworkExample& ex, const std::vector<double>& cues,
                           const core::ControlProblem& p = problem()) {
    auto report = run_control_batch(ex, p, cues, *batch_, *engine_, solve_options());
    EXPECT_LE(report.solution.plan.tail_bound, p.tail_tol);
    EXPECT_GT(report.solution.plan.tail_bound, 0.0);
    for (const auto& solved : report.solution.problems) {
      EXPECT_TRUE(solved.converged) << "projected gradient " << solved.projected_gradient;
      for (Index c = 0; c < p.intervals; ++c) {
        for (Index i = 0; i < ex.net.n(); ++i) {
          for (Index e = ex.net.T.row_ptr[i]; e < ex.net.T.row_ptr[i + 1]; ++e) {
            EXPECT_LE(std::fabs(solved.controls[c * ex.net.synapses() + e]), ex.net.bound(i, e));
          }
        }
      }
    }
    return report;
  }

  std::unique_ptr<core::ControlBatch> batch_;
  std::unique_ptr<core::Engine> engine_;
};

// At an equilibrium X ≡ 0, so J = 0 at ξ = 0, its minimum (J ≥ 0): nothing to control. The
// equilibrium is found to ‖X‖ ≤ 1e-10, which leaves ∇J and hence the optimal ξ at O(1e-10).
TEST_P(ControlOutcomes, AStoredEquilibriumNeedsNoControlAtAll) {
  const auto& ex = example(0.3);
  const Index n = ex.net.n();
  const std::vector<double> cue(ex.equilibria.begin(), ex.equilibria.begin() + n);
  const auto report = solve(ex, cue);
  const auto& solved = report.solution.problems[0];
  EXPECT_LE(max_abs(solved.controls), 1e-6);
  EXPECT_LE(solved.cost.J, 1e-12);
  EXPECT_EQ(report.outcomes[0].outcome, ControlOutcome::Recognized);
  EXPECT_EQ(sign_overlap(report.outcomes[0].u_limit.data(), cue.data(), n), 1.0);
}

// Near an equilibrium J is quadratic in (δ, ξ) to leading order, so the optimal control is linear
// in the displacement δ: doubling it doubles max|ξ(t)| up to the O(δ/a) ≈ 5% curvature of the
// dynamics. The cue goes back to its own equilibrium, and ξ stays at a few percent of K.
TEST_P(ControlOutcomes, ACueNearAStoredPatternIsRecognizedWithControlsLinearInItsDisplacement) {
  const auto& ex = example(0.3);
  const Index n = ex.net.n();
  std::vector<double> largest;
  for (const double jitter : {0.02, 0.04}) {
    const auto cues = control_cues(ex, 2, 0.0, jitter, 0, 11);
    const auto report = solve(ex, cues);
    std::vector<double> per_cue;
    for (Index b = 0; b < 2; ++b) {
      const auto& outcome = report.outcomes[b];
      EXPECT_EQ(outcome.outcome, ControlOutcome::Recognized)
          << "jitter " << jitter << ", cue " << b;
      EXPECT_EQ(sign_overlap(outcome.u_limit.data(), ex.equilibria.data() + b * n, n), 1.0);
      const double xi_max = max_abs(report.solution.problems[b].controls);
      EXPECT_LE(xi_max, 0.02 * ex.net.K) << "jitter " << jitter << ", cue " << b;
      EXPECT_LE(outcome.xi_inf_max, xi_max);
      per_cue.push_back(xi_max);
    }
    largest.insert(largest.end(), per_cue.begin(), per_cue.end());
  }
  for (Index b = 0; b < 2; ++b) {
    EXPECT_GT(largest[b], 0.0);
    EXPECT_NEAR(largest[2 + b] / largest[b], 2.0, 0.2) << "cue " << b;
  }
}

// A novel pattern is held where it is when K allows the holding control: the continuation under
// A + ξ_∞ keeps the cue's signs, which A alone would not keep. With K = 0.01 below the ≈ 0.05 the
// holding needs, the controls press against their bound and the state still leaves for a stored
// pattern: nothing is recorded.
TEST_P(ControlOutcomes, ANovelPatternIsRecordedWhenKAllowsAndNotWhenKIsTooSmall) {
  for (const double K : {0.3, 0.01}) {
    const auto& ex = example(K);
    const auto cues = control_cues(ex, 0, 0.0, 0.0, 2, 11);
    const auto report = solve(ex, cues);
    for (Index b = 0; b < 2; ++b) {
      SCOPED_TRACE("K = " + std::to_string(K) + ", cue " + std::to_string(b));
      const auto& outcome = report.outcomes[b];
      const double xi_max = max_abs(report.solution.problems[b].controls);
      if (K == 0.3) {
        EXPECT_EQ(outcome.outcome, ControlOutcome::Recorded);
        EXPECT_GE(report.cue_overlap[b], 0.95);
        EXPECT_LT(outcome.existing_overlap, 0.95);
        EXPECT_GT(outcome.xi_inf_max, 0.01);
        EXPECT_GT(outcome.residual_without_control, 0.1) << "what ξ_∞ holds";
        EXPECT_LT(xi_max, 0.5 * K) << "the bound is not what limits the recording";
      } else {
        EXPECT_NE(outcome.outcome, ControlOutcome::Recorded);
        EXPECT_EQ(report.stored_overlap[b], 1.0);
        EXPECT_LT(report.cue_overlap[b], 0.5);
        EXPECT_EQ(xi_max, K) << "the controls press against their bound";
      }
    }
  }
}

// The lockstep solver makes each problem follow the iterations it would follow alone, and every
// backend reduces a problem's sums in an order independent of its batch: identical bits.
TEST_P(ControlOutcomes, ABatchSolvesEachProblemAsIfAlone) {
  const auto& ex = example(0.3);
  const Index n = ex.net.n();
  const auto cues = control_cues(ex, 1, 0.0, 0.03, 2, 12);
  const auto together = solve_control_batch(ex.net, problem(), cues, *batch_, solve_options());
  for (Index b = 0; b < 3; ++b) {
    const std::vector<double> one(cues.begin() + b * n, cues.begin() + (b + 1) * n);
    const auto alone = solve_control_batch(ex.net, problem(), one, *batch_, solve_options());
    EXPECT_EQ(alone.problems[0].cost.J, together.problems[b].cost.J) << "cue " << b;
    EXPECT_EQ(alone.problems[0].iterations, together.problems[b].iterations) << "cue " << b;
    EXPECT_EQ(alone.problems[0].controls, together.problems[b].controls) << "cue " << b;
  }
}

// Forgetting by the bound, and recovery: record η0, η1, η2, then release η1 and η2. Recording η1
// on top of η0 drives synapses past their bounds and η0's equilibrium is lost; once the releases
// bring every trace back within its bound, the efficacy is A + ξ_∞(η0) again and η0 is held. Run
// without the bound, the stage that lost η0 keeps it: interference alone did not take it.
TEST_P(ControlOutcomes, AMemoryIsForgottenPastTheBoundAndRecoveredWithinIt) {
  const auto& ex = example(0.1);
  MemoryExperimentParams params;
  params.sequence = {0, 1, 2, -2, -3};
  const auto bounded =
      run_memory_experiment(ex, problem(), params, *batch_, *engine_, solve_options());
  params.bounded = false;
  const auto unbounded =
      run_memory_experiment(ex, problem(), params, *batch_, *engine_, solve_options());
  ASSERT_EQ(bounded.stages.size(), 5u);
  for (const auto& stage : bounded.stages) {
    if (!stage.release) {
      EXPECT_LE(stage.tail_bound, problem().tail_tol);
    }
  }
  EXPECT_EQ(bounded.stages[0].outcome, ControlOutcome::Recorded);
  EXPECT_EQ(bounded.stages[0].held[0], 1);
  EXPECT_EQ(bounded.stages[0].saturated, 0);
  Index forgotten = -1;
  for (const auto& e : bounded.events) {
    if (e.kind == "forgotten" && e.memory == 0 && forgotten < 0) forgotten = e.stage;
  }
  ASSERT_GE(forgotten, 1) << "η0 must be forgotten by a later recording";
  EXPECT_GT(bounded.stages[forgotten].saturated, 0) << "while traces exceed their bounds";
  EXPECT_EQ(unbounded.stages[forgotten].held[0], 1)
      << "without the bound the same stage keeps η0: the bound, not interference, took it";
  const auto& last = bounded.stages.back();
  EXPECT_EQ(last.saturated, 0);
  EXPECT_LE(last.trace_max_over_bound, 1.0 + 1e-9);
  EXPECT_EQ(last.held[0], 1) << "η0 recovered";
  ASSERT_FALSE(bounded.events.empty());
  EXPECT_EQ(bounded.events.back().kind, "recovered");
  EXPECT_EQ(bounded.events.back().memory, 0);
  for (const auto& stage : bounded.stages) {
    std::printf("  stage %lld %s %lld: saturated %lld, held", static_cast<long long>(stage.stage),
                stage.release ? "release" : "record", static_cast<long long>(stage.pattern),
                static_cast<long long>(stage.saturated));
    for (const int h : stage.held) std::printf(" %d", h);
    std::printf(" (without the bound:");
    for (const int h : unbounded.stages[stage.stage].held) std::printf(" %d", h);
    std::printf(")\n");
  }
}

// (1−μ) F + μ G minimized at each μ: F = ∫|X|² e^{−λt} cannot fall and G = ∫|ξ|² e^{−λt} cannot
// rise as μ grows (compare the two optimality inequalities at μ1 < μ2), to the solver's accuracy.
// The cheaper control is, the more novel patterns the network records: none at μ = 0.9.
TEST_P(ControlOutcomes, ParetoSweepTradesControlForStateCost) {
  const auto& ex = example(0.3);
  const auto cues = control_cues(ex, 1, 0.0, 0.03, 2, 13);
  const std::vector<double> mus{0.1, 0.3, 0.6, 0.9};
  const auto points =
      run_pareto_sweep(ex, problem(), mus, cues, *batch_, *engine_, solve_options());
  ASSERT_EQ(points.size(), mus.size());
  for (std::size_t m = 0; m < points.size(); ++m) {
    EXPECT_LE(points[m].tail_bound, problem().tail_tol);
    EXPECT_EQ(
        points[m].recognized + points[m].recorded + points[m].limit_cycles + points[m].wandering,
        3);
    if (m == 0) continue;
    EXPECT_GE(points[m].state_integral, points[m - 1].state_integral * (1 - 1e-6))
        << "mu " << mus[m];
    EXPECT_LE(points[m].control_integral, points[m - 1].control_integral * (1 + 1e-6))
        << "mu " << mus[m];
    EXPECT_LE(points[m].recorded, points[m - 1].recorded) << "mu " << mus[m];
  }
  EXPECT_EQ(points.front().recorded, 2);
  EXPECT_EQ(points.back().recorded, 0);
}

ATTRACTOR_ON_EACH_BACKEND(ControlOutcomes);

}  // namespace
}  // namespace attractor
