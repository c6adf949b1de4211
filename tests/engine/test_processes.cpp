// The processes of a run: how work is shared out, and a lone process's collectives (the
// multi-process results are checked by tests/mpi_ranks.sh under mpiexec).
#include <gtest/gtest.h>

#include <vector>

#include "attractor/host/engine/processes.hpp"

namespace attractor {
namespace {

TEST(Processes, SharesCoverTheItemsInOrderAndDifferByAtMostOne) {
  for (const std::int64_t count : {0, 1, 5, 37, 1000}) {
    for (const int ranks : {1, 2, 3, 4, 7, 64}) {
      std::int64_t next = 0, smallest = count, largest = 0;
      for (int r = 0; r < ranks; ++r) {
        const Share s = share_of(count, r, ranks);
        EXPECT_EQ(s.begin, next) << count << " items, rank " << r << " of " << ranks;
        next = s.end;
        smallest = std::min(smallest, s.size());
        largest = std::max(largest, s.size());
      }
      EXPECT_EQ(next, count);
      EXPECT_LE(largest - smallest, 1);
    }
  }
}

TEST(Processes, ALoneProcessKeepsWhatItHas) {
  const Processes& world = Processes::world();
  EXPECT_EQ(world.size(), 1);
  EXPECT_TRUE(world.root());
  const std::vector<double> mine{1.5, -2.0};
  EXPECT_EQ(world.gather(mine), mine);
  std::vector<double> data{3.0, 4.0};
  world.allgather(data.data(), {2}, {0});
  EXPECT_EQ(data, (std::vector<double>{3.0, 4.0}));
  EXPECT_EQ(world.max(2.5), 2.5);
  EXPECT_EQ(world.sum(7), 7);
}

}  // namespace
}  // namespace attractor
