#pragma once
// Internal to kernels/: launch shapes shared by the engine's kernels.
#include <cuda_runtime.h>

#include <cstdint>

#include "cuda_check.hpp"

namespace attractor::cuda {

// Threads per block of the element-wise and per-neuron kernels: 8 warps, enough to hide memory
// latency with several blocks per SM, few enough for small N.
constexpr int kThreads = 256;
constexpr std::int64_t kMaxGridY = 65535;

// Calls launch(first, count) for consecutive slices of at most 65,535 items — states, jobs,
// (the grid's y limit) — and checks each launch.
template <class Launch>
void launch_over_items(std::int64_t items, Launch launch) {
  for (std::int64_t first = 0; first < items; first += kMaxGridY) {
    const std::int64_t count = items - first < kMaxGridY ? items - first : kMaxGridY;
    launch(static_cast<int>(first), static_cast<unsigned>(count));
    ATTRACTOR_CUDA_CHECK(cudaGetLastError());
  }
}

}  // namespace attractor::cuda
