#include "attractor/core/integer_weights.hpp"

#include <algorithm>
#include <cmath>
#include <cstdlib>

namespace attractor::core {

namespace {

using Index = std::int64_t;

// fp32 holds every integer below 2^24 exactly: a row's partial sums of ±K_ij stay below it when
// N · max|K| does.
constexpr Index kExactFloatSum = Index{1} << 24;

// K_e with K_e / D rounding to values[e] for every entry, or an empty vector.
std::vector<std::int16_t> integers_over(const double* values, Index count, Index denominator) {
  std::vector<std::int16_t> k(static_cast<std::size_t>(count));
  const auto d = static_cast<double>(denominator);
  for (Index e = 0; e < count; ++e) {
    const double value = std::nearbyint(values[e] * d);
    if (!(std::fabs(value) <= kMaxHalfWeight) || value / d != values[e]) return {};
    k[static_cast<std::size_t>(e)] = static_cast<std::int16_t>(value);
  }
  return k;
}

}  // namespace

std::optional<IntegerWeights> exact_integer_form(const DenseMatrix<double>& T) {
  return exact_integer_form(T.values.data(), static_cast<Index>(T.values.size()), T.rows);
}

std::optional<IntegerWeights> exact_integer_form(const double* values, Index count, Index n) {
  double smallest = 0.0;
  for (Index e = 0; e < count; ++e) {
    const double a = std::fabs(values[e]);
    if (a > 0 && (smallest == 0 || a < smallest)) smallest = a;
  }
  if (!(smallest > 0) || !std::isfinite(smallest)) return std::nullopt;
  for (int d = 1; d <= 16; ++d) {
    const double guess = std::nearbyint(d / smallest);
    if (!(guess >= 1 && guess <= 0x1p40)) continue;
    const auto denominator = static_cast<Index>(guess);
    std::vector<std::int16_t> k = integers_over(values, count, denominator);
    if (k.empty()) continue;
    IntegerWeights w;
    w.n = n;
    w.denominator = denominator;
    for (const std::int16_t v : k) w.max_abs = std::max<std::int32_t>(w.max_abs, std::abs(v));
    if (w.max_abs <= kMaxInt8Weight) {
      w.storage = IntegerStorage::Int8;
    } else if (n * w.max_abs < kExactFloatSum) {
      w.storage = IntegerStorage::Float16;
    } else {
      return std::nullopt;
    }
    w.values = std::move(k);
    return w;
  }
  return std::nullopt;
}

void integer_fields(const IntegerWeights& w, const double* x, double* out, std::int64_t m) {
  const Index n = w.n;
  const auto d = static_cast<double>(w.denominator);
  for (Index j = 0; j < m; ++j) {
    const double* s = x + j * n;
    for (Index i = 0; i < n; ++i) {
      const std::int16_t* row = w.values.data() + i * n;
      std::int64_t acc = 0;
      for (Index c = 0; c < n; ++c) acc += s[c] > 0 ? row[c] : -row[c];
      out[j * n + i] = static_cast<double>(acc) / d;
    }
  }
}

std::uint16_t half_bits(std::int32_t k) {
  if (k == 0) return 0;
  const std::uint16_t sign = k < 0 ? 0x8000u : 0u;
  const auto a = static_cast<std::uint32_t>(std::abs(k));
  int e = 0;
  while ((a >> (e + 1)) != 0) ++e;  // a = 2^e · (1 + f)
  const std::uint32_t fraction = e <= 10 ? (a << (10 - e)) & 0x3FFu : (a >> (e - 10)) & 0x3FFu;
  return static_cast<std::uint16_t>(sign | static_cast<std::uint32_t>((e + 15) << 10) | fraction);
}

}  // namespace attractor::core
