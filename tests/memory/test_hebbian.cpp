// hebbian_weights / hebbian_store / random_patterns / noisy_cues. Statistical bounds come
// from the distribution being tested (5σ, or a stated tail bound), rounding bounds from the
// arithmetic; none is tuned to a run. Every seed is fixed, so each check is deterministic; the
// bounds say why it passes for any seed with overwhelming probability.
#include <gtest/gtest.h>

#include <cfloat>
#include <cmath>
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "attractor/core/error.hpp"
#include "attractor/core/network.hpp"
#include "attractor/host/memory/hebbian.hpp"

namespace {

using attractor::hebbian_store;
using attractor::hebbian_weights;
using attractor::noisy_cues;
using attractor::random_patterns;
using attractor::core::DenseMatrix;
using attractor::core::PatternSet;
using attractor::core::StateBatch;

constexpr double kEps = DBL_EPSILON;

double to_double(std::int64_t k) { return static_cast<double>(k); }

bool is_symmetric(const DenseMatrix<double>& T) {
  attractor::core::Network network;
  network.weights = T;
  return network.is_symmetric();
}

// Σ_i a_i b_i of two ±1 rows, an exact integer.
template <typename A, typename B>
std::int64_t dot(const A* a, const B* b, std::int64_t n) {
  std::int64_t sum = 0;
  for (std::int64_t i = 0; i < n; ++i) sum += static_cast<std::int64_t>(a[i] * b[i]);
  return sum;
}

// T_ij = (1/N) Σ_μ ξ_i^μ ξ_j^μ: the integer sum is exact in any order and one division rounds
// it, the same single rounding the library does, so the comparison is exact (bitwise).
TEST(Hebbian, WeightsEqualOuterProductSumOverNExactly) {
  for (const auto& [p, n] : {std::pair<std::int64_t, std::int64_t>{7, 37}, {13, 200}, {1, 5}}) {
    const PatternSet xi = random_patterns(p, n, 2024);
    const DenseMatrix<double> T = hebbian_weights(xi);
    ASSERT_EQ(T.rows, n);
    ASSERT_EQ(T.cols, n);
    for (std::int64_t i = 0; i < n; ++i) {
      for (std::int64_t j = 0; j < n; ++j) {
        std::int64_t sum = 0;
        for (std::int64_t mu = 0; mu < p; ++mu)
          sum += std::int64_t{xi.pattern(mu)[i]} * xi.pattern(mu)[j];
        const double expected = i == j ? 0.0 : to_double(sum) / to_double(n);
        ASSERT_EQ(T(i, j), expected)
            << "P = " << p << ", N = " << n << ", i = " << i << ", j = " << j;
      }
    }
  }
}

TEST(Hebbian, WeightsAreExactlySymmetricWithZeroDiagonal) {
  const DenseMatrix<double> T = hebbian_weights(random_patterns(11, 150, 7));
  EXPECT_TRUE(is_symmetric(T));
  for (std::int64_t i = 0; i < T.rows; ++i) EXPECT_EQ(T(i, i), 0.0) << "i = " << i;
}

// Storing one ±1 pattern at a time adds ±ŝ with ŝ = fl(1/N) (the products (ŝ·v_i)·v_j of ±1 are
// exact), so after P stores an entry is a sum of P terms ±ŝ whose partial sums S_m satisfy
// |S_m| ≤ m·ŝ, each addition rounding by ≤ (ε/2)|S_m|: ≤ (ε/2)ŝ·P(P + 1)/2 in all. The exact sum
// k·ŝ differs from k/N by ≤ |k|·(ε/2)/N ≤ P(ε/2)/N, and the batch result fl(k/N) from k/N by
// ≤ P(ε/2)/N. Total ≤ (ε/2)(P(P + 1)/2 + 2P)/N·(1 + ε) (ŝ ≤ (1 + ε/2)/N). N = 97 makes 1/N
// inexact. The same terms are added in the same order at (i, j) and (j, i), so the incremental
// matrix is exactly symmetric too.
TEST(Hebbian, StoringOneAtATimeMatchesBatchWithinRoundingBound) {
  constexpr std::int64_t kP = 40, kN = 97;
  const PatternSet xi = random_patterns(kP, kN, 99);
  DenseMatrix<double> incremental(kN, kN);
  std::vector<double> v(static_cast<std::size_t>(kN));
  for (std::int64_t mu = 0; mu < kP; ++mu) {
    for (std::int64_t i = 0; i < kN; ++i) v[static_cast<std::size_t>(i)] = xi.pattern(mu)[i];
    hebbian_store(incremental, v.data());
  }
  const DenseMatrix<double> batch = hebbian_weights(xi);
  const double p = to_double(kP);
  const double bound = kEps / 2 * (p * (p + 1) / 2 + 2 * p) / to_double(kN) * (1 + kEps);
  for (std::int64_t i = 0; i < kN; ++i) {
    EXPECT_EQ(incremental(i, i), 0.0) << "i = " << i;
    for (std::int64_t j = 0; j < kN; ++j) {
      ASSERT_NEAR(incremental(i, j), batch(i, j), bound) << "i = " << i << ", j = " << j;
    }
  }
  EXPECT_TRUE(is_symmetric(incremental));
}

// (scale·v_i)·v_j and (scale·v_j)·v_i round differently for non-binary v (N = 7, v_0 = 0.1,
// v_2 = 0.7: 0.0099999999999999985 vs 0.01), which would make T asymmetric and the energy
// undefined; hebbian_store multiplies v_i·v_j first, which commutes exactly.
TEST(Hebbian, StoringRealValuedVectorKeepsWeightsExactlySymmetric) {
  constexpr std::int64_t kN = 7;
  const double v[kN] = {0.1, 0.3, 0.7, -1.3, 2.9, 0.11, 5.5};
  DenseMatrix<double> T(kN, kN);
  hebbian_store(T, v);
  EXPECT_TRUE(is_symmetric(T));
}

TEST(Hebbian, RandomPatternsAreSignsReproducibleFromSeed) {
  const PatternSet a = random_patterns(9, 301, 12345);
  const PatternSet b = random_patterns(9, 301, 12345);
  ASSERT_EQ(a.count, 9);
  ASSERT_EQ(a.n, 301);
  ASSERT_EQ(a.values.size(), std::size_t{9} * 301);
  for (const std::int8_t value : a.values) ASSERT_TRUE(value == 1 || value == -1) << int{value};
  EXPECT_EQ(a.values, b.values);
}

// Patterns from independent seeds agree entry by entry with probability ½: over M = P·N
// entries the agreeing fraction has σ = sqrt(¼/M). Seeds that differ only in the low word, only
// in the high word (the second Philox key), or by one must all land within 5σ of ½.
TEST(Hebbian, RandomPatternsDifferAcrossSeeds) {
  constexpr std::int64_t kP = 20, kN = 500;
  constexpr std::uint64_t kSeed = 0x0123456789abcdefULL;
  const PatternSet base = random_patterns(kP, kN, kSeed);
  const double m = to_double(kP * kN);
  const double sigma = std::sqrt(0.25 / m);
  for (const std::uint64_t other :
       {kSeed + 1, kSeed ^ (std::uint64_t{1} << 40), std::uint64_t{0}}) {
    const PatternSet p = random_patterns(kP, kN, other);
    std::int64_t agree = 0;
    for (std::size_t k = 0; k < base.values.size(); ++k) agree += base.values[k] == p.values[k];
    EXPECT_NEAR(to_double(agree) / m, 0.5, 5 * sigma) << "seed " << other;
  }
}

// Each entry is +1 with probability ½; over M = P·N draws the fraction of +1 has σ = sqrt(¼/M).
TEST(Hebbian, RandomPatternsAreBalanced) {
  constexpr std::int64_t kP = 60, kN = 400;
  const PatternSet xi = random_patterns(kP, kN, 31337);
  std::int64_t plus = 0;
  for (const std::int8_t value : xi.values) plus += value == 1;
  const double m = to_double(kP * kN);
  EXPECT_NEAR(to_double(plus) / m, 0.5, 5 * std::sqrt(0.25 / m));
}

// The overlap m = (1/N) Σ_i ξ_i^μ ξ_i^ν of two independent patterns is a mean of N independent
// ±1 (given ξ^μ, the products ξ_i^μ ξ_i^ν are i.i.d. fair signs): E m = 0, E m² = 1/N, and
// E (N m)⁴ = 3N² − 2N gives Var m² = 2(N − 1)/N³. N m² is thus ≈ χ²₁, and over the K = P(P − 1)/2
// pairs — pairwise independent, since m_μν and m_μρ are functions of the independent ξ^μξ^ν and
// ξ^μξ^ρ — the mean of N m² has mean 1 and σ = sqrt(2(N − 1)/(N K)) (a χ²_K/K), ≈ 0.034 here;
// the mean overlap has σ = 1/sqrt(N K). Both within 5σ.
TEST(Hebbian, RandomPatternOverlapsHaveVarianceOneOverN) {
  constexpr std::int64_t kP = 60, kN = 400;
  const PatternSet xi = random_patterns(kP, kN, 4242);
  double sum = 0, sum_sq = 0;
  std::int64_t pairs = 0;
  for (std::int64_t mu = 0; mu < kP; ++mu) {
    for (std::int64_t nu = mu + 1; nu < kP; ++nu) {
      const double m = to_double(dot(xi.pattern(mu), xi.pattern(nu), kN)) / to_double(kN);
      sum += m;
      sum_sq += m * m;
      ++pairs;
    }
  }
  const double n = to_double(kN), k = to_double(pairs);
  EXPECT_NEAR(n * sum_sq / k, 1.0, 5 * std::sqrt(2 * (n - 1) / (n * k)));
  EXPECT_NEAR(sum / k, 0.0, 5 / std::sqrt(n * k));
}

// Fraction of entries where cue b differs from pattern b mod P.
double flip_fraction(const PatternSet& xi, const StateBatch& cues) {
  std::int64_t flips = 0;
  for (std::int64_t b = 0; b < cues.batch; ++b) {
    const std::int8_t* target = xi.pattern(b % xi.count);
    for (std::int64_t i = 0; i < cues.n; ++i) flips += cues.state(b)[i] != target[i];
  }
  return to_double(flips) / to_double(cues.batch * cues.n);
}

// Each bit flips independently with probability F: over B·N bits the flip fraction has
// σ = sqrt(F(1 − F)/(B N)) (≈ 1.4e-3 for F = 0.3, B = 200, N = 500).
TEST(Hebbian, NoisyCuesFlipFractionMatchesNoise) {
  constexpr std::int64_t kB = 200, kN = 500;
  const PatternSet xi = random_patterns(7, kN, 5);
  for (const double noise : {0.05, 0.3, 0.5, 0.9}) {
    const StateBatch cues = noisy_cues(xi, kB, noise, 77);
    ASSERT_EQ(cues.batch, kB);
    ASSERT_EQ(cues.n, kN);
    const double sigma = std::sqrt(noise * (1 - noise) / to_double(kB * kN));
    EXPECT_NEAR(flip_fraction(xi, cues), noise, 5 * sigma) << "noise = " << noise;
  }
}

// Cues b and b + P copy the same pattern, so their flip masks must be drawn independently: they
// agree at a bit with probability a = F² + (1 − F)², and over the (B − P)·N bit pairs the agreeing
// fraction has σ = sqrt(a(1 − a)/((B − P) N)). Reusing one mask for every cue would give 1.
TEST(Hebbian, NoisyCuesDrawIndependentFlipsPerCue) {
  constexpr std::int64_t kP = 5, kB = 100, kN = 400;
  constexpr double kNoise = 0.3;
  const PatternSet xi = random_patterns(kP, kN, 8);
  const StateBatch cues = noisy_cues(xi, kB, kNoise, 9);
  std::int64_t agree = 0;
  for (std::int64_t b = kP; b < kB; ++b) {
    for (std::int64_t i = 0; i < kN; ++i) agree += cues.state(b)[i] == cues.state(b - kP)[i];
  }
  const double a = kNoise * kNoise + (1 - kNoise) * (1 - kNoise);
  const double m = to_double((kB - kP) * kN);
  EXPECT_NEAR(to_double(agree) / m, a, 5 * std::sqrt(a * (1 - a) / m));
}

// A uniform draw in [0, 1) is never < 0 and always < 1: noise 0 copies, noise 1 negates, exactly.
TEST(Hebbian, NoisyCuesWithNoiseZeroCopyAndNoiseOneNegateExactly) {
  const PatternSet xi = random_patterns(4, 64, 3);
  const StateBatch copies = noisy_cues(xi, 10, 0.0, 1);
  const StateBatch negated = noisy_cues(xi, 10, 1.0, 1);
  for (std::int64_t b = 0; b < 10; ++b) {
    for (std::int64_t i = 0; i < 64; ++i) {
      const double target = xi.pattern(b % 4)[i];
      ASSERT_EQ(copies.state(b)[i], target) << "b = " << b << ", i = " << i;
      ASSERT_EQ(negated.state(b)[i], -target) << "b = " << b << ", i = " << i;
    }
  }
}

// Cue b has overlap 1 − 2F + O(sqrt(4F(1 − F)/N)) with pattern b mod P and overlap
// O(1/sqrt(N)) with every other pattern (independent of it). With F = 0.2, N = 500 those σ are
// 0.036 and 0.045; at 6σ (Gaussian tail 1e-9, times B(P − 1) = 180 comparisons) the target
// overlap stays ≥ 0.6 − 0.21 = 0.39 and the others ≤ 0.27, so the target is also the argmax.
TEST(Hebbian, NoisyCueBTargetsPatternBModP) {
  constexpr std::int64_t kP = 6, kB = 30, kN = 500;
  constexpr double kNoise = 0.2;
  const PatternSet xi = random_patterns(kP, kN, 21);
  const StateBatch cues = noisy_cues(xi, kB, kNoise, 22);
  const double n = to_double(kN);
  const double sigma_target = std::sqrt(4 * kNoise * (1 - kNoise) / n);
  const double sigma_other = 1 / std::sqrt(n);
  for (std::int64_t b = 0; b < kB; ++b) {
    for (std::int64_t mu = 0; mu < kP; ++mu) {
      const double overlap = to_double(dot(cues.state(b), xi.pattern(mu), kN)) / n;
      if (mu == b % kP) {
        EXPECT_GE(overlap, 1 - 2 * kNoise - 6 * sigma_target) << "b = " << b;
      } else {
        EXPECT_LE(std::fabs(overlap), 6 * sigma_other) << "b = " << b << ", pattern " << mu;
      }
    }
  }
}

TEST(Hebbian, NoisyCuesRejectNoiseOutsideUnitInterval) {
  const PatternSet xi = random_patterns(3, 16, 1);
  for (const double noise : {-0.1, 1.5, std::numeric_limits<double>::quiet_NaN(),
                             std::numeric_limits<double>::infinity()}) {
    try {
      noisy_cues(xi, 4, noise, 1);
      ADD_FAILURE() << "no InputError for noise = " << noise;
    } catch (const attractor::core::InputError& e) {
      EXPECT_NE(std::string(e.what()).find("noise"), std::string::npos) << e.what();
    }
  }
}

// Why stored patterns are fixed points at low load. For pattern μ and neuron i,
//   N·h_i ξ_i^μ = N Σ_j T_ij ξ_j^μ ξ_i^μ = (N − 1) + S,
//   S = Σ_{ν≠μ} Σ_{j≠i} ξ_i^ν ξ_i^μ ξ_j^ν ξ_j^μ,
// and given ξ^μ and ξ_i^ν the M = (P − 1)(N − 1) terms of S are i.i.d. fair signs (signal
// 1 − 1/N against crosstalk ~ N(0, (P − 1)/N), σ ≈ 0.089 here, a 11σ margin). A bit flips only if
// S ≤ −(N − 1); Hoeffding gives P(S ≤ −t) ≤ exp(−t²/(2M)) = exp(−499²/3992) ≈ e^{−62.4} ≈ 8e-28
// for N = 500, P = 5, and a union over the N·P = 2500 bits leaves ≤ 2e-24 per seed. S is a sum
// of an even number M of ±1, so N·h_i ξ_i is odd and never 0: sign(h_i) is never 0, and the
// rounding of h (≤ (N ε/2)·Σ_j |T_ij| ≤ N ε P/2 ≈ 3e-13, plus ε/2 relative per T_ij) is far
// below the gap |h_i| ≥ 1/N.
TEST(Hebbian, StoredPatternsAreFixedPointsAtLowLoad) {
  constexpr std::int64_t kP = 5, kN = 500;
  for (const std::uint64_t seed : {1u, 2u, 3u}) {
    const PatternSet xi = random_patterns(kP, kN, seed);
    const DenseMatrix<double> T = hebbian_weights(xi);
    for (std::int64_t mu = 0; mu < kP; ++mu) {
      const std::int8_t* pattern = xi.pattern(mu);
      std::int64_t unstable = 0;
      for (std::int64_t i = 0; i < kN; ++i) {
        double h = 0;
        for (std::int64_t j = 0; j < kN; ++j) h += T(i, j) * pattern[j];
        unstable += !(h * pattern[i] > 0);
      }
      EXPECT_EQ(unstable, 0) << "seed " << seed << ", pattern " << mu;
    }
  }
}

}  // namespace
