// core::philox4x32_10 against the Random123 known answers, and statistical checks of CounterRng
// whose bounds come from the distributions they test (not from trial runs).
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <vector>

#include "attractor/core/philox.hpp"

namespace {

using attractor::core::CounterRng;
using attractor::core::Philox4x32;
using attractor::core::philox4x32_10;
using attractor::core::RngPurpose;

void expect_philox(Philox4x32 ctr, std::uint32_t key0, std::uint32_t key1, Philox4x32 expected) {
  const Philox4x32 out = philox4x32_10(ctr, key0, key1);
  for (int w = 0; w < 4; ++w) {
    EXPECT_EQ(out.v[w], expected.v[w])
        << "word " << w << std::hex << " got 0x" << out.v[w] << ", want 0x" << expected.v[w];
  }
}

// Random123 1.14, examples/kat_vectors, the three "philox4x32 10" lines.
TEST(Philox, MatchesRandom123KnownAnswerZeros) {
  expect_philox({{0, 0, 0, 0}}, 0, 0, {{0x6627e8d5u, 0xe169c58du, 0xbc57ac4cu, 0x9b00dbd8u}});
}

TEST(Philox, MatchesRandom123KnownAnswerOnes) {
  expect_philox({{0xffffffffu, 0xffffffffu, 0xffffffffu, 0xffffffffu}}, 0xffffffffu, 0xffffffffu,
                {{0x408f276du, 0x41c83b0eu, 0xa20bc7c6u, 0x6d5451fdu}});
}

TEST(Philox, MatchesRandom123KnownAnswerPi) {
  expect_philox({{0x243f6a88u, 0x85a308d3u, 0x13198a2eu, 0x03707344u}}, 0xa4093822u, 0x299f31d0u,
                {{0xd16cfe09u, 0x94fdccebu, 0x5001e420u, 0x24126ea1u}});
}

constexpr std::uint64_t kSeed = 0x0123456789abcdefULL;
constexpr std::uint64_t kDraws = 1'000'000;

// n = 10^6 draws of U ~ uniform[0, 1): E U = 1/2, Var U = 1/12, so the sample mean has standard
// deviation σ_mean = sqrt(1 / (12 n)) ≈ 2.9e-4. For the variance, with the known mean,
// s² = (1/n) Σ (U − 1/2)² has E s² = 1/12 and Var s² = (E(U − 1/2)⁴ − (1/12)²) / n
// = (1/80 − 1/144) / n = 1 / (180 n), so σ_var ≈ 7.5e-5. A correct generator lands outside 5σ
// with probability below 10⁻⁶ (the 53-bit quantization shifts the mean by 2⁻⁵⁴, far inside).
TEST(Philox, UniformMeanAndVarianceWithinFiveSigma) {
  const CounterRng rng{kSeed};
  double sum = 0, sum_sq = 0, lo = 1, hi = 0;
  for (std::uint64_t i = 0; i < kDraws; ++i) {
    const double u = rng.uniform(RngPurpose::Patterns, 0, i);
    sum += u;
    sum_sq += (u - 0.5) * (u - 0.5);
    lo = std::min(lo, u);
    hi = std::max(hi, u);
  }
  const double n = static_cast<double>(kDraws);
  EXPECT_GE(lo, 0.0);
  EXPECT_LT(hi, 1.0);
  const double sigma_mean = std::sqrt(1.0 / (12.0 * n));
  const double sigma_var = std::sqrt(1.0 / (180.0 * n));
  EXPECT_NEAR(sum / n, 0.5, 5 * sigma_mean);
  EXPECT_NEAR(sum_sq / n, 1.0 / 12.0, 5 * sigma_var);
}

// Normal draws: mean 0 ± 5/√n, variance 1 ± 5√(2/n) (Var of x² is 2), fourth moment 3 ± 5√(96/n)
// (Var of x⁴ is 105 − 9 = 96): the kurtosis tells a Gaussian from a merely unit-variance law.
TEST(Philox, NormalMomentsWithinFiveSigma) {
  const CounterRng rng{kSeed};
  double sum = 0, sum_sq = 0, sum_4 = 0;
  for (std::uint64_t i = 0; i < kDraws; ++i) {
    const double x = rng.normal(RngPurpose::Weights, 3, i);
    ASSERT_TRUE(std::isfinite(x));
    sum += x;
    sum_sq += x * x;
    sum_4 += x * x * x * x;
  }
  const double n = static_cast<double>(kDraws);
  EXPECT_NEAR(sum / n, 0.0, 5 / std::sqrt(n));
  EXPECT_NEAR(sum_sq / n, 1.0, 5 * std::sqrt(2 / n));
  EXPECT_NEAR(sum_4 / n, 3.0, 5 * std::sqrt(96 / n));
}

// Survival function P(χ²_k > x) for even k: e^{-x/2} Σ_{j<k/2} (x/2)^j / j! (exact, closed form).
double chi_square_survival_even_dof(double x, int k) {
  double term = 1, total = 0;
  for (int j = 0; j < k / 2; ++j) {
    if (j > 0) term *= (x / 2) / j;
    total += term;
  }
  return std::exp(-x / 2) * total;
}

// below(7): Pearson's statistic over n draws into 7 equally likely cells is χ² with 6 degrees of
// freedom; a correct generator exceeds the observed value with probability p, and p < 10⁻⁶
// (χ² > ~38) fails. The multiply-shift bias, at most 7/2⁶⁴ per cell, is invisible at n = 10⁶.
TEST(Philox, BelowHitsEveryValueWithChiSquareInBound) {
  constexpr std::uint32_t kCells = 7;
  const CounterRng rng{kSeed};
  std::vector<std::uint64_t> hits(kCells, 0);
  for (std::uint64_t i = 0; i < kDraws; ++i) {
    const std::uint32_t v = rng.below(RngPurpose::AsyncOrder, 3, i, kCells);
    ASSERT_LT(v, kCells) << "draw " << i;
    ++hits[v];
  }
  const double expected = static_cast<double>(kDraws) / kCells;
  double chi2 = 0;
  for (std::uint32_t c = 0; c < kCells; ++c) {
    EXPECT_GT(hits[c], 0u) << "value " << c << " never drawn";
    const double d = static_cast<double>(hits[c]) - expected;
    chi2 += d * d / expected;
  }
  const double p = chi_square_survival_even_dof(chi2, kCells - 1);
  EXPECT_GT(p, 1e-6) << "chi-square " << chi2 << " with " << kCells - 1 << " dof";
}

TEST(Philox, ChiSquareSurvivalMatchesKnownQuantiles) {
  // Tables: the 0.05 upper quantile of χ²_2 is 5.991, of χ²_6 is 12.592.
  EXPECT_NEAR(chi_square_survival_even_dof(5.991, 2), 0.05, 1e-4);
  EXPECT_NEAR(chi_square_survival_even_dof(12.592, 6), 0.05, 1e-4);
}

// below(n) stays in [0, n) also for n near 2³², where the high word of the product matters.
TEST(Philox, BelowStaysInRangeForLargeN) {
  const CounterRng rng{kSeed};
  for (const std::uint32_t n : {1u, 2u, 3u, 0x80000001u, 0xfffffffbu, 0xffffffffu}) {
    for (std::uint64_t i = 0; i < 10'000; ++i) {
      ASSERT_LT(rng.below(RngPurpose::Weights, 0, i, n), n) << "n " << n << " draw " << i;
    }
  }
}

// Σ of n fair ±1 has mean 0 and standard deviation sqrt(n) = 1000 for n = 10⁶.
TEST(Philox, SignIsBalancedWithinFiveSigma) {
  const CounterRng rng{kSeed};
  double sum = 0;
  for (std::uint64_t i = 0; i < kDraws; ++i) {
    const double s = rng.sign(RngPurpose::CueNoise, 0, i);
    ASSERT_TRUE(s == 1.0 || s == -1.0) << "draw " << i << " gave " << s;
    sum += s;
  }
  EXPECT_LE(std::abs(sum), 5 * std::sqrt(static_cast<double>(kDraws)));
}

// Sample Pearson correlation of n = 10⁵ pairs of independent uniforms: mean 0, standard
// deviation 1/sqrt(n − 1) ≈ 3.2e-3; |r| > 5σ fails.
double correlation(const CounterRng& a_rng, RngPurpose a_purpose, std::uint32_t a_stream,
                   const CounterRng& b_rng, RngPurpose b_purpose, std::uint32_t b_stream,
                   std::uint64_t a_offset = 0) {
  constexpr std::uint64_t kPairs = 100'000;
  double sa = 0, sb = 0, saa = 0, sbb = 0, sab = 0;
  for (std::uint64_t i = 0; i < kPairs; ++i) {
    const double a = a_rng.uniform(a_purpose, a_stream, i + a_offset);
    const double b = b_rng.uniform(b_purpose, b_stream, i);
    sa += a;
    sb += b;
    saa += a * a;
    sbb += b * b;
    sab += a * b;
  }
  const double n = static_cast<double>(kPairs);
  const double cov = sab / n - (sa / n) * (sb / n);
  return cov / std::sqrt((saa / n - (sa / n) * (sa / n)) * (sbb / n - (sb / n) * (sb / n)));
}

TEST(Philox, DifferentPurposesStreamsSeedsAndIndicesAreIndependent) {
  const CounterRng rng{kSeed}, other_seed{kSeed + 1}, high_seed{kSeed ^ (1ULL << 40)};
  // The same address always gives the same number.
  EXPECT_EQ(rng.uniform(RngPurpose::Patterns, 5, 17), rng.uniform(RngPurpose::Patterns, 5, 17));
  // Each component of the address changes the draw: purpose, stream, both index words, both
  // seed words.
  const Philox4x32 base = rng.draw(RngPurpose::Patterns, 0, 0);
  const Philox4x32 variants[] = {
      rng.draw(RngPurpose::CueNoise, 0, 0),        rng.draw(RngPurpose::Patterns, 1, 0),
      rng.draw(RngPurpose::Patterns, 0, 1),        rng.draw(RngPurpose::Patterns, 0, 1ULL << 32),
      other_seed.draw(RngPurpose::Patterns, 0, 0), high_seed.draw(RngPurpose::Patterns, 0, 0)};
  for (const Philox4x32& v : variants) {
    for (int w = 0; w < 4; ++w) EXPECT_NE(v.v[w], base.v[w]) << "word " << w;
  }
  const double bound = 5.0 / std::sqrt(100'000.0 - 1.0);
  EXPECT_LT(std::abs(correlation(rng, RngPurpose::Patterns, 0, rng, RngPurpose::CueNoise, 0)),
            bound);
  EXPECT_LT(std::abs(correlation(rng, RngPurpose::Patterns, 0, rng, RngPurpose::Patterns, 1)),
            bound);
  EXPECT_LT(
      std::abs(correlation(rng, RngPurpose::Patterns, 0, other_seed, RngPurpose::Patterns, 0)),
      bound);
  // Index i and i + 2³² share the low counter word only.
  EXPECT_LT(
      std::abs(correlation(rng, RngPurpose::Patterns, 0, rng, RngPurpose::Patterns, 0, 1ULL << 32)),
      bound);
}

}  // namespace
