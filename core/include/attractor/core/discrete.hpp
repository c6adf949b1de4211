#pragma once
// The rules of discrete dynamics that every backend shares: the tie rule of the sign update, the
// fingerprint of a ±1 state, and the bookkeeping that turns fingerprints into fixed points and
// limit cycles of synchronous dynamics.
#include <cmath>
#include <cstdint>
#include <vector>

#include "attractor/core/config.hpp"
#include "attractor/core/philox.hpp"

namespace attractor::core {

// s_i ← sign(f_i), where f_i = 0 leaves s_i as it was: the tie rule under which asynchronous
// updates never raise the energy.
// Arithmetic, not branches: a random network's field signs are unpredictable, and a
// mispredicted branch per neuron costs more than the update itself. Exact for ±1 states (a NaN
// field keeps the old state, as f > 0 and f < 0 are both false).
template <class Real>
ATTRACTOR_HD Real sign_update(Real field, Real old) {
  const int up = field > Real(0), down = field < Real(0);
  return static_cast<Real>(up - down) + static_cast<Real>(1 - up - down) * old;
}

// Glauber's heat bath at temperature T: s_i = +1 with probability 1 / (1 + e^{−2 f_i / T}), the
// conditional Boltzmann probability of E = −½ sᵀTs − bᵀs, so asynchronous updates sample the
// Gibbs distribution of a symmetric network. `uniform` is the update's draw in [0, 1). In float64
// whatever the state's precision, so both backends compare the same probability to the same draw.
ATTRACTOR_HD double heat_bath_update(double field, double temperature, double uniform) {
  return uniform * (1.0 + exp(-2.0 * field / temperature)) < 1.0 ? 1.0 : -1.0;
}

// The draw of neuron i's update in step (or sweep) t of random stream `stream`.
ATTRACTOR_HD double heat_bath_draw(const CounterRng& rng, std::uint32_t stream, std::int64_t t,
                                   std::int64_t n, std::int64_t i) {
  return rng.uniform(RngPurpose::Glauber, stream, static_cast<std::uint64_t>(t * n + i));
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

// The cycle rule of synchronous dynamics, on a ring of the last max_period + 1 fingerprints that
// may live in device memory: a step that changed the state and reproduces the fingerprint of p
// steps back (2 ≤ p ≤ max_period, p ≤ fingerprints held) closes a cycle of period p; a step that
// changed nothing is a fixed point and never reaches here. Records the fingerprint (dropping the
// oldest once max_period + 1 are held) and returns the period, or 0.
ATTRACTOR_HD int push_fingerprint(std::uint64_t* ring, int& size, int& next, int max_period,
                                  std::uint64_t fingerprint) {
  const int capacity = max_period + 1;
  int period = 0;
  for (int p = 2; p <= size && p <= max_period; ++p) {
    if (ring[(next - p + capacity) % capacity] == fingerprint) {
      period = p;
      break;
    }
  }
  ring[next] = fingerprint;
  next = (next + 1) % capacity;
  size = size < capacity ? size + 1 : capacity;
  return period;
}

// One synchronous trajectory's fingerprints on the host, under push_fingerprint's rule.
class CycleHistory {
 public:
  explicit CycleHistory(int max_period = 0)
      : max_period_(max_period), ring_(static_cast<std::size_t>(max_period) + 1) {}
  void start(std::uint64_t fingerprint) {
    size_ = 0;
    next_ = 0;
    push_fingerprint(ring_.data(), size_, next_, max_period_, fingerprint);
  }
  // Records the state after a step that changed it; returns the period it closes, or 0.
  std::int64_t push(std::uint64_t fingerprint) {
    return push_fingerprint(ring_.data(), size_, next_, max_period_, fingerprint);
  }

 private:
  int max_period_;
  std::vector<std::uint64_t> ring_;
  int size_ = 0, next_ = 0;
};

}  // namespace attractor::core
