#pragma once
// Internal to kernels/: deterministic reductions, on CUB's warp and block reductions. Every sum is
// taken in a fixed order that depends only on the problem size (never on timing or on which other
// states run), in float64 where the kernels accumulate in it, so reruns reproduce every bit and a
// state's result does not depend on its batch.
//
// The order is the one CUB's code follows (CUB documents none; the algorithm is pinned here).
// cub::WarpReduce over a power-of-two logical warp is its shuffle form: a balanced tree over
// consecutive lanes (lane l adds lane l + 1's value, then l + 2's, l + 4's, …), the total in the
// first lane. cub::BlockReduce with BLOCK_REDUCE_RAKING over B threads: every thread stores its
// value, then lane l of the first warp adds the values of threads l S … l S + S − 1 in thread
// order (S = B / 32), and that warp adds its lanes as above; the total is in thread 0. Neither
// uses atomics or a data-dependent choice, so for one block size (a template parameter, equal to
// every launch's block) and one CUB version the tree is fixed: another CUB version may change it,
// and with it the last bits of floating-point sums, but never a rerun's.
//
// Against the CPU reference, which adds in index order: max, arg-max and integer sums do not
// depend on the order and match it bit for bit; floating-point sums differ from it by rounding,
// which every parity test allows for (a rounding tolerance, or inputs whose sums are exact in any
// order, such as the dyadic test weights).
#include <cuda_runtime.h>

#include <cstdint>
#include <cub/block/block_reduce.cuh>
#include <cub/util_ptx.cuh>
#include <cub/warp/warp_reduce.cuh>
#include <type_traits>

#include "cuda_check.hpp"
#include "launch.hpp"

namespace attractor::cuda {

constexpr int kWarp = 32;
constexpr unsigned kFullMask = 0xFFFFFFFFu;

// Every block reduction takes this algorithm, so the order stated above holds for all of them.
// Raking rather than BLOCK_REDUCE_WARP_REDUCTIONS: with that one, ptxas (CUDA 13.0, sm_90) gave
// async_sweeps_kernel<float> a 16-byte local-memory stack frame of spills; raking keeps every
// kernel at none.
template <class T, int kBlockThreads>
using BlockReduction = cub::BlockReduce<T, kBlockThreads, cub::BLOCK_REDUCE_RAKING>;

// Σ over each logical warp of kLanes consecutive lanes (a power of two ≤ 32), in its first lane.
// Every lane of the warp calls it.
template <int kLanes = kWarp, class T>
__device__ T warp_sum(T v) {
  static_assert(kLanes >= 1 && kLanes <= kWarp && (kLanes & (kLanes - 1)) == 0,
                "a logical warp is a power of two of at most 32 lanes");
  if constexpr (kLanes == 1) {
    return v;
  } else {
    using WarpSum = cub::WarpReduce<T, kLanes>;
    // The shuffle form keeps nothing in memory: its storage is a placeholder, and a local one
    // costs no shared memory (and, unused, no stack).
    static_assert(std::is_empty_v<typename WarpSum::InternalWarpReduce::TempStorage>,
                  "power-of-two logical warps reduce by shuffles");
    typename WarpSum::TempStorage placeholder;
    return WarpSum(placeholder).Sum(v);
  }
}

// The same total given to every lane: lane 0's, so every lane holds the same association of the
// terms and decisions made from it agree.
template <class T>
__device__ T warp_sum_to_all(T v) {
  return cub::ShuffleIndex<kWarp>(warp_sum(v), 0, kFullMask);
}

// fmax as a reduction operator: order-free, so a block's maximum is the CPU's bit for bit.
struct Fmax {
  template <class T>
  __device__ T operator()(T a, T b) const {
    return fmax(a, b);
  }
};

// K sums over the block at once, for kernels that keep K accumulators per thread: warp_sum for
// each, then thread k < K adds sum k's warp totals in warp order. This last stage stays by hand:
// cub::BlockReduce reduces one value per call, so K calls would cost K barriers, and one call
// over a K-vector would hold 2 K doubles per raking lane (K = 32 for the factored overlaps).
// `scratch` is shared; the result is sum threadIdx.x in the threads below K. One barrier; the
// caller does not reuse `scratch`.
template <int kBlockThreads, int K>
__device__ double block_sums(const double (&acc)[K], double (&scratch)[K][kBlockThreads / kWarp]) {
  static_assert(kBlockThreads % kWarp == 0 && K <= kBlockThreads, "whole warps, a thread a sum");
  const int lane = static_cast<int>(threadIdx.x) % kWarp;
  const int warp = static_cast<int>(threadIdx.x) / kWarp;
#pragma unroll
  for (int k = 0; k < K; ++k) {
    const double total = warp_sum(acc[k]);
    if (lane == 0) scratch[k][warp] = total;
  }
  __syncthreads();
  if (threadIdx.x >= K) return 0.0;
  double total = scratch[threadIdx.x][0];
  for (int w = 1; w < kBlockThreads / kWarp; ++w) total += scratch[threadIdx.x][w];
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
  __shared__ double scratch[K][kReduceThreads / kWarp];
  const int item = static_cast<int>(first_item) + static_cast<int>(blockIdx.y);
  double acc[K];
#pragma unroll
  for (int k = 0; k < K; ++k) acc[k] = 0.0;
  const std::int64_t stride = static_cast<std::int64_t>(gridDim.x) * blockDim.x;
  for (std::int64_t i = static_cast<std::int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; i < n;
       i += stride) {
    term.add(item, i, acc);
  }
  const double total = block_sums<kReduceThreads>(acc, scratch);
  if (threadIdx.x < K) {
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
