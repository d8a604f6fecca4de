// Adaptive cubature of the partition function (5) for N ≤ 3.
#include <algorithm>
#include <array>
#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "nnworld/core/error.hpp"
#include "nnworld/thermo/existence.hpp"
#include "nnworld/thermo/partition.hpp"

namespace nnworld::thermo {

namespace {

using Moments = std::array<double, 3>;  // ∫ e^{−βh}, ∫ h e^{−βh}, ∫ h² e^{−βh}, h = H − H_min

// Gauss–Kronrod 15-point rule (QUADPACK qk15): Kronrod nodes ±xk[j], the Gauss 7-point rule
// uses the odd-indexed nodes xk[1], xk[3], xk[5] and the centre xk[7].
constexpr std::array<double, 8> xk = {
    0.991455371120812639206854697526329, 0.949107912342758524526189684047851,
    0.864864423359769072789712788640926, 0.741531185599394439863864773280788,
    0.586087235467691130294144845693013, 0.405845151377397166906606412076961,
    0.207784955007898467600689403773245, 0.0};
constexpr std::array<double, 8> wk = {
    0.022935322010529224963732008058970, 0.063092092629978553290700663189204,
    0.104790010322250183839876322541518, 0.140653259715525918745189590510238,
    0.169004726639267902826583426598550, 0.190350578064785409913256402421014,
    0.204432940075298892414161999234649, 0.209482141084727828012999174891714};
constexpr std::array<double, 4> wg = {
    0.129484966168869693270611432679082, 0.279705391489276667901467771423780,
    0.381830050505118944950369775488975, 0.417959183673469387755102040816327};

struct Interval {
  double a, b;
  Moments value;
  double error;  // max over the components of |K15 − G7| (drives the bisection)
  double inner;  // error propagated from the inner integrals (reported, cannot be bisected)
};

// Nested adaptive integrator: dimension d integrates over x_d the integral over x_{d+1..N−1}.
template <class Loss>
class Cubature {
 public:
  Cubature(const Loss& loss, int n, double beta, double h_min, std::vector<double> lo,
           std::vector<double> hi, std::vector<std::vector<double>> breaks,
           const QuadratureOptions& opt)
      : loss_(loss),
        n_(n),
        beta_(beta),
        h_min_(h_min),
        lo_(std::move(lo)),
        hi_(std::move(hi)),
        breaks_(std::move(breaks)),
        opt_(opt) {}

  Moments run(double& error) { return integrate(0, error); }
  long evaluations = 0;
  bool exhausted = false;  // some one-dimensional integral hit max_intervals

 private:
  Moments point(int d, double& error) {
    if (d == n_) {
      ++evaluations;
      const double h = loss_(x_.data()) - h_min_;
      const double e = std::exp(-beta_ * h);
      error = 0.0;
      return {e, h * e, h * h * e};
    }
    return integrate(d, error);
  }

  // G7K15 on [a, b] in dimension d.
  Interval rule(int d, double a, double b) {
    const double c = 0.5 * (a + b);
    const double half = 0.5 * (b - a);
    Moments k{};
    Moments g{};
    double inner_error = 0.0;
    for (int j = 0; j < 8; ++j) {
      const int reps = j == 7 ? 1 : 2;
      for (int s = 0; s < reps; ++s) {
        x_[d] = s == 0 ? c - half * xk[j] : c + half * xk[j];
        double e = 0.0;
        const Moments v = point(d + 1, e);
        inner_error += wk[j] * e;
        for (int q = 0; q < 3; ++q) {
          k[q] += wk[j] * v[q];
          if (j % 2 == 1) g[q] += wg[j / 2] * v[q];
        }
      }
    }
    Interval it{a, b, {}, 0.0, half * inner_error};
    for (int q = 0; q < 3; ++q) {
      it.value[q] = half * k[q];
      it.error = std::max(it.error, std::abs(half * (k[q] - g[q])));
    }
    return it;
  }

