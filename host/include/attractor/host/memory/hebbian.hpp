#pragma once
#include <cstdint>

#include "attractor/core/dense_matrix.hpp"
#include "attractor/core/network.hpp"
#include "attractor/core/state_batch.hpp"

namespace attractor {

// P independent, unbiased ±1 patterns of N neurons: ξ^μ_i = CounterRng(seed).sign(Patterns, μ, i).
core::PatternSet random_patterns(std::int64_t count, std::int64_t n, std::uint64_t seed);

// Hebb's rule, T = (1/N) Σ_μ ξ^μ ξ^μᵀ with T_ii = 0 (Hopfield 1982). The sums are of integers,
// exact in double whatever the order, so T is exactly symmetric.
core::DenseMatrix<double> hebbian_weights(const core::PatternSet& patterns);

// A network of sign neurons with those weights, no bias and no threshold: the classical
// Hopfield (1982) associative memory. `factored` keeps T as the patterns themselves
// (core::FactoredWeights: P·N bytes instead of 8 N²); the dynamics are the same.
core::Network hebbian_network(const core::PatternSet& patterns, bool factored = false);

// Stores one more pattern incrementally: T += (1/N) v vᵀ off the diagonal (T_ii stays 0).
// `v` has N entries (±1 for a binary pattern; any finite values are accepted).
void hebbian_store(core::DenseMatrix<double>& T, const double* v);

// Copies of the patterns with each bit flipped independently with probability `noise`
// (CounterRng(seed), purpose CueNoise, stream = cue b, index = neuron i); cue b is a noisy
// version of pattern b mod P. Returns B × N states of ±1.
core::StateBatch noisy_cues(const core::PatternSet& patterns, std::int64_t cues, double noise,
                            std::uint64_t seed);

}  // namespace attractor
