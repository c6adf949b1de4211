// Krotov–Hopfield competing units: the update against a literal float64 transcription of the
// rule, float32 on every backend against float64 within a derived rounding bound, ranks and
// ties, convergence of the units' p-norms, and reproducible epochs.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>

#include "attractor/core/philox.hpp"
#include "attractor/host/engine/cpu_competing_units.hpp"
#include "attractor/host/engine/engine_factory.hpp"
#include "engine_backends.hpp"

namespace attractor::test {
namespace {

// v: batch × D inputs uniform in [0, 1) (float values, so every precision sees the same data).
std::vector<float> uniform_inputs(std::int64_t batch, std::int64_t D, std::uint64_t seed) {
  std::vector<float> v(static_cast<std::size_t>(batch * D));
  const core::CounterRng rng{seed};
  for (std::size_t e = 0; e < v.size(); ++e) {
    v[e] = static_cast<float>(rng.uniform(core::RngPurpose::Samples, 0, e));
  }
  return v;
}

// The rule exactly as written in the issue, float64, with a full sort and a dense g:
//   I = (sign(W)∘|W|^(p−1)) v;  g = +1 (rank 1), −Δ (rank k);  dS = g vᵀ − (Σ_b g∘I)∘W;
//   W += ε dS / max|dS|.
struct Transcription {
  std::vector<double> W, I;  // I: H × B
  std::vector<int> top, kth;
};

Transcription transcribe(std::vector<double> W, const std::vector<double>& v, std::int64_t H,
                         std::int64_t D, std::int64_t B, const core::CompetingUnitsRule& rule,
                         double eps) {
  Transcription t;
  t.I.assign(static_cast<std::size_t>(H * B), 0.0);
  for (std::int64_t mu = 0; mu < H; ++mu) {
    for (std::int64_t b = 0; b < B; ++b) {
      double sum = 0;
      for (std::int64_t i = 0; i < D; ++i) {
        const double w = W[mu * D + i];
        const double weighting = (w > 0   ? 1.0
                                  : w < 0 ? -1.0
                                          : 0.0) *
                                 std::pow(std::abs(w), rule.p - 1);
        sum += weighting * v[b * D + i];
      }
      t.I[mu * B + b] = sum;
    }
  }
  std::vector<double> g(static_cast<std::size_t>(H * B), 0.0);
  for (std::int64_t b = 0; b < B; ++b) {
    std::vector<int> units(static_cast<std::size_t>(H));
    std::iota(units.begin(), units.end(), 0);
    std::sort(units.begin(), units.end(), [&](int a, int c) {
      const double ia = t.I[a * B + b], ic = t.I[c * B + b];
      return ia > ic || (ia == ic && a < c);
    });
    t.top.push_back(units[0]);
    t.kth.push_back(units[rule.rank - 1]);
    g[units[0] * B + b] = 1.0;
    g[units[rule.rank - 1] * B + b] = -rule.delta;
  }
  std::vector<double> dS(static_cast<std::size_t>(H * D));
  double max_abs = 0;
  for (std::int64_t mu = 0; mu < H; ++mu) {
    double decay = 0;
    for (std::int64_t b = 0; b < B; ++b) decay += g[mu * B + b] * t.I[mu * B + b];
    for (std::int64_t i = 0; i < D; ++i) {
      double hebb = 0;
      for (std::int64_t b = 0; b < B; ++b) hebb += g[mu * B + b] * v[b * D + i];
      dS[mu * D + i] = hebb - decay * W[mu * D + i];
      max_abs = std::max(max_abs, std::abs(dS[mu * D + i]));
    }
  }
  for (std::size_t e = 0; e < W.size(); ++e) W[e] += eps * dS[e] / max_abs;
  t.W = std::move(W);
  return t;
}

std::vector<double> widen(const std::vector<float>& x) { return {x.begin(), x.end()}; }

class CompetingUnitsRule : public ::testing::TestWithParam<double> {};

// Two float64 evaluations of the same arithmetic in different orders (Eigen's blocked GEMM and
// the loops above) differ by a few units of 2⁻⁵³ relative to the sums of |terms| (≈ D·max|W|^p);
// 1e-9 absolute on W of order one leaves seven orders of magnitude of room and still fails on
// any real deviation from the rule (a wrong rank, sign, or term is ≥ ε/B ≈ 10⁻³).
TEST_P(CompetingUnitsRule, UpdateMatchesFloat64Transcription) {
  const double p = GetParam();
  const std::int64_t H = 60, D = 50, B = 20;
  core::CompetingUnitsRule rule;
  rule.p = p;
  const std::vector<double> W0 = widen(initial_competing_weights(H, D, 7));
  const std::vector<double> v = widen(uniform_inputs(B, D, 11));
  const double eps = 0.04;
  const Transcription expected = transcribe(W0, v, H, D, B, rule, eps);

  std::vector<double> W = W0;
  CompetingUnitsUpdate<double> update(H, D, rule);
  update(W.data(), v.data(), B, eps);
  for (std::int64_t b = 0; b < B; ++b) {
    EXPECT_EQ(update.top()[b], expected.top[b]) << "sample " << b;
    EXPECT_EQ(update.kth()[b], expected.kth[b]) << "sample " << b;
  }
  double worst = 0, moved = 0;
  for (std::size_t e = 0; e < W.size(); ++e) {
    worst = std::max(worst, std::abs(W[e] - expected.W[e]));
    moved = std::max(moved, std::abs(W[e] - W0[e]));
  }
  EXPECT_LE(worst, 1e-9);
  EXPECT_NEAR(moved, eps, 1e-12);  // the largest change is ε by construction of dS / max|dS|
}

INSTANTIATE_TEST_SUITE_P(Powers, CompetingUnitsRule, ::testing::Values(2.0, 3.0, 4.5));

// float32 on a backend against the float64 transcription, entry by entry, within a first-order
// bound on float32's rounding (u = 2⁻²⁴; γ_n = n u / (1 − n u) bounds a sum of n products in any
// order, with or without FMA, so it covers Eigen's and cuBLAS's GEMMs alike):
//   |ΔWp| ≤ u |Wp| (w·|w| for p = 3), so |ΔI_bμ| ≤ E_bμ = γ_{D+1} Σ_i |Wp_μi| v_bi;
//   ranks agree when the reference's gaps around ranks 1 and k exceed 2 max_μ E_bμ (checked);
//   Hebbian term a = Σ_b g v: |Δa| ≤ γ_{B+1} Σ_b |g| v;
//   decay c = Σ_b g I: |Δc| ≤ Σ_b |g| (E + γ_{B+1} |I|);
//   dS = a − c w: |ΔdS| ≤ |Δa| + |Δc| |w| + u (|a| + 2 |c w|);
//   M = max|dS|: |ΔM| ≤ max|ΔdS|;  s = ε / M: |Δs| ≤ s (|ΔM| / M + 2u);
//   W' = w + s dS: |ΔW'| ≤ u |W'| + s (|ΔdS| + u |dS|) + |Δs| |dS|.
// The bound is doubled for the neglected second-order terms.
class CompetingUnitsBackend : public ::testing::TestWithParam<Backend> {};

TEST_P(CompetingUnitsBackend, Float32UpdateMatchesFloat64WithinRoundingBound) {
  const std::int64_t H = 400, D = 196, B = 50;
  core::CompetingUnitsRule rule;  // p = 3, k = 7, Δ = 0.4
  std::unique_ptr<core::CompetingUnitsStep> step;
  try {
    step = make_competing_units_step(GetParam(), H, D, rule);
  } catch (const core::InputError& e) {
    GTEST_SKIP() << e.what();
  }
  const std::vector<float> W0 = initial_competing_weights(H, D, 3);
  const std::vector<float> v = uniform_inputs(B, D, 5);
  const float eps = 0.04f;
  step->set_weights(W0);
  step->load_inputs(v.data(), B);
  std::vector<std::int32_t> order(static_cast<std::size_t>(B));
  std::iota(order.begin(), order.end(), 0);
  step->train(order.data(), B, B, eps);
  const std::vector<float> W = step->weights();

  const std::vector<double> w = widen(W0), x = widen(v);
  const Transcription ref = transcribe(w, x, H, D, B, rule, eps);
  const double u = std::ldexp(1.0, -24);
  const auto gamma = [u](double n) { return n * u / (1 - n * u); };
  std::vector<double> E(static_cast<std::size_t>(H * B));
  for (std::int64_t mu = 0; mu < H; ++mu) {
    for (std::int64_t b = 0; b < B; ++b) {
      double sum = 0;
      for (std::int64_t i = 0; i < D; ++i) sum += w[mu * D + i] * w[mu * D + i] * x[b * D + i];
      E[mu * B + b] = gamma(static_cast<double>(D + 1)) * sum;
    }
  }
  for (std::int64_t b = 0; b < B; ++b) {
    std::vector<double> column(static_cast<std::size_t>(H));
    double e_max = 0;
    for (std::int64_t mu = 0; mu < H; ++mu) {
      column[mu] = ref.I[mu * B + b];
      e_max = std::max(e_max, E[mu * B + b]);
    }
    std::sort(column.begin(), column.end(), std::greater<>());
    for (const std::int64_t r : {std::int64_t{0}, rule.rank - 2, rule.rank - 1}) {
      ASSERT_GT(column[r] - column[r + 1], 2 * e_max)
          << "sample " << b << ": ranks " << r + 1 << " and " << r + 2
          << " are too close for float32 to order them as float64 does; choose another seed";
    }
  }
  std::vector<double> a(W.size(), 0.0), a_abs(W.size(), 0.0), da(W.size(), 0.0);
  std::vector<double> c(static_cast<std::size_t>(H), 0.0), dc(static_cast<std::size_t>(H), 0.0);
  for (std::int64_t b = 0; b < B; ++b) {
    for (const auto& [mu, g] :
         {std::pair<int, double>{ref.top[b], 1.0}, {ref.kth[b], -rule.delta}}) {
      c[mu] += g * ref.I[mu * B + b];
      dc[mu] += std::abs(g) *
                (E[mu * B + b] + gamma(static_cast<double>(B + 1)) * std::abs(ref.I[mu * B + b]));
      for (std::int64_t i = 0; i < D; ++i) {
        a[mu * D + i] += g * x[b * D + i];
        a_abs[mu * D + i] += std::abs(g) * x[b * D + i];
      }
    }
  }
  std::vector<double> dS(W.size()), ddS(W.size());
  double M = 0, dM = 0;
  for (std::int64_t mu = 0; mu < H; ++mu) {
    for (std::int64_t i = 0; i < D; ++i) {
      const std::size_t e = static_cast<std::size_t>(mu * D + i);
      dS[e] = a[e] - c[mu] * w[e];
      ddS[e] = gamma(static_cast<double>(B + 1)) * a_abs[e] + dc[mu] * std::abs(w[e]) +
               u * (std::abs(a[e]) + 2 * std::abs(c[mu] * w[e]));
      M = std::max(M, std::abs(dS[e]));
      dM = std::max(dM, ddS[e]);
    }
  }
  const double s = eps / M, ds = s * (dM / M + 2 * u);
  double worst_ratio = 0;
  for (std::size_t e = 0; e < W.size(); ++e) {
    const double bound =
        2 * (u * std::abs(ref.W[e]) + s * (ddS[e] + u * std::abs(dS[e])) + ds * std::abs(dS[e]));
    const double error = std::abs(static_cast<double>(W[e]) - ref.W[e]);
    worst_ratio = std::max(worst_ratio, error / bound);
    ASSERT_LE(error, bound) << step->backend() << ": entry " << e << " of " << W.size();
  }
  // Rounding really is there (W' of order one in float32) and within bound.
  RecordProperty("worst_error_over_bound", std::to_string(worst_ratio));
}

// Exact ties rank the lower unit index first on every backend: units 2 and 5 carry identical
// weights, the best for the one sample, so with k = 2 unit 2 is the Hebbian winner (pulled towards
// v) and unit 5 the anti-Hebbian k-th (pushed away); every other unit is untouched.
TEST_P(CompetingUnitsBackend, TiesRankTheLowerUnitIndexFirst) {
  const std::int64_t H = 8, D = 16;
  core::CompetingUnitsRule rule;
  rule.rank = 2;
  std::unique_ptr<core::CompetingUnitsStep> step;
  try {
    step = make_competing_units_step(GetParam(), H, D, rule);
  } catch (const core::InputError& e) {
    GTEST_SKIP() << e.what();
  }
  std::vector<float> W(static_cast<std::size_t>(H * D), 0.05f);
  for (std::int64_t i = 0; i < D; ++i) W[2 * D + i] = W[5 * D + i] = 0.25f;
  const std::vector<float> v(static_cast<std::size_t>(D), 0.5f);
  step->set_weights(W);
  step->load_inputs(v.data(), 1);
  const std::int32_t order = 0;
  step->train(&order, 1, 1, 0.1f);
  const std::vector<float> after = step->weights();
  const auto drive = [&](const std::vector<float>& weights, int unit) {
    double sum = 0;
    for (std::int64_t i = 0; i < D; ++i) sum += weights[unit * D + i] * v[i];
    return sum;
  };
  EXPECT_GT(drive(after, 2), drive(W, 2));
  EXPECT_LT(drive(after, 5), drive(W, 5));
  for (const int unit : {0, 1, 3, 4, 6, 7}) {
    for (std::int64_t i = 0; i < D; ++i) EXPECT_EQ(after[unit * D + i], W[unit * D + i]);
  }
}

// W += ε dS / max|dS| moves no entry by more than ε per update, whatever the data: over epochs of
// ⌈S / batch⌉ updates each, |W − W₀| ≤ Σ_e ε_e ⌈S / batch⌉ entry by entry (float32 rounding adds
// at most u |W| per update, far inside the slack of 1e-5 relative).
TEST_P(CompetingUnitsBackend, NoEntryMovesMoreThanEpsilonPerUpdate) {
  const std::int64_t H = 64, D = 49, S = 500;
  std::unique_ptr<core::CompetingUnitsStep> step;
  try {
    step = make_competing_units_step(GetParam(), H, D, core::CompetingUnitsRule{});
  } catch (const core::InputError& e) {
    GTEST_SKIP() << e.what();
  }
  const std::vector<float> x = uniform_inputs(S, D, 9);
  CompetingUnitsParams params;
  params.hidden = H;
  params.epochs = 3;
  const std::vector<float> W0 = initial_competing_weights(H, D, params.seed);
  step->set_weights(W0);
  step->load_inputs(x.data(), S);
  double allowed = 0;
  const std::int64_t minibatches = (S + params.batch - 1) / params.batch;  // ⌈S / batch⌉
  const double updates = static_cast<double>(minibatches);
  for (std::int64_t epoch = 0; epoch < params.epochs; ++epoch) {
    train_competing_epoch(*step, params, S, epoch);
    allowed += competing_learning_rate(params, epoch) * updates;
  }
  const std::vector<float> W = step->weights();
  double moved = 0;
  for (std::size_t e = 0; e < W.size(); ++e)
    moved = std::max(moved, std::abs(double{W[e]} - W0[e]));
  EXPECT_GT(moved, 0.0);
  EXPECT_LE(moved, allowed * (1 + 1e-5));
}

ATTRACTOR_ON_EACH_BACKEND(CompetingUnitsBackend);

// The CPU and CUDA backends through the same epochs: identical ranks where the float32 inputs are
// far from ties make their weights agree to rounding. Skips without a device.
TEST(CompetingUnitsParity, CpuAndCudaAgreeAfterAnEpoch) {
  const std::int64_t H = 100, D = 64, S = 400;
  std::unique_ptr<core::CompetingUnitsStep> gpu;
  try {
    gpu = make_competing_units_step(Backend::Cuda, H, D, core::CompetingUnitsRule{});
  } catch (const core::InputError& e) {
    GTEST_SKIP() << e.what();
  }
  auto cpu = make_competing_units_step(Backend::Cpu, H, D, core::CompetingUnitsRule{});
  const std::vector<float> x = uniform_inputs(S, D, 13);
  CompetingUnitsParams params;
  params.hidden = H;
  params.epochs = 1;
  for (auto* step : {cpu.get(), gpu.get()}) {
    step->set_weights(initial_competing_weights(H, D, params.seed));
    step->load_inputs(x.data(), S);
    train_competing_epoch(*step, params, S, 0);
  }
  const std::vector<float> a = cpu->weights(), b = gpu->weights();
  // Each of the S/batch = 4 updates moves an entry by at most ε = 0.04; a rank that differs
  // between backends would move whole rows by ~ε. Rounding alone stays below 1e-4 (the bound of
  // Float32UpdateMatchesFloat64WithinRoundingBound is ~1e-6 per update at this size).
  double worst = 0;
  for (std::size_t e = 0; e < a.size(); ++e) worst = std::max(worst, std::abs(double{a[e]} - b[e]));
  EXPECT_LE(worst, 1e-4);
}

// A unit that keeps winning converges to the unit p-sphere: its update drives Σ_i |W_μi|^p to 1
// (Krotov & Hopfield 2019, eq. 3: d/dt Σ|W|^p ∝ (1 − Σ|W|^p) for the Hebbian winner). With as
// many units as input prototypes, each wins for its own prototype, so nearly all converge.
TEST(CompetingUnits, WinningUnitsConvergeToTheUnitPNorm) {
  const std::int64_t H = 20, D = 64, S = 2000, prototypes = 20;
  const core::CounterRng rng{21};
  std::vector<float> x(static_cast<std::size_t>(S * D));
  for (std::int64_t s = 0; s < S; ++s) {
    for (std::int64_t i = 0; i < D; ++i) {
      const double base = rng.uniform(core::RngPurpose::Samples, 1, (s % prototypes) * D + i) > 0.7;
      const double noise = 0.1 * rng.uniform(core::RngPurpose::Samples, 2, s * D + i);
      x[s * D + i] = static_cast<float>(std::min(1.0, base + noise));
    }
  }
  CompetingUnitsParams params;
  params.hidden = H;
  params.rule.rank = 2;
  params.epochs = 60;
  params.batch = 50;
  CpuCompetingUnits step(H, D, params.rule);
  const std::vector<float> W0 = initial_competing_weights(H, D, params.seed);
  step.set_weights(W0);
  step.load_inputs(x.data(), S);
  EXPECT_LE(converged_fraction(W0, H, params.rule.p), 0.05);  // N(0,1): Σ|w|³ ≈ 1.6 D
  for (std::int64_t epoch = 0; epoch < params.epochs; ++epoch) {
    train_competing_epoch(step, params, S, epoch);
  }
  EXPECT_GE(converged_fraction(step.weights(), H, params.rule.p), 0.9);
}

TEST(CompetingUnits, EpochOrderIsAReproduciblePermutationPerEpoch) {
  const auto a = epoch_order(1000, 5, 3), b = epoch_order(1000, 5, 3);
  const auto c = epoch_order(1000, 5, 4);
  EXPECT_EQ(a, b);
  EXPECT_NE(a, c);
  std::vector<std::int32_t> sorted = a;
  std::sort(sorted.begin(), sorted.end());
  for (std::int32_t i = 0; i < 1000; ++i) ASSERT_EQ(sorted[i], i);
}

// Training in two runs (epochs 0–2, then the weights carried over into 3–5) ends on the same bits
// as one run of 0–5: the order and ε of each epoch depend only on (seed, epoch).
TEST(CompetingUnits, SplitTrainingEndsOnTheSameBitsAsOneRun) {
  const std::int64_t H = 30, D = 25, S = 300;
  const std::vector<float> x = uniform_inputs(S, D, 17);
  CompetingUnitsParams params;
  params.hidden = H;
  params.epochs = 6;
  params.batch = 32;
  CpuCompetingUnits whole(H, D, params.rule), first(H, D, params.rule), second(H, D, params.rule);
  for (auto* step : {&whole, &first}) {
    step->set_weights(initial_competing_weights(H, D, params.seed));
    step->load_inputs(x.data(), S);
  }
  for (std::int64_t e = 0; e < 6; ++e) train_competing_epoch(whole, params, S, e);
  for (std::int64_t e = 0; e < 3; ++e) train_competing_epoch(first, params, S, e);
  second.set_weights(first.weights());
  second.load_inputs(x.data(), S);
  for (std::int64_t e = 3; e < 6; ++e) train_competing_epoch(second, params, S, e);
  EXPECT_EQ(second.weights(), whole.weights());
  EXPECT_DOUBLE_EQ(competing_learning_rate(params, 0), 0.04);
  EXPECT_DOUBLE_EQ(competing_learning_rate(params, 3), 0.02);
}

TEST(CompetingUnits, RejectsOutOfRangeRulesAndWeights) {
  core::CompetingUnitsRule rule;
  rule.p = 1.5;
  EXPECT_THROW(rule.validate(10), core::InputError);
  rule = {};
  rule.rank = 11;
  EXPECT_THROW(rule.validate(10), core::InputError);
  rule.rank = 1;
  EXPECT_THROW(rule.validate(10), core::InputError);
  rule = {};
  rule.rank = 2;
  CpuCompetingUnits step(4, 3, rule);
  EXPECT_THROW(step.set_weights(std::vector<float>(11)), core::InputError);
  std::vector<float> nan(12, 0.0f);
  nan[5] = std::numeric_limits<float>::quiet_NaN();
  EXPECT_THROW(step.set_weights(nan), core::InputError);
  const std::int32_t order = 0;
  EXPECT_THROW(step.train(&order, 1, 1, 0.1f), core::InputError);  // no inputs loaded
}

}  // namespace
}  // namespace attractor::test
