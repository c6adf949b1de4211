// The arg-max of the competing units' ranks (core::RanksFirst): the GPU reduces candidates by a
// block-reduction tree, the CPU scans them in unit order, and both must pick the same unit, ties
// included. Every tree gives the same unit when the combine is commutative and associative, which
// these tests check over the cases that matter (equal inputs, +0 and −0, "none"); then they check
// the outcome directly for random trees, the GPU's block shape and rank_kernel's k rounds.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <vector>

#include "attractor/core/competing_units.hpp"
#include "attractor/core/philox.hpp"

namespace attractor {
namespace {

using Candidate = core::RankCandidate<float>;
constexpr Candidate kNone{0.0f, -1};

bool same(const Candidate& a, const Candidate& b) {
  return a.unit == b.unit && (a.unit < 0 || a.input == b.input);
}

// H inputs from a handful of values (+0 and −0 among them), so most units tie with others.
std::vector<Candidate> tied_units(std::int32_t H, std::uint32_t stream) {
  static constexpr float kValues[] = {-1.5f, -0.0f, 0.0f, 0.25f, 3.0f};
  const core::CounterRng rng{11};
  std::vector<Candidate> units(static_cast<std::size_t>(H));
  for (std::int32_t mu = 0; mu < H; ++mu) {
    units[mu] = {kValues[rng.below(core::RngPurpose::Samples, stream, mu, 5)], mu};
  }
  return units;
}

// The CPU's rule: the first unit, in index order, of the largest input.
Candidate scan(const std::vector<Candidate>& units) {
  Candidate best = kNone;
  for (const Candidate& u : units) {
    if (best.unit < 0 || u.input > best.input) best = u;
  }
  return best;
}

// A random reduction tree over units[begin, end): split at a random point, reduce both halves,
// combine them in a random operand order.
Candidate random_tree(const std::vector<Candidate>& units, std::size_t begin, std::size_t end,
                      const core::CounterRng& rng, std::uint64_t& draw) {
  if (end - begin == 1) return units[begin];
  const auto split =
      begin + 1 +
      rng.below(core::RngPurpose::Samples, 1, draw++, static_cast<std::uint32_t>(end - begin - 1));
  const Candidate left = random_tree(units, begin, split, rng, draw);
  const Candidate right = random_tree(units, split, end, rng, draw);
  return rng.below(core::RngPurpose::Samples, 2, draw++, 2) == 0 ? core::RanksFirst{}(left, right)
                                                                 : core::RanksFirst{}(right, left);
}

// rank_kernel's shape (kernels/src/reduce.cuh): thread t of 256 scans units t, t + 256, … (those
// `eligible` admits); lane l of the first warp adds threads 8 l … 8 l + 7 in order; then within
// that warp lane l takes lane l + 1's value, then l + 2's, l + 4's, …, and lane 0 holds the total.
template <class Eligible>
Candidate block_shaped(const std::vector<Candidate>& units, Eligible eligible) {
  constexpr std::size_t kBlock = 256, kWarp = 32, kSegment = kBlock / kWarp;
  std::vector<Candidate> thread(kBlock, kNone);
  for (std::size_t mu = 0; mu < units.size(); ++mu) {
    if (eligible(units[mu])) {
      thread[mu % kBlock] = core::RanksFirst{}(thread[mu % kBlock], units[mu]);
    }
  }
  std::vector<Candidate> lane(kWarp);
  for (std::size_t l = 0; l < kWarp; ++l) {
    lane[l] = thread[l * kSegment];
    for (std::size_t t = 1; t < kSegment; ++t) {
      lane[l] = core::RanksFirst{}(lane[l], thread[l * kSegment + t]);
    }
  }
  for (std::size_t offset = 1; offset < kWarp; offset *= 2) {
    const std::vector<Candidate> before = lane;
    for (std::size_t l = 0; l + offset < kWarp; ++l) {
      lane[l] = core::RanksFirst{}(before[l], before[l + offset]);
    }
  }
  return lane[0];
}

TEST(RankReduction, CombineIsCommutativeAndAssociativeOverTiesSignedZerosAndNone) {
  const std::vector<Candidate> cases = {kNone,     {-0.0f, 0}, {0.0f, 1},  {0.0f, 2},  {-0.0f, 3},
                                        {1.0f, 4}, {1.0f, 5},  {-2.0f, 6}, {-2.0f, 7}, {5.0f, 8}};
  const core::RanksFirst first{};
  for (const Candidate& a : cases) {
    for (const Candidate& b : cases) {
      EXPECT_TRUE(same(first(a, b), first(b, a))) << a.unit << " " << b.unit;
      for (const Candidate& c : cases) {
        EXPECT_TRUE(same(first(first(a, b), c), first(a, first(b, c))))
            << a.unit << " " << b.unit << " " << c.unit;
      }
    }
  }
  EXPECT_EQ(first(Candidate{0.0f, 2}, Candidate{-0.0f, 1}).unit, 1);  // +0 == −0: lower index
  EXPECT_EQ(first(kNone, Candidate{-1e30f, 9}).unit, 9);              // any unit beats none
}

TEST(RankReduction, EveryReductionTreePicksTheUnitOfTheCpuScan) {
  const core::CounterRng rng{12};
  std::uint64_t draw = 0;
  for (const std::int32_t H : {1, 7, 255, 256, 257, 2000}) {
    const std::vector<Candidate> units = tied_units(H, static_cast<std::uint32_t>(H));
    const Candidate expected = scan(units);
    EXPECT_TRUE(same(block_shaped(units, [](const Candidate&) { return true; }), expected))
        << "H = " << H;
    for (int tree = 0; tree < 20; ++tree) {
      EXPECT_TRUE(same(random_tree(units, 0, units.size(), rng, draw), expected))
          << "H = " << H << ", tree " << tree;
    }
  }
}

TEST(RankReduction, RoundsBelowThePreviousWinnerGiveTheSortedRanks) {
  for (const std::int32_t H : {7, 300, 2000}) {
    const std::vector<Candidate> units = tied_units(H, static_cast<std::uint32_t>(1000 + H));
    // The ranks as the CPU defines them: I descending, ties to the lower index (a stable sort).
    std::vector<Candidate> sorted = units;
    std::stable_sort(sorted.begin(), sorted.end(),
                     [](const Candidate& a, const Candidate& b) { return a.input > b.input; });
    // rank_kernel: round r reduces the units ranked below round r − 1's winner.
    Candidate previous = kNone;
    for (std::int32_t round = 0; round < std::min(H, 9); ++round) {
      previous = block_shaped(units, [&](const Candidate& u) {
        return previous.unit < 0 || core::ranks_before(previous, u);
      });
      EXPECT_EQ(previous.unit, sorted[round].unit) << "H = " << H << ", rank " << round + 1;
    }
  }
}

}  // namespace
}  // namespace attractor
