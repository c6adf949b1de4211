// The launch geometry of every CUDA kernel (attractor/cuda/launch_geometry.hpp) against the
// hardware limits, for every size the engine accepts: N up to 2^24 neurons, up to 10^6 states
// (recall --cues), up to 10^8 synapses. Plain C++: runs in every build, with or without a GPU.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "attractor/core/error.hpp"
#include "attractor/cuda/launch_geometry.hpp"

namespace {

using attractor::core::InputError;
using namespace attractor::cuda;  // NOLINT(google-build-using-namespace): the suite's subject
using Index = std::int64_t;
constexpr std::size_t kKiB = 1024;

// Around every boundary: warps, blocks of 256, 64-neuron words, the grid's 65,535 along y, and
// the slice boundaries of the 8-state CSR tiles (524,280) and 4-state factored tiles (262,140),
// and N up to 2^24.
const std::vector<Index> kNeurons = {1,    2,     31,    32,      33,       63,
                                     64,   65,    255,   256,     257,      1000,
                                     4096, 65535, 65536, 1048576, 16777215, 16777216};
const std::vector<Index> kStates = {1,      2,      3,      4,      5,      7,
                                    8,      9,      1000,   65535,  65536,  262140,
                                    262141, 262144, 524280, 524281, 524288, 1000000};
const std::vector<Index> kPatterns = {1, 2, 7, 8, 9, 100, 1000, 10000, 138000};
const std::vector<Index> kElements = {
    0, 1, 255, 256, 257, 1 << 24, 100000000, Index{1} << 31, Index{1} << 40};

Index ceil_div(Index count, Index per) { return (count + per - 1) / per; }

std::string sizes(Index a, Index b) { return std::to_string(a) + " × " + std::to_string(b); }

// The limits of one launch.
void expect_within_limits(const LaunchShape& shape, std::size_t shared_limit) {
  EXPECT_GE(shape.grid[0], 1u);
  EXPECT_GE(shape.grid[1], 1u);
  EXPECT_GE(shape.grid[2], 1u);
  EXPECT_LE(Index{shape.grid[0]}, kMaxGridX);
  EXPECT_LE(Index{shape.grid[1]}, kMaxGridY);
  EXPECT_LE(Index{shape.grid[2]}, kMaxGridZ);
  EXPECT_GE(shape.block, 1u);
  EXPECT_LE(Index{shape.block}, kMaxThreadsPerBlock);
  EXPECT_LE(shape.shared_bytes, shared_limit);
}

// Slices of items along grid.y in tiles of `tile`: each within the limits, together covering
// [0, items) once (in order, no gap, no overlap), each slice's tiles covering its items with no
// tile left empty; along x, `units_per_block` units (neurons, rows, patterns, words) a block cover
// `units` with no block left empty.
void expect_tiled_cover(const LaunchSlices& slices, Index items, Index tile, Index units,
                        Index units_per_block) {
  Index next = 0;
  for (const LaunchSlice& slice : slices) {
    expect_within_limits(slice.shape, kMaxStaticSharedBytes);
    EXPECT_EQ(slice.first_item, next);
    EXPECT_GE(slice.items, 1);
    const Index tiles = slice.shape.grid[1];
    EXPECT_GE(tiles * tile, slice.items);
    EXPECT_LT((tiles - 1) * tile, slice.items);
    const Index blocks = slice.shape.grid[0];
    EXPECT_GE(blocks * units_per_block, units);
    EXPECT_LT((blocks - 1) * units_per_block, units);
    next += slice.items;
  }
  EXPECT_EQ(next, items);
}

// The slice count a sliced launch needs: no more than the work requires.
void expect_fewest_slices(const LaunchSlices& slices, Index items, Index tile) {
  EXPECT_EQ(static_cast<Index>(slices.size()), ceil_div(items, kMaxGridY * tile));
}

TEST(LaunchGeometry, PerNeuronSlicesCoverEveryNeuronAndStateOnceWithinTheLimits) {
  for (const Index n : kNeurons) {
    for (const Index m : kStates) {
      SCOPED_TRACE(sizes(n, m));
      const LaunchSlices slices = per_neuron_launches(n, m);
      expect_tiled_cover(slices, m, 1, n, kThreads);
      expect_fewest_slices(slices, m, 1);
      for (const LaunchSlice& slice : slices) EXPECT_EQ(slice.shape.block, Index{kThreads});
    }
  }
}

TEST(LaunchGeometry, SignWordSlicesGiveEveryWordOfEveryStateAWarp) {
  for (const Index n : kNeurons) {
    for (const Index m : kStates) {
      SCOPED_TRACE(sizes(n, m));
      const LaunchSlices slices = sign_word_launches(n, m);
      expect_tiled_cover(slices, m, 1, ceil_div(n, 64), kThreads / kThreadsPerWarp);
      expect_fewest_slices(slices, m, 1);
    }
  }
}

TEST(LaunchGeometry, ReductionSlicesGiveEveryItemTheSameBoundedBlocks) {
  for (const Index n : kNeurons) {
    for (const Index m : kStates) {
      SCOPED_TRACE(sizes(n, m));
      const LaunchSlices slices = item_reduction_launches(n, m);
      // Grid-stride along x: a block for each 256 elements up to 64, and the same count in every
      // slice, since the finishing pass reads that many partials per item.
      const Index blocks = std::clamp<Index>(ceil_div(n, kThreads), 1, kReductionBlocksPerItem);
      expect_tiled_cover(slices, m, 1, std::min(n, blocks * kThreads), kThreads);
      for (const LaunchSlice& slice : slices) EXPECT_EQ(Index{slice.shape.grid[0]}, blocks);
    }
  }
}

TEST(LaunchGeometry, CsrProductSlicesCoverEveryRowAndStateWithinTheLimits) {
  for (const Index rows : kNeurons) {
    for (const Index m : kStates) {
      SCOPED_TRACE(sizes(rows, m));
      const Index tile = csr_states_per_tile(m);
      if (m == 1) {
        EXPECT_EQ(tile, 1);
      } else {  // the smallest of 8, 16, 32 that holds the batch: one pass over the matrix
        EXPECT_TRUE(tile == 8 || tile == 16 || tile == 32) << tile;
        EXPECT_TRUE(tile >= std::min<Index>(m, kCsrMaxStatesPerTile)) << tile;
        EXPECT_TRUE(tile == kCsrMinStatesPerTile || tile / 2 < m) << tile;
      }
      const LaunchSlices slices = csr_product_launches(rows, m);
      expect_tiled_cover(slices, m, tile, rows, kCsrRowsPerBlock);
      expect_fewest_slices(slices, m, tile);
      for (const LaunchSlice& slice : slices) {
        EXPECT_EQ(slice.shape.block, Index{kCsrRowsPerBlock * kThreadsPerWarp});
        EXPECT_EQ(slice.first_item % tile, 0);  // every slice starts on a tile of the whole
      }
    }
  }
}

// The bug: the CSR product put ⌈m/8⌉ state tiles in grid.y in one launch, so recall over
// 10^6 cues (which the CLI accepts) asked for 125,000 > 65,535 and failed with an invalid launch
// configuration. Tiles are 32 states wide now (10^6 states take 31,250 tiles); past 65,535 tiles
// of 32 the product is split, and one unsplit launch fails this test again.
TEST(LaunchGeometry, CsrProductOverMillionsOfStatesIsSplitBelowTheGridYLimit) {
  EXPECT_GT(ceil_div(1000000, 8), kMaxGridY);  // the old geometry
  const LaunchSlices million = csr_product_launches(Index{1} << 20, 1000000);
  ASSERT_EQ(million.size(), 1u);
  EXPECT_EQ(Index{million[0].shape.grid[1]}, ceil_div(1000000, kCsrMaxStatesPerTile));

  const Index m = 3000000;
  const Index per_slice = kMaxGridY * kCsrMaxStatesPerTile;
  const LaunchSlices slices = csr_product_launches(Index{1} << 20, m);
  ASSERT_EQ(slices.size(), 2u);
  EXPECT_EQ(slices[0].first_item, 0);
  EXPECT_EQ(slices[0].items, per_slice);
  EXPECT_EQ(slices[1].first_item, per_slice);
  EXPECT_EQ(slices[1].items, m - per_slice);
  for (const LaunchSlice& slice : slices) EXPECT_LE(Index{slice.shape.grid[1]}, kMaxGridY);
  expect_tiled_cover(slices, m, kCsrMaxStatesPerTile, Index{1} << 20, kCsrRowsPerBlock);
}

// The state-major copy's rows hold whole tiles (the kernels' 16-byte loads of a tile stay in its
// row), start 16-byte aligned for float and double, and never shrink as the batch grows (the
// copy is allocated once for the most states).
TEST(LaunchGeometry, StateMajorRowsHoldWholeAlignedTiles) {
  Index previous = 0;
  for (Index m = 1; m <= 5000; ++m) {
    const Index stride = state_major_stride(m);
    const Index tile = csr_states_per_tile(m);
    EXPECT_GE(stride, m);
    EXPECT_EQ(stride % tile, 0);
    EXPECT_LT(stride - m, tile);
    if (m > 1) {
      EXPECT_EQ(stride * 4 % 16, 0);
    }
    EXPECT_GE(stride, previous);
    previous = stride;
  }
}

// The states' transpose covers every element with bounded blocks, for any shape.
TEST(LaunchGeometry, TransposeCoversEveryTileWithinTheLimits) {
  for (const Index rows : kNeurons) {
    for (const Index m : kStates) {
      const LaunchShape shape = transpose_launch(rows, m);
      EXPECT_EQ(shape.block, Index{kTransposeTile} * 8);
      EXPECT_GE(Index{shape.grid[0]}, 1);
      EXPECT_LE(Index{shape.grid[0]}, kTransposeMaxBlocks);
      EXPECT_EQ(shape.grid[1], 1u);
      EXPECT_EQ(shape.grid[2], 1u);
    }
  }
}

TEST(LaunchGeometry, CsrProductSplitsExactlyPastTheLastFullGrid) {
  const Index per_slice = kMaxGridY * kCsrMaxStatesPerTile;  // 2,097,120
  const LaunchSlices full = csr_product_launches(1000, per_slice);
  ASSERT_EQ(full.size(), 1u);
  EXPECT_EQ(Index{full[0].shape.grid[1]}, kMaxGridY);

  const LaunchSlices past = csr_product_launches(1000, per_slice + 1);
  ASSERT_EQ(past.size(), 2u);
  EXPECT_EQ(Index{past[0].shape.grid[1]}, kMaxGridY);
  EXPECT_EQ(past[1].first_item, per_slice);
  EXPECT_EQ(past[1].items, 1);
  EXPECT_EQ(past[1].shape.grid[1], 1u);
}

TEST(LaunchGeometry, FactoredProductsSplitExactlyPastTheLastFullGrid) {
  // The factored products' old grid.y, ⌈m/4⌉, passed the limit from 262,141 states on.
  EXPECT_GT(ceil_div(262141, kFactoredStates), kMaxGridY);
  for (const bool field : {false, true}) {
    SCOPED_TRACE(field ? "field" : "overlap sums");
    const auto launches = [&](Index m) {
      return field ? factored_field_launches(4096, m) : factored_overlap_launches(100, m);
    };
    const LaunchSlices full = launches(262140);
    ASSERT_EQ(full.size(), 1u);
    EXPECT_EQ(Index{full[0].shape.grid[1]}, kMaxGridY);
    const LaunchSlices past = launches(262141);
    ASSERT_EQ(past.size(), 2u);
    EXPECT_EQ(past[1].first_item, 262140);
    EXPECT_EQ(past[1].items, 1);
    const LaunchSlices million = launches(1000000);
    EXPECT_EQ(million.size(), 4u);
    for (const LaunchSlice& slice : million) EXPECT_LE(Index{slice.shape.grid[1]}, kMaxGridY);
  }
}

TEST(LaunchGeometry, FactoredSlicesCoverEveryPatternNeuronAndStateWithinTheLimits) {
  for (const Index m : kStates) {
    for (const Index p : kPatterns) {
      SCOPED_TRACE("overlap sums " + sizes(p, m));
      const LaunchSlices overlap = factored_overlap_launches(p, m);
      expect_tiled_cover(overlap, m, kFactoredStates, p, kFactoredPatterns);
      expect_fewest_slices(overlap, m, kFactoredStates);
      for (const LaunchSlice& slice : overlap) {
        EXPECT_EQ(slice.first_item % kFactoredStates, 0);
      }
      SCOPED_TRACE("popcount sums");
      const LaunchSlices popcount = popcount_overlap_launches(p, m);
      expect_tiled_cover(popcount, m, 1, p, 1);
      expect_fewest_slices(popcount, m, 1);
    }
    for (const Index n : kNeurons) {
      SCOPED_TRACE("field " + sizes(n, m));
      const LaunchSlices field = factored_field_launches(n, m);
      expect_tiled_cover(field, m, kFactoredStates, n, kThreads);
      expect_fewest_slices(field, m, kFactoredStates);
    }
  }
}

TEST(LaunchGeometry, BlockPerItemSlicesHoldAtMostTheirSlotsAndTheGridXLimit) {
  const std::vector<Index> items_list = {0,     1,       2,         1000,          65535,
                                         65536, 1000000, kMaxGridX, kMaxGridX + 1, Index{1} << 33};
  const std::vector<Index> slots_list = {1, 7, 1000, 65536, kMaxGridX};
  for (const Index items : items_list) {
    for (const Index slots : slots_list) {
      if (ceil_div(items, slots) > 100000) continue;  // a million one-slot slices prove nothing new
      SCOPED_TRACE(sizes(items, slots));
      const LaunchSlices slices = block_per_item_launches(items, 256, slots);
      Index next = 0;
      for (const LaunchSlice& slice : slices) {
        expect_within_limits(slice.shape, 0);
        EXPECT_EQ(slice.first_item, next);
        EXPECT_GE(slice.items, 1);
        EXPECT_LE(slice.items, slots);
        EXPECT_EQ(Index{slice.shape.grid[0]}, slice.items);  // block per item, none idle
        EXPECT_EQ(slice.shape.grid[1], 1u);
        next += slice.items;
      }
      EXPECT_EQ(next, items);
      EXPECT_EQ(static_cast<Index>(slices.size()), ceil_div(items, std::min(slots, kMaxGridX)));
    }
  }
}

TEST(LaunchGeometry, EnsembleLaunchFitsTheOptInSharedMemoryOrRefusesTheState) {
  // Opt-in ceilings of real devices: none (48 KiB), GeForce Ampere/Ada (99 KiB), A100 (163 KiB),
  // H100 (227 KiB).
  const std::vector<std::size_t> optins = {48 * kKiB, 99 * kKiB, 163 * kKiB, 227 * kKiB};
  const std::vector<std::size_t> statics = {0, 12, 16 * kKiB};
  const std::vector<Index> sizes_n = {1,   2,   7,    8,    9,     100,           127,
                                      128, 129, 1000, 5000, 20000, Index{1} << 24};
  const std::vector<Index> counts = {1, 1000, kEnsembleMaxBlocks, kEnsembleMaxBlocks + 1, 10000000};
  for (const Index n : sizes_n) {
    for (const bool sparse : {false, true}) {
      const std::vector<Index> weights =
          sparse ? std::vector<Index>{0, 10 * n, 100000000} : std::vector<Index>{n * n};
      for (const Index per_network : weights) {
        for (const bool sync : {false, true}) {
          for (const std::size_t real_bytes : {std::size_t{4}, std::size_t{8}}) {
            for (const std::size_t weight_size : {real_bytes, std::size_t{1}}) {
              for (const std::size_t optin : optins) {
                for (const std::size_t fixed : statics) {
                  for (const Index count : counts) {
                    SCOPED_TRACE("n " + std::to_string(n) + ", weights " +
                                 std::to_string(per_network) + (sync ? ", sync" : ", async") +
                                 ", optin " + std::to_string(optin) + ", static " +
                                 std::to_string(fixed) + ", networks " + std::to_string(count));
                    const EnsembleShape shape{count,  n,          per_network, sync,
                                              sparse, real_bytes, weight_size};
                    const auto state_bytes = static_cast<std::size_t>(n) *
                                             ((sync ? 3 : 2) * real_bytes + (sync ? 0 : 2 * 4));
                    // Weights padded to 16 bytes (int8 weights of odd N² would misalign what
                    // follows), then the sparse columns.
                    const auto weight_bytes =
                        (static_cast<std::size_t>(per_network) * weight_size + 15) / 16 * 16 +
                        static_cast<std::size_t>(per_network) * (sparse ? 4 : 0);
                    const std::size_t budget = optin - fixed;
                    if (state_bytes > budget) {
                      EXPECT_THROW(ensemble_launch(shape, optin, fixed), InputError);
                      continue;
                    }
                    const EnsembleLaunch launch = ensemble_launch(shape, optin, fixed);
                    expect_within_limits(launch.shape, optin - fixed);
                    EXPECT_EQ(launch.weights_in_shared, state_bytes + weight_bytes <= budget);
                    EXPECT_EQ(launch.shape.shared_bytes,
                              state_bytes + (launch.weights_in_shared ? weight_bytes : 0));
                    EXPECT_EQ(launch.shape.block % kThreadsPerWarp, 0);
                    EXPECT_LE(Index{launch.shape.block},
                              (sync ? kEnsembleMaxSyncWarps : 1) * kThreadsPerWarp);
                    EXPECT_EQ(Index{launch.shape.grid[0]}, std::min(count, kEnsembleMaxBlocks));
                  }
                }
              }
            }
          }
        }
      }
    }
  }
}

// Synchronous dense networks whose weights do not fit one block take the smallest thread-block
// cluster whose blocks each hold their whole 64-neuron words of rows beside the state: 4096
// networks of N = 256 in float32 (256 KB of weights) on clusters of 2; N = 1024 only as int8, on
// clusters of 8; never asynchronous or sparse ones, never without cluster support, and never a
// plan with an idle block.
TEST(LaunchGeometry, ClustersStageWeightsThatOneBlockCannot) {
  const std::size_t optin = 227 * kKiB, fixed = 16;
  const auto plan = [&](Index n, std::size_t weight, bool sync, bool sparse, Index max_cluster) {
    const Index per_network = sparse ? 10 * n : n * n;
    return ensemble_launch(EnsembleShape{4096, n, per_network, sync, sparse, 4, weight}, optin,
                           fixed, max_cluster);
  };
  const EnsembleLaunch n256 = plan(256, 4, true, false, kMaxPortableCluster);
  EXPECT_EQ(n256.cluster, 2);
  EXPECT_EQ(n256.rows_per_block, 128);
  EXPECT_TRUE(n256.weights_in_shared);
  EXPECT_EQ(n256.shape.grid[0], 8192u);
  EXPECT_EQ(plan(256, 4, true, false, 1).cluster, 1);
  EXPECT_FALSE(plan(256, 4, true, false, 1).weights_in_shared);
  EXPECT_EQ(plan(256, 4, false, false, kMaxPortableCluster).cluster, 1);
  EXPECT_EQ(plan(1024, 4, true, false, kMaxPortableCluster).cluster, 1);  // 512 KB a block at 8
  EXPECT_EQ(plan(1024, 1, true, false, kMaxPortableCluster).cluster, 8);
  EXPECT_EQ(plan(256, 1, true, false, kMaxPortableCluster).cluster, 1);  // int8 fits one block

  for (Index n = 1; n <= 4096; n = n * 3 / 2 + 1) {
    for (const std::size_t weight : {std::size_t{1}, std::size_t{4}, std::size_t{8}}) {
      for (const bool sparse : {false, true}) {
        SCOPED_TRACE("n " + std::to_string(n) + ", weight " + std::to_string(weight));
        const Index state = static_cast<Index>(3 * 4) * n;
        if (static_cast<std::size_t>(state) > optin - fixed) continue;
        const EnsembleLaunch launch = plan(n, weight, true, sparse, kMaxPortableCluster);
        if (launch.cluster == 1) continue;
        const Index c = launch.cluster, rows = launch.rows_per_block;
        EXPECT_FALSE(sparse);
        EXPECT_FALSE(plan(n, weight, true, sparse, 1).weights_in_shared);
        EXPECT_TRUE(c == 2 || c == 4 || c == 8);
        EXPECT_EQ(rows % 64, 0);
        EXPECT_LT(rows * (c - 1), n);  // no block without rows
        EXPECT_GE(rows * c, n);
        EXPECT_EQ(Index{launch.shape.grid[0]} % c, 0);
        EXPECT_LE(launch.shape.shared_bytes, optin - fixed);
        EXPECT_GE(launch.shape.shared_bytes,
                  static_cast<std::size_t>(state + rows * n * static_cast<Index>(weight)));
        expect_within_limits(launch.shape, optin - fixed);
      }
    }
  }
}

TEST(LaunchGeometry, GridStrideLaunchesCoverEveryElementWithinTheirBlockBudget) {
  for (const Index elements : kElements) {
    for (const std::uint32_t block : {32u, 128u, 256u, 1024u}) {
      for (const Index max_blocks : {Index{1}, Index{132} * 8, Index{4096}, kMaxGridX}) {
        SCOPED_TRACE(sizes(elements, block) + " at most " + std::to_string(max_blocks));
        const LaunchShape shape = grid_stride_launch(elements, block, max_blocks);
        expect_within_limits(shape, 0);
        EXPECT_EQ(shape.block, block);
        const Index blocks = shape.grid[0];
        EXPECT_LE(blocks, max_blocks);
        EXPECT_LE(blocks, std::max<Index>(ceil_div(elements, block), 1));  // no idle block
        // The grid holds every element at once unless it is at its budget; the stride loop
        // covers the rest.
        if (blocks < max_blocks) {
          EXPECT_GE(blocks * block, elements);
        }
      }
    }
  }
}

TEST(LaunchGeometry, ThreadPerItemLaunchGivesEveryItemAThread) {
  for (const Index items :
       {Index{0}, Index{1}, Index{127}, Index{128}, Index{129}, Index{1000000}, Index{1} << 33}) {
    SCOPED_TRACE(std::to_string(items));
    const LaunchShape shape = thread_per_item_launch(items, 128);
    expect_within_limits(shape, 0);
    const Index blocks = shape.grid[0];
    EXPECT_GE(blocks * 128, items);
    if (items > 0) {
      EXPECT_LT((blocks - 1) * 128, items);
    }
  }
}

TEST(LaunchGeometry, NoWorkMeansNoLaunch) {
  EXPECT_TRUE(per_neuron_launches(0, 5).empty());
  EXPECT_TRUE(per_neuron_launches(5, 0).empty());
  EXPECT_TRUE(csr_product_launches(0, 1000000).empty());
  EXPECT_TRUE(factored_overlap_launches(0, 10).empty());
  EXPECT_TRUE(factored_field_launches(10, 0).empty());
  EXPECT_TRUE(block_per_item_launches(0, 256).empty());
}

TEST(LaunchGeometry, ShapesNoDeviceCanLaunchAreRefusedNotTruncated) {
  EXPECT_THROW(tiled_item_launches(kMaxGridX + 1, 1, 1, 256), InputError);
  EXPECT_THROW(popcount_overlap_launches(kMaxGridX + 1, 1), InputError);
  EXPECT_THROW(per_neuron_launches(-1, 1), InputError);
  EXPECT_THROW(per_neuron_launches(1, -1), InputError);
  EXPECT_THROW(block_per_item_launches(10, 0), InputError);
  EXPECT_THROW(block_per_item_launches(10, 1025), InputError);
  EXPECT_THROW(block_per_item_launches(10, 256, 0), InputError);
  EXPECT_THROW(grid_stride_launch(10, 2048, 1), InputError);
  EXPECT_THROW(tiled_item_launches(1, 1, 1, 256, kMaxStaticSharedBytes + 1), InputError);
  EXPECT_THROW(thread_per_item_launch(kMaxGridX * Index{128} + 1, 128), InputError);
}

}  // namespace
