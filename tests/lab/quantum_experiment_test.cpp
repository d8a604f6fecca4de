// The "quantum" experiment end to end: its modes and forms against closed forms computed here.
#include <cmath>
#include <string>

#include "lab_test_util.hpp"

namespace {

using namespace nnworld::lab::test;

void expect_all_passed(const nlohmann::json& summary) {
  ASSERT_FALSE(summary["checks"].empty());
  for (const auto& c : summary["checks"]) EXPECT_TRUE(c["passed"].get<bool>()) << c.dump();
}

TEST(QuantumExperiment, FreeSpreadingT5_3) {
  // Spec T5.3 with a moving packet: Var = σ₀²(1 + τ²) = 5 at T = 4, ⟨q⟩ = P t/M.
  TempDir tmp;
  const Ran r = run_config(
      "experiment = \"quantum\"\n[trainable]\npotential = \"0\"\n[initial]\ncentre = [0.0]\n"
      "width = 1.0\nmomentum = 0.5\n[grid]\npoints = 2048\nextent = 40.0\n[time]\nstep = 0.01\n"
      "end = 4.0\nframes = 8\n[checks]\nclosed_form = \"free\"\n",
      tmp.path() / "out");
  ASSERT_EQ(r.record.status, "ok") << r.record.error;
  expect_all_passed(r.summary);
  const auto& o = r.summary["observables"];
  EXPECT_NEAR(o["variance"].back().get<double>(), 5.0, 1e-9);
  EXPECT_NEAR(o["mean"].back().get<double>(), 2.0, 1e-9);
  // dS/dt at T = 4 (τ = 2): (ħ/2Mσ₀²)τ/(1 + τ²) = 0.2, formula and numerical derivative.
  EXPECT_NEAR(o["entropy_production"]["formula"].back().get<double>(), 0.2, 1e-9);
  EXPECT_NEAR(o["entropy_production"]["numeric"].back().get<double>(), 0.2, 1e-6);
}

TEST(QuantumExperiment, GroundStateAndPrintedForm) {
  // Imaginary time in V = ½Mω²q² (ω = 1) with the printed constants (μ = 2 dropped):
  // ħ_paper = √(4D/γ) = √2, so E₀ = ħω/2 = 1/√2 — not the corrected ħω/2 = 1/2.
  TempDir tmp;
  const Ran r = run_config(
      "experiment = \"quantum\"\n[trainable]\npotential = \"0.5*q1^2\"\n[quantum]\n"
      "form = \"paper\"\nmode = \"ground_state\"\n[initial]\ncentre = [0.7]\n[time]\n"
      "step = 1e-3\nend = 40\n[checks]\nclosed_form = \"harmonic\"\n",
      tmp.path() / "out");
  ASSERT_EQ(r.record.status, "ok") << r.record.error;
  expect_all_passed(r.summary);
  const auto& o = r.summary["observables"];
  EXPECT_NEAR(o["hbar_used"].get<double>(), std::sqrt(2.0), 1e-15);
  EXPECT_TRUE(o["ground_state"]["converged"].get<bool>());
  EXPECT_NEAR(o["ground_state"]["energy"].get<double>(), std::sqrt(0.5), 1e-9);
}

TEST(QuantumExperiment, BoxedTermsTwoDimensional) {
  // K = 2 with the boxed terms: ħ′ = √(3/4); an isotropic coherent-state-like packet in
  // V = ½Mω²|q|²; per-axis observables under mean.q1, mean.q2.
  TempDir tmp;
  const Ran r = run_config(
      "experiment = \"quantum\"\n[trainable]\npotential = \"0.5*(q1^2 + q2^2)\"\n[quantum]\n"
      "boxed = true\n[initial]\ncentre = [1.0, -0.5]\nwidth = 0.6\nmomentum = [0.0, 0.4]\n"
      "[grid]\npoints = 48\nextent = 8.0\n[time]\nstep = 5e-3\nend = 1.0\nframes = 4\n"
      "[checks]\nclosed_form = \"harmonic\"\n",
      tmp.path() / "out");
  ASSERT_EQ(r.record.status, "ok") << r.record.error;
  expect_all_passed(r.summary);
  const auto& o = r.summary["observables"];
  EXPECT_NEAR(o["hbar_used"].get<double>(), std::sqrt(0.75), 1e-15);
  // ⟨q⟩ = c cos t + (P/M) sin t (M = 1) at t = 1.
  EXPECT_NEAR(o["mean"]["q1"].back().get<double>(), std::cos(1.0), 1e-4);
  EXPECT_NEAR(o["mean"]["q2"].back().get<double>(), -0.5 * std::cos(1.0) + 0.4 * std::sin(1.0),
              1e-4);
}

TEST(QuantumExperiment, BadInputIsLocated) {
  EXPECT_NE(prepare_error("experiment = \"quantum\"\n[trainable]\nmu_lagrange = -1.0\n")
                .find("cfg.toml:3:15: key 'trainable.mu_lagrange'"),
            std::string::npos);
  EXPECT_NE(prepare_error("experiment = \"quantum\"\n[trainable]\npotential = \"q1 +\"\n")
                .find("key 'trainable.potential'"),
            std::string::npos);
  EXPECT_NE(prepare_error("experiment = \"quantum\"\n[checks]\nclosed_form = \"free\"\n"
                          "[quantum]\nmode = \"ground_state\"\n")
                .find("a free packet has no ground state"),
            std::string::npos);
}

}  // namespace
