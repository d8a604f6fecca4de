#include "nnworld/geometry/geodesic.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>
#include <limits>
#include <numbers>
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

namespace {

// The state y = (x, u) of the first-order system ẋ = u, u̇ = −Γ(x)uu.
using State = Eigen::Matrix<double, Eigen::Dynamic, 1, 0, 2 * max_dimension, 1>;

std::string num(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.9g", v);
  return buf;
}

// Root of a continuous g on [0, 1] with g(0)·g(1) ≤ 0 (Illinois variant of regula falsi,
// falling back to bisection when it stalls); returns θ to ~1e-15.
template <class G>
double bracketed_root(const G& g, double g0, double g1) {
  double a = 0.0, b = 1.0, fa = g0, fb = g1;
  if (fa == 0.0) return a;
  if (fb == 0.0) return b;
  int side = 0;
  for (int it = 0; it < 200 && b - a > 1e-15; ++it) {
    double m = (a * fb - b * fa) / (fb - fa);
    if (!(m > a && m < b)) m = 0.5 * (a + b);
    if (it % 8 == 7) m = 0.5 * (a + b);  // guaranteed shrinking
    const double fm = g(m);
    if (fm == 0.0) return m;
    if ((fm > 0.0) == (fb > 0.0)) {
      b = m;
      fb = fm;
      if (side == -1) fa *= 0.5;
      side = -1;
    } else {
      a = m;
      fa = fm;
      if (side == +1) fb *= 0.5;
      side = +1;
    }
  }
  return 0.5 * (a + b);
}

// Cubic Hermite on [0, 1]: value p(θ) with p(0) = y0, p(1) = y1, p'(0) = d0, p'(1) = d1.
template <class V>
V hermite(double t, const V& y0, const V& y1, const V& d0, const V& d1) {
  const double t2 = t * t, t3 = t2 * t;
  return (2 * t3 - 3 * t2 + 1) * y0 + (t3 - 2 * t2 + t) * d0 + (-2 * t3 + 3 * t2) * y1 +
         (t3 - t2) * d1;
}

bool sign_change(double a, double b) {
  return (a > 0.0 && b <= 0.0) || (a < 0.0 && b >= 0.0);
}

}  // namespace

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
  if (s.turning_coordinate < -1 || s.turning_coordinate >= n) {
    throw Error("integrate_geodesic",
                "turning_coordinate " + std::to_string(s.turning_coordinate) + " out of range",
                "-1 or a coordinate index in [0, " + std::to_string(n - 1) + "]");
  }
  const bool adaptive = s.method == GeodesicMethod::dopri5;
  if (adaptive &&
      (!(s.rtol > 0.0) || !(s.atol >= 0.0) || !(s.tau_end > 0.0) || !std::isfinite(s.tau_end) ||
       !(s.record_interval >= 0.0) || !(s.min_step > 0.0))) {
    throw Error("integrate_geodesic", "invalid dopri5 setup",
                "rtol > 0, atol >= 0, finite tau_end > 0, record_interval >= 0, min_step > 0");
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
  const GeodesicPoint first = sample(0.0, s.x0, s.u0);
  out.points.push_back(first);
  auto monitor = [&](const GeodesicPoint& p) {
    out.max_norm_drift = std::max(out.max_norm_drift, std::abs(p.norm - first.norm));
    out.max_momentum_drift =
        out.max_momentum_drift.cwiseMax((p.p - first.p).cwiseAbs().eval()).eval();
  };
  auto note_step = [&](double h) {
    out.min_step_used = out.accepted_steps == 0 ? h : std::min(out.min_step_used, h);
    out.max_step_used = std::max(out.max_step_used, h);
    ++out.accepted_steps;
  };
  const int c = s.turning_coordinate;

  if (!adaptive) {
    Vector x = s.x0, u = s.u0;
    Vector a = accel(x, u);
    const double h = s.step;
    for (long k = 1; k <= s.steps; ++k) {
      // RK4 on (x, u): ẋ = u, u̇ = a(x, u).
      const Vector k1x = u, k1u = a;
      const Vector k2x = u + 0.5 * h * k1u, k2u = accel(x + 0.5 * h * k1x, k2x);
      const Vector k3x = u + 0.5 * h * k2u, k3u = accel(x + 0.5 * h * k2x, k3x);
      const Vector k4x = u + h * k3u, k4u = accel(x + h * k3x, k4x);
      const Vector x0 = x, u0 = u, a0 = a;
      x += h / 6.0 * (k1x + 2.0 * k2x + 2.0 * k3x + k4x);
      u += h / 6.0 * (k1u + 2.0 * k2u + 2.0 * k3u + k4u);
      a = accel(x, u);
      if (c >= 0 && sign_change(u0(c), u(c))) {
        // Cubic Hermite of u^c from (u, a) at both ends; x from (x, u).
        const double hu0 = h * a0(c), hu1 = h * a(c);
        const double th = bracketed_root(
            [&](double t) {
              const double t2 = t * t, t3 = t2 * t;
              return (2 * t3 - 3 * t2 + 1) * u0(c) + (t3 - 2 * t2 + t) * hu0 +
                     (-2 * t3 + 3 * t2) * u(c) + (t3 - t2) * hu1;
            },
            u0(c), u(c));
        TurningPoint tp;
        tp.tau = (static_cast<double>(k - 1) + th) * h;
        tp.x = hermite<Vector>(th, x0, x, (h * u0).eval(), (h * u).eval());
        tp.u = hermite<Vector>(th, u0, u, (h * a0).eval(), (h * a).eval());
        tp.maximum = u0(c) > 0.0;
        out.turning_points.push_back(tp);
      }
      const GeodesicPoint p = sample(static_cast<double>(k) * h, x, u);
      monitor(p);
      note_step(h);
      if (k % s.record_every == 0 || k == s.steps) out.points.push_back(p);
    }
    return out;
  }

  // ---- Dormand–Prince 5(4), FSAL, with the continuous extension of Hairer's DOPRI5 ----
  // Butcher tableau (Dormand & Prince 1980; Hairer–Nørsett–Wanner I, Table 5.2).
  // Nodes c = (0, 1/5, 3/10, 4/5, 8/9, 1, 1); the system is autonomous, so they do not appear.
  constexpr double a21 = 1.0 / 5;
  constexpr double a31 = 3.0 / 40, a32 = 9.0 / 40;
  constexpr double a41 = 44.0 / 45, a42 = -56.0 / 15, a43 = 32.0 / 9;
  constexpr double a51 = 19372.0 / 6561, a52 = -25360.0 / 2187, a53 = 64448.0 / 6561,
                   a54 = -212.0 / 729;
  constexpr double a61 = 9017.0 / 3168, a62 = -355.0 / 33, a63 = 46732.0 / 5247, a64 = 49.0 / 176,
                   a65 = -5103.0 / 18656;
  constexpr double b1 = 35.0 / 384, b3 = 500.0 / 1113, b4 = 125.0 / 192, b5 = -2187.0 / 6784,
                   b6 = 11.0 / 84;
  // e = b(5th) − b̂(4th).
  constexpr double e1 = 71.0 / 57600, e3 = -71.0 / 16695, e4 = 71.0 / 1920, e5 = -17253.0 / 339200,
                   e6 = 22.0 / 525, e7 = -1.0 / 40;
  // Dense output (Hairer's DOPRI5, Shampine's 4th-order extension).
  constexpr double d1 = -12715105075.0 / 11282082432, d3 = 87487479700.0 / 32700410799,
                   d4 = -10690763975.0 / 1880347072, d5 = 701980252875.0 / 199316789632,
                   d6 = -1453857185.0 / 822651844, d7 = 69997945.0 / 29380423;
  const int m = 2 * n;
  auto f = [&](const State& y) {
    State k(m);
    const Vector x = y.head(n), u = y.tail(n);
    k.head(n) = u;
    k.tail(n) = accel(x, u);
    return k;
  };
  auto split = [&](const State& y, double tau) {
    return sample(tau, Vector(y.head(n)), Vector(y.tail(n)));
  };
  State y(m);
  y.head(n) = s.x0;
  y.tail(n) = s.u0;
  State k1 = f(y);
  double tau = 0.0;
  double h = std::min(s.step, s.tau_end);
  long attempts = 0;
  long next_record = 1;  // index k of the next record time k·record_interval
  bool rejected = false;
  std::string last_failure;
  while (tau < s.tau_end) {
    if (attempts >= s.steps) {
      throw Error("integrate_geodesic",
                  "dopri5 used all " + std::to_string(s.steps) +
                      " step attempts at τ = " + num(tau) + " of " + num(s.tau_end) + ", " +
                      metric.describe_point(std::span<const double>(y.data(), n)),
                  "more steps, looser rtol/atol or a shorter tau_end");
    }
    ++attempts;
    const bool last = tau + h >= s.tau_end * (1.0 - 1e-15);
    if (last) h = s.tau_end - tau;
    if (h < s.min_step * std::max(1.0, std::abs(tau))) {
      throw Error("integrate_geodesic",
                  "dopri5 step " + num(h) + " below min_step at τ = " + num(tau) + ", " +
                      metric.describe_point(std::span<const double>(y.data(), n)) +
                      (last_failure.empty() ? "" : " (last failure: " + last_failure + ")"),
                  "a geodesic that stays away from singularities, or larger rtol/atol");
    }
    State k2, k3, k4, k5, k6, k7, ynew;
    double err = std::numeric_limits<double>::infinity();
    try {
      k2 = f(y + h * a21 * k1);
      k3 = f(y + h * (a31 * k1 + a32 * k2));
      k4 = f(y + h * (a41 * k1 + a42 * k2 + a43 * k3));
      k5 = f(y + h * (a51 * k1 + a52 * k2 + a53 * k3 + a54 * k4));
      k6 = f(y + h * (a61 * k1 + a62 * k2 + a63 * k3 + a64 * k4 + a65 * k5));
      ynew = y + h * (b1 * k1 + b3 * k3 + b4 * k4 + b5 * k5 + b6 * k6);
      k7 = f(ynew);
      const State e = h * (e1 * k1 + e3 * k3 + e4 * k4 + e5 * k5 + e6 * k6 + e7 * k7);
      double acc = 0.0;
      for (int i = 0; i < m; ++i) {
        const double sc = s.atol + s.rtol * std::max(std::abs(y(i)), std::abs(ynew(i)));
        acc += (e(i) / sc) * (e(i) / sc);
      }
      err = std::sqrt(acc / m);
      if (!std::isfinite(err)) err = std::numeric_limits<double>::infinity();
    } catch (const Error& ex) {
      last_failure = ex.message();  // a stage left the metric's domain: shrink the step
    }
    const double fac = err == 0.0 ? 5.0 : 0.9 * std::pow(err, -0.2);
    if (!(err <= 1.0)) {
      ++out.rejected_steps;
      h *= std::max(0.2, std::min(1.0, fac));
      rejected = true;
      continue;
    }
    // Accepted: continuous extension y(τ + θh) = r1 + θ(r2 + (1−θ)(r3 + θ(r4 + (1−θ)r5))).
    const State r2 = ynew - y;
    const State r3 = h * k1 - r2;
    const State r4 = r2 - h * k7 - r3;
    const State r5 = h * (d1 * k1 + d3 * k3 + d4 * k4 + d5 * k5 + d6 * k6 + d7 * k7);
    auto dense = [&](double t) -> State {
      const double t1 = 1.0 - t;
      return y + t * (r2 + t1 * (r3 + t * (r4 + t1 * r5)));
    };
    const double tau_new = last ? s.tau_end : tau + h;
    if (c >= 0 && sign_change(y(n + c), ynew(n + c))) {
      const double th =
          bracketed_root([&](double t) { return dense(t)(n + c); }, y(n + c), ynew(n + c));
      const State yt = dense(th);
      TurningPoint tp;
      tp.tau = tau + th * h;
      tp.x = yt.head(n);
      tp.u = yt.tail(n);
      tp.maximum = y(n + c) > 0.0;
      out.turning_points.push_back(tp);
    }
    if (s.record_interval > 0.0) {
      for (;;) {
        const double tr = static_cast<double>(next_record) * s.record_interval;
        if (tr >= s.tau_end * (1.0 - 1e-12) || tr > tau_new) break;
        out.points.push_back(split(dense((tr - tau) / h), tr));
        ++next_record;
      }
    }
    y = ynew;
    k1 = k7;
    tau = tau_new;
    const GeodesicPoint p = split(y, tau);
    monitor(p);
    note_step(h);
    if (s.record_interval == 0.0 || last) out.points.push_back(p);
    h *= std::max(0.2, std::min(rejected ? 1.0 : 5.0, fac));
    rejected = false;
  }
  return out;
}

