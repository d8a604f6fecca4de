// The "fokker_planck" experiment end to end: the shipped T4.2 configuration against the
// Ornstein–Uhlenbeck closed form computed here, the finite-volume scheme, a 2-D run with a
// general F, box walls, and the located errors of bad input.
#include <cmath>
#include <fstream>
#include <numbers>
#include <sstream>

#include "lab_test_util.hpp"

namespace {

using namespace nnworld::lab::test;

std::string shipped_config() {
  std::ifstream in(std::string(NNWORLD_TEST_DATA) + "/../../experiments/fokker_planck.toml");
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void expect_all_checks_pass(const nlohmann::json& summary) {
  for (const auto& c : summary["checks"]) EXPECT_TRUE(c["passed"].get<bool>()) << c.dump();
}

TEST(FokkerPlanckExperiment, ShippedConfigFollowsTheOrnsteinUhlenbeckClosedForm) {
  TempDir tmp;
  const Ran r = run_config(shipped_config(), tmp.path() / "out");
  ASSERT_EQ(r.record.status, "ok") << r.record.error;
  expect_all_checks_pass(r.summary);
  EXPECT_NE(find_check(r.summary, "T4.2 Var(0.4) = 0.160682605169"), nullptr);
  EXPECT_NE(find_check(r.summary, "H-theorem: relative entropy to p_eq decreases"), nullptr);

  // Var(t) = D/(γk) + (0.05 − D/(γk)) e^{−2γkt} and dS/dt = D/Var − γk, D = 0.3, γ = 0.7, k = 2.
  const fs::path h5 = tmp.path() / "out" / "data.h5";
  const auto t = read_h5(h5, "time").values;
  const auto var = read_h5(h5, "variance/q1").values;
  const auto ep = read_h5(h5, "entropy_production/formula").values;
  const auto numeric = read_h5(h5, "entropy_production/numeric").values;
  ASSERT_EQ(t.size(), 101u);
  const double a = 1.4, veq = 0.3 / 1.4;
  for (std::size_t j = 0; j < t.size(); ++j) {
    const double v = veq + (0.05 - veq) * std::exp(-2 * a * t[j]);
    // Spectral on 512 points: rounding only (the experiment's own oracles use 1e-8).
    EXPECT_NEAR(var[j], v, 1e-10 * v);
    EXPECT_NEAR(ep[j], 0.3 / v - a, 1e-9);
    // Central difference with dt = 1e-4: dt²|S‴|/6 ≤ 2e-6 at t = 0 (S‴ = 1.2e3), less later.
    EXPECT_NEAR(numeric[j], 0.3 / v - a, 3e-6);
  }
  const auto density = read_h5(h5, "density");
  ASSERT_EQ(density.dims.size(), 2u);
  EXPECT_EQ(density.dims[0], 101u);
  EXPECT_EQ(density.dims[1], 512u);
  EXPECT_EQ(read_h5(h5, "final/p_eq").values.size(), 512u);
}

TEST(FokkerPlanckExperiment, FiniteVolumeOnTheSpecsGrid) {
  TempDir tmp;
  nnworld::io::Config config = nnworld::io::Config::from_string(shipped_config(), "cfg.toml");
  config.apply_overrides({"fokker_planck.scheme=finite_volume", "grid.points=[2048]",
                          "grid.boundary=box", "time.end=0.5"});
  nnworld::lab::Prepared p = nnworld::lab::prepare(config, {});
  const auto rec = nnworld::lab::execute(p, tmp.path() / "out");
  ASSERT_EQ(rec.status, "ok") << rec.error;
  const auto s = read_json(tmp.path() / "out" / "summary.json");
  expect_all_checks_pass(s);
  const auto* pos = find_check(s, "positivity (finite volume)");
  ASSERT_NE(pos, nullptr);
  EXPECT_GE((*pos)["value"].get<double>(), 0.0);
  // Second order: at t = 0.4 the variance is off by the predicted O(h²) term −6.68e-6
  // (tests/physics/t4_2_ornstein_uhlenbeck.cpp), far inside the automatic (h/ℓ)² = 1.9e-3.
  const auto* v04 = find_check(s, "T4.2 Var(0.4) = 0.160682605169");
  ASSERT_NE(v04, nullptr);
  EXPECT_NEAR((*v04)["value"].get<double>() - 0.160682605169, -6.68e-6, 0.01e-6);
}

TEST(FokkerPlanckExperiment, TwoDimensionsWithAGeneralFreeEnergy) {
  // 64² resolves p throughout: the forms of (22) agree to 5e-10 of their parts (at 48² the
  // transient around t = 0.3 is resolved only to 2e-8, above the automatic 1e-8).
  TempDir tmp;
  const Ran r = run_config(R"toml(experiment = "fokker_planck"
[trainable]
diffusion = 0.4
gamma = 1.0
free_energy = "cos(q1) * sin(q2) + 0.3 * cos(2 * q2)"
[grid]
points = [64, 64]
extent = 3.141592653589793
[fokker_planck]
scheme = "spectral"
[time]
step = 2e-3
end = 1.0
record_every = 50
[initial]
centre = [0.5, -0.5]
width = 0.4
)toml",
                           tmp.path() / "out");
  ASSERT_EQ(r.record.status, "ok") << r.record.error;
  expect_all_checks_pass(r.summary);
  EXPECT_EQ(r.summary["observables"]["dims"], 2);
  const fs::path h5 = tmp.path() / "out" / "data.h5";
  EXPECT_EQ(read_h5(h5, "mean/q2").values.size(), 11u);
  const auto kl = read_h5(h5, "relative_entropy").values;
  for (std::size_t j = 1; j < kl.size(); ++j) EXPECT_LT(kl[j], kl[j - 1]);
  EXPECT_EQ(read_h5(h5, "density").dims[1], 64u);  // the q1-marginal
}

TEST(FokkerPlanckExperiment, BoxWallsReachedSkipTheIdentityOfTheForms) {
  // F = q1 drives p against the right wall: the forms of (22) drop the wall terms there.
  TempDir tmp;
  const Ran r = run_config(R"toml(experiment = "fokker_planck"
[trainable]
diffusion = 0.5
gamma = 1.0
free_energy = "q1"
[grid]
points = [64]
extent = 2.0
boundary = "box"
[time]
step = 1e-3
end = 1.0
[initial]
width = 0.3
)toml",
                           tmp.path() / "out");
  ASSERT_EQ(r.record.status, "ok") << r.record.error;
  expect_all_checks_pass(r.summary);
  EXPECT_EQ(find_check(r.summary, "(22): ∫[D|∇p|²/p − γ∇p·∇F] = −∫log p ∂_t p"), nullptr);
  EXPECT_NE(find_check(r.summary, "mass conservation"), nullptr);
  bool noted = false;
  for (const auto& n : r.summary["notes"]) {
    noted = noted || n.get<std::string>().find("box walls") != std::string::npos;
  }
  EXPECT_TRUE(noted);
}

