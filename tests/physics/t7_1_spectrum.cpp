// Spec T7.1: Ĝ(π) = 2I − π − πᵀ = −Δ_lattice (66)–(67); its eigenvalues are 4 sin²(πn/N),
// n = 0..N−1, N = 256, tolerance 1e-12 (a dense symmetric eigen-solver on a matrix of norm 4
// is backward stable to ~N·ε·‖Ĝ‖ ≈ 2e-13).
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <numbers>

#include "nnworld/hidden/permutation.hpp"
#include "nnworld/hidden/strings.hpp"
#include "nnworld/network/network.hpp"

namespace nnworld::hidden {
namespace {

constexpr std::int64_t kN = 256;

TEST(T7_1_Spectrum, GIsMinusTheLatticeLaplacianExactly) {
  const Permutation p = cyclic_permutation({kN});
  network::Network net;
  net.w = to_weights(p);
  net.b = network::Vector::Zero(kN);
  net.activation = network::ActivationKind::linear;
  const network::Matrix g = network::g_matrix(net, network::Vector::Zero(kN));
  network::Network nt = net;
  nt.w = to_weights(transpose(p));
  // (67) Ĝ(π) = Ĝ(πᵀ) and = 2I − π − πᵀ; entries are sums of 0/±1 products: exact.
  EXPECT_EQ(g, network::g_matrix(nt, network::Vector::Zero(kN)));
  network::Matrix lap = network::Matrix::Zero(kN, kN);
  for (std::int64_t i = 0; i < kN; ++i) {
    lap(i, i) = 2.0;
    lap(i, (i + 1) % kN) -= 1.0;
    lap(i, (i + kN - 1) % kN) -= 1.0;
  }
  EXPECT_EQ(g, lap);
}

TEST(T7_1_Spectrum, EigenvaluesAreFourSinSquared) {
  const Permutation p = cyclic_permutation({kN});
  const auto ev = g_eigenvalues(p);
  std::vector<double> ref;
  for (std::int64_t n = 0; n < kN; ++n) {
    const double s = std::sin(std::numbers::pi * static_cast<double>(n) / kN);
    ref.push_back(4.0 * s * s);
  }
  std::sort(ref.begin(), ref.end());
  ASSERT_EQ(ev.size(), ref.size());
  double err = 0.0;
  for (std::size_t k = 0; k < ev.size(); ++k) err = std::max(err, std::abs(ev[k] - ref[k]));
  EXPECT_LE(err, 1e-12);
  RecordProperty("max_error", std::to_string(err));
}

TEST(T7_1_Spectrum, MultiCycleAndRandomPermutations) {
  // Ĝ is block diagonal over the cycles: its spectrum is the union of 4 sin²(πn/L).
  for (const Permutation& p :
       {cyclic_permutation({100, 37, 64, 1, 2}), random_permutation(200, 5)}) {
    const auto ev = g_eigenvalues(p);
    const auto ref = g_spectrum_closed_form(p);
    ASSERT_EQ(ev.size(), ref.size());
    for (std::size_t k = 0; k < ev.size(); ++k) EXPECT_NEAR(ev[k], ref[k], 1e-12);
  }
}

}  // namespace
}  // namespace nnworld::hidden
