// Grids, finite differences and FFTs (core/grid, core/fft) against closed forms and a direct
// O(n²) DFT.
#include <gtest/gtest.h>
#include <omp.h>

#include <cmath>
#include <numbers>
#include <vector>

#include "nnworld/core/fft.hpp"
#include "nnworld/core/grid.hpp"

namespace nnworld::core {
namespace {

constexpr double kPi = std::numbers::pi;

TEST(Grid, CoordinatesStridesAndWavenumbers) {
  const Grid g = make_grid({8, 4}, {2.0, 1.0}, Boundary::periodic);
  EXPECT_EQ(g.size(), 32);
  EXPECT_DOUBLE_EQ(g.spacing(0), 0.5);
  EXPECT_DOUBLE_EQ(g.coordinate(0, 0), -2.0);
  EXPECT_DOUBLE_EQ(g.coordinate(0, 7), 1.5);
  EXPECT_EQ(g.stride(0), 4);
  EXPECT_EQ(g.stride(1), 1);
  const Point q = g.point(4 * 3 + 2);
  EXPECT_DOUBLE_EQ(q[0], -0.5);
  EXPECT_DOUBLE_EQ(q[1], 0.0);
  const auto k = g.wavenumbers(0);  // π m / L, m = 0 1 2 3 −4 −3 −2 −1
  EXPECT_DOUBLE_EQ(k[1], kPi / 2.0);
  EXPECT_DOUBLE_EQ(k[4], -2.0 * kPi);
  EXPECT_DOUBLE_EQ(k[7], -kPi / 2.0);
  EXPECT_THROW((void)make_grid({2}, {1.0}, Boundary::box), std::invalid_argument);
  EXPECT_THROW((void)make_grid({8}, {-1.0}, Boundary::box), std::invalid_argument);
}

// Max error of d/dq sin(3q)·cos(q) on [−π, π) for n points, by FD of the given order.
double fd_error(std::int64_t n, int order) {
  const Grid g = make_grid({n}, {kPi}, Boundary::periodic);
  std::vector<double> f(n), exact(n);
  g.for_each([&](std::int64_t i, const Point& q) {
    f[i] = std::sin(3 * q[0]) * std::cos(q[0]);
    exact[i] = 3 * std::cos(3 * q[0]) * std::cos(q[0]) - std::sin(3 * q[0]) * std::sin(q[0]);
  });
  const auto d = fd_derivative(g, f, 0, order);
  double e = 0.0;
  for (std::int64_t i = 0; i < n; ++i) e = std::max(e, std::abs(d[i] - exact[i]));
  return e;
}

TEST(FiniteDifferences, ConvergeAtTheirOrder) {
  // Halving h divides the error by 2^order (ratio within 10 % once in the asymptotic range).
  EXPECT_NEAR(fd_error(128, 2) / fd_error(256, 2), 4.0, 0.4);
  EXPECT_NEAR(fd_error(128, 4) / fd_error(256, 4), 16.0, 1.6);
}

TEST(FiniteDifferences, LaplacianWithBoxWallsUsesZeroGhosts) {
  // f = 1 everywhere on a box grid: interior Laplacian 0, the end points see the zero ghost.
  const Grid g = make_grid({10}, {1.0}, Boundary::box);
  std::vector<double> f(10, 1.0);
  const auto l = fd_laplacian(g, f, 2);
  const double h = g.spacing(0);
  EXPECT_DOUBLE_EQ(l[5], 0.0);
  EXPECT_NEAR(l[0], -1.0 / (h * h), 1e-12);
  EXPECT_NEAR(l[9], -1.0 / (h * h), 1e-12);
}

TEST(Fft, MatchesADirectDftIn3D) {
  const Grid g = make_grid({6, 5, 4}, {1.0, 2.0, 3.0}, Boundary::periodic);
  std::vector<Complex> x(g.size());
  for (std::int64_t i = 0; i < g.size(); ++i) x[i] = Complex(std::sin(1.3 * i), std::cos(0.7 * i));
  std::vector<Complex> direct(g.size());
  for (std::int64_t m = 0; m < g.size(); ++m) {
    const auto km = g.unflatten(m);
    Complex acc = 0.0;
    for (std::int64_t j = 0; j < g.size(); ++j) {
      const auto qj = g.unflatten(j);
      double phase = 0.0;
      for (int a = 0; a < 3; ++a) {
        phase += 2 * kPi * static_cast<double>(km[a] * qj[a]) / static_cast<double>(g.points[a]);
      }
      acc += x[j] * std::polar(1.0, -phase);
    }
    direct[m] = acc;
  }
  Fft fft(g);
  std::vector<Complex> y = x;
  fft.forward(y);
  for (std::int64_t m = 0; m < g.size(); ++m) EXPECT_LT(std::abs(y[m] - direct[m]), 1e-12);
  fft.backward(y);
  for (std::int64_t m = 0; m < g.size(); ++m) EXPECT_LT(std::abs(y[m] - x[m]), 1e-14);
}

TEST(Fft, SpectralDerivativesAreExactForBandLimitedFields) {
  const Grid g = make_grid({32, 24}, {kPi, 2.0}, Boundary::periodic);
  Fft fft(g);
  std::vector<double> f(g.size()), fx(g.size()), fy(g.size()), lap(g.size());
  const double ky = kPi / 2.0;  // period 4 = 2L
  g.for_each([&](std::int64_t i, const Point& q) {
    f[i] = std::sin(3 * q[0]) * std::cos(ky * q[1]);
    fx[i] = 3 * std::cos(3 * q[0]) * std::cos(ky * q[1]);
    fy[i] = -ky * std::sin(3 * q[0]) * std::sin(ky * q[1]);
    lap[i] = -(9 + ky * ky) * f[i];
  });
  const auto grad = spectral_gradient(fft, f);
  const auto dx = spectral_derivative(fft, f, 0);
  const auto l = spectral_laplacian(fft, f);
  for (std::int64_t i = 0; i < g.size(); ++i) {
    EXPECT_NEAR(grad[0][i], fx[i], 1e-12);
    EXPECT_NEAR(grad[1][i], fy[i], 1e-12);
    EXPECT_NEAR(dx[i], fx[i], 1e-12);
    EXPECT_NEAR(l[i], lap[i], 1e-11);
  }
}

TEST(Fft, BitIdenticalForOneAndTwoThreads) {
  const Grid g = make_grid({256, 192}, {5.0, 5.0}, Boundary::periodic);
  Fft fft(g);
  std::vector<Complex> x(g.size());
  for (std::int64_t i = 0; i < g.size(); ++i) x[i] = Complex(std::sin(0.37 * i), std::cos(1.1 * i));
  const int saved = omp_get_max_threads();
  std::vector<Complex> one = x, two = x;
  omp_set_num_threads(1);
  fft.forward(one);
  fft.backward(one);
  omp_set_num_threads(2);
  fft.forward(two);
  fft.backward(two);
  omp_set_num_threads(saved);
  for (std::int64_t i = 0; i < g.size(); ++i) {
    ASSERT_EQ(one[i].real(), two[i].real());
    ASSERT_EQ(one[i].imag(), two[i].imag());
  }
}

TEST(Fft, RefusesBoxBoundaries) {
  EXPECT_THROW(Fft(make_grid({16}, {1.0}, Boundary::box)), std::invalid_argument);
}

}  // namespace
}  // namespace nnworld::core
