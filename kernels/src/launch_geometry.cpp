#include "attractor/cuda/launch_geometry.hpp"

#include <algorithm>
#include <string>

#include "attractor/core/error.hpp"

namespace attractor::cuda {

namespace {

using Index = std::int64_t;

constexpr auto kBlock = static_cast<std::uint32_t>(kThreads);

Index ceil_div(Index count, Index per) { return (count + per - 1) / per; }

void require(bool condition, const std::string& problem) {
  core::require(condition, "launch geometry", problem);
}

void check_block(std::uint32_t block) {
  require(block >= 1 && block <= kMaxThreadsPerBlock,
          "a block of " + std::to_string(block) + " threads (the limit is 1024)");
}

void check_counts(Index a, Index b) {
  require(a >= 0 && b >= 0,
          "negative counts (" + std::to_string(a) + ", " + std::to_string(b) + ")");
}

LaunchShape shape_1d(Index blocks, std::uint32_t block, std::size_t shared_bytes) {
  return {{static_cast<std::uint32_t>(blocks), 1u, 1u}, block, shared_bytes};
}

}  // namespace

LaunchSlices tiled_item_launches(Index blocks_x, Index items, Index tile, std::uint32_t block,
                                 std::size_t shared_bytes) {
  check_counts(blocks_x, items);
  check_block(block);
  // A tile is a kernel's register array of states: small, and the bound keeps
  // kMaxGridY · tile far from overflow.
  require(tile >= 1 && tile <= kMaxThreadsPerBlock, "a tile of " + std::to_string(tile) + " items");
  require(shared_bytes <= kMaxStaticSharedBytes,
          "these kernels do not opt in to more than 48 KiB of dynamic shared memory");
  require(blocks_x <= kMaxGridX, std::to_string(blocks_x) +
                                     " blocks along x, more than a grid's 2^31 − 1: the problem "
                                     "is too large for one GPU launch");
  LaunchSlices slices;
  if (blocks_x == 0 || items == 0) return slices;
  const Index per_slice = kMaxGridY * tile;
  slices.reserve(static_cast<std::size_t>(ceil_div(items, per_slice)));
  for (Index first = 0; first < items; first += per_slice) {
    const Index count = std::min(per_slice, items - first);
    const LaunchShape shape{{static_cast<std::uint32_t>(blocks_x),
                             static_cast<std::uint32_t>(ceil_div(count, tile)), 1u},
                            block,
                            shared_bytes};
    slices.push_back({shape, first, count});
  }
  return slices;
}

LaunchSlices per_neuron_launches(Index n, Index items) {
  check_counts(n, items);
  return tiled_item_launches(ceil_div(n, kThreads), items, 1, kBlock);
}

LaunchSlices sign_word_launches(Index n, Index items) {
  check_counts(n, items);
  const Index warps_per_block = kThreads / kThreadsPerWarp;
  return tiled_item_launches(ceil_div(ceil_div(n, 64), warps_per_block), items, 1, kBlock);
}

Index reduction_blocks_per_item(Index n) {
  // At least one block even for n = 0: every item still writes its (zero) partial sums.
  return std::clamp<Index>(ceil_div(n, kThreads), 1, kReductionBlocksPerItem);
}

LaunchSlices item_reduction_launches(Index n, Index items) {
  check_counts(n, items);
  return tiled_item_launches(reduction_blocks_per_item(n), items, 1, kBlock);
}

Index csr_states_per_tile(Index states) {
  if (states == 1) return 1;
  Index tile = kCsrMinStatesPerTile;
  while (tile < states && tile < kCsrMaxStatesPerTile) tile *= 2;
  return tile;
}

LaunchSlices sell_product_launches(Index slices, Index states) {
  check_counts(slices, states);
  return tiled_item_launches(ceil_div(slices, kCsrRowsPerBlock), states,
                             csr_states_per_tile(states), kBlock);
}

Index state_major_stride(Index states) {
  const Index tile = csr_states_per_tile(states);
  return ceil_div(states, tile) * tile;
}

LaunchShape transpose_launch(Index rows, Index cols) {
  check_counts(rows, cols);
  const Index tiles = ceil_div(rows, kTransposeTile) * ceil_div(cols, kTransposeTile);
  return grid_stride_launch(tiles * kTransposeTile * 8, kTransposeTile * 8, kTransposeMaxBlocks);
}

LaunchSlices csr_product_launches(Index rows, Index states) {
  check_counts(rows, states);
  return tiled_item_launches(ceil_div(rows, kCsrRowsPerBlock), states, csr_states_per_tile(states),
                             kBlock);
}

LaunchSlices factored_overlap_launches(Index patterns, Index states) {
  check_counts(patterns, states);
  return tiled_item_launches(ceil_div(patterns, kFactoredPatterns), states, kFactoredStates,
                             kBlock);
}

LaunchSlices popcount_overlap_launches(Index patterns, Index states) {
  check_counts(patterns, states);
  return tiled_item_launches(patterns, states, 1, kBlock);
}

LaunchSlices factored_field_launches(Index n, Index states) {
  check_counts(n, states);
  return tiled_item_launches(ceil_div(n, kThreads), states, kFactoredStates, kBlock);
}

LaunchSlices block_per_item_launches(Index items, std::uint32_t block, Index max_items_per_launch) {
  check_counts(items, max_items_per_launch);
  check_block(block);
  require(max_items_per_launch >= 1, "at most 0 items per launch");
  const Index per_slice = std::min(max_items_per_launch, kMaxGridX);
  LaunchSlices slices;
  for (Index first = 0; first < items; first += per_slice) {
    const Index count = std::min(per_slice, items - first);
    slices.push_back({shape_1d(count, block, 0), first, count});
  }
  return slices;
}

EnsembleLaunch ensemble_launch(const EnsembleShape& e, std::size_t shared_optin_bytes,
                               std::size_t static_shared_bytes, Index max_cluster) {
  require(
      e.networks >= 0 && e.n >= 1 && e.per_network >= 0 && e.real_bytes >= 1 && e.weight_bytes >= 1,
      "an ensemble needs networks ≥ 0, N ≥ 1 and per-network weights ≥ 0");
  // Synchronous: s, s_next, b. Asynchronous: s, b and the order and its draws. Plus the weights,
  // padded to 16 bytes so what follows stays aligned (and, sparse, their columns) when staged.
  // In 64 bits: per_network · 8 stays below 2^63 for any ensemble that fits in memory.
  const auto bytes = [&](bool staged) {
    const Index reals = (e.sync ? 3 : 2) * e.n;
    const Index weights =
        staged ? ceil_div(e.per_network * static_cast<Index>(e.weight_bytes), 16) * 16 : 0;
    const Index words = (e.sync ? 0 : 2 * e.n) + (staged && e.sparse ? e.per_network : 0);
    return static_cast<std::size_t>(reals) * e.real_bytes + static_cast<std::size_t>(weights) +
           static_cast<std::size_t>(words) * 4;
  };
  const std::size_t budget =
      shared_optin_bytes > static_shared_bytes ? shared_optin_bytes - static_shared_bytes : 0;
  const std::size_t state_bytes = bytes(false);
  const std::size_t staged_bytes = bytes(true);
  core::require(state_bytes <= budget, "ensemble",
                "networks of " + std::to_string(e.n) + " neurons need " +
                    std::to_string(state_bytes) + " bytes of shared memory per block " +
                    "for their state, more than the " + std::to_string(budget) +
                    " this device allows: run them with the single-network engine");
  const bool staged = staged_bytes <= budget;
  // Synchronous: a warp per 8 rows up to 16 warps, so a small network does not leave most of a
  // block idle. Asynchronous: one warp, since neurons are updated one at a time.
  const Index warps = e.sync ? std::clamp<Index>(ceil_div(e.n, 8), 1, kEnsembleMaxSyncWarps) : 1;
  const Index blocks = std::clamp<Index>(e.networks, 1, kEnsembleMaxBlocks);
  if (!staged && e.sync && !e.sparse) {
    // The smallest cluster whose blocks each hold their rows of the weights beside the state,
    // with no block left without rows.
    for (Index c = 2; c <= std::min(max_cluster, kMaxPortableCluster); c *= 2) {
      const Index rows = ceil_div(ceil_div(e.n, c), 64) * 64;
      if (rows * (c - 1) >= e.n) continue;
      const std::size_t per_block =
          static_cast<std::size_t>(3 * e.n) * e.real_bytes +
          static_cast<std::size_t>(ceil_div(rows * e.n * static_cast<Index>(e.weight_bytes), 16) *
                                   16);
      if (per_block > budget) continue;
      const Index clusters = std::clamp<Index>(e.networks, 1, kEnsembleMaxBlocks / c);
      const Index cluster_warps = std::clamp<Index>(ceil_div(rows, 8), 1, kEnsembleMaxSyncWarps);
      return {shape_1d(clusters * c, static_cast<std::uint32_t>(cluster_warps * kThreadsPerWarp),
                       per_block),
              true, c, rows};
    }
  }
  return {shape_1d(blocks, static_cast<std::uint32_t>(warps * kThreadsPerWarp),
                   staged ? staged_bytes : state_bytes),
          staged};
}

LaunchShape grid_stride_launch(Index elements, std::uint32_t block, Index max_blocks) {
  check_counts(elements, max_blocks);
  check_block(block);
  require(max_blocks >= 1, "at most 0 blocks");
  const Index blocks =
      std::clamp<Index>(ceil_div(elements, block), 1, std::min(max_blocks, kMaxGridX));
  return shape_1d(blocks, block, 0);
}

LaunchShape thread_per_item_launch(Index items, std::uint32_t block) {
  check_counts(items, 0);
  check_block(block);
  const Index blocks = std::max<Index>(ceil_div(items, block), 1);
  require(blocks <= kMaxGridX,
          std::to_string(items) + " items need more than a grid's 2^31 − 1 blocks");
  return shape_1d(blocks, block, 0);
}

}  // namespace attractor::cuda
