// geometry::Metric: built-in families at known points, and every bad input → nnworld::Error
// with a message that names the problem (and the expression, position or point involved).
#include "nnworld/geometry/metric.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <functional>
#include <string>

#include "nnworld/core/error.hpp"

namespace nnworld::geometry {
namespace {

// The message of the nnworld::Error that f throws ("" and a test failure if none).
std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.message();
  }
  ADD_FAILURE() << "no nnworld::Error thrown";
  return "";
}

void expect_contains(const std::string& s, const std::string& part) {
  EXPECT_NE(s.find(part), std::string::npos) << "'" << part << "' not in: " << s;
}

TEST(Metric, BuiltInFamiliesAtAPoint) {
  const Matrix s = Metric::schwarzschild(1.0)({0.0, 4.0, std::acos(0.0), 0.0});
  EXPECT_DOUBLE_EQ(s(0, 0), -0.5);
  EXPECT_DOUBLE_EQ(s(1, 1), 2.0);
  EXPECT_DOUBLE_EQ(s(2, 2), 16.0);
  EXPECT_DOUBLE_EQ(s(3, 3), 16.0);
  const Matrix k = Metric::kerr(1.0, 0.5)({0.0, 4.0, std::acos(0.0), 0.0});  // equator: Σ = r²
  EXPECT_DOUBLE_EQ(k(0, 3), -2.0 * 0.5 * 4.0 / 16.0);
  EXPECT_DOUBLE_EQ(k(1, 1), 16.0 / (16.0 - 8.0 + 0.25));
  const Matrix f = Metric::flrw("2 + t")({1.0, 0.0, 0.0, 0.0});
  EXPECT_DOUBLE_EQ(f(0, 0), -1.0);
  EXPECT_DOUBLE_EQ(f(2, 2), 9.0);
  const Matrix c = Metric::conformally_flat("0.5*x + y", 2)({2.0, 0.0});
  EXPECT_DOUBLE_EQ(c(1, 1), std::exp(2.0));
  const Matrix m = Metric::minkowski(3)({0.0, 0.0, 0.0});
  EXPECT_EQ(m, (Matrix(3, 3) << -1, 0, 0, 0, 1, 0, 0, 0, 1).finished());
  EXPECT_EQ(Metric::sphere(4, 1.0).coordinates(),
            (std::vector<std::string>{"chi1", "chi2", "chi3", "phi"}));
  const Matrix u = Metric::user({"u", "v"}, {{"0", "-1/2"}, {"- 1/2", "k"}}, {{"k", 3.0}})(
      {0.0, 0.0});  // null coordinates; "- 1/2" and "-1/2" differ in blanks only
  EXPECT_DOUBLE_EQ(u(0, 1), -0.5);
  EXPECT_DOUBLE_EQ(u(1, 1), 3.0);
}

TEST(Metric, UnknownCoordinateShowsExpressionAndPosition) {
  const std::string msg = error_of([] {
    (void)Metric::user({"t", "r"}, {{"-1", "0"}, {"0", "1 + q*r"}});
  });
  expect_contains(msg, "g[1][1]");
  expect_contains(msg, "\"1 + q*r\"");
  expect_contains(msg, "position 4");
  expect_contains(msg, "coordinates (t, r)");
}

TEST(Metric, UnknownConstantShowsExpressionAndPosition) {
  const std::string msg = error_of([] {
    (void)Metric::user({"t", "r"}, {{"-(1 - 2*M/r)", "0"}, {"0", "1/(1 - 2*M/r)"}},
                       {{"Mass", 1.0}});
  });
  expect_contains(msg, "g[0][0]");
  expect_contains(msg, "\"-(1 - 2*M/r)\"");
  expect_contains(msg, "position 8");
  expect_contains(msg, "constants (Mass)");
  // A bad scale factor or conformal factor is reported the same way.
  expect_contains(error_of([] { (void)Metric::flrw("exp(H*t)"); }), "\"exp(H*t)\"");
  expect_contains(error_of([] { (void)Metric::conformally_flat("sin(w)", 3); }), "position");
}

TEST(Metric, ShapeMustMatchCoordinates) {
  expect_contains(error_of([] {
                    (void)Metric::user({"t", "r", "z"}, {{"-1", "0"}, {"0", "1"}});
                  }),
                  "2 rows for 3 coordinates");
  expect_contains(error_of([] {
                    (void)Metric::user({"t", "r"}, {{"-1", "0", "0"}, {"0", "1"}});
                  }),
                  "has 3 entries for 2 coordinates");
  expect_contains(error_of([] { (void)Metric::user({"t"}, {{"-1"}}); }), "dimension 1");
  expect_contains(error_of([] { (void)Metric::sphere(7, 1.0); }), "dimension 7");
  expect_contains(error_of([] { (void)Metric::sphere(3, -1.0); }), "radius");
  expect_contains(error_of([] {
                    (void)Metric::user({"t", "t"}, {{"-1", "0"}, {"0", "1"}});
                  }),
                  "'t' is used twice");
  expect_contains(error_of([] {
                    (void)Metric::user({"t", "r"}, {{"-1", "0"}, {"0", "1"}}, {{"r", 1.0}});
                  }),
                  "constant name 'r'");
  expect_contains(error_of([] {
                    (void)Metric::schwarzschild(1.0)({0.0, 5.0, 1.0});
                  }),
                  "point has 3 coordinates");
}

// Symmetry: entries whose strings differ are compared numerically at each evaluation point.
TEST(Metric, NonSymmetricAtAPointNamesThePoint) {
  const Metric m = Metric::user({"t", "x"}, {{"-1", "0.1*x"}, {"0.1*t", "1"}});
  EXPECT_NO_THROW((void)m({0.5, 0.5}));  // symmetric where x = t
  const std::string msg = error_of([&] { (void)m({0.0, 2.0}); });
  expect_contains(msg, "not symmetric");
  expect_contains(msg, "g[t][x] = 0.2");
  expect_contains(msg, "(t=0, x=2)");
}

TEST(Metric, SingularAtAPointNamesThePoint) {
  // Schwarzschild at the horizon r = 2M: g_rr = 1/0 is not finite.
  expect_contains(error_of([] {
                    (void)Metric::schwarzschild(1.0)({0.0, 2.0, 1.0, 0.0});
                  }),
                  "(t=0, r=2, theta=1, phi=0)");
  // The 2-sphere at the pole: g_φφ = 0, det g = 0.
  const std::string pole = error_of([] { (void)Metric::sphere(2, 1.0)({0.0, 0.3}); });
  expect_contains(pole, "singular");
  expect_contains(pole, "(theta=0, phi=0.3)");
  // A degenerate user matrix (rank 1 where x = 1).
  const Metric m = Metric::user({"t", "x"}, {{"-x", "1"}, {"1", "-1"}});
  const std::string msg = error_of([&] { (void)m({0.0, 1.0}); });
  expect_contains(msg, "singular");
  expect_contains(msg, "det g = 0");
  expect_contains(msg, "(t=0, x=1)");
  EXPECT_NO_THROW((void)m({0.0, 2.0}));
}

}  // namespace
}  // namespace nnworld::geometry