TEST(FokkerPlanckExperiment, ReplicaEnsembleFollowsThePde) {
  // M = 20000 replicas of the T4.2 Ornstein–Uhlenbeck process next to the PDE on 128 points:
  // the histogram's L1 distance to p(t) is a sampling fluctuation around the de Moivre floor
  // (ratio ≈ 1, sd of the ratio ≈ 0.1), so the acceptance criterion 3× holds with a wide margin
  // at every record; EM dt = 5e-3 biases Var by γk dt/2 = 0.35 %, inside the variance oracle.
  TempDir tmp;
  const Ran r = run_config(R"toml(experiment = "fokker_planck"
[trainable]
diffusion = 0.3
gamma = 0.7
free_energy = "-q1^2"
[grid]
points = [128]
extent = 5.0
[fokker_planck]
scheme = "spectral"
[time]
step = 1e-3
end = 0.5
record_every = 50
[initial]
width = 0.22360679774997896
[ensemble]
replicas = 20000
time_step = 5e-3
interpolation = "linear"
)toml",
                           tmp.path() / "out");
  ASSERT_EQ(r.record.status, "ok") << r.record.error;
  expect_all_checks_pass(r.summary);
  const auto* l1 = find_check(r.summary, "ensemble.l1");
  ASSERT_NE(l1, nullptr);
  EXPECT_EQ((*l1)["comparison"], "ratio_to_floor");
  EXPECT_LT((*l1)["value"].get<double>(), 3.0 * (*l1)["reference"].get<double>());
  EXPECT_NE(find_check(r.summary, "ensemble variance = Fokker–Planck variance (5 se + EM bias)"),
            nullptr);
  const fs::path h5 = tmp.path() / "out" / "data.h5";
  const auto ratio = read_h5(h5, "ensemble/l1_ratio").values;
  ASSERT_EQ(ratio.size(), 11u);
  for (double v : ratio) EXPECT_LT(v, 3.0);
  const auto density = read_h5(h5, "ensemble/density");
  ASSERT_EQ(density.dims.size(), 2u);
  EXPECT_EQ(density.dims[0], 11u);
  EXPECT_EQ(density.dims[1], 128u);
  EXPECT_EQ(read_h5(h5, "ensemble/final/p").values.size(), 128u);
  EXPECT_EQ(read_h5(h5, "ensemble/variance/q1").values.size(), 11u);
  EXPECT_EQ(read_h5(h5, "ensemble/entropy_production/numeric").values.size(), 11u);
  EXPECT_EQ(read_h5(h5, "ensemble/entropy_production/formula").values.size(), 11u);
  EXPECT_EQ(r.summary["observables"]["ensemble"]["l1_floor"].size(), 11u);
}

