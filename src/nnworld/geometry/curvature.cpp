#include "nnworld/geometry/curvature.hpp"

#include <omp.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <exception>
#include <limits>
#include <string>
#include <vector>

#include "nnworld/core/error.hpp"

namespace nnworld::geometry {

namespace {

using Dense = Eigen::MatrixXd;

struct Extrapolated {
  Dense value;
  Dense error;
};

// Ridders' form of Richardson extrapolation, entry by entry, for an array-valued difference
// quotient D(h) whose error expands in even powers of h (central differences):
//   a[0][k] = D(h₀/s^k),  a[j][k] = (s^{2j} a[j−1][k] − a[j−1][k−1]) / (s^{2j} − 1),
// each a[j][k] being of order h^{2(j+1)}. An entry keeps the element with the smallest error
// estimate max(|a[j][k] − a[j−1][k]|, |a[j][k] − a[j−1][k−1]|) and stops once the diagonal
// difference |a[k][k] − a[k−1][k−1]| exceeds twice its best estimate (round-off has taken over).
template <class D>
Extrapolated ridders(D&& diff, double h0, double shrink, int levels) {
  const double s2 = shrink * shrink;
  std::vector<Dense> prev{diff(h0)}, cur;
  const auto rows = prev[0].rows(), cols = prev[0].cols();
  Extrapolated out{prev[0], Dense::Constant(rows, cols, std::numeric_limits<double>::infinity())};
  Eigen::Array<bool, Eigen::Dynamic, Eigen::Dynamic> active =
      Eigen::Array<bool, Eigen::Dynamic, Eigen::Dynamic>::Constant(rows, cols, true);
  double h = h0;
  for (int k = 1; k < levels; ++k) {
    h /= shrink;
    cur.assign(k + 1, Dense());
    cur[0] = diff(h);
    double fac = s2;
    for (int j = 1; j <= k; ++j) {
      cur[j] = (cur[j - 1] * fac - prev[j - 1]) / (fac - 1.0);
      fac *= s2;
      for (Eigen::Index c = 0; c < cols; ++c) {
        for (Eigen::Index r = 0; r < rows; ++r) {
          if (!active(r, c)) continue;
          const double e = std::max(std::abs(cur[j](r, c) - cur[j - 1](r, c)),
                                    std::abs(cur[j](r, c) - prev[j - 1](r, c)));
          if (e <= out.error(r, c)) {
            out.error(r, c) = e;
            out.value(r, c) = cur[j](r, c);
          }
        }
      }
    }
    for (Eigen::Index c = 0; c < cols; ++c) {
      for (Eigen::Index r = 0; r < rows; ++r) {
        if (active(r, c) && std::abs(cur[k](r, c) - prev[k - 1](r, c)) >= 2.0 * out.error(r, c)) {
          active(r, c) = false;
        }
      }
    }
    std::swap(prev, cur);
  }
  return out;
}

Matrix sym(const Matrix& m) {
  return 0.5 * (m + m.transpose());
}

// The central4 scheme of FiniteDifference (see curvature.hpp): fixed 4th-order stencils.
MetricJet central4_jet(const Metric& metric, std::span<const double> x, const FiniteDifference& fd,
                       MetricJet jet) {
  const int n = metric.dimension();
  if (!(fd.step > 0.0) || !std::isfinite(fd.step)) {
    throw Error("metric_jet", "invalid central4 step", "FiniteDifference::step > 0");
  }
  if (!fd.scale.empty() && static_cast<int>(fd.scale.size()) != n) {
    throw Error("metric_jet", "scale has " + std::to_string(fd.scale.size()) + " entries",
                std::to_string(n) + " (one per coordinate) or none");
  }
  std::array<double, max_dimension> h{};
  for (int c = 0; c < n; ++c) h[c] = fd.step * (fd.scale.empty() ? 1.0 : fd.scale[c]);
  std::array<double, max_dimension> y{};
  const std::span<const double> ys(y.data(), static_cast<std::size_t>(n));
  auto at = [&](int c, double dc, int d, double dd) {
    std::copy(x.begin(), x.end(), y.begin());
    y[c] += dc;
    if (d >= 0) y[d] += dd;
    Matrix g = metric.evaluate(ys);
    if (!g.allFinite()) {
      throw Error("metric_jet at " + metric.describe_point(x),
                  "g is not finite at the stencil point " + metric.describe_point(ys),
                  "a smaller FiniteDifference::step (the point is within " +
                      std::to_string(std::abs(dc) + std::abs(dd)) + " of a singularity)");
    }
    return sym(g);
  };
  const Matrix g0 = sym(metric.evaluate(x));
  for (int c = 0; c < n; ++c) {
    const double hc = h[c];
    const Matrix p1 = at(c, hc, -1, 0.0), m1 = at(c, -hc, -1, 0.0);
    const Matrix p2 = at(c, 2.0 * hc, -1, 0.0), m2 = at(c, -2.0 * hc, -1, 0.0);
    jet.dg[c] = (8.0 * (p1 - m1) - (p2 - m2)) / (12.0 * hc);
    jet.ddg[c][c] = (16.0 * (p1 + m1) - (p2 + m2) - 30.0 * g0) / (12.0 * hc * hc);
  }
  for (int c = 0; c < n; ++c) {
    for (int d = c + 1; d < n; ++d) {
      auto s = [&](double t) {
        const double hc = t * h[c], hd = t * h[d];
        return Matrix(at(c, hc, d, hd) - at(c, hc, d, -hd) - at(c, -hc, d, hd) +
                      at(c, -hc, d, -hd));
      };
      jet.ddg[c][d] = (16.0 * s(1.0) - s(2.0)) / (48.0 * h[c] * h[d]);
      jet.ddg[d][c] = jet.ddg[c][d];
    }
  }
  return jet;
}

}  // namespace

std::vector<CurvatureScalars> curvature_at_points(const Metric& metric,
                                                  std::span<const double> points,
                                                  const FiniteDifference& fd, int threads) {
  const auto n = static_cast<std::size_t>(metric.dimension());
  if (points.size() % n != 0) {
    throw Error("curvature_at_points",
                std::to_string(points.size()) + " coordinates are not whole points",
                "N points of " + std::to_string(n) + " coordinates, row-major");
  }
  const auto count = static_cast<std::int64_t>(points.size() / n);
  std::vector<CurvatureScalars> out(static_cast<std::size_t>(count));
  const int nt = threads > 0 ? threads : omp_get_max_threads();
  std::int64_t first_bad = count;
  std::exception_ptr first_error;
#pragma omp parallel num_threads(nt)
  {
    const Metric local = metric;  // expression metrics are not thread-safe
    std::int64_t my_bad = count;
    std::exception_ptr my_error;
#pragma omp for schedule(dynamic, 256)
    for (std::int64_t i = 0; i < count; ++i) {
      if (i > my_bad) continue;
      try {
        const Curvature c =
            curvature(metric_jet(local, points.subspan(static_cast<std::size_t>(i) * n, n), fd));
        out[static_cast<std::size_t>(i)] = {c.scalar, c.kretschmann, c.ricci_squared};
      } catch (const Error&) {
        my_bad = i;  // i increases within a thread's chunks
        my_error = std::current_exception();
      }
    }
#pragma omp critical(nnworld_curvature_at_points)
    if (my_bad < first_bad) {
      first_bad = my_bad;
      first_error = my_error;
    }
  }
  if (first_error) std::rethrow_exception(first_error);
  return out;
}

MetricJet metric_jet(const Metric& metric, std::span<const double> x, const FiniteDifference& fd) {
  const int n = metric.dimension();
  MetricJet jet;
  jet.n = n;
  jet.g = metric(x);  // checked: throws on a singular / non-symmetric / non-finite g
  if (fd.method == FiniteDifference::Method::central4) {
    return central4_jet(metric, x, fd, std::move(jet));
  }
  if (!(fd.initial_step > 0.0) || !(fd.shrink > 1.0) || fd.levels < 2) {
    throw Error("metric_jet", "invalid finite-difference scheme",
                "initial_step > 0, shrink > 1, levels >= 2");
  }
  if (!fd.scale.empty() && static_cast<int>(fd.scale.size()) != n) {
    throw Error("metric_jet", "scale has " + std::to_string(fd.scale.size()) + " entries",
                std::to_string(n) + " (one per coordinate) or none");
  }
  std::vector<double> step(n, fd.initial_step);
  for (int c = 0; c < n && !fd.scale.empty(); ++c) step[c] *= fd.scale[c];

  std::vector<double> y(x.begin(), x.end());
  auto at = [&](int c, double dc, int d, double dd) {
    y.assign(x.begin(), x.end());
    y[c] += dc;
    if (d >= 0) y[d] += dd;
    Matrix g = metric.evaluate(y);
    if (!g.allFinite()) {
      throw Error("metric_jet at " + metric.describe_point(x),
                  "g is not finite at the stencil point " + metric.describe_point(y),
                  "a smaller FiniteDifference::initial_step (the point is within " +
                      std::to_string(std::abs(dc) + std::abs(dd)) + " of a singularity)");
    }
    return sym(g);
  };
  const Matrix g0 = sym(metric.evaluate(x));
  // First and pure second derivatives along c share their evaluations:
  //   D₁(h) = (g(x+h e_c) − g(x−h e_c))/(2h),  D₂(h) = (g(x+h e_c) − 2g(x) + g(x−h e_c))/h².
  for (int c = 0; c < n; ++c) {
    auto diff = [&](double t) {
      const double h = t * step[c] / fd.initial_step;
      const Matrix gp = at(c, h, -1, 0.0), gm = at(c, -h, -1, 0.0);
      Dense out(n, 2 * n);
      out.leftCols(n) = (gp - gm) / (2.0 * h);
      out.rightCols(n) = (gp - 2.0 * g0 + gm) / (h * h);
      return out;
    };
    const Extrapolated e = ridders(diff, fd.initial_step, fd.shrink, fd.levels);
    jet.dg[c] = sym(e.value.leftCols(n));
    jet.ddg[c][c] = sym(e.value.rightCols(n));
    jet.dg_error = std::max(jet.dg_error, e.error.leftCols(n).maxCoeff());
    jet.ddg_error = std::max(jet.ddg_error, e.error.rightCols(n).maxCoeff());
  }
  // Mixed second derivatives, c < d:
  //   D(h) = [g(+,+) − g(+,−) − g(−,+) + g(−,−)] / (4 h_c h_d).
  for (int c = 0; c < n; ++c) {
    for (int d = c + 1; d < n; ++d) {
      auto diff = [&](double t) {
        const double hc = t * step[c] / fd.initial_step, hd = t * step[d] / fd.initial_step;
        const Matrix s =
            at(c, hc, d, hd) - at(c, hc, d, -hd) - at(c, -hc, d, hd) + at(c, -hc, d, -hd);
        return Dense(s / (4.0 * hc * hd));
      };
      const Extrapolated e = ridders(diff, fd.initial_step, fd.shrink, fd.levels);
      jet.ddg[c][d] = sym(e.value);
      jet.ddg[d][c] = jet.ddg[c][d];
      jet.ddg_error = std::max(jet.ddg_error, e.error.maxCoeff());
    }
  }
  return jet;
}

Curvature curvature(const MetricJet& jet) {
  const int n = jet.n;
  const auto& g = jet.g;
  const auto& dg = jet.dg;
  const auto& ddg = jet.ddg;
  Curvature c;
  c.n = n;
  c.g = g;
  c.g_inv = g.inverse();
  c.dg_error = jet.dg_error;
  c.ddg_error = jet.ddg_error;
  const Matrix& gi = c.g_inv;

  // Eq. (93): Γ^μ_{γδ} = ½ g^{μν}(g_{νγ,δ} + g_{νδ,γ} − g_{γδ,ν}); first kind
  // Γ_{νγδ} = ½(g_{νγ,δ} + g_{νδ,γ} − g_{γδ,ν}).
  Tensor4 first(n);  // first(ν, γ, δ, 0) = Γ_{νγδ}
  for (int nu = 0; nu < n; ++nu)
    for (int ga = 0; ga < n; ++ga)
      for (int de = 0; de < n; ++de)
        first(nu, ga, de, 0) = 0.5 * (dg[de](nu, ga) + dg[ga](nu, de) - dg[nu](ga, de));
  Christoffel gam(n);
  for (int mu = 0; mu < n; ++mu)
    for (int ga = 0; ga < n; ++ga)
      for (int de = ga; de < n; ++de) {
        double s = 0.0;
        for (int nu = 0; nu < n; ++nu) s += gi(mu, nu) * first(nu, ga, de, 0);
        gam(mu, ga, de) = s;
      }

  // ∂_α Γ^μ_{γδ} = ∂_α g^{μν} Γ_{νγδ} + g^{μν} ∂_α Γ_{νγδ}, with
  // ∂_α g^{μν} = −g^{μρ} g_{ρσ,α} g^{σν} and ∂_α Γ_{νγδ} = ½(g_{νγ,δα} + g_{νδ,γα} − g_{γδ,να}).
  std::array<Matrix, max_dimension> dgi;
  for (int al = 0; al < n; ++al) dgi[al] = -gi * dg[al] * gi;
  Tensor4 dgam(n);  // dgam(α, μ, γ, δ) = ∂_α Γ^μ_{γδ}
  for (int al = 0; al < n; ++al)
    for (int ga = 0; ga < n; ++ga)
      for (int de = ga; de < n; ++de) {
        Vector d1(n);
        for (int nu = 0; nu < n; ++nu)
          d1(nu) = 0.5 * (ddg[de][al](nu, ga) + ddg[ga][al](nu, de) - ddg[nu][al](ga, de));
        for (int mu = 0; mu < n; ++mu) {
          double s = 0.0;
          for (int nu = 0; nu < n; ++nu)
            s += dgi[al](mu, nu) * first(nu, ga, de, 0) + gi(mu, nu) * d1(nu);
          dgam(al, mu, ga, de) = s;
          dgam(al, mu, de, ga) = s;
        }
      }

  // Riemann (MTW): R^ρ_{σμν} = ∂_μΓ^ρ_{νσ} − ∂_νΓ^ρ_{μσ} + Γ^ρ_{μλ}Γ^λ_{νσ} − Γ^ρ_{νλ}Γ^λ_{μσ}.
  Tensor4 riem(n);
  for (int rho = 0; rho < n; ++rho)
    for (int sig = 0; sig < n; ++sig)
      for (int mu = 0; mu < n; ++mu)
        for (int nu = 0; nu < n; ++nu) {
          double s = dgam(mu, rho, nu, sig) - dgam(nu, rho, mu, sig);
          for (int la = 0; la < n; ++la)
            s += gam(rho, mu, la) * gam(la, nu, sig) - gam(rho, nu, la) * gam(la, mu, sig);
          riem(rho, sig, mu, nu) = s;
        }

  // Eq. (96): R_μν = ∂_αΓ^α_{νμ} − ∂_μΓ^α_{να} + Γ^β_{νμ}Γ^α_{αβ} − Γ^β_{να}Γ^α_{μβ}
  // (then symmetrised, which it is analytically).
  Matrix ric(n, n);
  for (int mu = 0; mu < n; ++mu)
    for (int nu = 0; nu < n; ++nu) {
      double s = 0.0;
      for (int al = 0; al < n; ++al) {
        s += dgam(al, al, nu, mu) - dgam(mu, al, nu, al);
        for (int be = 0; be < n; ++be)
          s += gam(be, nu, mu) * gam(al, al, be) - gam(be, nu, al) * gam(al, mu, be);
      }
      ric(mu, nu) = s;
    }
  c.ricci = sym(ric);

  // R = g^μν R_μν;  G_μν = R_μν − ½ R g_μν;  R_μν R^μν.
  c.scalar = (gi.cwiseProduct(c.ricci)).sum();
  c.einstein = c.ricci - 0.5 * c.scalar * g;
  const Matrix ric_up = gi * c.ricci * gi;
  c.ricci_squared = ric_up.cwiseProduct(c.ricci).sum();

  // Kretschmann R_{αβγδ}R^{αβγδ}: lower ρ, raise σ, μ, ν one index at a time.
  Tensor4 low(n), up(n), tmp(n);
  for (int a = 0; a < n; ++a)
    for (int b = 0; b < n; ++b)
      for (int m = 0; m < n; ++m)
        for (int v = 0; v < n; ++v) {
          double sl = 0.0, su = 0.0;
          for (int e = 0; e < n; ++e) {
            sl += g(a, e) * riem(e, b, m, v);
            su += gi(v, e) * riem(a, b, m, e);  // R^a_{bm}^v
          }
          low(a, b, m, v) = sl;
          up(a, b, m, v) = su;
        }
  for (int a = 0; a < n; ++a)
    for (int b = 0; b < n; ++b)
      for (int m = 0; m < n; ++m)
        for (int v = 0; v < n; ++v) {
          double s = 0.0;
          for (int e = 0; e < n; ++e) s += gi(m, e) * up(a, b, e, v);
          tmp(a, b, m, v) = s;  // R^a_b^{mv}
        }
  double k = 0.0;
  for (int a = 0; a < n; ++a)
    for (int b = 0; b < n; ++b)
      for (int m = 0; m < n; ++m)
        for (int v = 0; v < n; ++v) {
          double s = 0.0;
          for (int e = 0; e < n; ++e) s += gi(b, e) * tmp(a, e, m, v);
          k += low(a, b, m, v) * s;
        }
  c.kretschmann = k;
  c.christoffel = gam;
  c.riemann = riem;
  return c;
}

Matrix ricci_from_riemann(const Tensor4& riemann) {
  const int n = riemann.dimension();
  Matrix r = Matrix::Zero(n, n);
  for (int s = 0; s < n; ++s)
    for (int v = 0; v < n; ++v)
      for (int p = 0; p < n; ++p) r(s, v) += riemann(p, s, p, v);
  return r;
}

Matrix perfect_fluid(const Matrix& g, double rho, double p, const Vector& u_up) {
  const auto n = g.rows();
  if (u_up.size() != n) {
    throw Error("perfect_fluid", "u has " + std::to_string(u_up.size()) + " components",
                std::to_string(n));
  }
  const double norm = u_up.dot(g * u_up);
  if (!(norm < 0.0)) {
    throw Error("perfect_fluid",
                "u^mu is not timelike (g_mn u^m u^n = " + std::to_string(norm) + ")",
                "g_mn u^m u^n < 0");
  }
  const Vector u_low = g * u_up / std::sqrt(-norm);
  return (rho + p) * u_low * u_low.transpose() + p * g;
}

EinsteinResidual einstein_residual(const Curvature& c, double lambda, double kappa,
                                   const Matrix& t_lower) {
  // Eq. (95): E_μν = G_μν + Λ g_μν − κ T_μν.
  EinsteinResidual r;
  r.residual = c.einstein + lambda * c.g - kappa * t_lower;
  r.max_abs = (c.g_inv * r.residual).cwiseAbs().maxCoeff();
  const double scale = std::max({(c.g_inv * c.einstein).cwiseAbs().maxCoeff(), std::abs(lambda),
                                 std::abs(kappa) * (c.g_inv * t_lower).cwiseAbs().maxCoeff()});
  r.relative = scale > 0.0 ? r.max_abs / scale : 0.0;
  return r;
}

}  // namespace nnworld::geometry