  Moments integrate(int d, double& error) {
    std::vector<Interval> heap;
    const auto worse = [](const Interval& p, const Interval& q) { return p.error < q.error; };
    const auto& br = breaks_[static_cast<std::size_t>(d)];
    for (std::size_t i = 0; i + 1 < br.size(); ++i) {
      heap.push_back(rule(d, br[i], br[i + 1]));
    }
    std::make_heap(heap.begin(), heap.end(), worse);
    const double min_width =
        1e-12 * (hi_[static_cast<std::size_t>(d)] - lo_[static_cast<std::size_t>(d)]);
    for (;;) {
      Moments total{};
      double err = 0.0;
      double inner = 0.0;
      for (const auto& it : heap) {
        for (int q = 0; q < 3; ++q) total[q] += it.value[q];
        err += it.error;
        inner += it.inner;
      }
      const double tol = std::max(opt_.abs_tolerance, opt_.rel_tolerance * std::abs(total[0]));
      const Interval& worst = heap.front();
      if (err <= tol || (worst.b - worst.a) <= min_width) {
        error = err + inner;
        return total;
      }
      if (static_cast<int>(heap.size()) >= opt_.max_intervals) {
        exhausted = true;
        error = err + inner;
        return total;
      }
      std::pop_heap(heap.begin(), heap.end(), worse);
      const Interval w = heap.back();
      heap.pop_back();
      const double mid = 0.5 * (w.a + w.b);
      heap.push_back(rule(d, w.a, mid));
      std::push_heap(heap.begin(), heap.end(), worse);
      heap.push_back(rule(d, mid, w.b));
      std::push_heap(heap.begin(), heap.end(), worse);
    }
  }

