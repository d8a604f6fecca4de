#pragma once
// Geodesics of a metric (follow-up paper, claim 4: localised states follow geodesics).
//
//   ẍ^μ = −Γ^μ_{αβ} ẋ^α ẋ^β   (affine parameter τ: proper time for timelike, any affine
//                                parameter for null geodesics),
//
// integrated on the state (x, u = ẋ) either with classical fixed-step RK4 (the default) or with
// the adaptive embedded Dormand–Prince 5(4) pair (Dormand & Prince 1980; coefficients and the
// 4th-order continuous extension as in Hairer, Nørsett & Wanner, Solving ODEs I, §II.5–II.6).
// Γ comes from Eq. (93) with
// ∂g by a 6th-order central difference at step fd_step (error O(fd_step⁶) + ε/fd_step, about
// 1e-12 relative at the default 1e-2): 6n metric evaluations per Γ, cheap enough for RK4 loops.
// Monitors: the norm g_μν u^μu^ν (−1 timelike, 0 null, conserved) and the covariant momenta
// p_c = g_cν u^ν, conserved for every coordinate c on which g does not depend (for
// Schwarzschild/Kerr: E = −p_t, L = p_φ).
#include <vector>

#include "nnworld/geometry/curvature.hpp"

namespace nnworld::geometry {

// Γ^μ_{ab}(x), Eq. (93), with the 6th-order first-derivative stencil above.
[[nodiscard]] Christoffel christoffel_at(const Metric& metric, std::span<const double> x,
                                         double fd_step = 1e-2);

// a^μ = −Γ^μ_{αβ} u^α u^β.
[[nodiscard]] Vector geodesic_acceleration(const Metric& metric, const Vector& x, const Vector& u,
                                           double fd_step = 1e-2);

enum class GeodesicMethod {
  rk4,     // fixed step `step`, `steps` steps, every `record_every`-th state kept
  dopri5,  // adaptive Dormand–Prince 5(4) from τ = 0 to tau_end, at most `steps` attempts
};

struct GeodesicSetup {
  Vector x0;              // initial point
  Vector u0;              // initial dx/dτ
  double step = 0.1;      // RK4: the step in τ; dopri5: the first trial step
  long steps = 1000;      // RK4: number of steps; dopri5: most step attempts (accepted + rejected)
  long record_every = 1;  // RK4: keep every k-th state (the first and last are always kept)
  double fd_step = 1e-2;  // finite-difference step for ∂g
  GeodesicMethod method = GeodesicMethod::rk4;
  // dopri5: a step is accepted iff the RMS over the 2n components y = (x, u) of
  // e_i / (atol + rtol·max(|y_i|, |y_i'|)) is ≤ 1, e = the difference of the 5th- and
  // 4th-order solutions; the next step is h·min(5, max(0.2, 0.9·err^(−1/5))) (no growth after
  // a rejection).
  double rtol = 1e-10;
  double atol = 1e-12;
  double tau_end = 0.0;          // dopri5: integrate over τ ∈ [0, tau_end] (> 0)
  double record_interval = 0.0;  // dopri5: record at τ = k·record_interval by dense output
                                 // (and at tau_end); 0: every accepted step
  // A step below min_step·max(1, |τ|) is an error (the solution runs into a singularity or
  // the tolerances are below what double precision allows).
  double min_step = 1e-13;
  // Turning points (u^c = 0, i.e. extrema of x^c) of this coordinate are located inside the
  // steps by interpolation (dopri5: the continuous extension; RK4: cubic Hermite of u^c from
  // u and du/dτ at both ends) and a secant/bisection solve; −1: none.
  int turning_coordinate = -1;
};

struct GeodesicPoint {
  double tau = 0.0;
  Vector x, u;
  Vector p;           // p_c = g_cν u^ν
  double norm = 0.0;  // g_μν u^μ u^ν
};

// An extremum of x^c along the geodesic (u^c changes sign).
struct TurningPoint {
  double tau = 0.0;
  Vector x, u;           // interpolated state at tau
  bool maximum = false;  // true: u^c goes from + to − (a maximum of x^c)
};

struct Geodesic {
  std::vector<GeodesicPoint> points;  // recorded states
  double max_norm_drift = 0.0;  // max_τ |g(u,u)(τ) − g(u,u)(0)| over every (accepted) step
  Vector max_momentum_drift;    // max_τ |p_c(τ) − p_c(0)| per coordinate, every step
  std::vector<TurningPoint> turning_points;         // of setup.turning_coordinate, in τ order
  long accepted_steps = 0;                          // RK4: steps
  long rejected_steps = 0;                          // dopri5 only
  double min_step_used = 0.0, max_step_used = 0.0;  // accepted step sizes
};

// Integration of the geodesic equation (setup.method). Throws nnworld::Error if the metric
// becomes singular or non-finite on the way (the message names the point), if dopri5 needs a
// step below setup.min_step (the message names τ and the point) or more than setup.steps
// attempts, or on bad setup.
[[nodiscard]] Geodesic integrate_geodesic(const Metric& metric, const GeodesicSetup& setup);

// A bound Schwarzschild equatorial orbit by quadrature of the radial equation
//   (dr/dτ)² = R(r) = E² − (1 − 2M/r)(1 + L²/r²),  r³R = (1 − E²)(r₂ − r)(r − r₁)(r − r₃),
// with r₃ < r₁ ≤ r₂ the roots of (E² − 1)r³ + 2Mr² − L²r + 2ML². With
// r = (r₁ + r₂)/2 − (r₂ − r₁)/2·cos χ, dr/√((r₂ − r)(r − r₁)) = dχ and every period below is an
// integral over χ ∈ [0, π] of a smooth integrand, done by Gauss–Legendre quadrature:
//   T_τ = 2∫dr/√R,  T_t = 2∫(E/f)dr/√R (f = 1 − 2M/r),  Δφ = 2∫(L/r²)dr/√R.
// Throws nnworld::Error if (E, L) do not give a bound orbit (E ≥ 1 or fewer than three
// positive roots with r₁ > 2M).
struct RadialOrbit {
  double r1 = 0.0, r2 = 0.0, r3 = 0.0;  // periapsis, apoapsis, inner root
  double proper_period = 0.0;           // T_τ, periapsis to periapsis in proper time
  double coordinate_period = 0.0;       // T_t, the same in Schwarzschild time
  double azimuth_per_period = 0.0;      // Δφ per radial period (2π + periapsis advance)
};
[[nodiscard]] RadialOrbit schwarzschild_radial_orbit(double mass, double energy,
                                                     double angular_momentum, int nodes = 64);

}  // namespace nnworld::geometry