namespace {

// Gauss–Legendre nodes and weights on [−1, 1] (Newton on P_n from Tricomi's initial guess).
void gauss_legendre(int nodes, std::vector<double>& x, std::vector<double>& w) {
  x.assign(static_cast<std::size_t>(nodes), 0.0);
  w.assign(static_cast<std::size_t>(nodes), 0.0);
  for (int i = 0; i < nodes; ++i) {
    double z = std::cos(std::numbers::pi * (i + 0.75) / (nodes + 0.5));
    double dp = 0.0;
    for (int it = 0; it < 100; ++it) {
      double p0 = 1.0, p1 = z;  // P_0, P_1
      for (int k = 2; k <= nodes; ++k) {
        const double p2 = ((2.0 * k - 1.0) * z * p1 - (k - 1.0) * p0) / k;
        p0 = p1;
        p1 = p2;
      }
      dp = nodes * (z * p1 - p0) / (z * z - 1.0);
      const double dz = p1 / dp;
      z -= dz;
      if (std::abs(dz) < 1e-16) break;
    }
    x[static_cast<std::size_t>(i)] = z;
    w[static_cast<std::size_t>(i)] = 2.0 / ((1.0 - z * z) * dp * dp);
  }
}

}  // namespace

RadialOrbit schwarzschild_radial_orbit(double mass, double energy, double angular_momentum,
                                       int nodes) {
  const double M = mass, E = energy, L = angular_momentum;
  const std::string where = "schwarzschild_radial_orbit";
  if (!(M > 0.0) || !(E > 0.0 && E < 1.0) || !std::isfinite(L) || nodes < 2) {
    throw Error(where, "E = " + num(E) + ", M = " + num(M) + " is not a bound orbit",
                "M > 0, 0 < E < 1, finite L, nodes >= 2");
  }
  // r³ + B r² + C r + D = 0 with B = 2M/(E²−1), C = −L²/(E²−1), D = 2ML²/(E²−1).
  const double a = E * E - 1.0;
  const double B = 2.0 * M / a, C = -L * L / a, D = 2.0 * M * L * L / a;
  const double p = C - B * B / 3.0, q = 2.0 * B * B * B / 27.0 - B * C / 3.0 + D;
  if (!(p < 0.0) || 4.0 * p * p * p + 27.0 * q * q > 0.0) {
    throw Error(where,
                "(E, L) = (" + num(E) + ", " + num(L) +
                    ") has fewer than three real turning "
                    "points",
                "a bound orbit: E below the potential barrier");
  }
  const double rho = 2.0 * std::sqrt(-p / 3.0);
  const double phi0 = std::acos(std::clamp(3.0 * q / (p * rho), -1.0, 1.0)) / 3.0;
  std::array<double, 3> r{};
  for (int k = 0; k < 3; ++k) {
    double z = rho * std::cos(phi0 - 2.0 * std::numbers::pi * k / 3.0) - B / 3.0;
    for (int it = 0; it < 3; ++it) {  // polish on the cubic
      const double fz = ((z + B) * z + C) * z + D, dz = (3.0 * z + 2.0 * B) * z + C;
      if (dz != 0.0 && std::isfinite(fz / dz)) z -= fz / dz;
    }
    r[static_cast<std::size_t>(k)] = z;
  }
  std::sort(r.begin(), r.end());
  RadialOrbit o;
  o.r3 = r[0];
  o.r1 = r[1];
  o.r2 = r[2];
  if (!(o.r1 > 2.0 * M) || !(o.r3 < o.r1)) {
    throw Error(where, "periapsis r1 = " + num(o.r1) + " is not outside the horizon 2M",
                "a bound orbit with r1 > 2M");
  }
  std::vector<double> xs, ws;
  gauss_legendre(nodes, xs, ws);
  const double mid = 0.5 * (o.r1 + o.r2), half = 0.5 * (o.r2 - o.r1);
  for (std::size_t i = 0; i < xs.size(); ++i) {
    const double chi = 0.5 * std::numbers::pi * (xs[i] + 1.0);  // [−1, 1] → [0, π]
    const double w = 0.5 * std::numbers::pi * ws[i];
    const double rr = mid - half * std::cos(chi);
    const double j = std::sqrt(rr * rr * rr / ((1.0 - E * E) * (rr - o.r3)));  // dr/√R per dχ
    o.proper_period += 2.0 * w * j;
    o.coordinate_period += 2.0 * w * j * E / (1.0 - 2.0 * M / rr);
    o.azimuth_per_period += 2.0 * w * j * L / (rr * rr);
  }
  return o;
}

}  // namespace nnworld::geometry
