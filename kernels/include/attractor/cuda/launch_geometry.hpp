#pragma once
// Launch geometry of the CUDA kernels: grid, block and shared memory computed on the host in
// plain C++ (no CUDA headers), so tests/core/test_launch_geometry.cpp checks every shape against
// the hardware's limits in every build, with or without nvcc or a GPU.
//
// Work larger than one grid holds is cut into slices. A sliced kernel covers the items
// [first_item, first_item + items) of its slice: it takes the first item as an argument (item of
// blockIdx.y = 0, or of blockIdx.x = 0) or as base pointers advanced to it.
#include <cstddef>
#include <cstdint>
#include <vector>

namespace attractor::cuda {

// Limits shared by every compute capability from 3.0 on (CUDA C++ Programming Guide, "Features
// and Technical Specifications"). Dynamic shared memory above 48 KiB needs an opt-in whose ceiling
// depends on the device (227 KiB on H100, 163 KiB on A100, 99 KiB on GeForce Ampere and Ada), so
// the functions that use it take that ceiling (cudaDevAttrMaxSharedMemoryPerBlockOptin) as input.
constexpr std::int64_t kMaxGridX = 2147483647;  // 2^31 − 1
constexpr std::int64_t kMaxGridY = 65535;
constexpr std::int64_t kMaxGridZ = 65535;
constexpr std::int64_t kMaxThreadsPerBlock = 1024;
constexpr std::size_t kMaxStaticSharedBytes = std::size_t{48} * 1024;
constexpr std::int64_t kThreadsPerWarp = 32;

// Threads per block of the element-wise and per-neuron kernels: 8 warps, enough to hide memory
// latency with several blocks per SM, few enough for small N.
constexpr int kThreads = 256;

// The tile sizes of the product kernels (kernels/src/device_model.cu), here so that the kernels'
// templates and the geometry below cannot disagree.
//   CSR: one warp per row, states in tiles of 8, 16 or 32 (the smallest that holds the batch, so
//   the matrix is streamed once per product for up to kCsrMaxStatesPerTile states; 1 for one
//   state), read from a state-major (interleaved) copy of the states in kTransposeTile² tiles.
//   Factored overlap sums: a block owns kFactoredPatterns patterns × kFactoredStates states.
//   Factored field: a block owns kThreads neurons × kFactoredStates states and stages kSumsChunk
//   overlap sums per state in static shared memory.
constexpr int kCsrRowsPerBlock = kThreads / static_cast<int>(kThreadsPerWarp);
constexpr int kCsrMinStatesPerTile = 8;
constexpr int kCsrMaxStatesPerTile = 32;
constexpr int kTransposeTile = 32;
constexpr std::int64_t kTransposeMaxBlocks = std::int64_t{1} << 16;
constexpr int kFactoredPatterns = 8;
constexpr int kFactoredStates = 4;
constexpr int kSumsChunk = 512;
static_assert(sizeof(double) * kSumsChunk * kFactoredStates <= kMaxStaticSharedBytes,
              "the factored field's staged sums must fit static shared memory");

// Ensemble kernels (kernels/src/cuda_ensemble.cu): at most this many blocks per launch (block g
// loops over networks g, g + G, …) and this many warps per synchronous block.
constexpr std::int64_t kEnsembleMaxBlocks = std::int64_t{1} << 20;
constexpr std::int64_t kEnsembleMaxSyncWarps = 16;

// Blocks per item of the per-item reductions (kernels/src/reduce.cuh's reduce_per_item): enough
// to fill the device for a few items, few enough that the finishing pass stays short.
constexpr std::int64_t kReductionBlocksPerItem = 64;

struct LaunchShape {
  std::uint32_t grid[3];
  std::uint32_t block;       // threads per block (x only; every kernel here is 1-D in its block)
  std::size_t shared_bytes;  // dynamic shared memory per block
};

struct LaunchSlice {
  LaunchShape shape;
  std::int64_t first_item;
  std::int64_t items;
};

// Slices in increasing first_item, covering [0, items) once; empty when there is no work.
using LaunchSlices = std::vector<LaunchSlice>;

// The form every "items along grid.y" family takes: blocks_x blocks along x for each tile of
// `tile` consecutive items, tiles along y, at most kMaxGridY tiles per slice (so every slice but
// the last holds kMaxGridY · tile items and starts on a tile boundary). Throws core::InputError
// when blocks_x exceeds kMaxGridX.
LaunchSlices tiled_item_launches(std::int64_t blocks_x, std::int64_t items, std::int64_t tile,
                                 std::uint32_t block, std::size_t shared_bytes = 0);

// (a) Thread per (neuron, item), kThreads neurons per block, one item per blockIdx.y: gather,
// field, stage, accept and Hermite kernels, and the packing of signs.
LaunchSlices per_neuron_launches(std::int64_t n, std::int64_t items);
// Warp per 64-neuron word, one item per blockIdx.y: the synchronous sign update.
LaunchSlices sign_word_launches(std::int64_t n, std::int64_t items);
// Up to kReductionBlocksPerItem blocks of kThreads striding one item's n elements, one item per
// blockIdx.y: the partial sums of reduce_per_item.
LaunchSlices item_reduction_launches(std::int64_t n, std::int64_t items);
// The blocks each item gets there: the partial sums a reduction keeps per item.
std::int64_t reduction_blocks_per_item(std::int64_t n);

// (b) CSR product Y = T X: kCsrRowsPerBlock rows per block (a warp each), states in tiles of
// csr_states_per_tile(states) along y. The grid depends on rows and states only: a row's warp
// strides its entries, however many there are.
std::int64_t csr_states_per_tile(std::int64_t states);
// The row length of the state-major copy for `states` states: whole tiles (so a tile's vector
// loads stay in its row, and rows start 16-byte aligned), non-decreasing in `states` (a copy
// sized for the most states holds every smaller batch).
std::int64_t state_major_stride(std::int64_t states);
// The states' transpose to the interleaved layout the CSR kernel reads: kTransposeTile ×
// kTransposeTile tiles of a rows × cols matrix, a grid-stride loop over tiles of 32 × 8 threads.
LaunchShape transpose_launch(std::int64_t rows, std::int64_t cols);
LaunchSlices csr_product_launches(std::int64_t rows, std::int64_t states);

// SELL-C-σ product (sell_matrix.hpp): a warp per slice of 32 rows, a thread per row,
// kCsrRowsPerBlock slices per block, states in the CSR product's tiles along y.
LaunchSlices sell_product_launches(std::int64_t slices, std::int64_t states);

// (c) Factored products. Overlap sums: kFactoredPatterns patterns × kFactoredStates states per
// block. Overlap sums by popcount: block per (pattern, state). Field: kThreads neurons ×
// kFactoredStates states per block.
LaunchSlices factored_overlap_launches(std::int64_t patterns, std::int64_t states);
LaunchSlices popcount_overlap_launches(std::int64_t patterns, std::int64_t states);
LaunchSlices factored_field_launches(std::int64_t n, std::int64_t states);

// (d) Block per item along x (problems of a control batch, samples, units, states swept
// asynchronously), at most max_items_per_launch items per slice (a memory plan's slots).
LaunchSlices block_per_item_launches(std::int64_t items, std::uint32_t block,
                                     std::int64_t max_items_per_launch = kMaxGridX);

// (d) The ensemble kernels: one block per network, looping over networks when there are more
// than kEnsembleMaxBlocks; the state (and, when they fit too, the weights) in dynamic shared
// memory, in the order the kernels carve it: `real_bytes`-sized values first (state arrays of N,
// then the staged weights), then 32-bit words (the asynchronous order and its draws, then the
// staged CSR columns) — Real arrays first, so every array is aligned.
struct EnsembleShape {
  std::int64_t networks;
  std::int64_t n;
  std::int64_t per_network;  // weights per network: N² (dense) or nnz (sparse)
  bool sync;                 // synchronous dynamics (else asynchronous)
  bool sparse;
  std::size_t real_bytes;    // sizeof(Real)
  std::size_t weight_bytes;  // bytes per weight: sizeof(Real), or 1 for exact int8 weights
};
struct EnsembleLaunch {
  LaunchShape shape;
  bool weights_in_shared;
  // Synchronous dense networks whose weights do not fit one block's shared memory but fit a
  // thread-block cluster's: `cluster` blocks per network (2, 4 or 8; grid.x a multiple of it),
  // block r staging rows [r · rows_per_block, (r + 1) · rows_per_block) — a multiple of 64, so a
  // block owns whole 64-neuron words — and a full copy of the state, the new state exchanged
  // through distributed shared memory. 1 and 0 otherwise.
  std::int64_t cluster = 1;
  std::int64_t rows_per_block = 0;
};
// Shared memory of one block: `shared_optin_bytes` (the device's opt-in ceiling) less the kernel's
// static shared memory. `max_cluster`: the largest cluster the device launches (8 from sm_90 on,
// 1 before). Throws core::InputError when the state alone does not fit.
EnsembleLaunch ensemble_launch(const EnsembleShape& ensemble, std::size_t shared_optin_bytes,
                               std::size_t static_shared_bytes, std::int64_t max_cluster = 1);
inline constexpr std::int64_t kMaxPortableCluster = 8;

// (e) 1-D grid-stride loop over `elements`: a block per `block` elements, at most max_blocks
// (the loop covers the rest); at least one block, so an empty range is a launch that does nothing.
LaunchShape grid_stride_launch(std::int64_t elements, std::uint32_t block, std::int64_t max_blocks);
// (e) 1-D, one thread per item and no loop: the finishing pass of the reductions.
LaunchShape thread_per_item_launch(std::int64_t items, std::uint32_t block);

}  // namespace attractor::cuda
