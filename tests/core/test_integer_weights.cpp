// The exact low-precision form of Hebbian weights (core/integer_weights.hpp), checked on the CPU
// against float64: what the GPU's int8 and fp16 tensor-core products compute must be the exact
// field, and the storage rule must refuse every matrix for which it would not be.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <limits>
#include <vector>

#include "attractor/core/integer_weights.hpp"
#include "attractor/core/limits.hpp"
#include "attractor/host/memory/hebbian.hpp"

namespace attractor {
namespace {

using core::IntegerStorage;
using Index = std::int64_t;

core::DenseMatrix<double> dense_hebbian(Index patterns, Index n, std::uint64_t seed) {
  return std::get<core::DenseMatrix<double>>(
      hebbian_network(random_patterns(patterns, n, seed), false).weights);
}

// The field the factored float64 product computes: (Σ_μ ξ^μ_i m_μ − P s_i) / N with the integer
// overlaps m_μ = ξ^μ·s — the exact numerator divided once.
std::vector<double> factored_fields(const core::PatternSet& xi, const core::StateBatch& s) {
  const Index n = xi.n, p = xi.count;
  std::vector<double> out(static_cast<std::size_t>(s.batch * n));
  for (Index b = 0; b < s.batch; ++b) {
    std::vector<std::int64_t> m(static_cast<std::size_t>(p), 0);
    for (Index mu = 0; mu < p; ++mu) {
      for (Index i = 0; i < n; ++i)
        m[mu] += xi.pattern(mu)[i] * static_cast<std::int64_t>(s.state(b)[i]);
    }
    for (Index i = 0; i < n; ++i) {
      std::int64_t acc = -p * static_cast<std::int64_t>(s.state(b)[i]);
      for (Index mu = 0; mu < p; ++mu) acc += xi.pattern(mu)[i] * m[mu];
      out[b * n + i] = static_cast<double>(acc) / static_cast<double>(n);
    }
  }
  return out;
}

float half_to_float(std::uint16_t h) {
  const int exponent = (h >> 10) & 0x1F;
  const int fraction = h & 0x3FF;
  float v = exponent == 0 ? std::ldexp(static_cast<float>(fraction), -24)
                          : std::ldexp(static_cast<float>(fraction + 1024), exponent - 25);
  return (h & 0x8000) != 0 ? -v : v;
}

// A Hebbian matrix stored in float64 (as NumPy's (Ξᵀ Ξ) / N gives it) is found to be K / N with
// |K| ≤ P; its integer fields are, bit for bit, the factored float64 product's (the exact field,
// rounded once), and the float64 dense product — the CPU engine's arithmetic on the same matrix —
// differs from them by at most its own rounding: N terms of size ≤ P/N, each rounded, summed
// recursively, an error ≤ N ε Σ|terms| ≤ N ε P (1e-11 here), far below 1/N, the smallest
// non-zero field (N even, P odd: the numerator is odd), so every sign agrees.
TEST(IntegerWeights, HebbianMatricesHaveAnExactInt8FormWhoseFieldsAreTheFactoredOnes) {
  const Index n = 400;
  for (const Index p : {1, 21, 61, 127}) {
    const auto patterns = random_patterns(p, n, 40 + p);
    const auto T = dense_hebbian(p, n, 40 + p);
    const auto form = core::exact_integer_form(T);
    ASSERT_TRUE(form.has_value()) << "P = " << p;
    EXPECT_EQ(form->storage, IntegerStorage::Int8);
    EXPECT_LE(form->max_abs, p);
    EXPECT_EQ(form->denominator, n);  // P odd: some K_ij = ±1
    const auto states = noisy_cues(patterns, 5, 0.3, 7);
    std::vector<double> exact(states.values.size());
    core::integer_fields(*form, states.values.data(), exact.data(), states.batch);
    EXPECT_EQ(exact, factored_fields(patterns, states)) << "P = " << p;
    const double eps = std::numeric_limits<double>::epsilon();
    for (Index b = 0; b < states.batch; ++b) {
      for (Index i = 0; i < n; ++i) {
        double dense = 0.0;
        for (Index j = 0; j < n; ++j) dense += T(i, j) * states.state(b)[j];
        const double f = exact[b * n + i];
        ASSERT_LE(std::fabs(dense - f), static_cast<double>(n) * eps * static_cast<double>(p));
        ASSERT_GE(std::fabs(f), 1.0 / n);
        ASSERT_EQ(dense > 0, f > 0);
      }
    }
  }
}

// P even makes every K_ij even: the form finds the smaller integers K/2 over N/2, and the fields
// are still the exact ones.
TEST(IntegerWeights, EvenLoadsGiveHalvedIntegersOverHalfTheDenominator) {
  const Index n = 300, p = 40;
  const auto patterns = random_patterns(p, n, 3);
  const auto form = core::exact_integer_form(dense_hebbian(p, n, 3));
  ASSERT_TRUE(form.has_value());
  EXPECT_EQ(form->denominator, n / 2);
  EXPECT_LE(form->max_abs, p / 2);
  const auto states = noisy_cues(patterns, 3, 0.2, 4);
  std::vector<double> exact(states.values.size());
  core::integer_fields(*form, states.values.data(), exact.data(), states.batch);
  EXPECT_EQ(exact, factored_fields(patterns, states));
}

// Beyond 127 the integers go to fp16 (random patterns reach max|K| ≈ 4.5 √P over N² pairs, so
// P = 1501 on N = 512), where the device multiplies in fp16 and accumulates in
// fp32: exact while every partial sum stays below 2^24. Emulated here in float in two different
// orders (a tensor core's order is unspecified): both equal the int64 sum.
TEST(IntegerWeights, LargerLoadsUseFloat16WhoseFloat32SumsAreExact) {
  const Index n = 512, p = 1501;
  const auto form = core::exact_integer_form(dense_hebbian(p, n, 5));
  ASSERT_TRUE(form.has_value());
  EXPECT_EQ(form->storage, IntegerStorage::Float16);
  EXPECT_GT(form->max_abs, core::kMaxInt8Weight);
  EXPECT_LT(n * form->max_abs, 1 << 24);
  const auto states = noisy_cues(random_patterns(p, n, 5), 2, 0.2, 6);
  std::vector<double> exact(states.values.size());
  core::integer_fields(*form, states.values.data(), exact.data(), states.batch);
  for (Index b = 0; b < states.batch; ++b) {
    for (Index i = 0; i < n; ++i) {
      float forward = 0.0f, backward = 0.0f;
      for (Index j = 0; j < n; ++j) {
        const float s = static_cast<float>(states.state(b)[j]);
        forward += half_to_float(core::half_bits(form->values[i * n + j])) * s;
        backward += half_to_float(core::half_bits(form->values[i * n + n - 1 - j])) *
                    static_cast<float>(states.state(b)[n - 1 - j]);
      }
      ASSERT_EQ(static_cast<double>(forward) / static_cast<double>(n), exact[b * n + i]);
      ASSERT_EQ(forward, backward);
    }
  }
}

// Matrices the low-precision path would get wrong are refused (the engine falls back to
// floating point): not integers over one denominator, an entry one ulp off, integers beyond
// fp16's exact range, rows whose fp32 sums could pass 2^24, and the empty matrix.
TEST(IntegerWeights, MatricesWithoutAnExactFormAreRefused) {
  core::DenseMatrix<double> gaussian(64, 64);
  for (Index e = 0; e < Index{64} * 64; ++e)
    gaussian.values[e] = std::sin(static_cast<double>(e) + 0.5);
  EXPECT_FALSE(core::exact_integer_form(gaussian).has_value());

  auto off = dense_hebbian(21, 200, 8);
  off(3, 7) = std::nextafter(off(3, 7), 1.0);
  EXPECT_FALSE(core::exact_integer_form(off).has_value());

  core::DenseMatrix<double> large(4, 4);
  large(0, 1) = 1.0;
  large(1, 0) = 2049.0;
  EXPECT_FALSE(core::exact_integer_form(large).has_value());

  // max|K| = 2000 fits fp16, but N · 2000 ≥ 2^24 for N = 8389.
  const Index n = 8389;
  core::DenseMatrix<double> wide(n, n);
  wide(0, 1) = 1.0;
  wide(1, 0) = 2000.0;
  EXPECT_FALSE(core::exact_integer_form(wide).has_value());

  EXPECT_FALSE(core::exact_integer_form(core::DenseMatrix<double>(8, 8)).has_value());
}

// int32 accumulators of int8 products hold N · 127 for every N the program accepts.
TEST(IntegerWeights, Int8SumsCannotOverflowInt32AtTheNeuronLimit) {
  EXPECT_LT(core::kMaxNeurons * core::kMaxInt8Weight,
            std::int64_t{std::numeric_limits<std::int32_t>::max()});
}

TEST(IntegerWeights, HalfBitsAreTheIeeeEncodingOfEverySmallInteger) {
  EXPECT_EQ(core::half_bits(0), 0x0000);
  EXPECT_EQ(core::half_bits(1), 0x3C00);
  EXPECT_EQ(core::half_bits(-2), 0xC000);
  EXPECT_EQ(core::half_bits(3), 0x4200);
  EXPECT_EQ(core::half_bits(1025), 0x6401);
  EXPECT_EQ(core::half_bits(2048), 0x6800);
  EXPECT_EQ(core::half_bits(-2048), 0xE800);
  for (std::int32_t k = -core::kMaxHalfWeight; k <= core::kMaxHalfWeight; ++k) {
    ASSERT_EQ(half_to_float(core::half_bits(k)), static_cast<float>(k)) << k;
  }
}

}  // namespace
}  // namespace attractor
