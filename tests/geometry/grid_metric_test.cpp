// geometry::Metric::periodic_grid: the trigonometric interpolant reproduces band-limited fields
// off the grid, and the curvature of a sampled metric equals that of the same metric typed as
// expressions.
#include <gtest/gtest.h>

#include <cmath>
#include <functional>
#include <numbers>
#include <random>
#include <string>
#include <vector>

#include "nnworld/core/error.hpp"
#include "nnworld/geometry/curvature.hpp"
#include "nnworld/geometry/metric.hpp"

namespace nnworld::geometry {
namespace {

constexpr double two_pi = 2.0 * std::numbers::pi;

using Field = std::function<double(int component, const std::vector<double>& x)>;

// Samples `f` (n(n+1)/2 packed components) on the grid x_c = j L_c / N_c, row-major.
std::vector<std::vector<double>> sample(int n, const std::vector<double>& periods,
                                        const std::vector<std::int64_t>& shape, const Field& f) {
  const int d = static_cast<int>(shape.size());
  std::int64_t points = 1;
  for (auto s : shape) points *= s;
  std::vector<std::vector<double>> comps(n * (n + 1) / 2);
  std::vector<double> x(n, 0.0);
  for (std::int64_t i = 0; i < points; ++i) {
    std::int64_t rest = i;
    for (int c = d - 1; c >= 0; --c) {
      x[c] = static_cast<double>(rest % shape[c]) * periods[c] / static_cast<double>(shape[c]);
      rest /= shape[c];
    }
    for (int k = 0; k < n * (n + 1) / 2; ++k) comps[k].push_back(f(k, x));
  }
  return comps;
}

// A band-limited field on a 3-D grid of shape (8, 6, 5), periods (2π, 3, 1.5): every mode has
// |m_c| < N_c/2, plus the Nyquist cosines cos(π N_c x_c/L_c) of the even axes (which the
// symmetric Nyquist treatment must reproduce exactly). Diagonal entries ≥ 2.5 > Σ|off-diagonal|.
double field3(int k, const std::vector<double>& x) {
  const double u = x[0], v = two_pi * x[1] / 3.0, w = two_pi * x[2] / 1.5;
  const double a = 0.1 * (k + 1);
  const double modes = a * std::cos(3 * u - 2 * v + 0.3) + 0.2 * std::sin(u + 2 * w - 0.1 * k) -
                       0.15 * std::cos(2 * v - w) + 0.1 * std::cos(4 * u) + 0.07 * std::cos(3 * v) +
                       0.12 * std::sin(-3 * u + v + 2 * w);
  const bool diagonal = k == 0 || k == 3 || k == 5;  // packed (0,0), (1,1), (2,2) for n = 3
  return diagonal ? 3.0 + modes : 0.2 * modes;
}

TEST(GridMetric, InterpolantReproducesBandLimitedFieldOffGrid) {
  const std::vector<double> periods{two_pi, 3.0, 1.5};
  const std::vector<std::int64_t> shape{8, 6, 5};
  const Metric g =
      Metric::periodic_grid({"x", "y", "z"}, periods, shape, sample(3, periods, shape, field3));
  EXPECT_EQ(g.name(), "grid(x, y, z; 8\u00d76\u00d75)");
  EXPECT_EQ(g.family(), Metric::Family::grid);
  std::mt19937_64 gen(11);
  std::uniform_real_distribution<double> u(-4.0, 9.0);  // includes points outside one period
  double worst = 0.0;
  for (int p = 0; p < 50; ++p) {
    const std::vector<double> x{u(gen), u(gen), u(gen)};
    const Matrix m = g(x);  // checked evaluation (finite, symmetric, non-singular)
    for (int a = 0, k = 0; a < 3; ++a)
      for (int b = a; b < 3; ++b, ++k) {
        worst = std::max(worst, std::abs(m(a, b) - field3(k, x)));
        EXPECT_EQ(m(a, b), m(b, a));
      }
  }
  // The interpolant is exact for this field; what remains is the round-off of the DFT and of
  // the ~120-term sums with |terms| ≤ 3: a few ulps of 3.
  EXPECT_LE(worst, 1e-13) << "max |g_interp - g_exact| over 50 off-grid points";
  std::printf("[ measured ] 3-D grid interpolation max error %.3g\n", worst);
}

TEST(GridMetric, OneAndTwoAxesWithIgnorableCoordinates) {
  // d = 1 of n = 2 (odd N = 7: no Nyquist mode), and d = 2 of n = 4 (N = 4, 10).
  const auto f1 = [](int k, const std::vector<double>& x) {
    const double t = two_pi * x[0] / 2.0;
    return k == 1 ? 0.1 * std::sin(3 * t) : (k == 0 ? -2.0 : 2.0) + 0.3 * std::cos(2 * t - 1.0);
  };
  const Metric g1 = Metric::periodic_grid({"s", "t"}, {2.0}, {7}, sample(2, {2.0}, {7}, f1));
  const auto f2 = [](int k, const std::vector<double>& x) {
    const double u = two_pi * x[0], v = two_pi * x[1] / 5.0;
    const bool diagonal = k == 0 || k == 4 || k == 7 || k == 9;
    return (diagonal ? 2.0 + 0.1 * k : 0.0) + 0.05 * std::cos(u + 4 * v + k) +
           0.1 * std::cos(2 * u) + 0.02 * std::sin(-u + 3 * v);
  };
  const Metric g2 = Metric::periodic_grid({"a", "b", "c", "d"}, {1.0, 5.0}, {4, 10},
                                          sample(4, {1.0, 5.0}, {4, 10}, f2));
  double worst = 0.0;
  for (double s : {0.123, 1.77, -0.4}) {
    for (double t : {0.0, 10.0}) {  // the ignorable coordinate changes nothing
      const Matrix m1 = g1({s, t});
      for (int a = 0, k = 0; a < 2; ++a)
        for (int b = a; b < 2; ++b, ++k) worst = std::max(worst, std::abs(m1(a, b) - f1(k, {s})));
      const std::vector<double> x{s, 2.5 * s + 0.3, t, -t};
      const Matrix m2 = g2(x);
      for (int a = 0, k = 0; a < 4; ++a)
        for (int b = a; b < 4; ++b, ++k) worst = std::max(worst, std::abs(m2(a, b) - f2(k, x)));
    }
  }
  EXPECT_LE(worst, 1e-13);  // exact interpolant; round-off of sums of O(1) terms
}

// Conformally flat T²: g = e^{2φ}δ with e^{2φ} = 1 + 0.3 cos x + 0.2 sin 2y (band-limited, so the
// 16×16 grid represents it exactly), against Metric::conformally_flat with φ typed as an
// expression. Both go through the same Ridders finite differences; the interpolant differs
// from the closed form only by round-off (~1e-15), which the differences amplify to ~1e-11
// (the Ridders accuracy quoted in curvature.hpp), so 1e-8 relative is the brief's tolerance
// with three orders of margin.
TEST(GridMetric, CurvatureMatchesExpressionMetricConformalTorus) {
  const auto f = [](int k, const std::vector<double>& x) {
    return k == 1 ? 0.0 : 1.0 + 0.3 * std::cos(x[0]) + 0.2 * std::sin(2.0 * x[1]);
  };
  const Metric grid = Metric::periodic_grid({"x", "y"}, {two_pi, two_pi}, {16, 16},
                                            sample(2, {two_pi, two_pi}, {16, 16}, f));
  EXPECT_EQ(grid.name(), "grid(x, y; 16\u00d716)");
  const Metric expr = Metric::conformally_flat("0.5*log(1 + 0.3*cos(x) + 0.2*sin(2*y))", 2);
  double worst = 0.0;
  for (const auto& x : std::vector<std::vector<double>>{{0.3, 1.1}, {2.9, 4.4}, {5.0, 0.05}}) {
    const Curvature a = curvature(grid, x), b = curvature(expr, x);
    const double rel = std::abs(a.scalar - b.scalar) / std::abs(b.scalar);
    worst = std::max(worst, rel);
    EXPECT_LE(rel, 1e-8) << "R at (" << x[0] << ", " << x[1] << "): " << a.scalar << " vs "
                         << b.scalar;
  }
  std::printf("[ measured ] conformal T^2: max relative difference of R %.3g\n", worst);
}

// A static 4-D metric on a 3-D spatial grid (t ignorable), coordinates (x, y, z, t), against the
// same components typed as a user metric: R, Kretschmann and R_μν R^μν at two points, relative
// to the scale of each invariant (R vanishes nowhere here, but the invariants mix signs). Same
// tolerance reasoning as above.
TEST(GridMetric, CurvatureMatchesUserMetricStatic4D) {
  const std::vector<std::vector<std::string>> e{{"1 + 0.1*sin(z)", "0.05*cos(z)", "0", "0"},
                                                {"0.05*cos(z)", "1 + 0.1*cos(x)", "0", "0"},
                                                {"0", "0", "1.2 + 0.1*sin(x + y)", "0"},
                                                {"0", "0", "0", "-(1 + 0.2*cos(x)*cos(y))"}};
  const Metric expr = Metric::user({"x", "y", "z", "t"}, e);
  // Packed (0,0), (0,1), (0,2), (0,3), (1,1), (1,2), (1,3), (2,2), (2,3), (3,3).
  const auto f = [](int k, const std::vector<double>& x) {
    switch (k) {
      case 0:
        return 1.0 + 0.1 * std::sin(x[2]);
      case 1:
        return 0.05 * std::cos(x[2]);
      case 4:
        return 1.0 + 0.1 * std::cos(x[0]);
      case 7:
        return 1.2 + 0.1 * std::sin(x[0] + x[1]);
      case 9:
        return -(1.0 + 0.2 * std::cos(x[0]) * std::cos(x[1]));
      default:
        return 0.0;
    }
  };
  const std::vector<double> periods{two_pi, two_pi, two_pi};
  const std::vector<std::int64_t> shape{8, 8, 6};
  const Metric grid =
      Metric::periodic_grid({"x", "y", "z", "t"}, periods, shape, sample(4, periods, shape, f));
  double worst = 0.0;
  for (const auto& x :
       std::vector<std::vector<double>>{{0.7, 2.1, 4.0, 0.0}, {3.3, 5.9, 1.2, 7.0}}) {
    const Curvature a = curvature(grid, x), b = curvature(expr, x);
    for (auto [p, q] : {std::pair{a.scalar, b.scalar}, std::pair{a.kretschmann, b.kretschmann},
                        std::pair{a.ricci_squared, b.ricci_squared}}) {
      const double rel = std::abs(p - q) / std::abs(q);
      worst = std::max(worst, rel);
      EXPECT_LE(rel, 1e-8) << p << " vs " << q;
    }
  }
  std::printf("[ measured ] static 4-D: max relative difference of R, K, Ric^2 %.3g\n", worst);
}

std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.message();
  }
  ADD_FAILURE() << "no nnworld::Error thrown";
  return "";
}

