#pragma once
// Geodesics of a metric (follow-up paper, claim 4: localised states follow geodesics).
//
//   ẍ^μ = −Γ^μ_{αβ} ẋ^α ẋ^β   (affine parameter τ: proper time for timelike, any affine
//                                parameter for null geodesics),
//
// integrated with classical fixed-step RK4 on the state (x, u = ẋ). Γ comes from Eq. (93) with
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

struct GeodesicSetup {
  Vector x0;              // initial point
  Vector u0;              // initial dx/dτ
  double step = 0.1;      // RK4 step in τ
  long steps = 1000;      // number of steps
  long record_every = 1;  // keep every k-th state (the first and last are always kept)
  double fd_step = 1e-2;  // finite-difference step for ∂g
};

struct GeodesicPoint {
  double tau = 0.0;
  Vector x, u;
  Vector p;           // p_c = g_cν u^ν
  double norm = 0.0;  // g_μν u^μ u^ν
};

struct Geodesic {
  std::vector<GeodesicPoint> points;  // recorded states
  double max_norm_drift = 0.0;        // max_τ |g(u,u)(τ) − g(u,u)(0)| over every step
  Vector max_momentum_drift;          // max_τ |p_c(τ) − p_c(0)| per coordinate, every step
};

// RK4 integration of the geodesic equation. Throws nnworld::Error if the metric becomes
// singular or non-finite on the way (the message names the point), or on bad setup.
[[nodiscard]] Geodesic integrate_geodesic(const Metric& metric, const GeodesicSetup& setup);

}  // namespace nnworld::geometry
