// The classical limit (paper Section 6, spec §5): the Cole–Hopf backward solver of (38) against
// closed forms, characteristics of both forms against closed forms, energy conservation, and
// 2-D / 3-D versions.
#include <gtest/gtest.h>

#include <cmath>
#include <numbers>
#include <random>

#include "nnworld/core/error.hpp"
#include "nnworld/core/expression.hpp"
#include "nnworld/core/fft.hpp"
#include "nnworld/trainable/hamilton_jacobi.hpp"

namespace nnworld::trainable {
namespace {

// ---- Cole–Hopf backward solve ------------------------------------------------------------------

// F(T) = a_T|q|²/2 + c_T, V = ω²|q|²/(4γ): the solution of (38) stays quadratic,
// F = a(t)|q|²/2 + c(t), with a′ = −2γa² − ω²/(2γ) (so a = −(ω/2γ) tan(ωt + c_a), a(T) = a_T) and
// c′ = −(γK/μ)a from the (γ/μ)∇²F term, i.e. c(t) = c_T − (K/2μ) log[cos(ωt + c_a)/cos(ωT + c_a)]
// (ω → 0: a = a_T/(1 + 2γa_T(t − T)), c = c_T − (K/2μ) log(1 + 2γa_T(t − T))). Written out here.
struct Quadratic {
  double a, c;
};
Quadratic exact(double a_t, double c_t, double t_end, double omega, int dims, double gamma,
                double mu, double t) {
  if (omega == 0.0) {
    const double x = 1.0 + 2.0 * gamma * a_t * (t - t_end);
    return {a_t / x, c_t - dims / (2.0 * mu) * std::log(x)};
  }
  const double ca = std::atan(-2.0 * gamma * a_t / omega) - omega * t_end;
  return {
      -(omega / (2.0 * gamma)) * std::tan(omega * t + ca),
      c_t - dims / (2.0 * mu) * std::log(std::cos(omega * t + ca) / std::cos(omega * t_end + ca))};
}

struct FieldError {
  double with_term = 0.0;     // max |F − (a|q|²/2 + c)| where φ/max φ > 1e-4
  double without_term = 0.0;  // the same against c ≡ c_T (the (γ/μ)∇²F term dropped)
};

FieldError backward_error(const core::Grid& g, double omega, double a_t, double t_end, double dt,
                          const Constants& c) {
  const core::Fft fft(g);
  const double c_t = 0.25;
  std::vector<double> v(static_cast<std::size_t>(g.size())), f_t(v.size()), r2(v.size());
  g.for_each([&](std::int64_t i, const core::Point& q) {
    r2[i] = q[0] * q[0] + q[1] * q[1] + q[2] * q[2];
    v[i] = omega * omega * r2[i] / (4.0 * c.gamma);
    f_t[i] = 0.5 * a_t * r2[i] + c_t;
  });
  const ColeHopfSolution sol =
      solve_hj_backward(fft, v, f_t, c, {.t_end = t_end, .dt = dt, .record_every = 10});
  EXPECT_DOUBLE_EQ(sol.time.front(), 0.0);
  EXPECT_DOUBLE_EQ(sol.time.back(), t_end);
  FieldError e;
  for (std::size_t r = 0; r < sol.time.size(); ++r) {
    const Quadratic x = exact(a_t, c_t, t_end, omega, g.dims, c.gamma, c.mu_lagrange, sol.time[r]);
    for (std::size_t i = 0; i < v.size(); ++i) {
      if (sol.phi_relative[r][i] < 1e-4) continue;
      const double quad = 0.5 * x.a * r2[i];
      e.with_term = std::max(e.with_term, std::abs(sol.free_energy[r][i] - (quad + x.c)));
      e.without_term = std::max(e.without_term, std::abs(sol.free_energy[r][i] - (quad + c_t)));
    }
  }
  return e;
}

TEST(ColeHopf, FreeCaseIsExact) {
  // V = 0: the heat factor is exact in Fourier space, so the only errors are rounding and the
  // Gaussian's periodic images (φ/max φ ≤ e^{−μ|a|L²/2} ≈ 1e-30 at the edge): 1e-10 (the F
  // error where φ/max φ > 1e-4 is ≤ ε·1e4/μ ≈ 1e-12).
  const Constants c{0.0, 0.5, 2.0};
  const core::Grid g = core::make_grid({128}, {8.0}, core::Boundary::periodic);
  const FieldError e = backward_error(g, 0.0, -3.0, 1.0, 0.05, c);
  EXPECT_LT(e.with_term, 1e-10);
  EXPECT_GT(e.without_term, 0.1);  // the (γ/μ)∇²F term shifts c(t) by (K/2μ) log 4 = 0.35
}

TEST(ColeHopf, HarmonicConvergesAtSecondOrder) {
  // V = ω²q²/(4γ): Strang splitting, error O(dt²). Parameters keep the backward problem well
  // conditioned (μ(V_max − V_min)T = 5.5, see cole_hopf_amplification) and φ decays to 1e-16
  // at the edge of [−4.3, 4.3). The observed error at dt = 1e-3 is 4.4e-7, and it falls 4× per
  // halving of dt: tolerance 1e-6 at dt = 1e-3, ratio in [3.5, 4.5] (second order).
  const Constants c{0.0, 0.5, 2.0};
  const core::Grid g = core::make_grid({128}, {4.3}, core::Boundary::periodic);
  const FieldError e1 = backward_error(g, 1.0, -6.1, 0.3, 1e-3, c);
  const FieldError e2 = backward_error(g, 1.0, -6.1, 0.3, 2e-3, c);
  EXPECT_LT(e1.with_term, 1e-6);
  const double ratio = e2.with_term / e1.with_term;
  EXPECT_GT(ratio, 3.5);
  EXPECT_LT(ratio, 4.5);
  EXPECT_GT(e1.without_term, 1e-2);
  std::vector<double> v(static_cast<std::size_t>(g.size()));
  g.for_each([&](std::int64_t i, const core::Point& q) { v[i] = q[0] * q[0] / 2.0; });
  EXPECT_NEAR(cole_hopf_amplification(v, c.mu_lagrange, 0.3), 2.0 * 4.3 * 4.3 / 2.0 * 0.3, 1e-12);
}

TEST(ColeHopf, Harmonic2D) {
  // The same problem on a 2-D grid: c(t) carries K = 2 (both axes' ∇²F). 96 points per axis
  // resolve e^{−6.1|q|²} (highest wavenumber 35: spectral tail e^{−35²/24} ≈ 1e-22). The
  // tolerance is that of the 1-D case (the error is the same per axis and adds up: 2×).
  const Constants c{0.0, 0.5, 2.0};
  const core::Grid g = core::make_grid({96, 96}, {4.3}, core::Boundary::periodic);
  const FieldError e = backward_error(g, 1.0, -6.1, 0.3, 1e-3, c);
  EXPECT_LT(e.with_term, 2e-6);
  EXPECT_GT(e.without_term, 2e-2);
}

TEST(ColeHopf, LibraryClosedFormMatches) {
  const Constants c{0.0, 0.7, 1.9};
  for (double omega : {0.0, 0.8}) {
    for (int k = 1; k <= 3; ++k) {
      for (double t : {0.0, 0.2, 0.5}) {
        const Quadratic x = exact(-2.0, 0.3, 0.5, omega, k, c.gamma, c.mu_lagrange, t);
        const QuadraticFreeEnergy y = harmonic_backward_free_energy(-2.0, 0.3, 0.5, omega, k, c, t);
        EXPECT_NEAR(y.curvature, x.a, 1e-13);
        EXPECT_NEAR(y.offset, x.c, 1e-13);
      }
    }
  }
}

TEST(ColeHopf, BadInput) {
  const core::Grid g = core::make_grid({16}, {1.0}, core::Boundary::periodic);
  const core::Fft fft(g);
  std::vector<double> v(16, 0.0), f(16, 0.0), short_f(8, 0.0);
  EXPECT_THROW((void)solve_hj_backward(fft, v, short_f, {0.0, 0.5, 2.0}, {}),
               std::invalid_argument);
  EXPECT_THROW((void)solve_hj_backward(fft, v, f, {0.0, 0.5, 0.0}, {}), std::invalid_argument);
  EXPECT_THROW((void)solve_hj_backward(fft, v, f, {0.0, 0.5, 2.0}, {.t_end = 1.0, .dt = 0.0}),
               std::invalid_argument);
}

// ---- characteristics
// -------------------------------------------------------------------------------

std::vector<CharacteristicState> packet(int dims, int n, double curvature, core::Point centre,
                                        core::Point momentum, std::uint64_t seed) {
  // F(0) = P₀·(q − c) + (κ/2)|q − c|²: P = P₀ + κ(q − c), A = κI.
  std::mt19937_64 rng(seed);
  std::normal_distribution<double> z(0.0, 0.2);
  std::vector<CharacteristicState> s(static_cast<std::size_t>(n));
  for (auto& x : s) {
    double f = 0.0;
    for (int a = 0; a < dims; ++a) {
      x.q[a] = centre[a] + z(rng);
      const double d = x.q[a] - centre[a];
      x.p[a] = momentum[a] + curvature * d;
      x.hessian[a * 3 + a] = curvature;
      f += momentum[a] * d + 0.5 * curvature * d * d;
    }
    x.free_energy = f;
  }
  return s;
}

TEST(Characteristics, HarmonicClosedFormAllDimensions) {
  // q(t) = q₀ cos ωt + (2γP₀/ω) sin ωt, P(t) = P₀ cos ωt − (ωq₀/2γ) sin ωt,
  // S(t) = S₀ + ½(q·P − q₀·P₀), a(t) = −(ω/2γ) tan(ωt + c) (written out here). RK4, dt = 1e-3,
  // T = 1 (a(t) has its pole at t = 1.48), ω = 1.3: global error ~ T ω (ω dt)⁴ |q| ≈ 4e-12;
  // tolerance 1e-10.
  const double gamma = 0.6, omega = 1.3, kappa = 0.4;
  const Constants c{0.0, gamma, 2.0};
  for (int dims = 1; dims <= 3; ++dims) {
    const auto s0 = packet(dims, 8, kappa, {0.5, -0.3, 0.2}, {0.2, 0.1, -0.4}, 1);
    const Characteristics ch = integrate_characteristics(
        harmonic_potential_fn(omega, gamma), s0, dims, c,
        {.form = Form::corrected, .dt = 1e-3, .t_end = 1.0, .record_every = 50});
    double err = 0.0, err_s = 0.0, err_a = 0.0, drift = 0.0;
    const double cph = std::atan(-2.0 * gamma * kappa / omega);
    for (std::size_t r = 0; r < ch.records(); ++r) {
      const double t = ch.time[r], co = std::cos(omega * t), si = std::sin(omega * t);
      for (std::int64_t i = 0; i < ch.particles; ++i) {
        const auto& x = s0[static_cast<std::size_t>(i)];
        double qp = 0.0, qp0 = 0.0;
        for (int a = 0; a < dims; ++a) {
          const double q = x.q[a] * co + 2.0 * gamma * x.p[a] / omega * si;
          const double p = x.p[a] * co - omega * x.q[a] / (2.0 * gamma) * si;
          err = std::max({err, std::abs(ch.q(r, i, a) - q), std::abs(ch.p(r, i, a) - p)});
          qp += q * p;
          qp0 += x.q[a] * x.p[a];
          err_a = std::max(err_a, std::abs(ch.a(r, i, a, a) -
                                           (-(omega / (2.0 * gamma)) * std::tan(omega * t + cph))));
        }
        err_s = std::max(err_s, std::abs(ch.s(r, i) - (x.free_energy + 0.5 * (qp - qp0))));
        drift = std::max(drift, std::abs(ch.h(r, i) - ch.h(0, i)));
        // The library's closed form agrees with the one written here.
        const CharacteristicState y = harmonic_characteristic(x, dims, omega, gamma, t);
        for (int a = 0; a < dims; ++a) EXPECT_NEAR(y.q[a], ch.q(r, i, a), 1e-10);
        EXPECT_NEAR(y.free_energy, ch.s(r, i), 1e-10);
      }
    }
    EXPECT_LT(err, 1e-10) << "K=" << dims;
    EXPECT_LT(err_s, 1e-10) << "K=" << dims;
    EXPECT_LT(err_a, 1e-10) << "K=" << dims;
    // H = V + γ|P|²: RK4 on a linear oscillator loses (ω dt)⁶/72 per step: ≈ 1e-16 here, so
    // rounding (~1e-15) dominates; tolerance 1e-12.
    EXPECT_LT(drift, 1e-12) << "K=" << dims;
    EXPECT_LT(ch.newton_residual_corrected, 1e-6);  // second differences, as in T6.2
    EXPECT_TRUE(std::isnan(ch.caustic_time));
  }
}

TEST(Characteristics, PaperFormFollowsTheField) {
  // Printed form q̇ = γ∇F in the exact field F = a|q|²/2 + b·q + const of (38) without ∇²F:
  // a(t) as above, b(t) = b₀ cos c / cos(ωt + c) (from b′ = −2γab). Along the path P must equal
  // a(t)q + b(t); with b₀ = 0, q(t) = q₀ [cos(ωt + c)/cos c]^{1/2} (spec T6.2, per axis).
  const double gamma = 0.5, omega = 1.0, kappa = 0.3;
  const Constants c{0.0, gamma, 2.0};
  const double cph = std::atan(-2.0 * gamma * kappa / omega);
  auto a_of = [&](double t) { return -(omega / (2.0 * gamma)) * std::tan(omega * t + cph); };
  // b₀ = P₀ − κ·centre ≠ 0.
  const auto s0 = packet(2, 6, kappa, {0.5, -0.3, 0.0}, {0.2, 0.1, 0.0}, 2);
  const Characteristics ch =
      integrate_characteristics(harmonic_potential_fn(omega, gamma), s0, 2, c,
                                {.form = Form::paper, .dt = 1e-3, .t_end = 1.0});
  double err = 0.0;
  for (std::size_t r = 0; r < ch.records(); r += 10) {
    const double t = ch.time[r];
    for (std::int64_t i = 0; i < ch.particles; ++i) {
      for (int a = 0; a < 2; ++a) {
        const double b0 = (a == 0 ? 0.2 - kappa * 0.5 : 0.1 + kappa * 0.3);
        const double b = b0 * std::cos(cph) / std::cos(omega * t + cph);
        err = std::max(err, std::abs(ch.p(r, i, a) - (a_of(t) * ch.q(r, i, a) + b)));
      }
    }
  }
  EXPECT_LT(err, 1e-10);  // RK4 error as in T6.2
  // Newton's law q̈ = −γ∇V fails by γ²|A P| (≈ 0.25·0.3·0.4 here): far above 1e-6.
  EXPECT_GT(ch.newton_residual_paper, 1e-2);
  // b₀ = 0: the closed form of spec T6.2 in 2-D.
  const auto s1 = packet(2, 6, kappa, {0.0, 0.0, 0.0}, {0.0, 0.0, 0.0}, 3);
  const Characteristics p1 =
      integrate_characteristics(harmonic_potential_fn(omega, gamma), s1, 2, c,
                                {.form = Form::paper, .dt = 1e-3, .t_end = 1.0});
  double err1 = 0.0;
  for (std::size_t r = 0; r < p1.records(); ++r) {
    for (std::int64_t i = 0; i < p1.particles; ++i) {
      for (int a = 0; a < 2; ++a) {
        const double q0 = s1[static_cast<std::size_t>(i)].q[a];
        err1 = std::max(err1, std::abs(p1.q(r, i, a) - paper_harmonic_position(q0, kappa, omega,
                                                                               gamma, p1.time[r])));
        EXPECT_NEAR(paper_harmonic_position(q0, kappa, omega, gamma, p1.time[r]),
                    q0 * std::sqrt(std::cos(omega * p1.time[r] + cph) / std::cos(cph)), 1e-14);
      }
    }
  }
  EXPECT_LT(err1, 1e-10);
  // The same initial data under the corrected form obeys q̈ = −2γ∇V.
  const Characteristics c1 =
      integrate_characteristics(harmonic_potential_fn(omega, gamma), s1, 2, c,
                                {.form = Form::corrected, .dt = 1e-3, .t_end = 1.0});
  EXPECT_LT(c1.newton_residual_corrected, 1e-6);
  EXPECT_GT(c1.newton_residual_paper, 0.1);  // and not q̈ = −γ∇V: half the force is missing
}

TEST(Characteristics, EnergyConservedInAnharmonicPotential) {
  // V = q1⁴/4 + q2²/2 + q1q2/10 (expression, numerical derivatives). H = V + γ|P|² is an exact
  // invariant of the corrected form; RK4's energy error is O(T ω (ω dt)⁴) with ω ≲ 2 here:
  // ≈ 3e-12 for dt = 1e-3, T = 2; the 4th-order gradient has error ~ε|V|/h ≈ 1e-13.
  // Tolerance 1e-10 (relative to H).
  const double gamma = 0.7;
  const Constants c{0.0, gamma, 1.0};
  const core::Expression v("0.25*q1^4 + 0.5*q2^2 + 0.1*q1*q2", {"q1", "q2"});
  const auto s0 = packet(2, 10, -0.2, {0.8, -0.4, 0.0}, {0.3, 0.5, 0.0}, 4);
  const Characteristics ch = integrate_characteristics(
      expression_potential_fn(v, 2), s0, 2, c,
      {.form = Form::corrected, .dt = 1e-3, .t_end = 2.0, .record_every = 20});
  double drift = 0.0;
  for (std::size_t r = 0; r < ch.records(); ++r) {
    for (std::int64_t i = 0; i < ch.particles; ++i) {
      drift = std::max(drift, std::abs(ch.h(r, i) - ch.h(0, i)) / std::abs(ch.h(0, i)));
    }
  }
  EXPECT_LT(drift, 1e-10);
  // The paper form's H(q, P) is not conserved (its P feels −γAP besides −∇V). Its velocity
  // needs ∇∇F, whose Riccati equation Ȧ = −∇∇V − 2γA² focuses: start with A = I so that the
  // caustic (t ≈ 1.4 for ∂²V/∂q1² ≈ 2) lies beyond T = 1.
  const auto s1 = packet(2, 10, 1.0, {0.8, -0.4, 0.0}, {0.3, 0.5, 0.0}, 4);
  const Characteristics pp = integrate_characteristics(
      expression_potential_fn(v, 2), s1, 2, c,
      {.form = Form::paper, .dt = 1e-3, .t_end = 1.0, .record_every = 20});
  double pdrift = 0.0;
  for (std::size_t r = 0; r < pp.records(); ++r) {
    for (std::int64_t i = 0; i < pp.particles; ++i) {
      pdrift = std::max(pdrift, std::abs(pp.h(r, i) - pp.h(0, i)) / std::abs(pp.h(0, i)));
    }
  }
  EXPECT_GT(pdrift, 1e-3);
}

TEST(Characteristics, ExpressionPotentialMatchesHarmonic) {
  // The numerical jet of an expression against the exact one: the 4th-order differences are
  // exact for a quadratic up to rounding, ε|V|/h ≈ 1e-13 (gradient), ε|V|/h² ≈ 1e-11 (Hessian).
  const double omega = 1.3, gamma = 0.6;
  const core::Expression v("1.3^2*(q1^2 + q2^2 + q3^2)/(4*0.6)", {"q1", "q2", "q3"});
  const PotentialFn e = expression_potential_fn(v, 3);
  const PotentialFn h = harmonic_potential_fn(omega, gamma);
  for (const core::Point q : {core::Point{0.3, -1.2, 0.7}, core::Point{2.0, 0.1, -0.5}}) {
    const PotentialJet a = e(q, 2), b = h(q, 2);
    EXPECT_NEAR(a.value, b.value, 1e-13);
    for (int i = 0; i < 3; ++i) {
      EXPECT_NEAR(a.gradient[i], b.gradient[i], 1e-10);
      for (int j = 0; j < 3; ++j) EXPECT_NEAR(a.hessian[i * 3 + j], b.hessian[i * 3 + j], 1e-8);
    }
  }
}

TEST(Characteristics, CausticStopsTheHessianNotThePaths) {
  // a(0) = −3, γ = 0.5, ω = 1: a(t) = −tan(t + c), tan c = 3 → pole at t = π/2 − atan 3 =
  // 0.3218 (characteristics focus). q, P, S of the corrected form stay exact; the paper form's
  // velocity needs ∇∇F there and the run diverges.
  const double gamma = 0.5, omega = 1.0;
  const Constants c{0.0, gamma, 2.0};
  CharacteristicState s;
  s.q[0] = 1.0;
  s.p[0] = -3.0;
  s.hessian[0] = -3.0;
  const Characteristics ch =
      integrate_characteristics(harmonic_potential_fn(omega, gamma), {&s, 1}, 1, c,
                                {.form = Form::corrected, .dt = 1e-3, .t_end = 0.6});
  const double pole = std::numbers::pi / 2.0 - std::atan(3.0);
  EXPECT_GT(ch.caustic_time, pole - 0.01);
  EXPECT_LT(ch.caustic_time, pole + 0.01);
  EXPECT_TRUE(std::isnan(ch.a(ch.records() - 1, 0, 0, 0)));
  const CharacteristicState y = harmonic_characteristic(s, 1, omega, gamma, 0.6);
  EXPECT_NEAR(ch.q(ch.records() - 1, 0, 0), y.q[0], 1e-10);
  EXPECT_NEAR(ch.p(ch.records() - 1, 0, 0), y.p[0], 1e-10);
  EXPECT_THROW((void)integrate_characteristics(harmonic_potential_fn(omega, gamma), {&s, 1}, 1, c,
                                               {.form = Form::paper, .dt = 1e-3, .t_end = 0.6}),
               Divergence);
}

TEST(Characteristics, BadInput) {
  CharacteristicState s;
  const auto v = harmonic_potential_fn(1.0, 0.5);
  EXPECT_THROW((void)integrate_characteristics(v, {&s, 1}, 4, {0.0, 0.5, 2.0}, {}),
               std::invalid_argument);
  EXPECT_THROW((void)integrate_characteristics(v, {&s, 1}, 1, {0.0, 0.0, 2.0}, {}),
               std::invalid_argument);
  EXPECT_THROW((void)integrate_characteristics(v, {&s, 1}, 1, {0.0, 0.5, 2.0}, {.dt = -1.0}),
               std::invalid_argument);
}

}  // namespace
}  // namespace nnworld::trainable
