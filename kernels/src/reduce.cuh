#pragma once
// Internal to kernels/: deterministic reductions. Every sum is taken in a fixed order that
// depends only on the problem size (never on timing or on which other states run), in float64,
// so reruns reproduce every bit and a state's result does not depend on its batch.
#include <cuda_runtime.h>

#include <cstdint>

#include "cuda_check.hpp"
#include "launch.hpp"

namespace attractor::cuda {

constexpr int kWarp = 32;
constexpr unsigned kFullMask = 0xFFFFFFFFu;

// Σ over the 32 lanes by a fixed tree (shuffle down); the total is in lane 0.
template <class T>
__device__ T warp_sum(T v) {
  for (int offset = kWarp / 2; offset > 0; offset /= 2) v += __shfl_down_sync(kFullMask, v, offset);
  return v;
}

// The same total given to every lane: lane 0's, so every lane holds the same association of the
// terms (a butterfly would give each lane its own) and decisions made from it agree.
template <class T>
__device__ T warp_sum_to_all(T v) {
  return __shfl_sync(kFullMask, warp_sum(v), 0);
}

// Sum of `v` over the block, returned to every thread. `scratch` holds ≥ 33 doubles of shared
// memory; the block size is a multiple of 32. Two barriers; the last one makes `scratch` reusable.
__device__ inline double block_sum(double v, double* scratch) {
  const int lane = static_cast<int>(threadIdx.x) % kWarp;
  const int warp = static_cast<int>(threadIdx.x) / kWarp;
  v = warp_sum(v);
  if (lane == 0) scratch[warp] = v;
  __syncthreads();
  if (threadIdx.x == 0) {
    double total = 0.0;
    for (int w = 0; w < static_cast<int>(blockDim.x) / kWarp; ++w) total += scratch[w];
    scratch[32] = total;
  }
  __syncthreads();
  const double total = scratch[32];
  __syncthreads();
  return total;
}

// Per-item sums of K terms over i ∈ [0, n): Term::add(item, i, acc) adds item's terms for
// element i into acc[0..K). Two launches: blocks_per_item blocks per item (gridDim.y = items)
// each sum a grid-strided slice into partials, then one thread per item adds its partials in
// block order. The slices depend only on n, so the result is a pure function of the inputs.
constexpr int kReduceThreads = kThreads;  // item_reduction_launches' block

template <class Term, int K>
__global__ void __launch_bounds__(kReduceThreads)
    reduce_partials_kernel(Term term, std::int64_t n, std::int64_t first_item, double* partials) {
  // One block owns a strided slice of one item's n elements and writes K partial sums.
  __shared__ double scratch[K][33];
  const int item = static_cast<int>(first_item) + static_cast<int>(blockIdx.y);
  double acc[K];
#pragma unroll
  for (int k = 0; k < K; ++k) acc[k] = 0.0;
  const std::int64_t stride = static_cast<std::int64_t>(gridDim.x) * blockDim.x;
  for (std::int64_t i = static_cast<std::int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; i < n;
       i += stride) {
    term.add(item, i, acc);
  }
  const int lane = static_cast<int>(threadIdx.x) % kWarp;
  const int warp = static_cast<int>(threadIdx.x) / kWarp;
#pragma unroll
  for (int k = 0; k < K; ++k) {
    const double v = warp_sum(acc[k]);
    if (lane == 0) scratch[k][warp] = v;
  }
  __syncthreads();
  if (threadIdx.x < K) {
    double total = 0.0;
    for (int w = 0; w < kReduceThreads / kWarp; ++w) total += scratch[threadIdx.x][w];
    partials[(static_cast<std::int64_t>(item) * gridDim.x + blockIdx.x) * K + threadIdx.x] = total;
  }
}

template <int K>
__global__ void reduce_finish_kernel(const double* partials, int blocks, int items, double* out) {
  // One thread per item adds its blocks' partials in block order.
  const int item = static_cast<int>(blockIdx.x * blockDim.x + threadIdx.x);
  if (item >= items) return;
  for (int k = 0; k < K; ++k) {
    double total = 0.0;
    for (int b = 0; b < blocks; ++b) {
      total += partials[(static_cast<std::int64_t>(item) * blocks + b) * K + k];
    }
    out[static_cast<std::int64_t>(item) * K + k] = total;
  }
}

// out[item * K + k] (device) = Σ_i term_k(item, i). `partials` is scratch of at least
// items × reduction_blocks_per_item(n) × K doubles.
template <int K, class Term>
void reduce_per_item(const Term& term, int items, std::int64_t n, double* partials, double* out,
                     cudaStream_t stream) {
  if (items == 0) return;
  for (const LaunchSlice& slice : item_reduction_launches(n, items)) {
    launch_kernel(reduce_partials_kernel<Term, K>, slice.shape, stream, term, n, slice.first_item,
                  partials);
  }
  launch_kernel(reduce_finish_kernel<K>, thread_per_item_launch(items, 128), stream, partials,
                static_cast<int>(reduction_blocks_per_item(n)), items, out);
}

}  // namespace attractor::cuda
