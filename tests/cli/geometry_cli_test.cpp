// The nnworld binary on the "curvature" and "einstein" experiments: the shipped configs run with
// every oracle passing, and bad input in [metric] or the points (a non-symmetric or singular user
// metric at a requested point, an unknown coordinate or constant in an expression, g of the wrong
// shape, a point of the wrong length, an unknown family) exits 2 with the key's FILE:LINE:COL
// and leaves no output.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <numbers>
#include <string>

#include "cli_fixture.hpp"

namespace {

using namespace nnworld::cli_test;  // NOLINT(google-build-using-namespace)

class GeometryCli : public CliFixture {};

// A 2-D user metric in (x, y) for the curvature experiment, with `g` and `points` as given.
std::string user2(const std::string& g, const std::string& points, const std::string& extra = "") {
  return "experiment = \"curvature\"\n[metric]\nfamily = \"user\"\ncoordinates = [\"x\", \"y\"]\n"
         "g = " +
         g + "\n" + extra + "[curvature]\npoints = " + points + "\n";
}

// ---- shipped configs ----------------------------------------------------------------------

TEST_F(GeometryCli, ShippedKerrConfigPassesEveryOracle) {
  const auto s = run_ok(NNWORLD_SOURCE_DIR "/experiments/curvature.toml");
  EXPECT_EQ(s["experiment"], "curvature");
  EXPECT_EQ(count(s, "oracle", false), 0) << s["checks"].dump(1);
  EXPECT_EQ(count(s, "oracle", true), 3);  // R = 0, K closed form, R_μν R^μν = 0
  const auto& o = s["observables"];
  EXPECT_EQ(o["kretschmann"].size(), 5u);
  EXPECT_EQ(o["einstein_tensor"][0].size(), 4u);
  EXPECT_EQ(o["map"]["points"].get<int>(), 1600);
  EXPECT_EQ(o["map"]["failed_points"].get<int>(), 0);
}

TEST_F(GeometryCli, ShippedUserConfigPassesItsClosedForms) {
  const auto s = run_ok(NNWORLD_SOURCE_DIR "/experiments/curvature_user.toml");
  EXPECT_EQ(count(s, "oracle", false), 0) << s["checks"].dump(1);
  EXPECT_EQ(count(s, "oracle", true), 3);  // the three curvature.expect forms
  // K = 48M²/r⁶ at r = 3 (M = 1), independently of the run's oracle: spec T9.4, 1e-8 relative.
  EXPECT_NEAR(s["observables"]["kretschmann"][0].get<double>(), 48.0 / 729.0, 1e-8 * 48.0 / 729.0);
}

TEST_F(GeometryCli, ShippedEinsteinConfigsPassEveryOracle) {
  const auto s = run_ok(NNWORLD_SOURCE_DIR "/experiments/einstein.toml");
  EXPECT_EQ(s["experiment"], "einstein");
  EXPECT_EQ(count(s, "oracle", false), 0) << s["checks"].dump(1);
  EXPECT_GE(count(s, "oracle", true), 5);  // (95), fitted Λ and κ, Friedmann, G₀₀
  const auto& o = s["observables"];
  EXPECT_LE(o["einstein_residual"].get<double>(), 1e-8);
  // The fit recovers κ = 16π (G = 1, paper normalisation) and Λ = 0.3.
  EXPECT_NEAR(o["fit"]["kappa"].get<double>(), 16.0 * std::numbers::pi,
              1e-6 * 16.0 * std::numbers::pi);
  EXPECT_NEAR(o["fit"]["lambda"].get<double>(), 0.3, 1e-6);
  EXPECT_EQ(o["friedmann_residual"].size(), 10u);

  const auto v = run_ok(NNWORLD_SOURCE_DIR "/experiments/einstein_vacuum.toml");
  EXPECT_EQ(count(v, "oracle", false), 0) << v["checks"].dump(1);
  EXPECT_LE(v["observables"]["einstein_residual"].get<double>(), 1e-8);
  EXPECT_FALSE(v["observables"]["fit"]["kappa_fitted"].get<bool>());
}

TEST_F(GeometryCli, DeSitterFlatSlicingIsAVacuumSolution) {
  // Spec §10 claim 5: a = exp(√(Λ/3)t) with Λ = L is the vacuum oracle of (95).
  const auto s =
      run_ok(NNWORLD_SOURCE_DIR
             "/experiments/einstein.toml --set 'metric.scale_factor=\"exp(sqrt(L/3)*t)\"' "
             "--set einstein.matter=vacuum --set einstein.fit=false");
  EXPECT_EQ(count(s, "oracle", false), 0) << s["checks"].dump(1);
  EXPECT_LE(s["observables"]["einstein_residual"].get<double>(), 1e-8);
}

TEST_F(GeometryCli, DustFlrwInThePaperNormalisation) {
  // a = t^(2/3): H = 2/(3t), ρ_std = 3H²/(8πG) = 1/(6πGt²); the paper's T is ½T_std (spec §8
  // (85)), so with κ = 16πG the density to pass is ρ = 1/(12πt²) (G = 1).
  const std::string base = NNWORLD_SOURCE_DIR
      "/experiments/einstein.toml --set 'metric.scale_factor=\"t^(2/3)\"' --set einstein.lambda=0 ";
  const auto s = run_ok(base + "--set 'einstein.rho=\"1/(12*_pi*t^2)\"'");
  EXPECT_EQ(count(s, "oracle", false), 0) << s["checks"].dump(1);
  // The standard density with κ = 16πG counts the matter twice: κρ = 2·3H², so
  // |3H² − κρ|/κρ = 1/2 exactly (up to the 1e-12 of H and of the curvature).
  const CliResult r = run("run " + base +
                          "--set 'einstein.rho=\"1/(6*_pi*t^2)\"' --set einstein.fit=false "
                          "--strict --quiet --out w");
  EXPECT_EQ(r.code, 4) << r.err;
  EXPECT_NEAR(summary("w")["observables"]["friedmann"]["max_relative"].get<double>(), 0.5, 1e-9);
}

TEST_F(GeometryCli, AWrongLambdaFailsTheVacuumOracle) {
  // The same SdS metric with Λ doubled in (95): the residual is O(1) relative, not rounding.
  const CliResult r = run("run " NNWORLD_SOURCE_DIR
                          "/experiments/einstein_vacuum.toml --set einstein.lambda=0.02 "
                          "--set einstein.fit=false --strict --quiet --out s");
  EXPECT_EQ(r.code, 4) << r.err;
  EXPECT_GT(summary("s")["observables"]["einstein_residual"].get<double>(), 0.1);
}

// ---- bad input ---------------------------------------------------------------------------

TEST_F(GeometryCli, NonSymmetricUserMetricAtARequestedPoint) {
  // g_xy = x, g_yx = 0: symmetric at x = 0, not at the second point x = 1.
  write("cfg.toml", user2(R"([["1", "x"], ["0", "1"]])", "[[0.0, 0.0], [1.0, 0.5]]"));
  expect_bad_input(
      "run cfg.toml",
      R"(error: cfg\.toml:7:23: key 'curvature\.points': at \(x=1, y=0\.5\): metric is not symmetric: g\[x\]\[y\] = 1 but g\[y\]\[x\] = 0 \(expected g_ab = g_ba\))");
}

TEST_F(GeometryCli, SingularUserMetricAtARequestedPoint) {
  write("cfg.toml", user2(R"([["x", "0"], ["0", "1"]])", "[[1.0, 0.0], [0.0, 2.0]]"));
  expect_bad_input(
      "run cfg.toml",
      R"(error: cfg\.toml:7:23: key 'curvature\.points': at \(x=0, y=2\): metric is singular: det g = 0 .*)");
}

TEST_F(GeometryCli, ExpressionWithAnUnknownCoordinate) {
  write("cfg.toml", user2(R"([["1", "0"], ["0", "q^2"]])", "[[0.0, 0.0]]"));
  expect_bad_input("run cfg.toml",
                   R"(error: cfg\.toml:5:24: key 'metric\.g': .*"q\^2".*\(x, y\).*)");
}

TEST_F(GeometryCli, ExpressionWithAnUnknownConstant) {
  write("cfg.toml",
        user2(R"([["1", "0"], ["0", "M*x^2"]])", "[[1.0, 0.0]]", "[metric.constants]\nL = 1.0\n"));
  expect_bad_input("run cfg.toml",
                   R"(error: cfg\.toml:5:24: key 'metric\.g': .*"M\*x\^2".*\(L\).*)");
  // The same in a closed form of curvature.expect (located there, the expression shown).
  write("cfg.toml", user2(R"([["1", "0"], ["0", "1"]])", "[[1.0, 0.0]]") +
                        "[curvature.expect]\nkretschmann = \"48*M^2/x^6\"\n");
  expect_bad_input(
      "run cfg.toml",
      R"(error: cfg\.toml:9:15: key 'curvature\.expect\.kretschmann': .*"48\*M\^2/x\^6".*\(x, y\) \(no constants\)\))");
}

TEST_F(GeometryCli, GWithTheWrongNumberOfRows) {
  write("cfg.toml",
        "experiment = \"curvature\"\n[metric]\nfamily = \"user\"\n"
        "coordinates = [\"t\", \"x\", \"y\", \"z\"]\n"
        "g = [[\"-1\", \"0\", \"0\", \"0\"], [\"0\", \"1\", \"0\", \"0\"], "
        "[\"0\", \"0\", \"1\", \"0\"]]\n"
        "[curvature]\npoints = [[0.0, 0.0, 0.0, 0.0]]\n");
  expect_bad_input(
      "run cfg.toml",
      R"(error: cfg\.toml:5:5: key 'metric\.g': has 3 rows for 4 coordinates \(t, x, y, z\) \(expected 4 rows of 4 expressions\))");
}

TEST_F(GeometryCli, GWithARowOfTheWrongLength) {
  write("cfg.toml", user2(R"([["1", "0"], ["0", "1", "0"]])", "[[0.0, 0.0]]"));
  expect_bad_input(
      "run cfg.toml",
      R"(error: cfg\.toml:5:18: key 'metric\.g': row 1 has 3 entries for 2 coordinates \(x, y\) \(expected 2 expressions per row\))");
}

TEST_F(GeometryCli, PointWithTheWrongCoordinateCount) {
  write("cfg.toml", user2(R"([["1", "0"], ["0", "1"]])", "[[0.0, 0.0], [1.0, 2.0, 3.0]]"));
  expect_bad_input(
      "run cfg.toml",
      R"(error: cfg\.toml:7:23: key 'curvature\.points': element 1 has 3 numbers \(expected an array of 2 numbers\))");
  // The same for einstein.points.
  write("cfg.toml",
        "experiment = \"einstein\"\n[metric]\nfamily = \"schwarzschild\"\n"
        "[einstein]\npoints = [[0.0, 5.0, 1.0]]\n");
  expect_bad_input(
      "run cfg.toml",
      R"(error: cfg\.toml:5:11: key 'einstein\.points': element 0 has 3 numbers \(expected an array of 4 numbers\))");
}

TEST_F(GeometryCli, UnknownFamily) {
  write("cfg.toml",
        "experiment = \"curvature\"\n[metric]\nfamily = \"kerr_newman\"\n"
        "[curvature]\npoints = [[0.0, 5.0, 1.0, 0.0]]\n");
  expect_bad_input("run cfg.toml",
                   R"(error: cfg\.toml:3:10: key 'metric\.family': .*kerr_newman.*)");
}

TEST_F(GeometryCli, EinsteinFluidInputs) {
  // u^μ needs one expression per coordinate.
  write("cfg.toml",
        "experiment = \"einstein\"\n[metric]\nfamily = \"flrw\"\nscale_factor = \"t^(2/3)\"\n"
        "[einstein]\nmatter = \"perfect_fluid\"\nvelocity = [\"1\", \"0\"]\n"
        "points = [[1.0, 0.0, 0.0, 0.0]]\n");
  expect_bad_input(
      "run cfg.toml",
      R"(error: cfg\.toml:7:12: key 'einstein\.velocity': 2 expressions for 4 coordinates \(t, x, y, z\) \(expected 4 expressions, one per coordinate\))");
  // ρ naming an unknown constant: the expression is shown.
  write("cfg.toml",
        "experiment = \"einstein\"\n[metric]\nfamily = \"flrw\"\nscale_factor = \"t^(2/3)\"\n"
        "[einstein]\nmatter = \"perfect_fluid\"\nrho = \"1/(12*_pi*G*t^2)\"\n"
        "points = [[1.0, 0.0, 0.0, 0.0]]\n");
  expect_bad_input(
      "run cfg.toml",
      R"re(error: cfg\.toml:7:7: key 'einstein\.rho': .*"1/\(12\*_pi\*G\*t\^2\)".*)re");
  // A spacelike u^μ at a requested point.
  write("cfg.toml",
        "experiment = \"einstein\"\n[metric]\nfamily = \"flrw\"\nscale_factor = \"t^(2/3)\"\n"
        "[einstein]\nmatter = \"perfect_fluid\"\nvelocity = [\"0\", \"1\", \"0\", \"0\"]\n"
        "points = [[1.0, 0.0, 0.0, 0.0]]\n");
  expect_bad_input(
      "run cfg.toml",
      R"(error: cfg\.toml:7:12: key 'einstein\.velocity': at \(t=1, x=0, y=0, z=0\): .*)");
}

}  // namespace
