// The adaptive Dormand–Prince 5(4) geodesic integrator against independent references:
//   * the Kerr equatorial prograde circular orbit Ω = √M/(r^{3/2} + a√M) (Bardeen, Press &
//     Teukolsky 1972, Eq. 2.16);
//   * the radial period and periapsis advance of an eccentric Schwarzschild orbit against a
//     quadrature of (dr/dτ)² = E² − (1 − 2M/r)(1 + L²/r²) written here independently of the
//     library (trapezoid rule in χ, r = (r₁+r₂)/2 − (r₂−r₁)/2·cos χ: the integrand is smooth,
//     even and 2π-periodic in χ, so the rule converges geometrically), with the turning points
//     r₁,₂ = p/(1 ± e) and E, L of the (p, e) parametrisation (Cutler, Kennefick & Poisson 1994);
//   * error ∝ tolerance: tightening rtol by 100 reduces the period error by ≥ 30;
//   * dense output, step rejection, the min-step guard and bad setups.
#include <gtest/gtest.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <numbers>

#include "nnworld/core/error.hpp"
#include "nnworld/geometry/geodesic.hpp"

namespace nnworld::geometry {
namespace {

const double half_pi = std::numbers::pi / 2.0;

Vector vec(std::initializer_list<double> v) {
  Vector out(static_cast<Eigen::Index>(v.size()));
  Eigen::Index i = 0;
  for (double e : v) out(i++) = e;
  return out;
}

// A bound Schwarzschild orbit (M = 1) of semi-latus rectum p and eccentricity e:
//   E² = (p − 2 − 2e)(p − 2 + 2e) / (p(p − 3 − e²)),  L² = p² / (p − 3 − e²),
//   r₁ = p/(1 + e) (periapsis), r₂ = p/(1 − e) (apoapsis).
struct PeOrbit {
  double p, e, energy, angular, r1, r2;
};
PeOrbit pe_orbit(double p, double e) {
  PeOrbit o{p, e, 0.0, 0.0, p / (1.0 + e), p / (1.0 - e)};
  o.energy = std::sqrt((p - 2.0 - 2.0 * e) * (p - 2.0 + 2.0 * e) / (p * (p - 3.0 - e * e)));
  o.angular = p / std::sqrt(p - 3.0 - e * e);
  return o;
}

// Independent quadrature (trapezoid in χ over [0, π] with nodes at both ends, weights halved):
// with r³R = (1 − E²)(r₂ − r)(r − r₁)(r − r₃), r₃ = 2ML²/((1 − E²) r₁ r₂) from the product of
// the roots, dr/√R = √(r³/((1 − E²)(r − r₃))) dχ.
struct Periods {
  double proper, coordinate, azimuth;
};
Periods trapezoid_periods(const PeOrbit& o, int nodes) {
  const double one_e2 = 1.0 - o.energy * o.energy;
  const double r3 = 2.0 * o.angular * o.angular / (one_e2 * o.r1 * o.r2);
  Periods out{0.0, 0.0, 0.0};
  for (int k = 0; k <= nodes; ++k) {
    const double chi = std::numbers::pi * k / nodes;
    const double w = (k == 0 || k == nodes ? 0.5 : 1.0) * std::numbers::pi / nodes;
    const double r = 0.5 * (o.r1 + o.r2) - 0.5 * (o.r2 - o.r1) * std::cos(chi);
    const double j = std::sqrt(r * r * r / (one_e2 * (r - r3)));
    out.proper += 2.0 * w * j;
    out.coordinate += 2.0 * w * j * o.energy / (1.0 - 2.0 / r);
    out.azimuth += 2.0 * w * j * o.angular / (r * r);
  }
  return out;
}

GeodesicSetup periapsis_start(const PeOrbit& o) {
  GeodesicSetup s;
  const double f = 1.0 - 2.0 / o.r1;
  s.x0 = vec({0.0, o.r1, half_pi, 0.0});
  s.u0 = vec({o.energy / f, 0.0, 0.0, o.angular / (o.r1 * o.r1)});
  s.method = GeodesicMethod::dopri5;
  s.turning_coordinate = 1;
  s.steps = 200000;
  s.step = 1.0;
  return s;
}

TEST(GeodesicQuadrature, LibraryQuadratureMatchesIndependentRuleAndCircularLimit) {
  const PeOrbit o = pe_orbit(12.0, 0.4);
  const RadialOrbit q = schwarzschild_radial_orbit(1.0, o.energy, o.angular);
  const Periods t = trapezoid_periods(o, 128);
  std::printf(
      "[ measured ] p=12 e=0.4: r1 %.15f (ref %.15f), r2 %.15f (ref %.15f); T_tau %.15g "
      "(trapezoid %.15g), T_t %.15g (%.15g), dphi %.15g (%.15g)\n",
      q.r1, o.r1, q.r2, o.r2, q.proper_period, t.proper, q.coordinate_period, t.coordinate,
      q.azimuth_per_period, t.azimuth);
  // Roots: the trigonometric cubic solution polished by Newton is accurate to a few ulps of r.
  EXPECT_NEAR(q.r1, o.r1, 1e-12);
  EXPECT_NEAR(q.r2, o.r2, 1e-12);
  // Two spectrally convergent rules on an analytic integrand agree to rounding (~1e-15
  // relative per node sum); 1e-13 leaves room for the roots' error propagated through j.
  EXPECT_NEAR(q.proper_period / t.proper, 1.0, 1e-13);
  EXPECT_NEAR(q.coordinate_period / t.coordinate, 1.0, 1e-13);
  EXPECT_NEAR(q.azimuth_per_period / t.azimuth, 1.0, 1e-13);
  // Near-circular limit (e → 0): Δφ → 2π/√(1 − 6M/r) (the epicyclic frequency
  // κ² = Ω²(1 − 6M/r)); the correction is O(e²), here e = 1e-4, so 1e-7 relative.
  const PeOrbit c = pe_orbit(10.0, 1e-4);
  const RadialOrbit qc = schwarzschild_radial_orbit(1.0, c.energy, c.angular);
  const double ref = 2.0 * std::numbers::pi / std::sqrt(1.0 - 0.6);
  std::printf("[ measured ] near-circular r=10M: dphi %.12f, 2pi/sqrt(1-6M/r) %.12f\n",
              qc.azimuth_per_period, ref);
  EXPECT_NEAR(qc.azimuth_per_period / ref, 1.0, 1e-7);
  EXPECT_THROW((void)schwarzschild_radial_orbit(1.0, 1.01, 4.0), Error);  // unbound
  EXPECT_THROW((void)schwarzschild_radial_orbit(1.0, 0.97, 3.0), Error);  // plunges
}

// Period and periapsis advance after three radial periods, relative errors.
struct PeriodErrors {
  double proper, coordinate, azimuth;
  long accepted, rejected;
};
PeriodErrors period_errors(const PeOrbit& o, double rtol) {
  const Periods ref = trapezoid_periods(o, 128);
  GeodesicSetup s = periapsis_start(o);
  s.rtol = rtol;
  s.atol = 1e-3 * rtol;
  s.tau_end = 3.2 * ref.proper;
  const Geodesic g = integrate_geodesic(Metric::schwarzschild(1.0), s);
  std::vector<TurningPoint> peri;
  for (const auto& tp : g.turning_points)
    if (!tp.maximum) peri.push_back(tp);
  EXPECT_EQ(peri.size(), 3u);
  EXPECT_EQ(g.turning_points.size(), 6u);
  if (peri.size() < 3) return {1.0, 1.0, 1.0, 0, 0};
  const TurningPoint& p3 = peri[2];
  EXPECT_NEAR(p3.x(1), o.r1, 1e-4);
  return {std::abs(p3.tau / 3.0 - ref.proper) / ref.proper,
          std::abs(p3.x(0) / 3.0 - ref.coordinate) / ref.coordinate,
          std::abs(p3.x(3) / 3.0 - ref.azimuth) / ref.azimuth, g.accepted_steps, g.rejected_steps};
}

TEST(GeodesicDopri5, EccentricPeriodAndPeriapsisAdvanceMatchQuadrature) {
  const auto t0 = std::chrono::steady_clock::now();
  const PeOrbit o = pe_orbit(12.0, 0.4);
  const PeriodErrors loose = period_errors(o, 1e-7);
  const PeriodErrors tight = period_errors(o, 1e-9);
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  std::printf(
      "[ measured ] p=12 e=0.4, 3 radial periods: rtol 1e-7: T_tau %.2e T_t %.2e dphi %.2e "
      "(%ld acc, %ld rej); rtol 1e-9: %.2e %.2e %.2e (%ld acc, %ld rej); %.2f s\n",
      loose.proper, loose.coordinate, loose.azimuth, loose.accepted, loose.rejected, tight.proper,
      tight.coordinate, tight.azimuth, tight.accepted, tight.rejected, secs);
  // Error ∝ tolerance. A bound from rtol: the controller keeps each step's local error below
  // √(2n)·rtol·|y| (RMS ≤ 1 over 2n = 8 components); a period is a ratio of coordinates over
  // N accepted steps, so |error| ≤ N·√8·rtol·(relative sensitivity O(1)) in the worst case of
  // no cancellation. With N ≈ 100–500 that is < 2e3·rtol; we require the much stricter 100·rtol
  // (local extrapolation: the propagated 5th-order solution is more accurate than the 4th-order
  // estimate that the controller bounds).
  EXPECT_LT(loose.proper, 100 * 1e-7);
  EXPECT_LT(loose.coordinate, 100 * 1e-7);
  EXPECT_LT(loose.azimuth, 100 * 1e-7);
  EXPECT_LT(tight.proper, 100 * 1e-9);
  EXPECT_LT(tight.coordinate, 100 * 1e-9);
  EXPECT_LT(tight.azimuth, 100 * 1e-9);
  // Convergence: tolerance proportionality (global error ∝ tol for error-per-step control
  // with local extrapolation) gives 100; ≥ 30 allows tol^{5/6}-like behaviour (100^{5/6} = 46).
  EXPECT_GT(loose.coordinate / tight.coordinate, 30.0);
  EXPECT_GT(loose.azimuth / tight.azimuth, 30.0);
  EXPECT_GT(loose.proper / tight.proper, 30.0);
  // The periapsis advance itself is large: Δφ − 2π ≈ 6πM/p (+ O(M²/p²)) ≈ 1.6 rad at p = 12.
  const Periods ref = trapezoid_periods(o, 128);
  EXPECT_GT(ref.azimuth - 2.0 * std::numbers::pi, 6.0 * std::numbers::pi / 12.0);
}

TEST(GeodesicDopri5, KerrEquatorialPrograde_CircularOrbitFrequency) {
  // Kerr M = 1, a = 0.9, r = 8 (outside the prograde ISCO ≈ 2.32M): u^φ = Ω u^t with
  // Ω = √M/(r^{3/2} + a√M), u^t from g(u,u) = −1. If Ω were wrong, a^r ≠ 0 and r oscillates
  // with amplitude ~ r·δΩ/Ω (the control below: Ω of Schwarzschild, 4 % off, moves r by > 0.1).
  const double M = 1.0, a = 0.9, r = 8.0;
  const Metric kerr = Metric::kerr(M, a);
  auto start = [&](double omega) {
    GeodesicSetup s;
    s.x0 = vec({0.0, r, half_pi, 0.0});
    const Matrix g = kerr(std::span<const double>(s.x0.data(), 4));
    const double ut = 1.0 / std::sqrt(-(g(0, 0) + 2.0 * g(0, 3) * omega + g(3, 3) * omega * omega));
    s.u0 = vec({ut, 0.0, 0.0, omega * ut});
    s.method = GeodesicMethod::dopri5;
    s.rtol = 1e-11;
    s.atol = 1e-13;
    s.tau_end = 3.0 * 2.0 * std::numbers::pi / omega / ut;  // three orbits
    s.steps = 100000;
    return s;
  };
  const double omega = std::sqrt(M) / (std::pow(r, 1.5) + a * std::sqrt(M));
  const Geodesic g = integrate_geodesic(kerr, start(omega));
  double dr = 0.0;
  for (const auto& p : g.points) dr = std::max(dr, std::abs(p.x(1) - r));
  const GeodesicPoint& last = g.points.back();
  const double measured = last.x(3) / last.x(0);
  std::printf(
      "[ measured ] Kerr a=0.9 r=8M prograde: max|r-r0| %.2e, dphi/dt %.14f (Bardeen %.14f, "
      "rel err %.2e), |u.u+1| %.2e, %ld steps\n",
      dr, measured, omega, std::abs(measured / omega - 1.0), g.max_norm_drift, g.accepted_steps);
  // rtol = 1e-11: local errors ≤ √8·1e-11 relative per step; over N ≈ 100–300 steps the
  // worst-case accumulation is < 1e-8 relative (r = 8: |Δr| < 1e-7); the phase is a ratio of
  // accumulated t and φ: < 1e-8 relative. Γ's finite-difference error (~1e-12) is below both.
  EXPECT_LT(dr, 1e-7);
  EXPECT_LT(std::abs(measured / omega - 1.0), 1e-8);
  EXPECT_LT(g.max_norm_drift, 1e-8);
  const Geodesic wrong = integrate_geodesic(kerr, start(std::sqrt(M / (r * r * r))));
  double dw = 0.0;
  for (const auto& p : wrong.points) dw = std::max(dw, std::abs(p.x(1) - r));
  std::printf("[ measured ] control with Schwarzschild's Omega: max|r-r0| %.3f\n", dw);
  EXPECT_GT(dw, 0.1);
}

TEST(GeodesicDopri5, RecordsAtEvenIntervalsAndDenseOutputIsAccurate) {
  // Minkowski: straight lines x(τ) = x0 + u0 τ, exact at every order: recorded samples at
  // τ = k·0.25 must be on the line to rounding.
  GeodesicSetup s;
  s.x0 = vec({0.0, 1.0, 2.0, 3.0});
  s.u0 = vec({std::sqrt(1.0 + 0.09 + 0.04 + 0.01), 0.3, -0.2, 0.1});
  s.method = GeodesicMethod::dopri5;
  s.tau_end = 10.0;
  s.record_interval = 0.25;
  const Geodesic g = integrate_geodesic(Metric::minkowski(4), s);
  ASSERT_EQ(g.points.size(), 41u);
  for (std::size_t k = 0; k < g.points.size(); ++k) {
    const auto& p = g.points[k];
    EXPECT_DOUBLE_EQ(p.tau, 0.25 * static_cast<double>(k));
    EXPECT_LT((p.x - (s.x0 + s.u0 * p.tau)).cwiseAbs().maxCoeff(), 1e-12);
  }
  // Schwarzschild eccentric orbit: a dense sample between steps agrees with an integration
  // that ends exactly there (both carry errors ~ rtol·|y|: 1e-10 relative at rtol 1e-12).
  const PeOrbit o = pe_orbit(12.0, 0.4);
  GeodesicSetup e = periapsis_start(o);
  e.rtol = 1e-12;
  e.atol = 1e-15;
  e.tau_end = 200.0;
  e.record_interval = 200.0 / 7.0;  // never on a step boundary in practice
  const Geodesic d = integrate_geodesic(Metric::schwarzschild(1.0), e);
  ASSERT_EQ(d.points.size(), 8u);
  GeodesicSetup direct = e;
  direct.tau_end = 3.0 * 200.0 / 7.0;
  direct.record_interval = 0.0;
  const Geodesic dd = integrate_geodesic(Metric::schwarzschild(1.0), direct);
  const Vector diff = d.points[3].x - dd.points.back().x;
  std::printf("[ measured ] dense output vs direct end at tau=%.4f: max|dx| %.2e (r %.6f)\n",
              direct.tau_end, diff.cwiseAbs().maxCoeff(), dd.points.back().x(1));
  EXPECT_LT(diff.cwiseAbs().maxCoeff(), 1e-8);
  EXPECT_GT(d.rejected_steps + d.accepted_steps, 0);
}

TEST(GeodesicDopri5, RejectsStepsAndStopsAtTheSingularityWithAClearError) {
  // Radial infall from r = 10M at rest: u^t diverges at the horizon in Schwarzschild
  // coordinates, so the step shrinks until the min-step guard fires, naming τ and the point.
  GeodesicSetup s;
  s.x0 = vec({0.0, 10.0, half_pi, 0.0});
  s.u0 = vec({1.0 / std::sqrt(0.8), 0.0, 0.0, 0.0});
  s.method = GeodesicMethod::dopri5;
  s.tau_end = 100.0;  // proper infall time to r = 0 is π·(10/2)^{3/2}·… ≈ 35
  s.step = 5.0;
  try {
    (void)integrate_geodesic(Metric::schwarzschild(1.0), s);
    ADD_FAILURE() << "no error";
  } catch (const Error& e) {
    const std::string m = e.message();
    std::printf("[ measured ] infall: %s\n", m.c_str());
    EXPECT_NE(m.find("below min_step"), std::string::npos) << m;
    EXPECT_NE(m.find("r="), std::string::npos) << m;
  }
  // A step budget that runs out.
  s.steps = 5;
  EXPECT_THROW((void)integrate_geodesic(Metric::schwarzschild(1.0), s), Error);
  // Bad setups.
  GeodesicSetup b = periapsis_start(pe_orbit(12.0, 0.4));
  b.tau_end = 10.0;
  b.rtol = 0.0;
  EXPECT_THROW((void)integrate_geodesic(Metric::schwarzschild(1.0), b), Error);
  b.rtol = 1e-8;
  b.tau_end = 0.0;
  EXPECT_THROW((void)integrate_geodesic(Metric::schwarzschild(1.0), b), Error);
  b.tau_end = 10.0;
  b.turning_coordinate = 4;
  EXPECT_THROW((void)integrate_geodesic(Metric::schwarzschild(1.0), b), Error);
}

TEST(GeodesicRk4, TurningPointsByHermiteInterpolation) {
  // RK4 (fixed step) with turning points: the first apoapsis of the p = 12, e = 0.4 orbit
  // started at periapsis is at τ = T_τ/2 and r = r₂. Cubic Hermite of u^r over one step h has error
  // O(h⁴)·u^(5) (≈ 1e-9 relative at h = T_τ/4000); RK4's own global error at this step is ~1e-10.
  const PeOrbit o = pe_orbit(12.0, 0.4);
  const Periods ref = trapezoid_periods(o, 128);
  GeodesicSetup s = periapsis_start(o);
  s.method = GeodesicMethod::rk4;
  s.steps = 3000;  // three quarters of a radial period: one apoapsis, no periapsis
  s.step = ref.proper / 4000.0;
  s.record_every = 100;
  const Geodesic g = integrate_geodesic(Metric::schwarzschild(1.0), s);
  ASSERT_EQ(g.turning_points.size(), 1u);
  const TurningPoint& apo = g.turning_points.front();
  std::printf("[ measured ] RK4 apoapsis: tau %.10f (ref %.10f), r %.10f (ref %.10f)\n", apo.tau,
              0.5 * ref.proper, apo.x(1), o.r2);
  EXPECT_TRUE(apo.maximum);
  EXPECT_NEAR(apo.tau / (0.5 * ref.proper), 1.0, 1e-7);
  EXPECT_NEAR(apo.x(1), o.r2, 1e-7);
  EXPECT_LT(std::abs(apo.u(1)), 1e-7);
}

}  // namespace
}  // namespace nnworld::geometry
