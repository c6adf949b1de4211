#pragma once
// The rules of discrete dynamics that every backend shares: the tie rule of the sign update, the
// fingerprint of a ±1 state, and the bookkeeping that turns fingerprints into fixed points and
// limit cycles of synchronous dynamics.
#include <cstdint>
#include <deque>

#include "attractor/core/config.hpp"
#include "attractor/core/philox.hpp"

namespace attractor::core {

// s_i ← sign(f_i), where f_i = 0 leaves s_i as it was: the tie rule under which asynchronous
// updates never raise the energy.
template <class Real>
ATTRACTOR_HD Real sign_update(Real field, Real old) {
  return field > Real(0) ? Real(1) : (field < Real(0) ? Real(-1) : old);
}

// The order of asynchronous sweep `sweep` of random stream `stream`: a Fisher–Yates shuffle of
// the identity, position p (from N − 1 down to 1) swapped with async_swap_partner(…, p). Every
// partner is a pure function of (seed, stream, sweep, p), so backends may draw them in parallel
// and then apply them in order with apply_swaps.
ATTRACTOR_HD std::uint32_t async_swap_partner(const CounterRng& rng, std::uint32_t stream,
                                              std::int64_t sweep, std::int64_t n,
                                              std::int64_t pos) {
  return rng.below(RngPurpose::AsyncOrder, stream, static_cast<std::uint64_t>(sweep * n + pos),
                   static_cast<std::uint32_t>(pos + 1));
}
template <class Int>
ATTRACTOR_HD void apply_swaps(std::uint32_t* order, const std::uint32_t* partner, Int n) {
  for (Int i = 0; i < n; ++i) order[i] = static_cast<std::uint32_t>(i);
  for (Int pos = n - 1; pos > 0; --pos) {
    const std::uint32_t other = partner[pos];
    const std::uint32_t moved = order[pos];
    order[pos] = order[other];
    order[other] = moved;
  }
}

// SplitMix64's finalizer: a bijection of 64-bit words with full avalanche.
ATTRACTOR_HD std::uint64_t mix64(std::uint64_t z) {
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

// The hash of a ±1 state is Σ_w word_hash(bits_w, w) mod 2^64 over its 64-neuron words (bit k of
// word w is neuron 64w + k, set for +1; bits beyond N are 0). A sum rather than a chain, so GPU
// warps hash their words independently and any summation order gives the same value. Two
// different states collide with probability ≈ 2^-64 per comparison.
ATTRACTOR_HD std::uint64_t word_hash(std::uint64_t bits, std::uint64_t word_index) {
  return mix64(bits ^ mix64(word_index + 0x9E3779B97F4A7C15ull));
}

template <class Real>
std::uint64_t hash_signs(const Real* s, std::int64_t n) {
  std::uint64_t h = 0;
  for (std::int64_t start = 0; start < n; start += 64) {
    std::uint64_t bits = 0;
    const std::int64_t end = start + 64 < n ? start + 64 : n;
    for (std::int64_t i = start; i < end; ++i) {
      if (s[i] > Real(0)) bits |= std::uint64_t{1} << (i - start);
    }
    h += word_hash(bits, static_cast<std::uint64_t>(start / 64));
  }
  return h;
}

// The last max_period + 1 fingerprints of one synchronous trajectory. A step that changed the
// state and reproduces the fingerprint of p steps back (2 ≤ p ≤ max_period) closes a cycle of
// period p; a step that changed nothing is a fixed point and never reaches here.
class CycleHistory {
 public:
  explicit CycleHistory(int max_period = 0) : max_period_(max_period) {}
  void start(std::uint64_t fingerprint) {
    history_.clear();
    history_.push_back(fingerprint);
  }
  // Records the state after a step that changed it; returns the period it closes, or 0.
  std::int64_t push(std::uint64_t fingerprint) {
    std::int64_t period = 0;
    const std::size_t size = history_.size();
    for (std::size_t p = 2; p <= size && p <= static_cast<std::size_t>(max_period_); ++p) {
      if (history_[size - p] == fingerprint) {
        period = static_cast<std::int64_t>(p);
        break;
      }
    }
    history_.push_back(fingerprint);
    if (history_.size() > static_cast<std::size_t>(max_period_) + 1) history_.pop_front();
    return period;
  }

 private:
  int max_period_;
  std::deque<std::uint64_t> history_;
};

}  // namespace attractor::core
