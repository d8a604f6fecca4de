// Spec T5.6: the well-posedness map of the full system (32)–(33). With D = 0.25 (μ = 1):
// γ/μ = 0.1 is quantum (oscillatory), 1.0 classical (marginal), 1.5 Euclidean (growing).
//
// A direct forward solver of (32), (30)/μ (MadelungSolver with the boxed terms; 4th-order FD,
// RK4, dt = 1e-3) on 16 points of [−π, π), linearised about p = 1, F = 0: a mode
// (ε, φ) cos(kq) obeys d/dt(ε, φ) = K²[[−a, 2γ], [−2D/μ, a]](ε, φ), a = γ/μ, where K² is the
// symbol of the 4th-order Laplacian stencil, K² = (30 − 32 cos kh + 2 cos 2kh)/(12h²) = k²(1 +
// O(h⁴)). Its eigenvalues are ±K²√(a(a − 4D)) (spec: s = ±k²√(a(a − 4D))). Starting on the
// growing eigenvector with amplitude 1e-6, the measured growth rate of the mode must equal
// K²√(a(a − 4D)) to 1e-6 (RK4 error ~(s dt)⁴/120 per step; nonlinear terms ~ amplitude
// 1e-6), and k²√(a(a − 4D)) to the stencil's O((kh)⁴) (≤ 3% for k = 3, h = 0.39). Run on, the
// Euclidean case blows up (rounding noise in the fastest grid mode grows like e^{30t}), the
// quantum case stays bounded.
#include <gtest/gtest.h>

#include <cmath>
#include <numbers>

#include "nnworld/core/error.hpp"
#include "nnworld/trainable/madelung.hpp"

