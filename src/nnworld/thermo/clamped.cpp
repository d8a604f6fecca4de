#include "nnworld/thermo/clamped.hpp"

#include <Eigen/Cholesky>

#include <algorithm>
#include <cmath>
#include <limits>
#include <numbers>
#include <vector>

#include "nnworld/core/error.hpp"
#include "nnworld/core/rng.hpp"
#include "nnworld/network/activation.hpp"
#include "nnworld/thermo/existence.hpp"

namespace nnworld::thermo {

namespace {

// H, ∇H and ∇²H of the bulk loss (3) for a dense network at x (network.hpp's formulas):
//   r = x − f(y), y = ŵx + b,  H = ½|r|² − (m/2)|x|²,
//   ∇H = r − ŵᵀ(f′ ⊙ r) − m x,
//   ∇²H = (I − Ĵ)ᵀ(I − Ĵ) − ŵᵀ diag(r ⊙ f″) ŵ − m I,  Ĵ = diag(f′)ŵ.
// Serial and allocation-light: it runs inside parallel loops over replicas.
struct Dense {
  const network::Network& net;
  network::Matrix w;  // column-major copy of ŵ
  network::Vector y, fy, df, d2f, r;
  network::Matrix a;  // I − Ĵ
  explicit Dense(const network::Network& n) : net(n), w(network::to_dense(n.w)) {}
  double loss(const network::Vector& x) {
    y.noalias() = w * x;
    y += net.b;
    fy = y;
    network::apply_activation(net.activation, fy.data(), fy.size());
    r = x - fy;
    return 0.5 * r.squaredNorm() - 0.5 * net.mass * x.squaredNorm();
  }
  // After loss(x): the gradient.
  network::Vector gradient(const network::Vector& x) {
    df.resize(y.size());
    network::activation_derivative(net.activation, y.data(), df.data(), y.size());
    return r - w.transpose() * df.cwiseProduct(r) - net.mass * x;
  }
  // After gradient(x): the Hessian.
  network::Matrix hessian() {
    d2f.resize(y.size());
    network::activation_second_derivative(net.activation, y.data(), d2f.data(), y.size());
    a = -(df.asDiagonal() * w);
    a.diagonal().array() += 1.0;
    network::Matrix h = a.transpose() * a;
    h.noalias() -= w.transpose() * (r.cwiseProduct(d2f).asDiagonal() * w);
    h.diagonal().array() -= net.mass;
    return h;
  }
};

}  // namespace

ClampedEstimate clamped_free_energy(const network::Network& net,
                                    std::span<const std::int32_t> clamped,
                                    const network::Vector& state, double beta,
                                    const ClampedOptions& o) {
  detail::check_beta(beta, "thermo::clamped_free_energy");
  const auto n = net.n();
  if (state.size() != n) {
    throw Error("thermo::clamped_free_energy",
                "a state of " + std::to_string(state.size()) + " values",
                std::to_string(n) + " (N)");
  }
  std::vector<std::uint8_t> held(static_cast<std::size_t>(n), 0);
  for (auto i : clamped) {
    if (i < 0 || i >= n) {
      throw Error("thermo::clamped_free_energy", "a clamped index out of range", "0 ≤ i < N");
    }
    held[static_cast<std::size_t>(i)] = 1;
  }
  std::vector<Eigen::Index> free;
  for (Eigen::Index i = 0; i < n; ++i) {
    if (held[static_cast<std::size_t>(i)] == 0) free.push_back(i);
  }
  const auto nh = static_cast<Eigen::Index>(free.size());
  Dense d(net);
  ClampedEstimate e;
  // The relaxed state: (1) with the boundary held.
  network::Vector x = network::Vector::Zero(n);
  for (auto i : clamped) x[i] = state[i];
  for (int t = 0; t < o.relax_steps; ++t) {
    (void)d.loss(x);
    for (const Eigen::Index i : free) x[i] = d.fy[i];
  }
  if (nh == 0) {
    e.loss = d.loss(x);
    e.free_energy = e.laplace = e.loss;
    e.x = x;
    return e;
  }
  network::Matrix hh(nh, nh);
  auto block = [&](const network::Matrix& h) {
    for (Eigen::Index a = 0; a < nh; ++a) {
      for (Eigen::Index b = 0; b < nh; ++b) {
        hh(a, b) = h(free[static_cast<std::size_t>(a)], free[static_cast<std::size_t>(b)]);
      }
    }
  };
  // Newton on ∇_h H with the Hessian block; steepest descent where the block is not positive
  // definite; backtracking on H.
  bool converged = false;
  network::Vector gh(nh), xn;
  for (int it = 0; it <= o.newton_iterations; ++it) {
    const double h0 = d.loss(x);
    const network::Vector g = d.gradient(x);
    for (Eigen::Index a = 0; a < nh; ++a) gh[a] = g[free[static_cast<std::size_t>(a)]];
    if (gh.lpNorm<Eigen::Infinity>() <= o.tolerance * (1.0 + x.lpNorm<Eigen::Infinity>())) {
      converged = true;
      break;
    }
    if (it == o.newton_iterations) break;
    block(d.hessian());
    Eigen::LLT<network::Matrix> llt(hh);
    const network::Vector step = llt.info() == Eigen::Success ? network::Vector(llt.solve(gh)) : gh;
    double t = 1.0;
    for (int k = 0; k < 30; ++k) {
      xn = x;
      for (Eigen::Index a = 0; a < nh; ++a) xn[free[static_cast<std::size_t>(a)]] -= t * step[a];
      // Within rounding of H the full step is taken: near the minimum H changes by ~|∇H|²,
      // below its own rounding, where only the gradient still tells progress.
      if (d.loss(xn) <= h0 + 1e-14 * (1.0 + std::abs(h0))) break;
      t *= 0.5;
    }
    x = xn;
  }
  e.loss = d.loss(x);
  (void)d.gradient(x);
  block(d.hessian());
  Eigen::LLT<network::Matrix> llt(hh);
  e.x = x;
  if (!converged || llt.info() != Eigen::Success) {
    e.status = "no_minimum";
    e.free_energy = e.laplace = std::numeric_limits<double>::quiet_NaN();
    return e;
  }
  double log_det = 0.0;
  const network::Matrix l = llt.matrixL();
  for (Eigen::Index a = 0; a < nh; ++a) log_det += 2.0 * std::log(l(a, a));
  const double dh = static_cast<double>(nh);
  e.laplace = e.loss + dh / (2.0 * beta) * std::log(beta / (2.0 * std::numbers::pi)) +
              log_det / (2.0 * beta);
  e.free_energy = e.laplace;
  if (o.samples > 0) {
    // δ = (βH_hh)^{−½}ξ: solve Lᵀδ = ξ/√β (H_hh = LLᵀ); weights e^{−β(H − H₂)}.
    const core::RngStream rng(o.seed, core::StreamTag::start, o.stream);
    std::vector<double> logw(static_cast<std::size_t>(o.samples));
    double lmax = -std::numeric_limits<double>::infinity();
    network::Vector xi(nh), xs = x;
    for (std::int64_t i = 0; i < o.samples; ++i) {
      for (Eigen::Index a = 0; a < nh; ++a) {
        xi[a] = rng.normal(static_cast<std::uint64_t>(i), static_cast<std::uint64_t>(a));
      }
      const network::Vector dx = llt.matrixU().solve(xi / std::sqrt(beta));
      for (Eigen::Index a = 0; a < nh; ++a) {
        xs[free[static_cast<std::size_t>(a)]] = x[free[static_cast<std::size_t>(a)]] + dx[a];
      }
      const double h2 = e.loss + 0.5 * dx.dot(hh * dx);
      const double lw = -beta * (d.loss(xs) - h2);
      logw[static_cast<std::size_t>(i)] = lw;
      lmax = std::max(lmax, lw);
    }
    double s1 = 0.0, s2 = 0.0;
    for (double lw : logw) {
      const double w = std::exp(lw - lmax);
      s1 += w;
      s2 += w * w;
    }
    const double ns = static_cast<double>(o.samples);
    const double mean = s1 / ns;
    const double var = std::max(0.0, s2 / ns - mean * mean) * ns / std::max(1.0, ns - 1.0);
    e.free_energy = e.laplace - (std::log(mean) + lmax) / beta;
    e.stderr_ = std::sqrt(var / ns) / (mean * beta);
  }
  return e;
}

}  // namespace nnworld::thermo
