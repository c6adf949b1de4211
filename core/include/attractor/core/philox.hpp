#pragma once
#include <cmath>
#include <cstdint>

#include "attractor/core/config.hpp"

namespace attractor::core {

// Philox4x32-10 (Salmon et al., "Parallel random numbers: as easy as 1, 2, 3", SC 2011): a
// counter-based generator, so a number is a pure function of (key, counter). Every random draw in
// attractor is addressed by what it is for, never by how many draws came before, which is what
// lets the CPU and GPU engines — or two runs with different thread counts — draw identical numbers.
struct Philox4x32 {
  std::uint32_t v[4];
};

ATTRACTOR_HD std::uint32_t philox_mulhi(std::uint32_t a, std::uint32_t b) {
#if defined(__CUDA_ARCH__)
  return __umulhi(a, b);
#else
  return static_cast<std::uint32_t>((static_cast<std::uint64_t>(a) * b) >> 32);
#endif
}

ATTRACTOR_HD Philox4x32 philox4x32_10(Philox4x32 ctr, std::uint32_t key0, std::uint32_t key1) {
  constexpr std::uint32_t kM0 = 0xD2511F53u, kM1 = 0xCD9E8D57u;
  constexpr std::uint32_t kW0 = 0x9E3779B9u, kW1 = 0xBB67AE85u;
  for (int round = 0; round < 10; ++round) {
    if (round > 0) {
      key0 += kW0;
      key1 += kW1;
    }
    const std::uint32_t hi0 = philox_mulhi(kM0, ctr.v[0]), lo0 = kM0 * ctr.v[0];
    const std::uint32_t hi1 = philox_mulhi(kM1, ctr.v[2]), lo1 = kM1 * ctr.v[2];
    ctr = Philox4x32{{hi1 ^ ctr.v[1] ^ key0, lo1, hi0 ^ ctr.v[3] ^ key1, lo0}};
  }
  return ctr;
}

// What a draw is for: the top word of the counter, so streams for different purposes never meet.
// g++ 12's -Wshadow wrongly reports a scoped enumerator (RngPurpose::Weights) as shadowing a
// namespace-scope name of the same spelling (core::Weights in network.hpp); it cannot, since it is
// only reachable qualified.
#if defined(__GNUC__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wshadow"
#endif
enum class RngPurpose : std::uint32_t {
  Patterns = 1,        // stored patterns ξ^μ_i
  CueNoise = 2,        // bit flips that turn a pattern into a noisy cue
  AsyncOrder = 3,      // the random update order of an asynchronous sweep
  Section = 4,         // the projection that defines the Poincaré section for cycle detection
  Weights = 5,         // random couplings
  InitialState = 6,    // random initial states
  Samples = 7,         // synthetic input samples for the learning rules
  MinibatchOrder = 8,  // the shuffled order of training samples in each epoch
  Graph = 9,           // node positions of random physical networks
  Tasks = 10,          // input and output nodes, forces and targets of physical learning tasks
  Forces = 11,         // random force ensembles that probe a network's responses
  Glauber = 12,        // the heat-bath draw of each neuron update at a temperature
};
#if defined(__GNUC__)
#pragma GCC diagnostic pop
#endif

// A seeded generator addressed by (purpose, stream, index): e.g. (CueNoise, cue b, neuron i) or
// (AsyncOrder, state b, sweep·N + position). Four 32-bit words come from one Philox call.
struct CounterRng {
  std::uint64_t seed = 0;

  ATTRACTOR_HD Philox4x32 draw(RngPurpose purpose, std::uint32_t stream,
                               std::uint64_t index) const {
    const Philox4x32 ctr{{static_cast<std::uint32_t>(index),
                          static_cast<std::uint32_t>(index >> 32), stream,
                          static_cast<std::uint32_t>(purpose)}};
    return philox4x32_10(ctr, static_cast<std::uint32_t>(seed),
                         static_cast<std::uint32_t>(seed >> 32));
  }
  // Uniform in [0, 1) with 53 random bits.
  ATTRACTOR_HD double uniform(RngPurpose purpose, std::uint32_t stream, std::uint64_t index) const {
    const Philox4x32 r = draw(purpose, stream, index);
    const std::uint64_t bits = (static_cast<std::uint64_t>(r.v[0]) << 21) ^ (r.v[1] >> 11);
    return static_cast<double>(bits & ((std::uint64_t{1} << 53) - 1)) * 0x1.0p-53;
  }
  // Uniform integer in [0, n) by Lemire's multiply-shift on 64 bits; the bias, at most n / 2^64,
  // is far below anything a simulation could detect, and no rejection loop keeps it branch-free.
  ATTRACTOR_HD std::uint32_t below(RngPurpose purpose, std::uint32_t stream, std::uint64_t index,
                                   std::uint32_t n) const {
    const Philox4x32 r = draw(purpose, stream, index);
    const std::uint64_t bits = (static_cast<std::uint64_t>(r.v[0]) << 32) | r.v[1];
#if defined(__CUDA_ARCH__)
    return static_cast<std::uint32_t>(__umul64hi(bits, n));
#else
    // High word of the 64×32-bit product, from two exact 32×32 → 64-bit products.
    const std::uint64_t lo = (bits & 0xFFFFFFFFu) * n, hi = (bits >> 32) * n;
    return static_cast<std::uint32_t>((hi + (lo >> 32)) >> 32);
#endif
  }
  // Standard normal by Box–Muller on two 53-bit uniforms from one draw (the first of the pair; the
  // second is discarded so every index maps to one value, whatever the caller's order).
  ATTRACTOR_HD double normal(RngPurpose purpose, std::uint32_t stream, std::uint64_t index) const {
    const Philox4x32 r = draw(purpose, stream, index);
    const std::uint64_t a = (static_cast<std::uint64_t>(r.v[0]) << 21) ^ (r.v[1] >> 11);
    const std::uint64_t b = (static_cast<std::uint64_t>(r.v[2]) << 21) ^ (r.v[3] >> 11);
    constexpr std::uint64_t kMask = (std::uint64_t{1} << 53) - 1;
    // 1 − u lies in (0, 1], so the logarithm is finite.
    const double u1 = 1.0 - static_cast<double>(a & kMask) * 0x1.0p-53;
    const double u2 = static_cast<double>(b & kMask) * 0x1.0p-53;
    return sqrt(-2.0 * log(u1)) * cos(6.283185307179586 * u2);
  }
  // ±1 with equal probability.
  ATTRACTOR_HD double sign(RngPurpose purpose, std::uint32_t stream, std::uint64_t index) const {
    return (draw(purpose, stream, index).v[0] & 1u) ? 1.0 : -1.0;
  }
};

}  // namespace attractor::core
