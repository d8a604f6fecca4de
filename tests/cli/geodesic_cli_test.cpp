// The nnworld binary on the "geodesic" experiment: the shipped config runs with every oracle
// passing, and bad input (a position of the wrong length, a start at a singular point, a
// velocity that cannot be normalised, an orbit start in the forbidden region, rtol ≤ 0) exits 2
// with the key's FILE:LINE:COL and leaves no output.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <string>

#include "cli_fixture.hpp"

namespace {

using namespace nnworld::cli_test;  // NOLINT(google-build-using-namespace)

class GeodesicCli : public CliFixture {};

const char* kHead = "experiment = \"geodesic\"\n[metric]\nfamily = \"schwarzschild\"\n[geodesic]\n";

TEST_F(GeodesicCli, ShippedConfigPassesEveryOracle) {
  const auto s = run_ok(NNWORLD_SOURCE_DIR "/experiments/geodesic.toml");
  EXPECT_EQ(s["status"], "ok");
  EXPECT_EQ(s["experiment"], "geodesic");
  EXPECT_EQ(count(s, "oracle", false), 0) << s["checks"].dump(1);
  // E, L, g(u,u); period (t and τ), periapsis advance, turning radii.
  EXPECT_EQ(count(s, "oracle", true), 7) << s["checks"].dump(1);
  const auto& o = s["observables"]["orbit"];
  // Independent reference (scipy quad of the same radial integrals, E = 0.97, L = 4):
  // T_t = 501.3839921782568, Δφ − 2π = 2.8834287438930506, r₁ = 7.60564078, r₂ = 23.16163511.
  EXPECT_NEAR(o["period"].get<double>(), 501.3839921782568, 1e-5);
  EXPECT_NEAR(o["precession_per_orbit"].get<double>(), 2.8834287438930506, 1e-6);
  EXPECT_NEAR(o["radius_min"].get<double>(), 7.60564078, 1e-6);
  EXPECT_NEAR(o["radius_max"].get<double>(), 23.16163511, 1e-6);
  EXPECT_LT(o["energy_drift"].get<double>(), 1e-9);
  EXPECT_LT(o["angular_momentum_drift"].get<double>(), 1e-9);
}

TEST_F(GeodesicCli, CircularStartChecksKepler) {
  // Circular r = 10M: E = (1 − 2M/r)/√(1 − 3M/r), L = √(Mr)/√(1 − 3M/r).
  write("cfg.toml", std::string(kHead) +
                        "orbit = { energy = 0.9561828874675149, angular_momentum = "
                        "3.779644730092272, radius = 10.0 }\ntau_end = 2000.0\n");
  const auto s = run_ok("cfg.toml");
  EXPECT_EQ(count(s, "oracle", false), 0) << s["checks"].dump(1);
  EXPECT_EQ(count(s, "oracle", true), 5) << s["checks"].dump(1);  // E, L, g(u,u), r, dφ/dt
  // 1e-10 as in spec §10 claim 4 (√(M/r³) = 0.031622776602 at r = 10M).
  EXPECT_NEAR(s["observables"]["orbit"]["angular_velocity"].get<double>(), 0.031622776602, 1e-10);
}

// ---- bad input ---------------------------------------------------------------------------

TEST_F(GeodesicCli, PositionOfWrongLength) {
  write("cfg.toml", std::string(kHead) + "position = [0.0, 10.0, 1.5]\n");
  expect_bad_input(
      "run cfg.toml",
      R"(error: cfg\.toml:5:12: key 'geodesic\.position': expected 4 numbers, got 3 elements.*)");
}

TEST_F(GeodesicCli, StartAtASingularPoint) {
  write("cfg.toml", std::string(kHead) + "position = [0.0, 2.0, 1.5, 0.0]\n");
  expect_bad_input(
      "run cfg.toml",
      R"(error: cfg\.toml:5:12: key 'geodesic\.position': at \(t=0, r=2, theta=1\.5, phi=0\).*)");
}

TEST_F(GeodesicCli, NormalisationImpossible) {
  // Inside the horizon (r = 1.5M) g_tt > 0: no u^t makes a particle at rest timelike.
  write("cfg.toml",
        std::string(kHead) + "position = [0.0, 1.5, 1.5, 0.0]\nvelocity = [1.0, 0.0, 0.0, 0.0]\n");
  expect_bad_input(
      "run cfg.toml",
      R"(error: cfg\.toml:6:12: key 'geodesic\.velocity': normalize = "timelike": no u\^t > 0 gives g\(u,u\) = -1 at \(t=0, r=1\.5, theta=1\.5, phi=0\).*)");
  // A null velocity cannot be scaled to −1.
  write("cfg.toml", std::string(kHead) +
                        "position = [0.0, 10.0, 1.5, 0.0]\nvelocity = [1.25, 1.0, 0.0, 0.0]\n"
                        "normalize = \"scale\"\n");
  expect_bad_input("run cfg.toml",
                   R"(error: cfg\.toml:6:12: key 'geodesic\.velocity': normalize = "scale": .*)");
  // An orbit start in the forbidden region: E = 0.9, L = 4 at r = 10 has (u^r)² < 0.
  write("cfg.toml",
        std::string(kHead) + "orbit = { energy = 0.9, angular_momentum = 4.0, radius = 10.0 }\n");
  expect_bad_input(
      "run cfg.toml",
      R"(error: cfg\.toml:5:.*key 'geodesic\.orbit\.energy': E = 0\.9, L = 4 cannot start at r = 10: .*)");
}

TEST_F(GeodesicCli, RtolMustBePositive) {
  write("cfg.toml", std::string(kHead) + "rtol = 0.0\n");
  expect_bad_input(
      "run cfg.toml",
      R"(error: cfg\.toml:5:8: key 'geodesic\.rtol': value 0 out of range \(expected in \(0, 0\.1\]\))");
  write("cfg.toml", std::string(kHead));
  expect_bad_input("run cfg.toml --set geodesic.rtol=-1e-8",
                   R"(error: --set geodesic\.rtol: value -1e-08 out of range .*)");
}

TEST_F(GeodesicCli, RunIntoTheHorizonStopsWithTheStepGuard) {
  // Radial infall from rest at r = 10M: u^t diverges at r = 2M in Schwarzschild coordinates,
  // the adaptive step collapses and the run stops with exit 2 naming τ and the point.
  write("cfg.toml", std::string(kHead) +
                        "position = [0.0, 10.0, 1.5707963267948966, 0.0]\n"
                        "velocity = [0.0, -0.3, 0.0, 0.0]\ntau_end = 100.0\n");
  expect_bad_input(
      "run cfg.toml",
      R"(error: cfg\.toml:7:11: key 'geodesic\.tau_end': dopri5 step .* below min_step at τ = .*, \(t=.*, r=2\.0[0-9]*, theta=1\.570796327, phi=0\).*)");
}

TEST_F(GeodesicCli, OrbitNeedsSphericalCoordinates) {
  write("cfg.toml",
        "experiment = \"geodesic\"\n[metric]\nfamily = \"minkowski\"\n[geodesic]\n"
        "orbit = { energy = 1.1, angular_momentum = 1.0, radius = 5.0 }\n");
  expect_bad_input(
      "run cfg.toml",
      R"(error: cfg\.toml:5:9: key 'geodesic\.orbit': an orbit start needs the coordinates \(t, r, theta, phi\); this metric has \(t, x, y, z\).*)");
}

}  // namespace
