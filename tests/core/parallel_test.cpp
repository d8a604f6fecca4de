// The rank split of core::Comm: contiguous, disjoint shares that cover every item, made of whole
// blocks (so a blocked kernel does the same arithmetic on any rank count), whose block counts
// differ by at most one;
// and the one-rank Comm of a process without MPI, whose collectives change nothing.
#include "nnworld/core/parallel.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <vector>

namespace {

using nnworld::core::Comm;
using nnworld::core::Share;

TEST(Parallel, SplitCoversEveryItemInWholeBlocks) {
  for (int size : {1, 2, 3, 4, 7, 16}) {
    for (std::int64_t n : {0, 1, 5, 255, 256, 257, 1000, 100000}) {
      for (std::int64_t block : {1, 3, 256}) {
        std::int64_t next = 0, most = 0, least = n;
        for (int r = 0; r < size; ++r) {
          const Share s = Comm::split(r, size, n, block);
          EXPECT_EQ(s.begin, next) << size << " " << n << " " << block << " rank " << r;
          EXPECT_LE(s.begin, s.end);
          if (s.end < n) {
            EXPECT_EQ(s.end % block, 0) << "a share ends inside a block";
          }
          next = s.end;
          const std::int64_t blocks = (s.size() + block - 1) / block;  // the last may be short
          most = std::max(most, blocks);
          least = std::min(least, blocks);
        }
        EXPECT_EQ(next, n) << size << " " << n << " " << block;
        EXPECT_LE(most - least, 1) << "shares differ by more than one block";
      }
    }
  }
}

TEST(Parallel, OneRankCommChangesNothing) {
  const Comm& c = nnworld::core::current_comm();
  EXPECT_EQ(c.size(), 1);
  EXPECT_TRUE(c.root());
  const Share s = c.share(1000, 256);
  EXPECT_EQ(s.begin, 0);
  EXPECT_EQ(s.end, 1000);
  std::vector<double> v = {1.0, 2.0, 3.0};
  c.allgather(v, 3, 1);
  EXPECT_EQ(v, (std::vector<double>{1.0, 2.0, 3.0}));
  std::string bytes = "abc";
  c.broadcast(bytes, 0);
  EXPECT_EQ(bytes, "abc");
  EXPECT_EQ(c.allgather_strings("x"), std::vector<std::string>{"x"});
  EXPECT_EQ(c.min(-4), -4);
  EXPECT_EQ(c.sum(7), 7);
}

TEST(Parallel, CommScopeNestsAndRestores) {
  const Comm* world = &nnworld::core::current_comm();
  {
    const Comm alone;
    const nnworld::core::CommScope scope(alone);
    EXPECT_EQ(&nnworld::core::current_comm(), &alone);
    {
      const Comm inner;
      const nnworld::core::CommScope scope2(inner);
      EXPECT_EQ(&nnworld::core::current_comm(), &inner);
    }
    EXPECT_EQ(&nnworld::core::current_comm(), &alone);
  }
  EXPECT_EQ(&nnworld::core::current_comm(), world);
}

}  // namespace
