// Spec §9 (paper Section 10), tests T10.1–T10.3 (checks/s10_holography.py): chains of bulk
// neurons between boundary neurons, the boundary map (99) with the inverse, and the chain
// lengths (100).
//   * T10.1: chains 0→1 (3 bulk), 2→3 (7), 1→2 (5), ε = 0.1: d = 3, 7, 5; composite 0→1→2: 9.
//   * T10.2: chains 0→1 (3) and 1→0 (4) close a cycle of 9 edges:
//     d(1,0) − 3 = log_ε 1/(1 − ε⁹).
//   * T10.3: 0→1 (3), 2→3 (6) reconnect to 0→3 (4), 2→1 (5): exactly four entries of ŵ_∂
//     change; ŵ_∂[1,0] = ε⁴, ŵ_∂[3,2] = ε⁷ before; ŵ_∂[3,0] = ε⁵, ŵ_∂[1,2] = ε⁶ after.
// Tolerances: the spec's. d is exact in exact arithmetic; in floating point ŵ_∂ = ε^{n} carries
// a relative error of a few ulps (one product per edge through the LU), and
// δd = δŵ/(ŵ |ln ε|) ≈ 4e-16/2.3: 1e-12 leaves a factor > 1000. T10.3 compares entries of size
// ≥ 1e-7 to 1e-18 absolute, i.e. 1e-11 relative, also far above the round-off.
#include <gtest/gtest.h>

#include <cmath>

#include "nnworld/holography/chains.hpp"
#include "nnworld/holography/reconnection.hpp"