TEST(GridMetric, BadInput) {
  const std::vector<std::vector<double>> ok(3, std::vector<double>(4, 1.0));
  auto contains = [](const std::string& s, const std::string& part) {
    EXPECT_NE(s.find(part), std::string::npos) << "'" << part << "' not in: " << s;
  };
  contains(error_of([&] {
             (void)Metric::periodic_grid({"x", "y"}, {1.0, 1.0}, {2, 1}, ok);
           }),
           "at least 2 points");
  contains(error_of([&] {
             (void)Metric::periodic_grid({"x", "y"}, {1.0}, {2, 2}, ok);
           }),
           "periods");
  contains(error_of([&] {
             (void)Metric::periodic_grid({"x", "y"}, {1.0, -1.0}, {2, 2}, ok);
           }),
           "period of y");
  contains(error_of([&] {
             (void)Metric::periodic_grid({"x", "y"}, {1.0, 1.0}, {2, 2}, {ok[0], ok[1]});
           }),
           "2 components");
  contains(error_of([&] {
             auto bad = ok;
             bad[2][3] = std::nan("");
             (void)Metric::periodic_grid({"x", "y"}, {1.0, 1.0}, {2, 2}, bad);
           }),
           "g[y][y] = nan at grid index 3");
  contains(error_of([&] {
             (void)Metric::periodic_grid({"x", "y"}, {1.0, 1.0}, {2, 3}, ok);
           }),
           "has 4 samples");
  contains(error_of([&] {
             (void)Metric::periodic_grid({"x"}, {1.0}, {2}, {{1.0, 1.0}});
           }),
           "dimension 1");
  contains(error_of([&] {
             (void)Metric::periodic_grid({"a", "b", "c", "d"}, {1, 1, 1, 1}, {2, 2, 2, 2},
                                         std::vector<std::vector<double>>(10));
           }),
           "4 axes");
}

}  // namespace
}  // namespace nnworld::geometry
