#include "nnworld/trainable/madelung.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numbers>
#include <stdexcept>

#include "nnworld/core/error.hpp"

namespace nnworld::trainable {

namespace {

constexpr double kPi = std::numbers::pi;

// The representative of x modulo 2π in (−π, π].
double wrap(double x) {
  return x - 2.0 * kPi * std::ceil((x - kPi) / (2.0 * kPi));
}

void check_1d(const core::Grid& g, std::size_t n, const char* who) {
  if (g.dims != 1) throw std::invalid_argument(std::string(who) + ": needs a 1-D grid");
  if (g.size() < 6) throw std::invalid_argument(std::string(who) + ": needs at least 6 points");
  if (static_cast<std::int64_t>(n) != g.size()) {
    throw std::invalid_argument(std::string(who) + ": field size does not match the grid");
  }
}

}  // namespace

MadelungFields madelung_fields(const core::Grid& g, std::span<const Complex> psi,
                               const QuantumMap& m, double floor) {
  const std::int64_t n = g.size();
  if (static_cast<std::int64_t>(psi.size()) != n) {
    throw std::invalid_argument("madelung_fields: Ψ has the wrong size");
  }
  MadelungFields out;
  out.p = density(psi);
  const double pmax = *std::max_element(out.p.begin(), out.p.end());
  const double pfloor = floor * pmax;
  std::vector<double> theta(static_cast<std::size_t>(n));
  for (std::int64_t i = 0; i < n; ++i) theta[i] = std::arg(psi[i]);

  // Unwrap from the centre index c_a = n_a/2 (q = 0): axis 0 through the centre, then axis 1
  // from every point of that line, then axis 2 from every point of that plane.
  std::vector<double> u(static_cast<std::size_t>(n), 0.0);
  std::array<std::int64_t, 3> centre{0, 0, 0};
  for (int a = 0; a < g.dims; ++a) centre[a] = g.points[a] / 2;
  auto flat = [&](const std::array<std::int64_t, 3>& idx) {
    std::int64_t i = 0;
    for (int a = 0; a < g.dims; ++a) i += idx[a] * g.stride(a);
    return i;
  };
  // Unwraps the line along `axis` through `start` (whose u is set).
  auto unwrap_line = [&](std::array<std::int64_t, 3> start, int axis) {
    const std::int64_t s = g.stride(axis);
    const std::int64_t na = g.points[axis];
    const std::int64_t i0 = flat(start);
    const std::int64_t c = start[axis];
    for (std::int64_t j = c + 1; j < na; ++j) {
      const std::int64_t i = i0 + (j - c) * s;
      u[i] = u[i - s] + wrap(theta[i] - theta[i - s]);
    }
    for (std::int64_t j = c - 1; j >= 0; --j) {
      const std::int64_t i = i0 + (j - c) * s;
      u[i] = u[i + s] - wrap(theta[i + s] - theta[i]);  // the same step as read left to right
    }
  };
  u[flat(centre)] = theta[flat(centre)];
  unwrap_line(centre, 0);
  if (g.dims >= 2) {
    for (std::int64_t j0 = 0; j0 < g.points[0]; ++j0) {
      unwrap_line({j0, centre[1], centre[2]}, 1);
    }
  }
  if (g.dims == 3) {
    for (std::int64_t j0 = 0; j0 < g.points[0]; ++j0) {
      for (std::int64_t j1 = 0; j1 < g.points[1]; ++j1) unwrap_line({j0, j1, centre[2]}, 2);
    }
  }

  // Consistency of the unwrapped phase, node jumps, vortices.
  for (std::int64_t i = 0; i < n; ++i) {
    if (out.p[i] <= pfloor) continue;
    const auto idx = g.unflatten(i);
    for (int a = 0; a < g.dims; ++a) {
      if (idx[a] + 1 >= g.points[a]) continue;
      const std::int64_t j = i + g.stride(a);
      if (out.p[j] <= pfloor) continue;
      const double w = wrap(theta[j] - theta[i]);
      if (std::abs(w) > kPi / 2.0) ++out.jumps;
      if (std::abs(u[j] - u[i] - w) > kPi) ++out.inconsistent;
    }
    for (int a = 0; a < g.dims; ++a) {
      for (int b = a + 1; b < g.dims; ++b) {
        if (idx[a] + 1 >= g.points[a] || idx[b] + 1 >= g.points[b]) continue;
        const std::int64_t i1 = i + g.stride(a), i2 = i1 + g.stride(b), i3 = i + g.stride(b);
        if (out.p[i1] <= pfloor || out.p[i2] <= pfloor || out.p[i3] <= pfloor) continue;
        const double circ = wrap(theta[i1] - theta[i]) + wrap(theta[i2] - theta[i1]) +
                            wrap(theta[i3] - theta[i2]) + wrap(theta[i] - theta[i3]);
        if (std::abs(circ) > kPi) ++out.vortices;
      }
    }
  }

  out.F.resize(static_cast<std::size_t>(n));
  for (std::int64_t i = 0; i < n; ++i) {
    double f = m.hbar * u[i];
    if (m.osmotic != 0.0) {
      f = out.p[i] > 0.0 ? f + m.osmotic * std::log(out.p[i])
                         : std::numeric_limits<double>::quiet_NaN();
    }
    out.F[i] = f;
  }
  return out;
}

void align_branch(std::span<double> F, std::span<const double> reference, double hbar,
                  std::int64_t index) {
  if (F.size() != reference.size() || index < 0 || index >= static_cast<std::int64_t>(F.size())) {
    throw std::invalid_argument("align_branch: sizes or index do not match");
  }
  const double period = 2.0 * kPi * hbar;
  const double shift = period * std::round((reference[index] - F[index]) / period);
  for (double& f : F) f += shift;
}

std::vector<Complex> psi_from_madelung(std::span<const double> p, std::span<const double> F,
                                       const QuantumMap& m) {
  if (p.size() != F.size()) throw std::invalid_argument("psi_from_madelung: sizes differ");
  std::vector<Complex> psi(p.size());
  for (std::size_t i = 0; i < p.size(); ++i) {
    const double ft = m.osmotic != 0.0 && p[i] > 0.0 ? F[i] - m.osmotic * std::log(p[i]) : F[i];
    psi[i] = std::polar(std::sqrt(std::max(p[i], 0.0)), ft / m.hbar);
  }
  return psi;
}

// ---- finite differences on a 1-D grid ------------------------------------------------------

std::vector<double> fd1(const core::Grid& g, std::span<const double> f, Edge e, int order) {
  check_1d(g, f.size(), "fd1");
  if (e == Edge::periodic) return core::fd_derivative(g, f, 0, order);
  const std::int64_t n = g.size();
  const double h = g.spacing(0);
  std::vector<double> d(static_cast<std::size_t>(n));
  if (order == 2) {
    for (std::int64_t i = 1; i + 1 < n; ++i) d[i] = (f[i + 1] - f[i - 1]) / (2.0 * h);
    d[0] = (-3.0 * f[0] + 4.0 * f[1] - f[2]) / (2.0 * h);
    d[n - 1] = (3.0 * f[n - 1] - 4.0 * f[n - 2] + f[n - 3]) / (2.0 * h);
    return d;
  }
  if (order != 4) throw std::invalid_argument("fd1: order 2 or 4");
  const double s = 1.0 / (12.0 * h);
  for (std::int64_t i = 2; i + 2 < n; ++i) {
    d[i] = (f[i - 2] - 8.0 * f[i - 1] + 8.0 * f[i + 1] - f[i + 2]) * s;
  }
  d[0] = (-25.0 * f[0] + 48.0 * f[1] - 36.0 * f[2] + 16.0 * f[3] - 3.0 * f[4]) * s;
  d[1] = (-3.0 * f[0] - 10.0 * f[1] + 18.0 * f[2] - 6.0 * f[3] + f[4]) * s;
  d[n - 1] =
      -(-25.0 * f[n - 1] + 48.0 * f[n - 2] - 36.0 * f[n - 3] + 16.0 * f[n - 4] - 3.0 * f[n - 5]) *
      s;
  d[n - 2] = -(-3.0 * f[n - 1] - 10.0 * f[n - 2] + 18.0 * f[n - 3] - 6.0 * f[n - 4] + f[n - 5]) * s;
  return d;
}

std::vector<double> fd2(const core::Grid& g, std::span<const double> f, Edge e, int order) {
  check_1d(g, f.size(), "fd2");
  if (e == Edge::periodic) return core::fd_laplacian(g, f, order);
  const std::int64_t n = g.size();
  const double h = g.spacing(0);
  std::vector<double> d(static_cast<std::size_t>(n));
  if (order == 2) {
    const double s = 1.0 / (h * h);
    for (std::int64_t i = 1; i + 1 < n; ++i) d[i] = (f[i - 1] - 2.0 * f[i] + f[i + 1]) * s;
    d[0] = (2.0 * f[0] - 5.0 * f[1] + 4.0 * f[2] - f[3]) * s;
    d[n - 1] = (2.0 * f[n - 1] - 5.0 * f[n - 2] + 4.0 * f[n - 3] - f[n - 4]) * s;
    return d;
  }
  if (order != 4) throw std::invalid_argument("fd2: order 2 or 4");
  const double s = 1.0 / (12.0 * h * h);
  for (std::int64_t i = 2; i + 2 < n; ++i) {
    d[i] = (-f[i - 2] + 16.0 * f[i - 1] - 30.0 * f[i] + 16.0 * f[i + 1] - f[i + 2]) * s;
  }
  auto edge = [&](std::int64_t i0, std::int64_t dir) {
    auto at = [&](std::int64_t k) { return f[i0 + dir * k]; };
    d[i0] = (45.0 * at(0) - 154.0 * at(1) + 214.0 * at(2) - 156.0 * at(3) + 61.0 * at(4) -
             10.0 * at(5)) *
            s;
    d[i0 + dir] =
        (10.0 * at(0) - 15.0 * at(1) - 4.0 * at(2) + 14.0 * at(3) - 6.0 * at(4) + at(5)) * s;
  };
  edge(0, 1);
  edge(n - 1, -1);
  return d;
}

// ---- direct solver -------------------------------------------------------------------------

std::vector<double> MadelungState::p() const {
  std::vector<double> out(log_p.size());
  for (std::size_t i = 0; i < out.size(); ++i) out[i] = std::exp(log_p[i]);
  return out;
}

MadelungSolver::MadelungSolver(const core::Grid& g, const Constants& c,
                               std::vector<double> potential, bool boxed, Edge edge,
                               MadelungBoundary boundary)
    : grid_(g),
      c_(c),
      v_(std::move(potential)),
      boxed_(boxed),
      edge_(edge),
      boundary_(std::move(boundary)) {
  if (g.dims != 1) throw std::invalid_argument("MadelungSolver: needs a 1-D grid");
  if (g.size() < 6) throw std::invalid_argument("MadelungSolver: needs at least 6 points");
  if (v_.empty()) v_.assign(static_cast<std::size_t>(g.size()), 0.0);
  if (static_cast<std::int64_t>(v_.size()) != g.size()) {
    throw std::invalid_argument("MadelungSolver: potential size does not match the grid");
  }
  if (c.mu_lagrange == 0.0) throw std::invalid_argument("MadelungSolver: μ = 0");
  if (edge == Edge::open && (!boundary_.log_p || !boundary_.F)) {
    throw std::invalid_argument("MadelungSolver: open edges need boundary values");
  }
}

void MadelungSolver::impose(MadelungState& s, double t) const {
  if (edge_ != Edge::open) return;
  const std::int64_t n = grid_.size();
  for (const std::int64_t i : {std::int64_t{0}, std::int64_t{1}, n - 2, n - 1}) {
    const double q = grid_.coordinate(0, i);
    s.log_p[i] = boundary_.log_p(t, q);
    s.F[i] = boundary_.F(t, q);
  }
}

MadelungState MadelungSolver::initial(std::span<const double> p, std::span<const double> F,
                                      double t0) const {
  check_1d(grid_, p.size(), "MadelungSolver::initial");
  check_1d(grid_, F.size(), "MadelungSolver::initial");
  MadelungState s;
  s.log_p.resize(p.size());
  for (std::size_t i = 0; i < p.size(); ++i) {
    if (!(p[i] > 0.0)) {
      throw std::invalid_argument("MadelungSolver: p must be > 0 everywhere (node-free data)");
    }
    s.log_p[i] = std::log(p[i]);
  }
  s.F.assign(F.begin(), F.end());
  s.time = t0;
  impose(s, t0);
  return s;
}

MadelungState MadelungSolver::rhs(const MadelungState& s) const {
  // (32)/p and (30)/μ in ℓ = log p (see the class comment); boxed terms in [·]:
  //   ∂_tℓ = −2γ(ℓ'F' + F'') [+ a(ℓ'' + ℓ'²)],  ∂_tF = −γF'² − V + (4D/μ)(ℓ''/2 + ℓ'²/4) [− aF''].
  const double g = c_.gamma, a = c_.gamma / c_.mu_lagrange, b = 4.0 * c_.diffusion / c_.mu_lagrange;
  const auto l1 = fd1(grid_, s.log_p, edge_), l2 = fd2(grid_, s.log_p, edge_);
  const auto f1 = fd1(grid_, s.F, edge_), f2 = fd2(grid_, s.F, edge_);
  MadelungState r;
  const std::size_t n = s.F.size();
  r.log_p.resize(n);
  r.F.resize(n);
  for (std::size_t i = 0; i < n; ++i) {
    double dl = -2.0 * g * (l1[i] * f1[i] + f2[i]);
    double df = -g * f1[i] * f1[i] - v_[i] + b * (0.5 * l2[i] + 0.25 * l1[i] * l1[i]);
    if (boxed_) {
      dl += a * (l2[i] + l1[i] * l1[i]);
      df -= a * f2[i];
    }
    r.log_p[i] = dl;
    r.F[i] = df;
  }
  return r;
}

void MadelungSolver::step(MadelungState& s, double dt) const {
  const std::size_t n = s.F.size();
  const double t = s.time;
  auto stage = [&](const MadelungState& k, double h) {
    MadelungState o;
    o.log_p.resize(n);
    o.F.resize(n);
    for (std::size_t i = 0; i < n; ++i) {
      o.log_p[i] = s.log_p[i] + h * k.log_p[i];
      o.F[i] = s.F[i] + h * k.F[i];
    }
    impose(o, t + h);
    return o;
  };
  const MadelungState k1 = rhs(s);
  const MadelungState k2 = rhs(stage(k1, 0.5 * dt));
  const MadelungState k3 = rhs(stage(k2, 0.5 * dt));
  const MadelungState k4 = rhs(stage(k3, dt));
  for (std::size_t i = 0; i < n; ++i) {
    s.log_p[i] += dt / 6.0 * (k1.log_p[i] + 2.0 * k2.log_p[i] + 2.0 * k3.log_p[i] + k4.log_p[i]);
    s.F[i] += dt / 6.0 * (k1.F[i] + 2.0 * k2.F[i] + 2.0 * k3.F[i] + k4.F[i]);
  }
  s.time = t + dt;
  impose(s, s.time);
}

void MadelungSolver::evolve(MadelungState& s, double dt, std::int64_t steps) const {
  for (std::int64_t k = 0; k < steps; ++k) {
    step(s, dt);
    for (std::size_t i = 0; i < s.F.size(); ++i) {
      if (!std::isfinite(s.log_p[i]) || !std::isfinite(s.F[i])) {
        throw Divergence(static_cast<long>(k + 1), "the (p, F) solver");
      }
    }
  }
}

// ---- residuals -----------------------------------------------------------------------------

SystemResidual madelung_residual(const core::Grid& g, const Constants& c,
                                 std::span<const double> potential, std::span<const double> p_prev,
                                 std::span<const double> p, std::span<const double> p_next,
                                 std::span<const double> F_prev, std::span<const double> F,
                                 std::span<const double> F_next, double h, bool boxed, int order,
                                 double mask) {
  // (32): ∂_tp + ∂(2γ p ∂F) − [(γ/μ)∂²p];  (30)/μ: ∂_tF + γ(∂F)² + [(γ/μ)∂²F] + V − (4D/μ)Q.
  const std::size_t n = p.size();
  for (auto f : {p_prev, p_next, F_prev, F, F_next, potential}) {
    check_1d(g, f.size(), "madelung_residual");
  }
  check_1d(g, n, "madelung_residual");
  const double gam = c.gamma, a = c.gamma / c.mu_lagrange, b = 4.0 * c.diffusion / c.mu_lagrange;
  const Edge e = Edge::open;
  const auto f1 = fd1(g, F, e, order);
  const auto f2 = fd2(g, F, e, order);
  std::vector<double> flux(n), sq(n);
  for (std::size_t i = 0; i < n; ++i) {
    flux[i] = 2.0 * gam * f1[i] * p[i];
    sq[i] = std::sqrt(p[i]);
  }
  const auto div = fd1(g, flux, e, order);
  const auto p2 = fd2(g, p, e, order);
  const auto sq2 = fd2(g, sq, e, order);
  const double pmax = *std::max_element(p.begin(), p.end());
  double rp = 0.0, rf = 0.0, pt_max = 0.0, ft_max = 0.0;
  SystemResidual out;
  for (std::size_t i = 0; i < n; ++i) {
    const double pt = (p_next[i] - p_prev[i]) / (2.0 * h);
    pt_max = std::max(pt_max, std::abs(pt));
    if (!(p[i] > mask * pmax)) continue;
    ++out.points;
    const double ft = (F_next[i] - F_prev[i]) / (2.0 * h);
    ft_max = std::max(ft_max, std::abs(ft));
    double res_p = pt + div[i];
    double res_f = ft + gam * f1[i] * f1[i] + potential[i] - b * sq2[i] / sq[i];
    if (boxed) {
      res_p -= a * p2[i];
      res_f += a * f2[i];
    }
    rp = std::max(rp, std::abs(res_p));
    rf = std::max(rf, std::abs(res_f));
  }
  out.continuity = rp / pt_max;
  out.hamilton_jacobi = rf / ft_max;
  return out;
}

}  // namespace nnworld::trainable