  const Loss& loss_;
  int n_;
  double beta_;
  double h_min_;
  std::vector<double> lo_, hi_;
  std::vector<std::vector<double>> breaks_;
  const QuadratureOptions& opt_;
  std::array<double, 3> x_{};
};

// H of (3) for a dense N ≤ 3 network, with the activation evaluator F (same f as bulk_loss).
template <class F>
struct SmallLoss {
  std::array<std::array<double, 3>, 3> w{};
  std::array<double, 3> b{};
  double m = 0.0;
  int n = 0;
  double operator()(const double* x) const {
    double h = 0.0;
    for (int i = 0; i < n; ++i) {
      double y = b[static_cast<std::size_t>(i)];
      for (int j = 0; j < n; ++j) {
        y += w[static_cast<std::size_t>(i)][static_cast<std::size_t>(j)] * x[j];
      }
      const double r = x[i] - F::f(y);
      h += 0.5 * r * r - 0.5 * m * x[i] * x[i];
    }
    return h;
  }
};

}  // namespace

// Eq. (5) by nested adaptive Gauss–Kronrod cubature, N ≤ 3:
//   I_k = ∫_box dᴺx h^k e^{−βh},  h = H(x) − H_min,  k = 0, 1, 2   (one pass, shared nodes),
//   log Z = log I₀ − βH_min   (5),   F = −log Z/β   (6),
//   U = H_min + I₁/I₀   (10),   C_β = β²(I₂/I₀ − (I₁/I₀)²),   S_x = β(U − F)   (13).
// H_min is the lowest minimum from loss_minima; the box is [min_k x*_k − L, max_k x*_k + L]
// per axis, L = 12/√β + 6 (spec T2.4) unless options.half_width > 0. Each one-dimensional
// integral bisects its worst G7K15 interval (error |K15 − G7|) until the summed error ≤
// max(abs_tolerance, rel_tolerance · |I₀|); error_estimate adds the inner errors; the initial
// breakpoints are x*_d and x*_d ± (1, 3, 8)/√β so the first rules resolve the peak.
PartitionEstimate quadrature(const network::Network& net, double beta,
                             const QuadratureOptions& opt) {
  constexpr const char* where = "thermo::quadrature";
  net.validate();
  detail::check_beta(beta, where);
  const std::int64_t n = net.n();
  if (n > 3 || n < 1) {
    throw Error(where, "quadrature needs N <= 3 (N = " + std::to_string(n) + ")", "N <= 3");
  }
  if (!(opt.abs_tolerance > 0.0) || !(opt.rel_tolerance >= 0.0) || !(opt.half_width >= 0.0) ||
      opt.max_intervals < 2) {
    throw Error(where, "invalid quadrature options",
                "abs_tolerance > 0, rel_tolerance >= 0, half_width >= 0, max_intervals >= 2");
  }
  detail::check_existence(net, where, true, opt.minima.zero_mode_tolerance);
  PartitionEstimate r;
  r.method = "quadrature";
  r.beta = beta;
  r.minima = loss_minima(net, opt.minima);
  if (r.minima.empty()) {
    throw Error(where, "no minimum of H found", "a converged fixed point or minimum of H", 3);
  }
  const double h_min = r.minima.front().loss;
  const double half = opt.half_width > 0.0 ? opt.half_width : 12.0 / std::sqrt(beta) + 6.0;
  const double sigma = 1.0 / std::sqrt(beta);
  std::vector<double> lo(static_cast<std::size_t>(n));
  std::vector<double> hi(static_cast<std::size_t>(n));
  std::vector<std::vector<double>> breaks(static_cast<std::size_t>(n));
  for (std::int64_t d = 0; d < n; ++d) {
    const auto u = static_cast<std::size_t>(d);
    double mn = r.minima.front().x[d];
    double mx = mn;
    for (const auto& m : r.minima) {
      mn = std::min(mn, m.x[d]);
      mx = std::max(mx, m.x[d]);
    }
    lo[u] = mn - half;
    hi[u] = mx + half;
    auto& br = breaks[u];
    br = {lo[u], hi[u]};
    for (const auto& m : r.minima) {
      for (double s : {0.0, 1.0, -1.0, 3.0, -3.0, 8.0, -8.0}) {
        const double p = m.x[d] + s * sigma;
        if (p > lo[u] && p < hi[u]) br.push_back(p);
      }
    }
    std::sort(br.begin(), br.end());
    br.erase(
        std::unique(br.begin(), br.end(), [&](double a, double b) { return b - a <= 1e-9 * half; }),
        br.end());
  }
  const Matrix w = network::to_dense(net.w);
  double error = 0.0;
  Moments mom{};
  long evaluations = 0;
  network::with_activation(net.activation, [&](auto ev) {
    using F = decltype(ev);
    SmallLoss<F> loss;
    loss.n = static_cast<int>(n);
    loss.m = net.mass;
    for (int i = 0; i < loss.n; ++i) {
      loss.b[static_cast<std::size_t>(i)] = net.b[i];
      for (int j = 0; j < loss.n; ++j) {
        loss.w[static_cast<std::size_t>(i)][static_cast<std::size_t>(j)] = w(i, j);
      }
    }
    Cubature<SmallLoss<F>> cub(loss, loss.n, beta, h_min, lo, hi, breaks, opt);
    mom = cub.run(error);
    evaluations = cub.evaluations;
  });
  if (!(mom[0] > 0.0) || !std::isfinite(mom[0])) {
    throw Error(where, "cubature gave a non-positive or non-finite Z", "0 < Z < inf", 3);
  }
  const double h1 = mom[1] / mom[0];
  const double h2 = mom[2] / mom[0];
  r.log_z = std::log(mom[0]) - beta * h_min;
  r.free_energy = -r.log_z / beta;
  r.mean_loss = h_min + h1;
  r.heat_capacity = beta * beta * (h2 - h1 * h1);
  r.entropy = beta * (r.mean_loss - r.free_energy);
  r.error_estimate = error / mom[0];
  r.evaluations = evaluations;
  return r;
}

}  // namespace nnworld::thermo