TEST(FokkerPlanckExperiment, NetworkFreeEnergyIsTheLaplaceForm) {
  // N = 2, b = 0, ŵ(q) = q ŵ₁ with ŵ₁ = [[0, 0.5], [0.5, 0]]: x* = 0 is the only fixed point for
  // |q| < 2 and F = β⁻¹ log|det(I − ŵ)| + (N/2β) log(β/2π) = log(1 − q²/4) − log 2π at β = 1.
  // Replicas in that F follow the PDE (L1 ≤ 3× floor).
  TempDir tmp;
  const Ran r = run_config(R"toml(experiment = "fokker_planck"
[trainable]
free_energy_source = "network"
beta = 1.0
diffusion = 0.25
gamma = 2.0
[network]
n = 2
weights = [[0.0, 0.0], [0.0, 0.0]]
[ensemble]
replicas = 20000
time_step = 2e-3
[ensemble.directions]
weights = [[0.0, 0.5], [0.5, 0.0]]
[grid]
points = [64]
extent = 1.5
boundary = "box"
[fokker_planck]
scheme = "finite_volume"
[time]
step = 5e-4
end = 0.2
record_every = 40
[initial]
width = 0.2
)toml",
                           tmp.path() / "out");
  ASSERT_EQ(r.record.status, "ok") << r.record.error;
  expect_all_checks_pass(r.summary);
  const auto* l1 = find_check(r.summary, "ensemble.l1");
  ASSERT_NE(l1, nullptr);
  EXPECT_EQ((*l1)["comparison"], "ratio_to_floor");
  EXPECT_LT((*l1)["value"].get<double>(), 3.0 * (*l1)["reference"].get<double>());
  // F at the grid points against the closed form: the Laplace log det at x* = 0 is exact up to
  // rounding (tolerance 1e-10).
  const fs::path h5 = tmp.path() / "out" / "data.h5";
  const auto q = read_h5(h5, "q1").values;
  const auto peq = read_h5(h5, "final/p_eq").values;
  ASSERT_EQ(q.size(), 64u);
  // p_eq ∝ (1 − q²/4)^{γ/(βD)} = (1 − q²/4)^8: ratios to the centre point.
  const std::size_t c = 32;  // q = 0
  ASSERT_NEAR(q[c], 0.0, 1e-12);
  for (std::size_t i = 0; i < q.size(); i += 7) {
    EXPECT_NEAR(peq[i] / peq[c], std::pow(1.0 - q[i] * q[i] / 4.0, 8), 1e-8);
  }
}

TEST(FokkerPlanckExperiment, BadInputIsLocated) {
  const std::string base = "experiment = \"fokker_planck\"\n[trainable]\n";
  EXPECT_NE(prepare_error(base + "free_energy = \"-q1^2\"\n[checks]\nornstein_uhlenbeck = 1.0\n")
                .find("checks.ornstein_uhlenbeck"),
            std::string::npos);
  EXPECT_NE(prepare_error(base + "[grid]\nboundary = \"box\"\n[fokker_planck]\nscheme = "
                                 "\"spectral\"\n")
                .find("needs a periodic grid"),
            std::string::npos);
  EXPECT_NE(prepare_error(base + "[time]\nstep = 1e-4\nend = 0.00015\n").find("not a multiple"),
            std::string::npos);
  EXPECT_NE(prepare_error(base + "[grid]\npoints = [8, 8, 8, 8]\n").find("1, 2 or 3"),
            std::string::npos);
  EXPECT_NE(prepare_error(base + "[ensemble]\nreplicas = 10\ntime_step = 1.5e-4\n")
                .find("ensemble.time_step"),
            std::string::npos);
  EXPECT_NE(prepare_error(base + "[follow_up]\nenabled = true\n").find("need a network"),
            std::string::npos);
}

}  // namespace
