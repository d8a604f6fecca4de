// The state map (1): against a naive reference, across weight layouts, batch against single
// states, clamped iteration, and bitwise independence of the thread count.
#include <gtest/gtest.h>
#include <omp.h>

#include <cmath>
#include <limits>
#include <random>

#include "network_fixtures.hpp"
#include "nnworld/core/error.hpp"
#include "nnworld/network/kernels.hpp"
#include "nnworld/network/network.hpp"

namespace nnworld::network {
namespace {

using testing::Layout;

constexpr ActivationKind kinds[] = {ActivationKind::tanh, ActivationKind::logistic,
                                    ActivationKind::relu, ActivationKind::linear};
constexpr Layout layouts[] = {Layout::dense, Layout::sparse, Layout::permutation};
constexpr double u = std::numeric_limits<double>::epsilon() / 2;  // unit roundoff

// Two evaluations of f(Σ_j w_ij x_j + b_i) that differ only in summation order and in fusing
// multiply–adds differ by at most 2γ_{N+1} M_i in y (M_i = Σ_j |w_ij x_j| + |b_i|, γ_k ≈ k u),
// and |f′| ≤ 1 for all four activations; the activation adds ≤ 3 ulp each side (8u|f|).
double map_tolerance(std::int64_t n, double magnitude, double value) {
  return 2.0 * static_cast<double>(n + 1) * u * magnitude + 8.0 * u * std::abs(value) + 1e-300;
}

TEST(StateMap, MatchesNaiveReferenceInEveryLayoutAndActivation) {
  std::mt19937_64 rng(1);
  for (const auto layout : layouts) {
    for (const auto act : kinds) {
      const Network net = testing::random_network(layout, 37, act, rng);
      const Vector x = testing::random_vector(37, rng, -2.0, 2.0);
      const Vector got = state_map(net, x);
      const Vector ref = testing::reference_map(net, x);
      const Vector mag = testing::row_magnitude(net, x);
      for (std::int64_t i = 0; i < 37; ++i) {
        EXPECT_NEAR(got[i], ref[i], map_tolerance(37, mag[i], ref[i]))
            << testing::layout_name(layout) << " " << activation_name(act) << " i=" << i;
      }
      const Vector y = preactivation(net, x);
      const Vector yref = testing::reference_preactivation(net, x);
      for (std::int64_t i = 0; i < 37; ++i) {
        EXPECT_NEAR(y[i], yref[i], map_tolerance(37, mag[i], 0.0));
      }
      const Vector r = residual(net, x);
      EXPECT_LE((r - (x - ref)).cwiseAbs().maxCoeff(), 1e-14);
    }
  }
}

// One matrix, three layouts: a random permutation matrix with random values is exactly
// representable in all three; a general sparse matrix in dense and CSR.
TEST(StateMap, LayoutsOfTheSameMatrixAgree) {
  std::mt19937_64 rng(2);
  const std::int64_t n = 300;  // above the threading threshold of the dense kernel
  const Weights perm = testing::random_weights(Layout::permutation, n, rng);
  const Weights sparse = testing::random_weights(Layout::sparse, n, rng);
  for (const auto act : kinds) {
    Network a;
    a.b = testing::random_vector(n, rng);
    a.activation = act;
    const Vector x = testing::random_vector(n, rng, -3.0, 3.0);
    for (const Weights* w : {&perm, &sparse}) {
      const DenseWeights d = to_dense(*w);
      a.w = d;
      const Vector dense_out = state_map(a, x);
      const Vector mag = testing::row_magnitude(a, x);
      for (const auto layout : {Layout::sparse, Layout::permutation}) {
        if (layout == Layout::permutation && w == &sparse) continue;
        Network b = a;
        b.w = testing::convert(d, layout);
        const Vector other = state_map(b, x);
        // Permutation rows hold one product: both sides compute f(v x + b) with one or two
        // roundings, a difference ≤ 2u(|v x| + |b|); general rows: the bound of map_tolerance.
        for (std::int64_t i = 0; i < n; ++i) {
          EXPECT_NEAR(other[i], dense_out[i], map_tolerance(n, mag[i], dense_out[i]))
              << testing::layout_name(layout) << " " << activation_name(act) << " i=" << i;
        }
      }
    }
  }
}

TEST(StateMap, BatchEqualsColumnWiseSingleMaps) {
  std::mt19937_64 rng(3);
  for (const auto layout : layouts) {
    for (const auto act : kinds) {
      const std::int64_t n = 150;
      const Network net = testing::random_network(layout, n, act, rng, 0.3);
      for (const std::int64_t cols : {1, 2, 17, 300}) {  // 300: two column tiles (256 + 44)
        Matrix x(n, cols);
        for (std::int64_t c = 0; c < cols; ++c) x.col(c) = testing::random_vector(n, rng);
        const Matrix out = state_map_batch(net, x);
        const Matrix pre = preactivation_batch(net, x);
        ASSERT_EQ(out.rows(), n);
        ASSERT_EQ(out.cols(), cols);
        for (std::int64_t c = 0; c < cols; ++c) {
          const Vector single = state_map(net, Vector(x.col(c)));
          if (layout == Layout::dense && cols > 1) {
            // GEMM and GEMV sum in different orders: bound of map_tolerance.
            const Vector mag = testing::row_magnitude(net, Vector(x.col(c)));
            for (std::int64_t i = 0; i < n; ++i) {
              ASSERT_NEAR(out(i, c), single[i], map_tolerance(n, mag[i], single[i]));
            }
          } else {
            // CSR and permutation batches repeat the single-state arithmetic exactly.
            ASSERT_TRUE((out.col(c).array() == single.array()).all())
                << testing::layout_name(layout) << " " << activation_name(act) << " col " << c;
            ASSERT_TRUE((pre.col(c).array() == preactivation(net, Vector(x.col(c))).array()).all());
          }
        }
      }
    }
  }
}

TEST(StateMap, IterateKeepsClampedNeurons) {
  std::mt19937_64 rng(4);
  // Entries in ±0.1: ‖w‖₂ ≤ ‖w‖_F ≤ 0.9, so (1) is a contraction and round-off does not grow.
  const Network net = testing::random_network(Layout::dense, 9, ActivationKind::tanh, rng, 0.1);
  const Vector x0 = testing::random_vector(9, rng);
  const std::vector<std::int32_t> clamped = {1, 4, 8};
  const Vector got = iterate(net, x0, 25, clamped);
  // Naive reference: reference_map, then the clamped values put back.
  Vector ref = x0;
  for (int t = 0; t < 25; ++t) {
    Vector next = testing::reference_map(net, ref);
    for (const auto c : clamped) next[c] = x0[c];
    ref = next;
  }
  for (const auto c : clamped) EXPECT_EQ(got[c], x0[c]);
  // Per step the two differ by ≤ map_tolerance ≈ 3e−15 (M ≤ 1.4); a contraction with
  // factor ≤ 0.9 accumulates at most 10× that.
  EXPECT_LE((got - ref).cwiseAbs().maxCoeff(), 3e-14);
  EXPECT_EQ(iterate(net, x0, 0), x0);
  const Vector one = iterate(net, x0, 1);
  EXPECT_TRUE((one.array() == state_map(net, x0).array()).all());
  EXPECT_THROW(iterate(net, x0, 3, {9}), Error);
  EXPECT_THROW(iterate(net, x0, -1), Error);
}

// Results must not depend on the number of threads (fixed work chunks): compare bitwise at
// sizes above the threading thresholds, with 1, 2 and 3 threads.
TEST(StateMap, BitIdenticalForAnyThreadCount) {
  std::mt19937_64 rng(5);
  struct Case {
    Layout layout;
    std::int64_t n;
    std::int64_t cols;
  };
  const Case cases[] = {{Layout::dense, 700, 300}, {Layout::permutation, 200000, 3}};
  std::vector<Network> nets;
  std::vector<Matrix> xs;
  for (const auto& c : cases) {
    nets.push_back(testing::random_network(c.layout, c.n, ActivationKind::tanh, rng, 0.1));
    Matrix x(c.n, c.cols);
    for (std::int64_t j = 0; j < c.cols; ++j) x.col(j) = testing::random_vector(c.n, rng);
    xs.push_back(x);
  }
  {  // CSR, 12 entries per row, N = 40000 (the dense fixture would be too large)
    const std::int64_t n = 40000;
    std::vector<Eigen::Triplet<double, std::int32_t>> t;
    for (std::int64_t i = 0; i < n; ++i) {
      for (int k = 0; k < 12; ++k) {
        t.emplace_back(static_cast<std::int32_t>(i), static_cast<std::int32_t>(rng() % n),
                       std::uniform_real_distribution<double>(-0.3, 0.3)(rng));
      }
    }
    SparseWeights w(n, n);
    w.setFromTriplets(t.begin(), t.end());
    Network net;
    net.w = w;
    net.b = testing::random_vector(n, rng);
    nets.push_back(net);
    Matrix x(n, 20);
    for (std::int64_t j = 0; j < 20; ++j) x.col(j) = testing::random_vector(n, rng);
    xs.push_back(x);
  }
  const int saved = omp_get_max_threads();
  for (std::size_t k = 0; k < nets.size(); ++k) {
    const Network& net = nets[k];
    const Vector x0 = xs[k].col(0);
    std::vector<Vector> singles;
    std::vector<Matrix> batches;
    std::vector<Vector> grads;
    for (const int threads : {1, 2, 3}) {
      omp_set_num_threads(threads);
      singles.push_back(state_map(net, x0));
      batches.push_back(state_map_batch(net, xs[k]));
      grads.push_back(loss_gradient(net, x0, LossKind::bulk).dx);
    }
    for (std::size_t t = 1; t < singles.size(); ++t) {
      EXPECT_TRUE((singles[t].array() == singles[0].array()).all()) << "case " << k;
      EXPECT_TRUE((batches[t].array() == batches[0].array()).all()) << "case " << k;
      EXPECT_TRUE((grads[t].array() == grads[0].array()).all()) << "case " << k;
    }
  }
  omp_set_num_threads(saved);
}

// From N = kernels::blas_gemm_from the dense batch tiles run in OpenBLAS's dgemm: the result
// against Eigen's product (an independent GEMM) within the summation-order bound, and
// bit-identical for 1, 2 and 3 threads (each tile is one serial dgemm whatever the count).
TEST(StateMap, LargeDenseBatchThroughBlasIsExactAndThreadIndependent) {
  std::mt19937_64 rng(11);
  const std::int64_t n = kernels::blas_gemm_from;
  const Network net = testing::random_network(Layout::dense, n, ActivationKind::linear, rng, 0.3);
  Matrix x(n, 300);  // two column tiles: 256 + 44
  for (std::int64_t c = 0; c < x.cols(); ++c) x.col(c) = testing::random_vector(n, rng);
  const auto& w = std::get<DenseWeights>(net.w);
  const Matrix reference = (w * x).colwise() + net.b;
  const int saved = omp_get_max_threads();
  std::vector<Matrix> outs;
  for (const int threads : {1, 2, 3}) {
    omp_set_num_threads(threads);
    outs.push_back(state_map_batch(net, x));
  }
  omp_set_num_threads(saved);
  for (std::int64_t c = 0; c < x.cols(); c += 37) {
    const Vector mag = testing::row_magnitude(net, Vector(x.col(c)));
    for (std::int64_t i = 0; i < n; ++i) {
      ASSERT_NEAR(outs[0](i, c), reference(i, c), map_tolerance(n, mag[i], reference(i, c)));
    }
  }
  EXPECT_TRUE((outs[1].array() == outs[0].array()).all());
  EXPECT_TRUE((outs[2].array() == outs[0].array()).all());
}

// The neuron-major batch (state_map_rows) gives the same bits as the column batch in every layout
// and activation, for widths that do and do not fill a cache line, with random permutations large
// enough for several blocks and the prefetch, and for 1, 2 and 3 threads.
TEST(StateMap, NeuronMajorBatchEqualsColumnBatchBitwise) {
  std::mt19937_64 rng(21);
  const int saved = omp_get_max_threads();
  for (const auto layout : layouts) {
    const std::int64_t n = layout == Layout::permutation ? 5000 : 300;
    for (const auto act : kinds) {
      const Network net = testing::random_network(layout, n, act, rng);
      for (const std::int64_t d : {1, 3, 8, 11}) {
        Matrix x(n, d);
        for (std::int64_t j = 0; j < d; ++j) x.col(j) = testing::random_vector(n, rng, -2.0, 2.0);
        const Matrix ref = state_map_batch(net, x);
        for (const int threads : {1, 2, 3}) {
          omp_set_num_threads(threads);
          RowMatrix out;
          state_map_rows(net, RowMatrix(x), out);
          ASSERT_EQ(out.rows(), n);
          ASSERT_EQ(out.cols(), d);
          EXPECT_TRUE((Matrix(out).array() == ref.array()).all())
              << testing::layout_name(layout) << " d " << d << " threads " << threads;
        }
        omp_set_num_threads(saved);
      }
    }
  }
  RowMatrix x = RowMatrix::Zero(4, 2);
  const Network net = testing::random_network(Layout::permutation, 4, ActivationKind::tanh, rng);
  EXPECT_THROW(state_map_rows(net, x, x), Error);
  EXPECT_THROW(state_map_rows(net, RowMatrix::Zero(5, 2), x), Error);
}

}  // namespace
}  // namespace nnworld::network
