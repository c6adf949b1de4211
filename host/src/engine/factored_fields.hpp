#pragma once
// Fields of factored Hebbian weights, y = (Ξᵀ (Ξ x) − P x) / N with T = (1/N) Ξᵀ Ξ − (P/N) I, for
// m states interleaved as the CPU engine holds them (state j of neuron i at x[i m + j]; y the
// same). Two ways, the same bits for ±1 states, where every sum is an integer and so exact in
// any order: factored_fields from the int8 patterns for any states, and PackedPatterns from bits
// for ±1 states only, an eighth of the bytes and eight multiply-adds per lookup.
#include <cstdint>
#include <vector>

#include "attractor/core/state_batch.hpp"

namespace attractor::cpu {

// Two float64 GEMMs over blocks of patterns widened to double, so the states are reused from
// cache across a block instead of streamed once per pattern.
template <class Real>
void factored_fields(const core::PatternSet& xi, const Real* x, std::int64_t m, double* y);

// Ξ as bits: by pattern (P × ⌈N/64⌉ words, bit set for +1, zero past N) for the overlaps, and by
// group of 8 patterns (⌈P/8⌉ × N bytes, bit b of byte (g, i) for pattern 8g + b) for the second
// product. Packed once; the products are const, so threads may share one.
class PackedPatterns {
 public:
  // Integer sums are 32-bit where they fit, else 64-bit; `wide` takes 64-bit always (so tests
  // cover that path without networks of 2^31 pattern bits).
  explicit PackedPatterns(const core::PatternSet& xi, bool wide = false);

  // y for the m states in x, or false, computing nothing, if any entry of x is not ±1. The
  // overlap sums are N − 2 popcount(ξ^μ XOR s), then y = (pattern_sums(overlaps) − P x) / N.
  template <class Real>
  bool fields(const Real* x, std::int64_t m, double* y) const;

  // out[i m + j] = Σ_μ ξ^μ_i c[μ m + j] for integer weights with |c| ≤ bound, exact while P·bound
  // fits 64 bits: 8 patterns at a time, by a table per group of 8 patterns of the 256 signed
  // sums their bits can select, looked up by neuron i's byte of the group.
  void pattern_sums(const std::int64_t* c, std::int64_t m, std::int64_t bound,
                    std::int64_t* out) const;

 private:
  template <class Acc>
  void lookups(const std::int64_t* c, std::int64_t m, std::int64_t* out) const;

  std::int64_t n_, p_, words_, groups_;
  bool wide_;
  std::vector<std::uint64_t> xi_bits_;
  std::vector<std::uint8_t> xi_bytes_;
};

}  // namespace attractor::cpu
