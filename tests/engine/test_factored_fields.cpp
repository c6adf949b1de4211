// The two ways the CPU engine computes factored Hebbian fields, from int8 patterns and from bits,
// against each other and against the definition in integers: for ±1 states every sum is an
// integer, so all three must agree bit for bit, whatever the sizes' remainders mod 64 and mod 8.
#include <gtest/gtest.h>

#include <cstdint>
#include <vector>

#include "attractor/core/philox.hpp"
#include "attractor/host/memory/hebbian.hpp"
#include "engine/factored_fields.hpp"

namespace attractor {
namespace {

// m interleaved ±1 states of n neurons (state j of neuron i at [i m + j]).
template <class Real>
std::vector<Real> random_signs(std::int64_t n, std::int64_t m, std::uint64_t seed) {
  const core::CounterRng rng{seed};
  std::vector<Real> x(static_cast<std::size_t>(n * m));
  for (std::size_t e = 0; e < x.size(); ++e) {
    x[e] = rng.uniform(core::RngPurpose::InitialState, 0, e) < 0.5 ? Real(-1) : Real(1);
  }
  return x;
}

// (Σ_μ ξ^μ_i (ξ^μ · s) − P s_i) / N with the sums in 64-bit integers.
template <class Real>
std::vector<double> defined_fields(const core::PatternSet& xi, const std::vector<Real>& x,
                                   std::int64_t m) {
  const std::int64_t n = xi.n;
  std::vector<double> y(x.size());
  for (std::int64_t j = 0; j < m; ++j) {
    std::vector<std::int64_t> overlap(static_cast<std::size_t>(xi.count), 0);
    for (std::int64_t mu = 0; mu < xi.count; ++mu) {
      for (std::int64_t i = 0; i < n; ++i) {
        overlap[mu] += xi.pattern(mu)[i] * static_cast<std::int64_t>(x[i * m + j]);
      }
    }
    for (std::int64_t i = 0; i < n; ++i) {
      std::int64_t sum = 0;
      for (std::int64_t mu = 0; mu < xi.count; ++mu) sum += xi.pattern(mu)[i] * overlap[mu];
      y[i * m + j] = (static_cast<double>(sum) -
                      static_cast<double>(xi.count) * static_cast<double>(x[i * m + j])) /
                     static_cast<double>(n);
    }
  }
  return y;
}

template <class Real>
void expect_all_three_agree() {
  struct Size {
    std::int64_t n, p, m;
  };
  // Neurons around a word (64) and patterns around a byte (8); one state and many.
  for (const Size size : {Size{1, 1, 1}, Size{63, 7, 1}, Size{64, 8, 3}, Size{65, 9, 16},
                          Size{130, 17, 5}, Size{777, 100, 17}}) {
    const auto xi = random_patterns(size.p, size.n, 11 + size.n);
    const auto x = random_signs<Real>(size.n, size.m, 3 + size.p);
    const auto expected = defined_fields(xi, x, size.m);
    std::vector<double> from_int8(x.size()), from_bits(x.size());
    cpu::factored_fields(xi, x.data(), size.m, from_int8.data());
    for (const bool wide : {false, true}) {
      const cpu::PackedPatterns packed(xi, wide);
      ASSERT_TRUE(packed.fields(x.data(), size.m, from_bits.data()));
      for (std::size_t e = 0; e < x.size(); ++e) {
        ASSERT_EQ(from_int8[e], expected[e]) << "n " << size.n << " p " << size.p << " at " << e;
        ASSERT_EQ(from_bits[e], expected[e])
            << "n " << size.n << " p " << size.p << " at " << e << (wide ? ", 64-bit sums" : "");
      }
      // A second product reuses the packed patterns.
      const auto y = random_signs<Real>(size.n, size.m, 99);
      ASSERT_TRUE(packed.fields(y.data(), size.m, from_bits.data()));
      ASSERT_EQ(from_bits, defined_fields(xi, y, size.m));
    }
  }
}

TEST(FactoredFields, BitsAndInt8GiveTheDefinedFieldsBitForBitInFloat64) {
  expect_all_three_agree<double>();
}

TEST(FactoredFields, BitsAndInt8GiveTheDefinedFieldsBitForBitInFloat32) {
  expect_all_three_agree<float>();
}

// Anything but ±1 (a rate, a zero) is not a bit: the packed path declines and writes nothing.
TEST(FactoredFields, BitsDeclineStatesThatAreNotSigns) {
  const auto xi = random_patterns(5, 100, 1);
  const cpu::PackedPatterns packed(xi);
  for (const double odd : {0.0, 0.5, -1.0000001}) {
    auto x = random_signs<double>(100, 2, 4);
    x[137] = odd;
    std::vector<double> y(x.size(), 7.0);
    EXPECT_FALSE(packed.fields(x.data(), 2, y.data())) << odd;
    EXPECT_EQ(y, std::vector<double>(x.size(), 7.0));
  }
}

}  // namespace
}  // namespace attractor
