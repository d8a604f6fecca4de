// Permutations of Sections 7–8: construction, transpose (66), cycles in σ order.
#include "nnworld/hidden/permutation.hpp"

#include <gtest/gtest.h>

#include <numeric>

#include "nnworld/core/error.hpp"

namespace nnworld::hidden {
namespace {

TEST(Permutation, SingleCycleIsEquation60) {
  const Permutation p = cyclic_permutation({8});
  for (std::int32_t i = 0; i < 8; ++i) EXPECT_EQ(p.source[i], (i + 7) % 8);  // i − 1 mod N
}

TEST(Permutation, MultiCycleBlocksAndSigmaOrder) {
  const Permutation p = cyclic_permutation({3, 1, 4});
  ASSERT_EQ(p.size(), 8);
  const auto cs = cycles(p);
  ASSERT_EQ(cs.size(), 3U);
  EXPECT_EQ(cs[0], (std::vector<std::int32_t>{0, 1, 2}));
  EXPECT_EQ(cs[1], (std::vector<std::int32_t>{3}));
  EXPECT_EQ(cs[2], (std::vector<std::int32_t>{4, 5, 6, 7}));
  // σ order: source[c_{k+1}] = c_k.
  for (const auto& c : cs) {
    for (std::size_t k = 0; k < c.size(); ++k) {
      EXPECT_EQ(p.source[c[(k + 1) % c.size()]], c[k]);
    }
  }
  EXPECT_EQ(cycle_lengths(p), (std::vector<std::int64_t>{4, 3, 1}));
}

TEST(Permutation, TransposeIsInverse) {
  const Permutation p = random_permutation(1000, 7);
  ASSERT_TRUE(is_permutation(p.source));
  const Permutation t = transpose(p);
  for (std::size_t i = 0; i < p.source.size(); ++i) {
    EXPECT_EQ(t.source[p.source[i]], static_cast<std::int32_t>(i));
  }
  // Cycle lengths of π and πᵀ agree and sum to N.
  const auto a = cycle_lengths(p);
  EXPECT_EQ(a, cycle_lengths(t));
  EXPECT_EQ(std::accumulate(a.begin(), a.end(), std::int64_t{0}), 1000);
}

TEST(Permutation, RandomIsReproducibleAndSeedDependent) {
  EXPECT_EQ(random_permutation(500, 3).source, random_permutation(500, 3).source);
  EXPECT_NE(random_permutation(500, 3).source, random_permutation(500, 4).source);
}

TEST(Permutation, BadInput) {
  EXPECT_THROW(cyclic_permutation({4, 0}), Error);
  EXPECT_THROW(cyclic_permutation({}), Error);
  EXPECT_THROW(random_permutation(0, 1), Error);
  EXPECT_FALSE(is_permutation({0, 0, 1}));
  EXPECT_FALSE(is_permutation({0, 3, 1}));
}

}  // namespace
}  // namespace nnworld::hidden
