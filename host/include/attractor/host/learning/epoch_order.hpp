#pragma once
#include <cstdint>
#include <vector>

namespace attractor {

// The order in which epoch `epoch` of a training run visits its samples: a Fisher–Yates shuffle
// of 0 … samples−1 whose swap partners come from CounterRng(seed), purpose MinibatchOrder, stream
// = epoch, index = position (core::apply_swaps). Every learning rule shuffles this way, so a
// resumed run draws the same orders as an uninterrupted one.
std::vector<std::int32_t> epoch_order(std::int64_t samples, std::uint64_t seed, std::int64_t epoch);

}  // namespace attractor
