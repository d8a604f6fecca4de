// Distance of a weight matrix to the permutation matrices: the assignment solver against brute
// force over all N! permutations and against known optima; the measures on matrices with closed
// forms; the complexity C of spec §2 at the fixed point of a scaled cyclic permutation.
#include "nnworld/hidden/complexity.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <numeric>
#include <random>
#include <vector>

#include "nnworld/core/error.hpp"

namespace nnworld::hidden {
namespace {

using network::Matrix;

// max_σ Σ_i c_{iσ(i)} by enumerating every permutation (sum in row order, like the solver).
double brute_force_max(const Matrix& c, std::vector<std::int32_t>* best = nullptr) {
  std::vector<std::int32_t> s(static_cast<std::size_t>(c.rows()));
  std::iota(s.begin(), s.end(), 0);
  double top = -std::numeric_limits<double>::infinity();
  do {
    double v = 0.0;
    for (Eigen::Index i = 0; i < c.rows(); ++i) v += c(i, s[static_cast<std::size_t>(i)]);
    if (v > top) {
      top = v;
      if (best != nullptr) *best = s;
    }
  } while (std::next_permutation(s.begin(), s.end()));
  return top;
}

double sum_along(const Matrix& c, const Permutation& p) {
  double v = 0.0;
  for (Eigen::Index i = 0; i < c.rows(); ++i) v += c(i, p.source[static_cast<std::size_t>(i)]);
  return v;
}

TEST(Assignment, MatchesBruteForceOnRandomMatrices) {
  // Continuous entries: the optimum is unique with probability 1, so σ itself must agree, and
  // the value then agrees bit for bit (the same terms summed in the same order).
  std::mt19937_64 gen(20260101);
  std::normal_distribution<double> normal(0.0, 1.0);
  int compared = 0;
  for (int n = 1; n <= 7; ++n) {
    const int seeds = n <= 5 ? 200 : 40;
    for (int s = 0; s < seeds; ++s) {
      Matrix c(n, n);
      for (Eigen::Index k = 0; k < c.size(); ++k) c.data()[k] = normal(gen);
      std::vector<std::int32_t> best;
      const double top = brute_force_max(c, &best);
      const Assignment a = max_weight_assignment(c);
      ASSERT_EQ(a.sigma.source, best) << "n = " << n << " seed " << s;
      ASSERT_EQ(a.value, top);
      ++compared;
    }
  }
  EXPECT_EQ(compared, 5 * 200 + 2 * 40);
}

TEST(Assignment, MatchesBruteForceWithTies) {
  // Small integer entries make many optimal σ: the value must equal the brute-force maximum
  // exactly (integers are exact in double) and σ must be a permutation attaining it.
  std::mt19937_64 gen(7);
  for (int levels : {2, 3}) {
    std::uniform_int_distribution<int> pick(0, levels - 1);
    for (int n = 1; n <= 7; ++n) {
      for (int s = 0; s < (n <= 5 ? 150 : 30); ++s) {
        Matrix c(n, n);
        for (Eigen::Index k = 0; k < c.size(); ++k) c.data()[k] = pick(gen);
        const double top = brute_force_max(c);
        const Assignment a = max_weight_assignment(c);
        ASSERT_TRUE(is_permutation(a.sigma.source));
        ASSERT_EQ(a.value, top) << "n = " << n;
        ASSERT_EQ(sum_along(c, a.sigma), top);
      }
    }
  }
  // All entries equal: every σ is optimal.
  const Assignment a = max_weight_assignment(Matrix::Constant(6, 6, 2.5));
  EXPECT_TRUE(is_permutation(a.sigma.source));
  EXPECT_EQ(a.value, 15.0);
}

TEST(Assignment, KnownOptima) {
  // The textbook cost matrix [[4,1,3],[2,0,5],[3,2,2]] has min cost 5 at σ = (1, 0, 2); as a
  // maximisation of −cost the value is −5.
  Matrix cost(3, 3);
  cost << 4, 1, 3, 2, 0, 5, 3, 2, 2;
  const Assignment a = max_weight_assignment(-cost);
  EXPECT_EQ(a.value, -5.0);
  EXPECT_EQ(a.sigma.source, (std::vector<std::int32_t>{1, 0, 2}));
  // c_ij = i·j: the rearrangement inequality puts the largest with the largest, σ = id,
  // value Σ i² = (n−1)n(2n−1)/6.
  const int n = 50;
  Matrix prod(n, n);
  for (int i = 0; i < n; ++i) {
    for (int j = 0; j < n; ++j) prod(i, j) = i * j;
  }
  const Assignment b = max_weight_assignment(prod);
  EXPECT_EQ(b.value, (n - 1) * n * (2 * n - 1) / 6);
  for (int i = 0; i < n; ++i) EXPECT_EQ(b.sigma.source[static_cast<std::size_t>(i)], i);
  // c_ij = −i·j: σ(i) = n − 1 − i (the anti-diagonal), value −Σ i(n−1−i).
  const Assignment d = max_weight_assignment(-prod);
  long anti = 0;
  for (int i = 0; i < n; ++i) {
    EXPECT_EQ(d.sigma.source[static_cast<std::size_t>(i)], n - 1 - i);
    anti += static_cast<long>(i) * (n - 1 - i);
  }
  EXPECT_EQ(d.value, -static_cast<double>(anti));
}

TEST(Assignment, RecoversAPlantedPermutation) {
  // Planted entries in ±[1, 2] against noise in [−0.1, 0.1] on a 400×400 matrix of w²:
  // any σ ≠ π loses ≥ 1 − 0.01 per displaced row, so π is the unique optimum.
  const int n = 400;
  const Permutation p = random_permutation(n, 99);
  std::mt19937_64 gen(3);
  std::uniform_real_distribution<double> noise(-0.1, 0.1), mag(1.0, 2.0);
  Matrix w(n, n);
  for (Eigen::Index k = 0; k < w.size(); ++k) w.data()[k] = noise(gen);
  for (int i = 0; i < n; ++i) {
    w(i, p.source[static_cast<std::size_t>(i)]) = (i % 2 == 0 ? 1.0 : -1.0) * mag(gen);
  }
  EXPECT_EQ(max_weight_assignment(w.cwiseAbs2()).sigma.source, p.source);
  EXPECT_EQ(permutation_measures(w).nearest.source, p.source);
}

TEST(Assignment, RejectsBadInput) {
  EXPECT_THROW(max_weight_assignment(Matrix::Zero(2, 3)), Error);
  Matrix c = Matrix::Zero(2, 2);
  c(1, 0) = std::numeric_limits<double>::quiet_NaN();
  EXPECT_THROW(max_weight_assignment(c), Error);
  EXPECT_TRUE(max_weight_assignment(Matrix(0, 0)).sigma.source.empty());
  EXPECT_THROW(permutation_measures(Matrix(0, 0)), Error);
}

TEST(PermutationMeasures, Identity) {
  const int n = 9;
  const PermutationMeasures m = permutation_measures(Matrix::Identity(n, n));
  EXPECT_EQ(m.permutation_distance, 0.0);
  EXPECT_EQ(m.plain_distance, 0.0);
  EXPECT_EQ(m.mean_row_entropy, 0.0);
  EXPECT_EQ(m.cycles, n);
  EXPECT_EQ(m.largest_cycle, 1);
  EXPECT_EQ(m.fixed_points, n);
  EXPECT_EQ(m.frobenius_squared, n);
  EXPECT_EQ(m.diagonal_fraction, 1.0);
}

TEST(PermutationMeasures, CyclicPermutationOfEquation60) {
  // π_ij = 1 iff i − 1 ≡ j (mod N): one N-cycle, no fixed point; the nearest permutation is π
  // itself in the source convention (source[i] = i − 1 mod N).
  const int n = 12;
  const Matrix w = network::to_dense(network::cyclic_permutation(n));
  const PermutationMeasures m = permutation_measures(w);
  EXPECT_EQ(m.nearest.source, cyclic_permutation({n}).source);
  EXPECT_EQ(m.nearest_plain.source, m.nearest.source);
  EXPECT_EQ(m.permutation_distance, 0.0);
  EXPECT_EQ(m.plain_distance, 0.0);
  EXPECT_EQ(m.mean_row_entropy, 0.0);
  EXPECT_EQ(m.cycles, 1);
  EXPECT_EQ(m.largest_cycle, n);
  EXPECT_EQ(m.fixed_points, 0);
  EXPECT_EQ(m.cycle_lengths, (std::vector<std::int64_t>{n}));
  EXPECT_EQ(m.diagonal_fraction, 0.0);
}

TEST(PermutationMeasures, ScaledSignedPermutationHasDistanceZero) {
  // w = D π with random signs and scales (a generalised permutation): distance 0 (tolerance
  // 1e-15; the implementation sums ‖w‖²_F and Σ w²_{iσ(i)} in the same order, so it is exact).
  // With every scale d_i > 0 the plain σ₀ is π too and ‖w − π‖_F/√N = √(Σ(d_i − 1)²/N).
  for (std::uint64_t seed = 1; seed <= 20; ++seed) {
    const int n = 30;
    const Permutation p = random_permutation(n, seed);
    std::mt19937_64 gen(seed);
    std::uniform_real_distribution<double> mag(0.2, 3.0);
    Matrix w = Matrix::Zero(n, n), wp = Matrix::Zero(n, n);
    double dev = 0.0;
    for (int i = 0; i < n; ++i) {
      const double d = mag(gen);
      const double sign = gen() % 2 == 0 ? 1.0 : -1.0;
      w(i, p.source[static_cast<std::size_t>(i)]) = sign * d;
      wp(i, p.source[static_cast<std::size_t>(i)]) = d;
      dev += (d - 1.0) * (d - 1.0);
    }
    const PermutationMeasures m = permutation_measures(w);
    EXPECT_LE(std::abs(m.permutation_distance), 1e-15);
    EXPECT_EQ(m.nearest.source, p.source);
    EXPECT_EQ(m.mean_row_entropy, 0.0);
    EXPECT_EQ(m.cycle_lengths, cycle_lengths(p));
    const PermutationMeasures mp = permutation_measures(wp);
    EXPECT_EQ(mp.nearest_plain.source, p.source);
    // Rounding: a sum of 30 squares and one square root, a few ulp of a value O(1).
    EXPECT_NEAR(mp.plain_distance, std::sqrt(dev / n), 1e-14);
  }
}

TEST(PermutationMeasures, UniformMatrixClosedForms) {
  // |w_ij| = c for all i, j: Σ_i w²_{iσ(i)} = N c² for every σ, so the distance is 1 − 1/N;
  // every row is uniform, entropy 1. For the all-ones matrix ‖w − π‖²_F = N² − N, so the plain
  // distance is √(N − 1). Tolerances: a few ulp of O(1) results of O(N²) exact-in-binary sums.
  for (int n : {1, 2, 5, 16, 33}) {
    const PermutationMeasures ones = permutation_measures(Matrix::Ones(n, n));
    EXPECT_NEAR(ones.permutation_distance, 1.0 - 1.0 / n, 1e-15) << n;
    EXPECT_NEAR(ones.plain_distance, std::sqrt(n - 1.0), 1e-14) << n;
    EXPECT_NEAR(ones.diagonal_fraction, 1.0 / n, 1e-15) << n;
    EXPECT_NEAR(ones.mean_row_entropy, n > 1 ? 1.0 : 0.0, 1e-15) << n;  // N = 1: 0 by definition
    std::mt19937_64 gen(static_cast<std::uint64_t>(n));
    Matrix signs(n, n);
    for (Eigen::Index k = 0; k < signs.size(); ++k) signs.data()[k] = gen() % 2 == 0 ? 0.7 : -0.7;
    const PermutationMeasures s = permutation_measures(signs);
    EXPECT_NEAR(s.permutation_distance, 1.0 - 1.0 / n, 1e-15) << n;
    for (double h : s.row_entropy) EXPECT_NEAR(h, n > 1 ? 1.0 : 0.0, 1e-15);
  }
}

TEST(PermutationMeasures, SmallClosedForms) {
  // 2×2: distance = 1 − max(a² + d², b² + c²) / (a² + b² + c² + d²).
  Matrix w(2, 2);
  w << 0.3, -2.0, 1.5, 0.4;
  const PermutationMeasures m = permutation_measures(w);
  const double total = 0.09 + 4.0 + 2.25 + 0.16;
  EXPECT_NEAR(m.permutation_distance, 1.0 - (4.0 + 2.25) / total, 1e-15);
  EXPECT_EQ(m.nearest.source, (std::vector<std::int32_t>{1, 0}));  // one 2-cycle
  EXPECT_EQ(m.cycles, 1);
  EXPECT_EQ(m.fixed_points, 0);
  // Plain σ₀ maximises w₀₀ + w₁₁ = 0.7 against w₀₁ + w₁₀ = −0.5: the identity.
  EXPECT_EQ(m.nearest_plain.source, (std::vector<std::int32_t>{0, 1}));
  // Row entropy: p = (½, ½, 0, 0) gives log 2 / log 4 = ½; p = (1, 1, 2)/4 gives
  // −(2·¼ log ¼ + ½ log ½)/log 3 = (3/2) log 2 / log 3.
  EXPECT_NEAR(row_entropy(Eigen::RowVector4d(1.0, -1.0, 0.0, 0.0)), 0.5, 1e-15);
  EXPECT_NEAR(row_entropy(Eigen::RowVector3d(1.0, -1.0, 2.0)), 1.5 * std::log(2.0) / std::log(3.0),
              1e-15);
  EXPECT_TRUE(std::isnan(row_entropy(Eigen::RowVector3d(0.0, 0.0, 0.0))));
  // A zero matrix has no nearest generalised permutation.
  EXPECT_TRUE(std::isnan(permutation_measures(Matrix::Zero(3, 3)).permutation_distance));
}

TEST(PermutationMeasures, NearDiagonalCountsFixedPoints) {
  // w = I + small noise: the nearest permutation is the identity — N fixed points, N cycles.
  const int n = 20;
  std::mt19937_64 gen(5);
  std::uniform_real_distribution<double> noise(-0.05, 0.05);
  Matrix w = Matrix::Identity(n, n);
  for (Eigen::Index k = 0; k < w.size(); ++k) w.data()[k] += noise(gen);
  const PermutationMeasures m = permutation_measures(w);
  EXPECT_EQ(m.fixed_points, n);
  EXPECT_EQ(m.cycles, n);
  EXPECT_GT(m.permutation_distance, 0.0);
  EXPECT_LT(m.permutation_distance, 0.05);
}

TEST(PermutationMeasures, Deterministic) {
  std::mt19937_64 gen(11);
  std::normal_distribution<double> normal(0.0, 1.0);
  Matrix w(60, 60);
  for (Eigen::Index k = 0; k < w.size(); ++k) w.data()[k] = normal(gen);
  const PermutationMeasures a = permutation_measures(w), b = permutation_measures(w);
  EXPECT_EQ(a.nearest.source, b.nearest.source);
  EXPECT_EQ(a.nearest_plain.source, b.nearest_plain.source);
  EXPECT_EQ(a.permutation_distance, b.permutation_distance);
  EXPECT_EQ(a.plain_distance, b.plain_distance);
  EXPECT_EQ(a.row_entropy, b.row_entropy);
  EXPECT_EQ(a.cycle_lengths, b.cycle_lengths);
}

TEST(FixedPointComplexity, ScaledCyclicPermutation) {
  // tanh, b = 0, w = s π (one N-cycle, |s| < 1): x* = 0 is the only fixed point, f̂′ = I there,
  // eig(sπ) = s ω^k, so det(I − sπ) = Π_k (1 − s ω^k) = 1 − s^N and C = −log|1 − s^N|.
  // With m ≠ 0: eig Ĝ = 1 + s² − 2s cos(2πk/N), C = −½ Σ_k log(1 + s² − 2s cos(2πk/N) − m).
  // Tolerance 1e-13: an LU / symmetric eigen-decomposition of an 8×8 matrix of entries O(1).
  const int n = 8;
  const double s = 0.6;
  network::Network net;
  net.w = network::to_dense(network::cyclic_permutation(n, s));
  net.b = network::Vector::Zero(n);
  net.activation = network::ActivationKind::tanh;
  const auto c = fixed_point_complexity(net);
  ASSERT_EQ(c.size(), 1U);
  EXPECT_LT(c[0].x.norm(), 1e-12);
  EXPECT_NEAR(c[0].complexity, -std::log(1.0 - std::pow(s, n)), 1e-13);
  EXPECT_NEAR(c[0].spectral_radius, s, 1e-12);

  net.mass = 0.1;
  double expected = 0.0;
  for (int k = 0; k < n; ++k) {
    expected += std::log(1.0 + s * s - 2.0 * s * std::cos(2.0 * M_PI * k / n) - net.mass);
  }
  const auto cm = fixed_point_complexity(net);
  ASSERT_EQ(cm.size(), 1U);
  EXPECT_NEAR(cm[0].complexity, -0.5 * expected, 1e-13);

  // Linear f and w = π exactly: I − π is singular (eigenvalue ω⁰ = 1), C = +∞ (spec §2b).
  net.mass = 0.0;
  net.activation = network::ActivationKind::linear;
  net.w = network::to_dense(network::cyclic_permutation(n, 1.0));
  const auto ci = fixed_point_complexity(net);
  ASSERT_FALSE(ci.empty());
  EXPECT_TRUE(std::isinf(ci[0].complexity) && ci[0].complexity > 0);
}

}  // namespace
}  // namespace nnworld::hidden