namespace nnworld::holography {
namespace {

constexpr double eps = 0.1;

// Both routes to (99): the sparse Schur-complement map, and the dense inverse of I − εŵ.
struct BothMaps {
  Eigen::MatrixXd sparse, dense;
};
BothMaps both(const ChainNetwork& net) {
  const auto w = weight_matrix(net);
  return {boundary_map(w, net.n_boundary, eps).w_boundary,
          boundary_map_dense(Eigen::MatrixXd(w), net.n_boundary, eps)};
}

TEST(T10, ChainLengthsOfAnAcyclicGraph) {
  const ChainNetwork net{4, {{0, 1, 3}, {2, 3, 7}, {1, 2, 5}}};
  const auto m = both(net);
  for (const Eigen::MatrixXd* wb : {&m.sparse, &m.dense}) {
    const Eigen::MatrixXd d = chain_distance(*wb, eps);
    for (const Chain& c : net.chains) {
      EXPECT_NEAR(d(c.to, c.from), static_cast<double>(c.bulk), 1e-12) << c.from << " → " << c.to;
    }
    // the composite path 0 → 1 → 2 counts boundary neuron 1 as an intermediate: 3 + 1 + 5
    EXPECT_NEAR(d(2, 0), 9.0, 1e-12);
    // no path from 3 back to 0
    EXPECT_TRUE(std::isinf(d(0, 3)));
  }
}

TEST(T10, PrintedFormWithoutTheInverseLosesTheChains) {
  // spec §9b: P̂ εŵ (I − εŵ) P̂ᵀ has a zero boundary block for chains of more than one edge
  const ChainNetwork net{4, {{0, 1, 3}, {2, 3, 7}, {1, 2, 5}}};
  const Eigen::MatrixXd printed =
      boundary_map_printed(Eigen::MatrixXd(weight_matrix(net)), net.n_boundary, eps);
  EXPECT_EQ(printed.cwiseAbs().maxCoeff(), 0.0);
  // while a chain of zero bulk neurons (one edge) is seen by both: ε − 0 for the printed form
  const ChainNetwork direct{2, {{0, 1, 0}}};
  const Eigen::MatrixXd w = Eigen::MatrixXd(weight_matrix(direct));
  EXPECT_DOUBLE_EQ(boundary_map_printed(w, 2, eps)(1, 0), eps);
  EXPECT_DOUBLE_EQ(boundary_map_dense(w, 2, eps)(1, 0), eps);
}

TEST(T10, CycleCorrection) {
  const ChainNetwork net{2, {{0, 1, 3}, {1, 0, 4}}};
  const auto m = both(net);
  const double correction = std::log(1.0 / (1.0 - std::pow(eps, 9))) / std::log(eps);
  for (const Eigen::MatrixXd* wb : {&m.sparse, &m.dense}) {
    const Eigen::MatrixXd d = chain_distance(*wb, eps);
    EXPECT_NEAR(d(1, 0) - 3.0 - correction, 0.0, 1e-12);
    EXPECT_NEAR(d(0, 1) - 4.0 - correction, 0.0, 1e-12);
    // the correction is removed by C = ŵ_∂ (I + ŵ_∂)⁻¹: the bare lengths come back
    const Eigen::MatrixXd dc = chain_distance(direct_transfer(*wb), eps);
    EXPECT_NEAR(dc(1, 0), 3.0, 1e-12);
    EXPECT_NEAR(dc(0, 1), 4.0, 1e-12);
  }
  // ρ(ŵ) of a single cycle is 1 (its eigenvalues are the 9th roots of unity)
  EXPECT_NEAR(spectral_radius(net), 1.0, 1e-12);
}

TEST(T10, ReconnectionChangesFourEntries) {
  const ChainNetwork before{4, {{0, 1, 3}, {2, 3, 6}}};
  const ChainNetwork after{4, {{0, 3, 4}, {2, 1, 5}}};
  const auto wb = both(before);
  const auto wa = both(after);
  for (int route = 0; route < 2; ++route) {
    const Eigen::MatrixXd& b = route == 0 ? wb.sparse : wb.dense;
    const Eigen::MatrixXd& a = route == 0 ? wa.sparse : wa.dense;
    int changed = 0;
    for (Eigen::Index j = 0; j < 4; ++j) {
      for (Eigen::Index i = 0; i < 4; ++i) {
        if (std::abs(b(i, j) - a(i, j)) > 1e-300) {
          ++changed;
          const bool expected =
              (i == 1 && j == 0) || (i == 3 && j == 2) || (i == 3 && j == 0) || (i == 1 && j == 2);
          EXPECT_TRUE(expected) << "entry (" << i << "," << j << ") changed";
        }
      }
    }
    EXPECT_EQ(changed, 4);
    EXPECT_NEAR(b(1, 0), std::pow(eps, 4), 1e-18);
    EXPECT_NEAR(b(3, 2), std::pow(eps, 7), 1e-18);
    EXPECT_NEAR(a(3, 0), std::pow(eps, 5), 1e-18);
    EXPECT_NEAR(a(1, 2), std::pow(eps, 6), 1e-18);
    EXPECT_EQ(a(1, 0), 0.0);
    EXPECT_EQ(a(3, 2), 0.0);
  }
}

TEST(T10, ReconnectionMoveProducesTheEvent) {
  // cutting 0→1 after p = 1 of its 3 bulk neurons and 2→3 after q = 3 of its 6 gives
  // 0 → 3 with 1 + (6 − 3) = 4 and 2 → 1 with 3 + (3 − 1) = 5: the "after" of T10.3
  ChainNetwork net{4, {{0, 1, 3}, {2, 3, 6}}};
  cross(net, 0, 1, 1, 3);
  ASSERT_EQ(net.chains.size(), 2u);
  EXPECT_EQ(net.chains[0].from, 0);
  EXPECT_EQ(net.chains[0].to, 3);
  EXPECT_EQ(net.chains[0].bulk, 4);
  EXPECT_EQ(net.chains[1].from, 2);
  EXPECT_EQ(net.chains[1].to, 1);
  EXPECT_EQ(net.chains[1].bulk, 5);
}

}  // namespace
}  // namespace nnworld::holography
