// The [metric] section: every family builds, user metrics typed as expressions evaluate to the
// same g as the built-in family, and every kind of bad input is located at its key (and, for
// point errors, names the point).
#include "nnworld/lab/metric_config.hpp"

#include <gtest/gtest.h>

#include <string>

#include "nnworld/core/error.hpp"

namespace {

using nnworld::Error;
using nnworld::io::Config;
using nnworld::lab::read_metric;
using nnworld::lab::read_points;

Config config(const std::string& text) {
  return Config::from_string(text, "m.toml");
}

// The message of the nnworld::Error thrown by f ("" if none).
template <class F>
std::string error_of(F&& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.message();
  }
  return "";
}

const char* kSchwarzschildUser = R"toml(
[metric]
family = "user"
coordinates = ["t", "r", "theta", "phi"]
g = [["-(1-2*M/r)", 0, 0, 0], [0, "1/(1-2*M/r)", 0, 0],
     [0, 0, "r^2", 0], [0, 0, 0, "r^2*sin(theta)^2"]]
constants = { M = 1.5 }
)toml";

TEST(MetricConfig, UserMetricEqualsTheBuiltInFamily) {
  Config c = config(kSchwarzschildUser);
  const auto typed = read_metric(c);
  c.finish();
  Config b = config("[metric]\nfamily = \"schwarzschild\"\nmass = 1.5\n");
  const auto built = read_metric(b);
  b.finish();
  const auto x = {0.3, 7.0, 1.1, 0.4};
  // Same closed form evaluated in double by two routes (muParser, C++): a few ulp apart.
  EXPECT_LT((typed(x) - built(x)).cwiseAbs().maxCoeff(), 1e-14);
  EXPECT_EQ(typed.dimension(), 4);
}

TEST(MetricConfig, EveryFamilyBuilds) {
  for (const char* text :
       {"family = \"minkowski\"\ndimension = 3", "family = \"kerr\"\nmass = 1\nspin = 0.6",
        "family = \"de_sitter\"\nlambda = 0.3",
        "family = \"schwarzschild_de_sitter\"\nmass = 1\nlambda = 0.01",
        "family = \"flrw\"\nscale_factor = \"exp(H*t)\"\nconstants = { H = 0.2 }",
        "family = \"sphere\"\ndimension = 3\nradius = 2",
        "family = \"conformally_flat\"\nphi = \"0.1*sin(x)*cos(y)\""}) {
    Config c = config(std::string("[metric]\n") + text + "\n");
    EXPECT_NO_THROW({
      (void)read_metric(c);
      c.finish();
    }) << text;
  }
}

TEST(MetricConfig, BadInputIsLocated) {
  // Unknown coordinate in an expression: the element's line and the expression are shown.
  std::string m = error_of([] {
    Config c = config(
        "[metric]\nfamily = \"user\"\ncoordinates = [\"x\", \"y\"]\n"
        "g = [[\"1\", \"0\"],\n     [\"0\", \"1 + z^2\"]]\n");
    (void)read_metric(c);
  });
  EXPECT_NE(m.find("m.toml:5:"), std::string::npos) << m;
  EXPECT_NE(m.find("1 + z^2"), std::string::npos) << m;
  // Unknown constant.
  m = error_of([] {
    Config c = config(
        "[metric]\nfamily = \"user\"\ncoordinates = [\"x\", \"y\"]\n"
        "g = [[\"1\", \"0\"], [\"0\", \"a^2\"]]\nconstants = { b = 1 }\n");
    (void)read_metric(c);
  });
  EXPECT_NE(m.find("a^2"), std::string::npos) << m;
  EXPECT_NE(m.find("key 'metric.g'"), std::string::npos) << m;
  // Row count and row length against the coordinate count.
  m = error_of([] {
    Config c = config(
        "[metric]\nfamily = \"user\"\ncoordinates = [\"t\", \"x\", \"y\"]\n"
        "g = [[\"-1\", \"0\"], [\"0\", \"1\"]]\n");
    (void)read_metric(c);
  });
  EXPECT_NE(m.find("2 rows for 3 coordinates"), std::string::npos) << m;
  m = error_of([] {
    Config c = config(
        "[metric]\nfamily = \"user\"\ncoordinates = [\"t\", \"x\"]\n"
        "g = [[\"-1\", \"0\"],\n [\"0\", \"1\", \"0\"]]\n");
    (void)read_metric(c);
  });
  EXPECT_NE(m.find("m.toml:5:"), std::string::npos) << m;
  EXPECT_NE(m.find("3 entries for 2 coordinates"), std::string::npos) << m;
  // Kerr beyond extremality.
  m = error_of([] {
    Config c = config("[metric]\nfamily = \"kerr\"\nmass = 1\nspin = 1.5\n");
    (void)read_metric(c);
  });
  EXPECT_NE(m.find("metric.spin"), std::string::npos) << m;
}

TEST(MetricConfig, SingularOrAsymmetricPointsAreNamed) {
  // g = diag(x, 1) is singular at x = 0: the error is at the point's element and names it.
  std::string m = error_of([] {
    Config c = config(
        "[metric]\nfamily = \"user\"\ncoordinates = [\"x\", \"y\"]\n"
        "g = [[\"x\", \"0\"], [\"0\", \"1\"]]\n[run]\npoints = [[1, 0],\n  [0, 2]]\n");
    const auto g = read_metric(c);
    (void)read_points(c, "run.points", g, {}, "points");
  });
  EXPECT_NE(m.find("m.toml:7:"), std::string::npos) << m;
  EXPECT_NE(m.find("(x=0, y=2)"), std::string::npos) << m;
  EXPECT_NE(m.find("singular"), std::string::npos) << m;
  // g_xy = y, g_yx = 0: not symmetric away from y = 0.
  m = error_of([] {
    Config c = config(
        "[metric]\nfamily = \"user\"\ncoordinates = [\"x\", \"y\"]\n"
        "g = [[\"1\", \"y\"], [\"0\", \"1\"]]\n[run]\npoints = [[1, 0], [1, 0.5]]\n");
    const auto g = read_metric(c);
    (void)read_points(c, "run.points", g, {}, "points");
  });
  EXPECT_NE(m.find("(x=1, y=0.5)"), std::string::npos) << m;
  EXPECT_NE(m.find("not symmetric"), std::string::npos) << m;
  // A point with the wrong coordinate count.
  m = error_of([] {
    Config c = config("[metric]\nfamily = \"schwarzschild\"\n[run]\npoints = [[0, 5, 1]]\n");
    const auto g = read_metric(c);
    (void)read_points(c, "run.points", g, {}, "points");
  });
  EXPECT_NE(m.find("has 3 numbers"), std::string::npos) << m;
}

}  // namespace