namespace nnworld::trainable {
namespace {

constexpr double kPi = std::numbers::pi;

struct ModeRun {
  core::Grid g = core::make_grid({16}, {kPi}, core::Boundary::periodic);
  Constants c;
  int k = 1;
  [[nodiscard]] double symbol() const {
    const double h = g.spacing(0);
    return (30 - 32 * std::cos(k * h) + 2 * std::cos(2 * k * h)) / (12 * h * h);
  }
  // Projection of f on cos(kq): (2/N) Σ f_i cos(k q_i).
  [[nodiscard]] double amplitude(const std::vector<double>& f) const {
    double s = 0.0;
    for (std::int64_t i = 0; i < g.size(); ++i) s += f[i] * std::cos(k * g.coordinate(0, i));
    return 2.0 * s / static_cast<double>(g.size());
  }
  [[nodiscard]] MadelungState start(double eps, double phi) const {
    std::vector<double> p(g.size()), f(g.size());
    for (std::int64_t i = 0; i < g.size(); ++i) {
      const double cq = std::cos(k * g.coordinate(0, i));
      p[i] = std::exp(eps * cq);
      f[i] = phi * cq;
    }
    const MadelungSolver s(g, c, {}, true, Edge::periodic);
    return s.initial(p, f);
  }
};

TEST(T5_6_RegimeMap, Classification) {
  EXPECT_EQ(regime(Constants{0.25, 0.1, 1.0}), Regime::quantum);
  EXPECT_EQ(regime(Constants{0.25, 1.0, 1.0}), Regime::classical);
  EXPECT_EQ(regime(Constants{0.25, 1.5, 1.0}), Regime::euclidean);
  EXPECT_EQ(regime(Constants{0.25, -0.5, 1.0}), Regime::euclidean);  // γ/μ < 0
  // Only the quantum regime has a unitary map; the others are refused.
  EXPECT_NO_THROW((void)quantum_map(Constants{0.25, 0.1, 1.0}, Form::corrected, true));
  EXPECT_THROW((void)quantum_map(Constants{0.25, 1.0, 1.0}, Form::corrected, true), Error);
  EXPECT_THROW((void)quantum_map(Constants{0.25, 1.5, 1.0}, Form::corrected, true), Error);
}

TEST(T5_6_RegimeMap, EuclideanGrowthRateAndBlowUp) {
  const double d = 0.25, a = 1.5;
  for (const int k : {1, 2, 3}) {
    ModeRun run;
    run.c = Constants{d, a, 1.0};  // μ = 1, γ = a
    run.k = k;
    const double kk = run.symbol();
    const double s = kk * std::sqrt(a * (a - 4 * d));
    const double eps = 1e-6;
    const double phi = (a * kk + s) / (2 * run.c.gamma * kk) * eps;  // growing eigenvector
    MadelungState st = run.start(eps, phi);
    const MadelungSolver solver(run.g, run.c, {}, true, Edge::periodic);
    const double dt = 1e-3;
    // The window [0.2, 1]/k² keeps the amplitude below e^{0.87}·1e-6 (linear regime).
    solver.evolve(st, dt, 200 / (k * k));
    const double a1 = run.amplitude(st.log_p), t1 = st.time;
    solver.evolve(st, dt, 800 / (k * k));
    const double a2 = run.amplitude(st.log_p), t2 = st.time;
    const double rate = std::log(a2 / a1) / (t2 - t1);
    const double continuum = k * k * std::sqrt(a * (a - 4 * d));
    EXPECT_LT(std::abs(rate / s - 1), 1e-6) << "k = " << k;
    EXPECT_LT(std::abs(rate / continuum - 1), 0.03) << "k = " << k;
    std::printf(
        "T5.6 Euclidean k = %d: growth rate %.8f, K²√(a(a−4D)) = %.8f, k²√(a(a−4D)) = %.8f\n", k,
        rate, s, continuum);
  }
  // Run on, the forward problem blows up: the solver meets a non-finite value before t = 10.
  ModeRun run;
  run.c = Constants{d, a, 1.0};
  MadelungState st = run.start(1e-6, 0.0);
  const MadelungSolver solver(run.g, run.c, {}, true, Edge::periodic);
  EXPECT_THROW(solver.evolve(st, 1e-3, 10000), Divergence);
  std::printf("T5.6 Euclidean: non-finite at t = %.3f\n", st.time);
}

TEST(T5_6_RegimeMap, QuantumOscillatesAndClassicalIsMarginal) {
  const double d = 0.25, eps = 1e-6, phi = 3e-7;
  for (const double a : {0.1, 1.0}) {
    ModeRun run;
    run.c = Constants{d, a, 1.0};
    const double kk = run.symbol();
    MadelungState st = run.start(eps, phi);
    const MadelungSolver solver(run.g, run.c, {}, true, Edge::periodic);
    solver.evolve(st, 1e-3, 1000);
    // exp(tM), M = K²[[−a, 2γ], [−2D/μ, a]], M² = K⁴a(a − 4D) I: cos/sin for a < 4D, I + tM
    // for a = 4D (nilpotent: polynomial, not exponential, growth).
    const double t = st.time, disc = a * (a - 4 * d);
    const double m11 = -a * kk, m12 = 2 * a * kk, m21 = -2 * d * kk, m22 = a * kk;
    double c0 = 1.0, c1 = t;
    if (disc < 0) {
      const double w = kk * std::sqrt(-disc);
      c0 = std::cos(w * t);
      c1 = std::sin(w * t) / w;
    }
    const double e_exact = c0 * eps + c1 * (m11 * eps + m12 * phi);
    const double f_exact = c0 * phi + c1 * (m21 * eps + m22 * phi);
    // Linear theory up to the quadratic terms (~amplitude² = 1e-12) and RK4 error.
    EXPECT_NEAR(run.amplitude(st.log_p), e_exact, 1e-6 * eps) << "a = " << a;
    EXPECT_NEAR(run.amplitude(st.F), f_exact, 1e-6 * eps) << "a = " << a;
    if (a < 4 * d) {
      // Bounded for a long time: the oscillation amplitude of ε is at most ~|ε| + |M12 φ|/ω.
      solver.evolve(st, 1e-3, 9000);
      double mx = 0.0;
      for (double v : st.log_p) mx = std::max(mx, std::abs(v));
      EXPECT_LT(mx, 5 * eps) << "a = " << a;
    }
  }
}

}  // namespace
}  // namespace nnworld::trainable
