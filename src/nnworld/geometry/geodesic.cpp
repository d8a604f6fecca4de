#include "nnworld/geometry/geodesic.hpp"

#include <cmath>
#include <string>

#include "nnworld/core/error.hpp"

namespace nnworld::geometry {

Christoffel christoffel_at(const Metric& metric, std::span<const double> x, double fd_step) {
  const int n = metric.dimension();
  const Matrix g = metric(x);  // checked
  const Matrix gi = g.inverse();
  // ∂_c g ≈ [45(g₁ − g₋₁) − 9(g₂ − g₋₂) + (g₃ − g₋₃)] / (60h),  g_k = g(x + k h e_c).
  std::array<Matrix, max_dimension> dg;
  std::vector<double> y(x.begin(), x.end());
  auto at = [&](int c, double d) {
    y[c] = x[c] + d;
    Matrix m = metric.evaluate(y);
    y[c] = x[c];
    if (!m.allFinite()) {
      throw Error("christoffel_at " + metric.describe_point(x),
                  "g is not finite at the stencil point x[" + metric.coordinates()[c] + "] + " +
                      std::to_string(d),
                  "a point farther from the singularity or a smaller fd_step");
    }
    return m;
  };
  const double h = fd_step;
  for (int c = 0; c < n; ++c) {
    const Matrix d = 45.0 * (at(c, h) - at(c, -h)) - 9.0 * (at(c, 2 * h) - at(c, -2 * h)) +
                     (at(c, 3 * h) - at(c, -3 * h));
    dg[c] = (d + d.transpose()) / (120.0 * h);  // symmetrised /(60h)
  }
  // Eq. (93): Γ^μ_{γδ} = ½ g^{μν}(g_{νγ,δ} + g_{νδ,γ} − g_{γδ,ν}).
  Christoffel gam(n);
  for (int ga = 0; ga < n; ++ga)
    for (int de = ga; de < n; ++de)
      for (int mu = 0; mu < n; ++mu) {
        double s = 0.0;
        for (int nu = 0; nu < n; ++nu)
          s += gi(mu, nu) * (dg[de](nu, ga) + dg[ga](nu, de) - dg[nu](ga, de));
        gam(mu, ga, de) = 0.5 * s;
      }
  return gam;
}

Vector geodesic_acceleration(const Metric& metric, const Vector& x, const Vector& u,
                             double fd_step) {
  const int n = metric.dimension();
  const Christoffel gam = christoffel_at(metric, std::span<const double>(x.data(), n), fd_step);
  Vector a = Vector::Zero(n);
  for (int mu = 0; mu < n; ++mu) {
    double s = 0.0;
    for (int al = 0; al < n; ++al)
      for (int be = 0; be < n; ++be) s += gam(mu, al, be) * u(al) * u(be);
    a(mu) = -s;
  }
  return a;
}

Geodesic integrate_geodesic(const Metric& metric, const GeodesicSetup& s) {
  const int n = metric.dimension();
  if (s.x0.size() != n || s.u0.size() != n) {
    throw Error("integrate_geodesic", "x0 and u0 need " + std::to_string(n) + " components",
                std::to_string(n) + " (" + std::to_string(s.x0.size()) + " and " +
                    std::to_string(s.u0.size()) + " given)");
  }
  if (!(s.step > 0.0) || s.steps < 1 || s.record_every < 1 || !(s.fd_step > 0.0)) {
    throw Error("integrate_geodesic", "invalid setup",
                "step > 0, steps >= 1, record_every >= 1, fd_step > 0");
  }
  auto sample = [&](double tau, const Vector& x, const Vector& u) {
    const Matrix g = metric(std::span<const double>(x.data(), n));
    GeodesicPoint p;
    p.tau = tau;
    p.x = x;
    p.u = u;
    p.p = g * u;
    p.norm = u.dot(p.p);
    return p;
  };
  auto accel = [&](const Vector& x, const Vector& u) {
    return geodesic_acceleration(metric, x, u, s.fd_step);
  };
  Geodesic out;
  out.max_momentum_drift = Vector::Zero(n);
  Vector x = s.x0, u = s.u0;
  const GeodesicPoint first = sample(0.0, x, u);
  out.points.push_back(first);
  const double h = s.step;
  for (long k = 1; k <= s.steps; ++k) {
    // RK4 on (x, u): ẋ = u, u̇ = a(x, u).
    const Vector k1x = u, k1u = accel(x, u);
    const Vector k2x = u + 0.5 * h * k1u, k2u = accel(x + 0.5 * h * k1x, k2x);
    const Vector k3x = u + 0.5 * h * k2u, k3u = accel(x + 0.5 * h * k2x, k3x);
    const Vector k4x = u + h * k3u, k4u = accel(x + h * k3x, k4x);
    x += h / 6.0 * (k1x + 2.0 * k2x + 2.0 * k3x + k4x);
    u += h / 6.0 * (k1u + 2.0 * k2u + 2.0 * k3u + k4u);
    const GeodesicPoint p = sample(k * h, x, u);
    out.max_norm_drift = std::max(out.max_norm_drift, std::abs(p.norm - first.norm));
    out.max_momentum_drift =
        out.max_momentum_drift.cwiseMax((p.p - first.p).cwiseAbs().eval()).eval();
    if (k % s.record_every == 0 || k == s.steps) out.points.push_back(p);
  }
  return out;
}

}  // namespace nnworld::geometry
