#include "nnworld/hidden/strings.hpp"

#include <Eigen/Dense>
#include <algorithm>
#include <cmath>
#include <complex>
#include <numbers>
#include <string>

#include "nnworld/core/error.hpp"
#include "nnworld/core/rng.hpp"
#include "nnworld/network/network.hpp"

namespace nnworld::hidden {

namespace {

using network::Matrix;
using network::Network;
using network::Vector;
using Complex = std::complex<double>;

std::string str(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.6g", v);
  return buf;
}

void same_shape(const Field& a, const Field& b, const char* where) {
  if (a.times != b.times || a.n != b.n) {
    throw Error(where, "fields of different shapes", "fields of the same shape", 1);
  }
}

Network permutation_network(const Permutation& p, double scale, network::ActivationKind f) {
  Network net;
  net.w = to_weights(p, scale);
  net.b = Vector::Zero(p.size());
  net.activation = f;
  net.validate();
  return net;
}

// Replica mean of columns [c0, c0 + m) as x_0 + (1/M)Σ_m (x_m − x_0): identical replicas give
// x_0 exactly.
template <class M>
void column_mean(const M& x, std::int64_t c0, std::int64_t m, double* out) {
  const std::int64_t n = x.rows();
  const double inv = 1.0 / static_cast<double>(m);
  for (std::int64_t i = 0; i < n; ++i) {
    const double x0 = x(i, c0);
    double acc = 0.0;
    for (std::int64_t r = 1; r < m; ++r) acc += x(i, c0 + r) - x0;
    out[i] = x0 + inv * acc;
  }
}

// α(f(wX) − X) and, optionally, Y = wX.
Matrix ode_rhs(const Network& net, double alpha, const Matrix& x) {
  Matrix fx;
  network::state_map_batch(net, x, fx);
  return alpha * (fx - x);
}

// α(f̂′ŵ L − L), f̂′ = diag f′(ŵL) (b = 0).
Matrix lin_rhs(const Network& net, double alpha, const Matrix& l) {
  const Matrix y = network::preactivation_batch(net, l);
  Matrix d(y.rows(), y.cols());
  network::activation_derivative(net.activation, y.data(), d.data(), y.size());
  return alpha * (d.cwiseProduct(y) - l);
}

template <class Rhs>
void rk4_step(Matrix& x, double h, const Rhs& rhs) {
  const Matrix k1 = rhs(x);
  const Matrix k2 = rhs(x + 0.5 * h * k1);
  const Matrix k3 = rhs(x + 0.5 * h * k2);
  const Matrix k4 = rhs(x + h * k3);
  x += (h / 6.0) * (k1 + 2.0 * k2 + 2.0 * k3 + k4);
}

template <class M>
bool all_finite(const M& m) {
  return m.allFinite();
}

}  // namespace

double Field::max_abs() const {
  double m = 0.0;
  for (double x : v) m = std::max(m, std::abs(x));
  return m;
}

Field half_sum(const Field& a, const Field& b) {
  same_shape(a, b, "half_sum");
  Field out(a.times, a.n);
  for (std::size_t k = 0; k < a.v.size(); ++k) out.v[k] = 0.5 * a.v[k] + 0.5 * b.v[k];
  return out;
}

Field field_sum(const std::vector<Field>& fields) {
  if (fields.empty()) throw Error("field_sum", "no fields", "at least one field", 1);
  Field out = fields.front();
  for (std::size_t d = 1; d < fields.size(); ++d) {
    same_shape(out, fields[d], "field_sum");
    for (std::size_t k = 0; k < out.v.size(); ++k) out.v[k] += fields[d].v[k];
  }
  return out;
}

Field restrict_to(const Field& f, const std::vector<std::int32_t>& neurons) {
  Field out(f.times, static_cast<std::int64_t>(neurons.size()));
  for (std::int64_t t = 0; t < f.times; ++t) {
    for (std::size_t k = 0; k < neurons.size(); ++k) {
      out.at(t, static_cast<std::int64_t>(k)) = f.at(t, neurons[k]);
    }
  }
  return out;
}

// φ(σ) = A exp(−d²/2s²) [|d| < truncate·s], d = σ − c wrapped into [−P/2, P/2).
double bump(const Bump& b, double sigma, double period) {
  double d = sigma - b.centre;
  d -= period * std::floor((d + 0.5 * period) / period);
  if (!(std::abs(d) < b.truncate * b.width)) return 0.0;
  return b.amplitude * std::exp(-d * d / (2.0 * b.width * b.width));
}

std::vector<std::int32_t> longest_cycle(const Permutation& p) {
  const auto cs = cycles(p);
  std::size_t best = 0;
  for (std::size_t c = 1; c < cs.size(); ++c) {
    if (cs[c].size() > cs[best].size()) best = c;
  }
  return cs[best];
}

std::vector<double> bump_state(const Permutation& p, double alpha, const Bump& b, double shift) {
  const auto c = longest_cycle(p);
  const double period = static_cast<double>(c.size()) / alpha;
  std::vector<double> x(static_cast<std::size_t>(p.size()), 0.0);
  for (std::size_t k = 0; k < c.size(); ++k) {
    x[static_cast<std::size_t>(c[k])] = bump(b, static_cast<double>(k) / alpha - shift, period);
  }
  return x;
}

// ---- dynamics -----------------------------------------------------------------------------

// (49)–(53), (68)–(70); see the header.
StringRun simulate_strings(const StringSetup& s,
                           const std::function<void(std::int64_t)>& progress) {
  if (!is_permutation(s.perm.source) || s.perm.size() < 1) {
    throw Error("simulate_strings", "not a permutation", "a permutation of 0..N-1");
  }
  if (!(s.alpha > 0.0) || !std::isfinite(s.alpha)) {
    throw Error("simulate_strings", "alpha = " + str(s.alpha), "alpha > 0");
  }
  if (s.bumps.empty()) throw Error("simulate_strings", "no subsystems", "D >= 1");
  if (s.replicas < 1) throw Error("simulate_strings", "replicas < 1", "replicas >= 1");
  if (s.steps < 1) throw Error("simulate_strings", "steps < 1", "steps >= 1");
  if (s.substeps < 1) throw Error("simulate_strings", "substeps < 1", "substeps >= 1");
  if (!(s.noise >= 0.0)) throw Error("simulate_strings", "noise < 0", "noise >= 0");

  const std::int64_t n = s.perm.size();
  const auto nd = static_cast<std::int64_t>(s.bumps.size());
  const std::int64_t m = s.replicas;
  const std::int64_t T = s.steps;
  const bool discrete = s.mode == TimeMode::discrete;
  const Permutation pt = transpose(s.perm);
  const Network net_r = permutation_network(s.perm, s.weight_scale, s.activation);
  const Network net_l = permutation_network(pt, s.weight_scale, s.activation);

  StringRun run;
  run.cycle = longest_cycle(s.perm);

  // Initial replicas: column (d−1)·M + m holds φ_d + noise·ξ.
  Matrix x0(n, nd * m);
  const core::RngStream rng(s.seed, core::StreamTag::init, 0x737472696e67ULL);  // "string"
  for (std::int64_t d = 0; d < nd; ++d) {
    const auto phi = bump_state(s.perm, s.alpha, s.bumps[static_cast<std::size_t>(d)]);
    for (std::int64_t r = 0; r < m; ++r) {
      for (std::int64_t i = 0; i < n; ++i) {
        double v = phi[static_cast<std::size_t>(i)];
        if (s.noise > 0.0) {
          v += s.noise *
               rng.normal(static_cast<std::uint64_t>(d + 1), static_cast<std::uint64_t>(r * n + i));
        }
        x0(i, d * m + r) = v;
      }
    }
  }

  const std::int64_t rate_rows = discrete ? T : T + 1;
  for (std::int64_t d = 0; d < nd; ++d) {
    run.right.emplace_back(T + 1, n);
    run.left.emplace_back(T + 1, n);
    run.right_rate.emplace_back(rate_rows, n);
    run.left_rate.emplace_back(rate_rows, n);
    run.right_lin.emplace_back(T + 1, n);
    run.left_lin.emplace_back(T + 1, n);
    if (!discrete) {
      run.right_accel.emplace_back(T + 1, n);
      run.left_accel.emplace_back(T + 1, n);
    }
  }

  struct Chiral {
    const Network* net;
    Matrix x;    // replicas (continuous mode)
    Matrix lin;  // N × D linearised means
    std::vector<Field>* mean;
    std::vector<Field>* rate;
    std::vector<Field>* accel;
    std::vector<Field>* lin_out;
    // Discrete mode: the replicas neuron-major (row i = neuron i in every replica), the layout
    // in which the permutation step gathers whole rows; the output buffer is kept across steps.
    network::RowMatrix rows = {};
    network::RowMatrix next = {};
  };
  Chiral ch[2] = {
      {&net_r, x0, Matrix(n, nd), &run.right, &run.right_rate, &run.right_accel, &run.right_lin},
      {&net_l, x0, Matrix(n, nd), &run.left, &run.left_rate, &run.left_accel, &run.left_lin}};
  for (auto& c : ch) {
    for (std::int64_t d = 0; d < nd; ++d) column_mean(x0, d * m, m, c.lin.col(d).data());
    if (discrete) {
      c.rows = c.x;
      c.x.resize(0, 0);
    }
  }

  const double h = 1.0 / (s.alpha * static_cast<double>(s.substeps));
  std::vector<double> mean_buf(static_cast<std::size_t>(n));
  for (std::int64_t t = 0; t <= T; ++t) {
    for (auto& c : ch) {
      const bool finite = discrete ? all_finite(c.rows) : all_finite(c.x);
      if (!finite || !all_finite(c.lin)) {
        throw Divergence(static_cast<long>(t), "the replica states x̄^(d)");
      }
      for (std::int64_t d = 0; d < nd; ++d) {
        double* mean = (*c.mean)[static_cast<std::size_t>(d)].row(t);
        if (discrete) {
          column_mean(c.rows, d * m, m, mean);
        } else {
          column_mean(c.x, d * m, m, mean);
        }
        std::copy(c.lin.col(d).data(), c.lin.col(d).data() + n,
                  (*c.lin_out)[static_cast<std::size_t>(d)].row(t));
      }
      if (!discrete) {
        // Exact τ-derivatives from the ODE: v = α(f(wx) − x), a = α(f′(wx) ⊙ (w v) − v).
        const Matrix y = network::preactivation_batch(*c.net, c.x);
        Matrix fy = y;
        network::apply_activation(c.net->activation, fy.data(), fy.size());
        const Matrix v = s.alpha * (fy - c.x);
        Matrix dfy(y.rows(), y.cols());
        network::activation_derivative(c.net->activation, y.data(), dfy.data(), y.size());
        const Matrix wv = network::preactivation_batch(*c.net, v);
        const Matrix a = s.alpha * (dfy.cwiseProduct(wv) - v);
        for (std::int64_t d = 0; d < nd; ++d) {
          column_mean(v, d * m, m, (*c.rate)[static_cast<std::size_t>(d)].row(t));
          column_mean(a, d * m, m, (*c.accel)[static_cast<std::size_t>(d)].row(t));
        }
      }
    }
    if (progress) progress(t);
    if (t == T) break;
    for (auto& c : ch) {
      if (discrete) {
        network::state_map_rows(*c.net, c.rows, c.next);
        c.rows.swap(c.next);
        // (50)/(52): x̄_lin(t+1) = f′(ŵx̄_lin) ⊙ (ŵx̄_lin) (b = 0).
        const Matrix y = network::preactivation_batch(*c.net, c.lin);
        Matrix dy(y.rows(), y.cols());
        network::activation_derivative(c.net->activation, y.data(), dy.data(), y.size());
        c.lin = dy.cwiseProduct(y);
      } else {
        const Network& net = *c.net;
        const double alpha = s.alpha;
        for (std::int64_t k = 0; k < s.substeps; ++k) {
          rk4_step(c.x, h, [&](const Matrix& x) { return ode_rhs(net, alpha, x); });
          rk4_step(c.lin, h, [&](const Matrix& l) { return lin_rhs(net, alpha, l); });
        }
      }
    }
  }
  if (discrete) {
    for (std::int64_t d = 0; d < nd; ++d) {
      for (int side = 0; side < 2; ++side) {
        const Field& x = (side == 0 ? run.right : run.left)[static_cast<std::size_t>(d)];
        Field& v = (side == 0 ? run.right_rate : run.left_rate)[static_cast<std::size_t>(d)];
        for (std::int64_t t = 0; t < T; ++t) {
          for (std::int64_t i = 0; i < n; ++i) v.at(t, i) = s.alpha * (x.at(t + 1, i) - x.at(t, i));
        }
      }
    }
  }

  // Linearisation drift of the {π, πᵀ} mean x̄^(d) = ½x̄^(d−) + ½x̄^(d+).
  run.drift.assign(static_cast<std::size_t>(T + 1), 0.0);
  for (std::int64_t d = 0; d < nd; ++d) {
    const auto k = static_cast<std::size_t>(d);
    for (std::int64_t t = 0; t <= T; ++t) {
      double mx = 0.0;
      for (std::int64_t i = 0; i < n; ++i) {
        const double a = 0.5 * run.right[k].at(t, i) + 0.5 * run.left[k].at(t, i);
        const double b = 0.5 * run.right_lin[k].at(t, i) + 0.5 * run.left_lin[k].at(t, i);
        mx = std::max(mx, std::abs(a - b));
      }
      run.drift[static_cast<std::size_t>(t)] = std::max(run.drift[static_cast<std::size_t>(t)], mx);
    }
  }
  run.linearisation_drift = *std::max_element(run.drift.begin(), run.drift.end());

  // Continuous, linear f: RK4 against the Poisson kernel (61)/(69)–(70).
  if (!discrete && s.activation == network::ActivationKind::linear) {
    double err = 0.0;
    for (std::int64_t d = 0; d < nd; ++d) {
      const auto k = static_cast<std::size_t>(d);
      for (int side = 0; side < 2; ++side) {
        const Field& f = side == 0 ? run.right[k] : run.left[k];
        const Permutation& p = side == 0 ? s.perm : pt;
        const std::vector<double> init(f.row(0), f.row(0) + n);
        for (std::int64_t t = 1; t <= T; ++t) {
          const auto ex = poisson_kernel(p, static_cast<double>(t), s.weight_scale, init);
          for (std::int64_t i = 0; i < n; ++i) {
            err = std::max(err, std::abs(f.at(t, i) - ex[static_cast<std::size_t>(i)]));
          }
        }
      }
    }
    run.rk4_vs_exact = err;
  }
  return run;
}

// expm(λ(sπ − I))x0 = Σ_k e^{−λ}(λs)^k/k! π^k x0 (see the header).
std::vector<double> poisson_kernel(const Permutation& p, double lambda, double scale,
                                   const std::vector<double>& x0) {
  if (static_cast<std::int64_t>(x0.size()) != p.size()) {
    throw Error("poisson_kernel", "state of size " + std::to_string(x0.size()),
                "a state of size N = " + std::to_string(p.size()), 1);
  }
  if (!(lambda >= 0.0)) throw Error("poisson_kernel", "λ = " + str(lambda), "λ = ατ >= 0", 1);
  const std::size_t n = x0.size();
  std::vector<double> out(n, 0.0), y = x0, next(n);
  const double ls = lambda * std::abs(scale);
  const double sgn = scale < 0.0 ? -1.0 : 1.0;
  const double log_total = lambda * (std::abs(scale) - 1.0);  // log Σ_k e^{−λ}(λ|s|)^k/k!
  auto log_q = [&](double k) {
    return -lambda + (k > 0 ? k * std::log(ls) : 0.0) - std::lgamma(k + 1.0);
  };
  for (std::int64_t k = 0;; ++k) {
    const double kd = static_cast<double>(k);
    const double q = ls > 0.0 ? std::exp(log_q(kd)) : (k == 0 ? std::exp(-lambda) : 0.0);
    const double c = (k % 2 == 1 && sgn < 0.0) ? -q : q;
    for (std::size_t i = 0; i < n; ++i) out[i] += c * y[i];
    if (ls == 0.0) break;
    if (kd + 2.0 > ls) {
      const double tail = std::exp(log_q(kd + 1.0) - log_total) / (1.0 - ls / (kd + 2.0));
      if (tail < 1e-17) break;
    }
    for (std::size_t i = 0; i < n; ++i) next[i] = y[static_cast<std::size_t>(p.source[i])];
    y.swap(next);
  }
  return out;
}

// ---- measurements -------------------------------------------------------------------------

std::vector<double> permute(const Permutation& p, const std::vector<double>& x) {
  std::vector<double> out(x.size());
  for (std::size_t i = 0; i < x.size(); ++i) out[i] = x[static_cast<std::size_t>(p.source[i])];
  return out;
}

std::vector<double> g_times(const Permutation& p, const Permutation& pt, const double* x,
                            std::int64_t n) {
  std::vector<double> out(static_cast<std::size_t>(n));
  for (std::int64_t i = 0; i < n; ++i) {
    out[static_cast<std::size_t>(i)] = 2.0 * x[i] - x[p.source[static_cast<std::size_t>(i)]] -
                                       x[pt.source[static_cast<std::size_t>(i)]];
  }
  return out;
}

// Spec §7a: x̄(t+1) − 2x̄(t) + x̄(t−1) = (π + πᵀ − 2I)x̄(t).
double wave_residual(const Permutation& p, const Field& xbar) {
  const Permutation pt = transpose(p);
  const std::int64_t n = xbar.n;
  double r = 0.0;
  for (std::int64_t t = 1; t + 1 < xbar.times; ++t) {
    const double* x = xbar.row(t);
    for (std::int64_t i = 0; i < n; ++i) {
      const double lhs = xbar.at(t + 1, i) - 2.0 * x[i] + xbar.at(t - 1, i);
      const double rhs =
          (x[p.source[static_cast<std::size_t>(i)]] + x[pt.source[static_cast<std::size_t>(i)]]) -
          2.0 * x[i];
      r = std::max(r, std::abs(lhs - rhs));
    }
  }
  const double scale = xbar.max_abs();
  return scale > 0.0 ? r / scale : r;
}

// T8.1: x̄(t) = ½[π^t x̄(0) + π^{−t} x̄(0)].
double dalembert_error(const Permutation& p, const Field& xbar) {
  const Permutation pt = transpose(p);
  std::vector<double> a(xbar.row(0), xbar.row(0) + xbar.n), b = a;
  double e = 0.0;
  for (std::int64_t t = 0; t < xbar.times; ++t) {
    if (t > 0) {
      a = permute(p, a);
      b = permute(pt, b);
    }
    for (std::int64_t i = 0; i < xbar.n; ++i) {
      const auto k = static_cast<std::size_t>(i);
      e = std::max(e, std::abs(xbar.at(t, i) - (0.5 * a[k] + 0.5 * b[k])));
    }
  }
  return e;
}

namespace {

// φ(σ_{k−shift}) at neuron c_k of the longest cycle (shift in sites, taken mod L): φ(σ − τ) at
// the lattice points, with no rounding of σ − τ and so no flip of the truncation test.
std::vector<double> bump_state_sites(const Permutation& p, double alpha, const Bump& b,
                                     std::int64_t shift) {
  const auto c = longest_cycle(p);
  const auto L = static_cast<std::int64_t>(c.size());
  const double period = static_cast<double>(L) / alpha;
  std::vector<double> x(static_cast<std::size_t>(p.size()), 0.0);
  for (std::int64_t k = 0; k < L; ++k) {
    const std::int64_t j = ((k - shift) % L + L) % L;
    x[static_cast<std::size_t>(c[static_cast<std::size_t>(k)])] =
        bump(b, static_cast<double>(j) / alpha, period);
  }
  return x;
}

}  // namespace

double dalembert_error_analytic(const Permutation& p, double alpha, const Bump& b,
                                const Field& xbar) {
  double e = 0.0;
  for (std::int64_t t = 0; t < xbar.times; ++t) {
    const auto r = bump_state_sites(p, alpha, b, t);
    const auto l = bump_state_sites(p, alpha, b, -t);
    for (std::int64_t i = 0; i < xbar.n; ++i) {
      const auto k = static_cast<std::size_t>(i);
      e = std::max(e, std::abs(xbar.at(t, i) - (0.5 * r[k] + 0.5 * l[k])));
    }
  }
  return e;
}

double shift_error_analytic(const Permutation& p, double alpha, const Bump& b, const Field& right) {
  double e = 0.0;
  for (std::int64_t t = 0; t < right.times; ++t) {
    const auto r = bump_state_sites(p, alpha, b, t);
    for (std::int64_t i = 0; i < right.n; ++i) {
      e = std::max(e, std::abs(right.at(t, i) - r[static_cast<std::size_t>(i)]));
    }
  }
  return e;
}

// Spec §7a: ∂²_τx̄ + αĜ∂_τx̄ + α²Ĝx̄ = 0 (semi-discrete), with exact derivatives.
DampedWave damped_wave_residual(const Permutation& p, double alpha, const Field& xbar,
                                const Field& rate, const Field& accel) {
  same_shape(xbar, rate, "damped_wave_residual");
  same_shape(xbar, accel, "damped_wave_residual");
  const Permutation pt = transpose(p);
  const std::int64_t n = xbar.n;
  double rc = 0.0, rp = 0.0, ru = 0.0;
  for (std::int64_t t = 0; t < xbar.times; ++t) {
    const auto gx = g_times(p, pt, xbar.row(t), n);
    const auto gv = g_times(p, pt, rate.row(t), n);
    for (std::int64_t i = 0; i < n; ++i) {
      const auto k = static_cast<std::size_t>(i);
      const double a = accel.at(t, i);
      rc = std::max(rc, std::abs(a + alpha * gv[k] + alpha * alpha * gx[k]));
      rp = std::max(rp, std::abs(a - alpha * alpha * gx[k]));
      ru = std::max(ru, std::abs(a + alpha * alpha * gx[k]));
    }
  }
  const double scale = accel.max_abs();
  return {rc / scale, rp / scale, ru / scale};
}

// T8.2: Poisson-kernel solution, central differences in τ (step h).
DampedWave damped_wave_fd(const Permutation& p, double alpha, const std::vector<double>& x0,
                          double tau, double h) {
  const Permutation pt = transpose(p);
  auto xbar = [&](double T) {
    const auto a = poisson_kernel(p, alpha * T, 1.0, x0);
    const auto b = poisson_kernel(pt, alpha * T, 1.0, x0);
    std::vector<double> x(a.size());
    for (std::size_t i = 0; i < a.size(); ++i) x[i] = 0.5 * (a[i] + b[i]);
    return x;
  };
  const auto xp = xbar(tau + h), x0t = xbar(tau), xm = xbar(tau - h);
  const auto n = static_cast<std::int64_t>(x0.size());
  std::vector<double> xt(x0.size()), xtt(x0.size());
  for (std::size_t i = 0; i < x0.size(); ++i) {
    xtt[i] = (xp[i] - 2.0 * x0t[i] + xm[i]) / (h * h);
    xt[i] = (xp[i] - xm[i]) / (2.0 * h);
  }
  const auto gx = g_times(p, pt, x0t.data(), n);
  const auto gv = g_times(p, pt, xt.data(), n);
  double rc = 0.0, rp = 0.0, ru = 0.0, scale = 0.0;
  for (std::size_t i = 0; i < x0.size(); ++i) {
    rc = std::max(rc, std::abs(xtt[i] + alpha * gv[i] + alpha * alpha * gx[i]));
    rp = std::max(rp, std::abs(xtt[i] - alpha * alpha * gx[i]));
    ru = std::max(ru, std::abs(xtt[i] + alpha * alpha * gx[i]));
    scale = std::max(scale, std::abs(xtt[i]));
  }
  return {rc / scale, rp / scale, ru / scale};
}

// T7.3 (see the header).
SemiDiscrete semi_discrete_errors(double alpha, double period, double width, double start,
                                  double tau) {
  const auto n = static_cast<std::int64_t>(std::llround(alpha * period));
  const Permutation p = cyclic_permutation({n});
  const Bump b{1.0, start, width, std::numeric_limits<double>::infinity()};
  const auto x0 = bump_state(p, alpha, b);
  const auto xs = poisson_kernel(p, alpha * tau, 1.0, x0);
  const double w2 = width * width + tau / alpha;
  const Bump moved{width / std::sqrt(w2), start + tau, std::sqrt(w2),
                   std::numeric_limits<double>::infinity()};
  const Bump pure{1.0, start + tau, width, std::numeric_limits<double>::infinity()};
  SemiDiscrete r{0.0, 0.0};
  for (std::int64_t k = 0; k < n; ++k) {
    const double sigma = static_cast<double>(k) / alpha;
    const double x = xs[static_cast<std::size_t>(k)];
    r.pure = std::max(r.pure, std::abs(x - bump(pure, sigma, period)));
    r.diffusion = std::max(r.diffusion, std::abs(x - bump(moved, sigma, period)));
  }
  return r;
}

// (62), (69)–(72): chirality energies and lattice identities.
Chirality chirality(const Permutation& p, double alpha, TimeMode mode,
                    const std::vector<Field>& right, const std::vector<Field>& left,
                    const std::vector<Field>& right_rate, const std::vector<Field>& left_rate) {
  const Permutation pt = transpose(p);
  Chirality c;
  const Field vr = field_sum(right_rate), vl = field_sum(left_rate);
  for (std::int64_t t = 0; t < vr.times; ++t) {
    double er = 0.0, el = 0.0;
    for (std::int64_t i = 0; i < vr.n; ++i) {
      er += 0.25 * vr.at(t, i) * vr.at(t, i);
      el += 0.25 * vl.at(t, i) * vl.at(t, i);
    }
    c.energy_right.push_back(er);
    c.energy_left.push_back(el);
  }
  auto residual = [&](const std::vector<Field>& x, const std::vector<Field>& v,
                      const Permutation& w) {
    double r = 0.0, scale = 0.0;
    for (std::size_t d = 0; d < x.size(); ++d) {
      const Field& f = x[d];
      if (mode == TimeMode::discrete) {
        scale = std::max(scale, f.max_abs());
        for (std::int64_t t = 0; t + 1 < f.times; ++t) {
          for (std::int64_t i = 0; i < f.n; ++i) {
            const double lhs = f.at(t + 1, i) - f.at(t, i);
            const double rhs = f.at(t, w.source[static_cast<std::size_t>(i)]) - f.at(t, i);
            r = std::max(r, std::abs(lhs - rhs));
          }
        }
      } else {
        scale = std::max(scale, v[d].max_abs());
        for (std::int64_t t = 0; t < f.times; ++t) {
          for (std::int64_t i = 0; i < f.n; ++i) {
            const double rhs =
                alpha * (f.at(t, w.source[static_cast<std::size_t>(i)]) - f.at(t, i));
            r = std::max(r, std::abs(v[d].at(t, i) - rhs));
          }
        }
      }
    }
    return scale > 0.0 ? r / scale : r;
  };
  c.residual_right = residual(right, right_rate, p);
  c.residual_left = residual(left, left_rate, pt);
  return c;
}

namespace {

// a_k(t) = Σ_j x_j(t) e^{−ikj}, k = 2πn/L, n = 0..L/2: [n][t].
std::vector<std::vector<Complex>> modes(const Field& f) {
  const std::int64_t L = f.n;
  const std::int64_t nk = L / 2 + 1;
  std::vector<Complex> tw(static_cast<std::size_t>(L));
  for (std::int64_t j = 0; j < L; ++j) {
    const double a = -2.0 * std::numbers::pi * static_cast<double>(j) / static_cast<double>(L);
    tw[static_cast<std::size_t>(j)] = Complex(std::cos(a), std::sin(a));
  }
  std::vector<std::vector<Complex>> a(static_cast<std::size_t>(nk),
                                      std::vector<Complex>(static_cast<std::size_t>(f.times)));
  for (std::int64_t n = 0; n < nk; ++n) {
    for (std::int64_t t = 0; t < f.times; ++t) {
      Complex acc = 0.0;
      for (std::int64_t j = 0; j < L; ++j) {
        acc += f.at(t, j) * tw[static_cast<std::size_t>((n * j) % L)];
      }
      a[static_cast<std::size_t>(n)][static_cast<std::size_t>(t)] = acc;
    }
  }
  return a;
}

std::vector<int> significant_modes(const std::vector<double>& rms) {
  double top = 0.0;
  for (std::size_t n = 1; n < rms.size(); ++n) top = std::max(top, rms[n]);
  std::vector<int> s(rms.size(), 0);
  for (std::size_t n = 1; n < rms.size(); ++n) s[n] = top > 0.0 && rms[n] >= 1e-3 * top ? 1 : 0;
  return s;
}

}  // namespace

// Lattice wave estimator of ω(k) (see the header).
Dispersion dispersion(const Field& f, double alpha) {
  const auto a = modes(f);
  const std::int64_t L = f.n;
  Dispersion d;
  std::vector<double> rms;
  for (std::size_t n = 0; n < a.size(); ++n) {
    const double k = 2.0 * std::numbers::pi * static_cast<double>(n) / static_cast<double>(L);
    double num = 0.0, den = 0.0, pw = 0.0;
    for (std::size_t t = 0; t < a[n].size(); ++t) pw += std::norm(a[n][t]);
    for (std::size_t t = 1; t + 1 < a[n].size(); ++t) {
      num += (std::conj(a[n][t]) * (2.0 * a[n][t] - a[n][t + 1] - a[n][t - 1])).real();
      den += std::norm(a[n][t]);
    }
    const double w2 = den > 0.0 ? alpha * alpha * num / den : kNaN;
    d.k.push_back(k);
    d.power.push_back(pw / static_cast<double>(a[n].size()));
    rms.push_back(std::sqrt(pw / static_cast<double>(a[n].size())));
    d.omega.push_back(std::copysign(std::sqrt(std::abs(w2)), w2));
    d.omega_theory.push_back(2.0 * alpha * std::sin(k / 2.0));
  }
  d.significant = significant_modes(rms);
  double e = 0.0;
  for (std::size_t n = 1; n < d.k.size(); ++n) {
    if (d.significant[n] == 0) continue;
    e = std::max(e, std::abs(d.omega[n] - d.omega_theory[n]) / alpha);
  }
  d.error = e;
  return d;
}

// Continuous chiral modes exp(α(e^{∓ik} − 1)τ) (see the header).
ChiralDispersion chiral_dispersion(const Field& f, double alpha, bool right,
                                   std::int64_t substeps) {
  const auto a = modes(f);
  const std::int64_t L = f.n;
  ChiralDispersion d;
  std::vector<double> rms;
  double e = 0.0, e4 = 0.0;
  std::vector<Complex> rate(a.size()), exact(a.size()), rk4(a.size());
  for (std::size_t n = 0; n < a.size(); ++n) {
    const double k = 2.0 * std::numbers::pi * static_cast<double>(n) / static_cast<double>(L);
    Complex num = 0.0;
    double den = 0.0, pw = 0.0;
    for (std::size_t t = 0; t < a[n].size(); ++t) pw += std::norm(a[n][t]);
    for (std::size_t t = 0; t + 1 < a[n].size(); ++t) {
      num += std::conj(a[n][t]) * a[n][t + 1];
      den += std::norm(a[n][t]);
    }
    rate[n] = den > 0.0 ? alpha * std::log(num / den) : Complex(kNaN, kNaN);
    const Complex e_ik = std::polar(1.0, right ? -k : k);
    exact[n] = alpha * (e_ik - 1.0);
    const Complex z = (e_ik - 1.0) / static_cast<double>(substeps);
    const Complex R = 1.0 + z + z * z / 2.0 + z * z * z / 6.0 + z * z * z * z / 24.0;
    rk4[n] = alpha * static_cast<double>(substeps) * std::log(R);
    d.k.push_back(k);
    d.omega.push_back(std::abs(rate[n].imag()));
    d.damping.push_back(-rate[n].real());
    d.omega_theory.push_back(alpha * std::sin(k));
    d.damping_theory.push_back(alpha * (1.0 - std::cos(k)));
    rms.push_back(std::sqrt(pw / static_cast<double>(a[n].size())));
  }
  d.significant = significant_modes(rms);
  for (std::size_t n = 1; n < a.size(); ++n) {
    if (d.significant[n] == 0) continue;
    e = std::max(e, std::abs(rate[n] - exact[n]) / alpha);
    e4 = std::max(e4, std::abs(rate[n] - rk4[n]) / alpha);
  }
  d.error = e;
  d.error_rk4 = e4;
  return d;
}

// T7.1 / T8.3: dense eigenvalues of Ĝ(π) = (I − π)ᵀ(I − π), via network::g_matrix.
std::vector<double> g_eigenvalues(const Permutation& p) {
  const Network net = permutation_network(p, 1.0, network::ActivationKind::linear);
  const Matrix g = network::g_matrix(net, Vector::Zero(p.size()));
  Eigen::SelfAdjointEigenSolver<Matrix> es(g, Eigen::EigenvaluesOnly);
  if (es.info() != Eigen::Success) {
    throw Error("g_eigenvalues", "the eigen-decomposition did not converge", "a finite Ĝ", 1);
  }
  const Vector ev = es.eigenvalues();
  return {ev.data(), ev.data() + ev.size()};
}

// ∪_cycles {4 sin²(πn/L)}.
std::vector<double> g_spectrum_closed_form(const Permutation& p) {
  std::vector<double> out;
  for (const std::int64_t L : cycle_lengths(p)) {
    for (std::int64_t n = 0; n < L; ++n) {
      const double s = std::sin(std::numbers::pi * static_cast<double>(n) / static_cast<double>(L));
      out.push_back(4.0 * s * s);
    }
  }
  std::sort(out.begin(), out.end());
  return out;
}

// Leapfrog of ∂²_τx = ∓α²Ĝx (see the header).
SignControl sign_control(const Permutation& p, double alpha, const std::vector<double>& x0,
                         double tau_end, std::int64_t substeps) {
  const Permutation pt = transpose(p);
  const auto n = static_cast<std::int64_t>(x0.size());
  const double h = 1.0 / (alpha * static_cast<double>(substeps));
  const auto frames = static_cast<std::int64_t>(std::floor(tau_end * alpha + 1e-9));
  double x0max = 0.0;
  for (double v : x0) x0max = std::max(x0max, std::abs(v));
  SignControl c;
  double lmax = 0.0;
  for (double v : g_spectrum_closed_form(p)) lmax = std::max(lmax, v);
  c.growth_theory = std::acosh(1.0 + h * h * alpha * alpha * lmax / 2.0) / h;
  auto maxabs = [](const std::vector<double>& x) {
    double m = 0.0;
    for (double v : x) m = std::max(m, std::abs(v));
    return m;
  };
  auto dot = [](const std::vector<double>& a, const std::vector<double>& b) {
    double s = 0.0;
    for (std::size_t i = 0; i < a.size(); ++i) s += a[i] * b[i];
    return s;
  };
  const double l2_0 = std::sqrt(dot(x0, x0));
  double l2max = l2_0;
  for (int sign = 0; sign < 2; ++sign) {
    const double sg = sign == 0 ? -1.0 : 1.0;  // corrected: a = −α²Ĝx; paper: +α²Ĝx
    std::vector<double> prev = x0, cur(x0.size()), next(x0.size());
    const auto g0 = g_times(p, pt, prev.data(), n);
    for (std::size_t i = 0; i < x0.size(); ++i) {
      cur[i] = prev[i] + 0.5 * h * h * sg * alpha * alpha * g0[i];
    }
    auto energy = [&](const std::vector<double>& a, const std::vector<double>& b) {
      // ½|v_{n+½}|² + ½α² bᵀĜa with v = (b − a)/h.
      const auto ga = g_times(p, pt, a.data(), n);
      double v2 = 0.0;
      for (std::size_t i = 0; i < a.size(); ++i) v2 += (b[i] - a[i]) * (b[i] - a[i]);
      return 0.5 * v2 / (h * h) + 0.5 * alpha * alpha * dot(b, ga);
    };
    std::vector<double>& mx = sign == 0 ? c.max_corrected : c.max_paper;
    mx.push_back(x0max);
    if (sign == 0) {
      c.tau.push_back(0.0);
      c.energy.push_back(energy(prev, cur));
    }
    bool stopped = false;
    for (std::int64_t fr = 1; fr <= frames; ++fr) {
      if (!stopped) {
        for (std::int64_t s = 0; s < substeps; ++s) {
          const auto g = g_times(p, pt, cur.data(), n);
          for (std::size_t i = 0; i < x0.size(); ++i) {
            next[i] = 2.0 * cur[i] - prev[i] + h * h * sg * alpha * alpha * g[i];
          }
          prev.swap(cur);
          cur.swap(next);
        }
        // cur = x at this frame (index n·substeps), prev at one step before.
        const double m = maxabs(cur);
        if (!(m <= 1e150)) stopped = true;
        if (sign == 0) l2max = std::max(l2max, std::sqrt(dot(cur, cur)));
        mx.push_back(stopped ? kNaN : m);
      } else {
        mx.push_back(kNaN);
      }
      if (sign == 0) {
        c.tau.push_back(static_cast<double>(fr) / alpha);
        c.energy.push_back(energy(prev, cur));
      }
    }
  }
  double drift = 0.0;
  for (double e : c.energy) drift = std::max(drift, std::abs(e - c.energy.front()));
  c.energy_drift = drift / c.energy.front();
  double bmax = 0.0, pmax = 0.0;
  for (double v : c.max_corrected) bmax = std::max(bmax, v);
  std::int64_t last = 0;
  for (std::size_t k = 0; k < c.max_paper.size(); ++k) {
    if (std::isfinite(c.max_paper[k])) {
      pmax = std::max(pmax, c.max_paper[k]);
      last = static_cast<std::int64_t>(k);
    }
  }
  c.bound_ratio = bmax / x0max;
  c.l2_ratio = l2max / l2_0;
  c.paper_ratio = pmax / x0max;
  const std::int64_t first = std::max<std::int64_t>(0, last - static_cast<std::int64_t>(alpha));
  if (last > first) {
    c.growth_rate = (std::log(c.max_paper[static_cast<std::size_t>(last)]) -
                     std::log(c.max_paper[static_cast<std::size_t>(first)])) /
                    (static_cast<double>(last - first) / alpha);
  }
  return c;
}

// (55)/(75): η_μν v^μ v^ν = −(Σ_d v_d)² + Σ_d v_d².
Constraint null_constraint(const std::vector<Field>& rates) {
  if (rates.empty()) throw Error("null_constraint", "no subsystems", "D >= 1", 1);
  const Field& f0 = rates.front();
  for (const auto& f : rates) same_shape(f0, f, "null_constraint");
  Constraint c;
  double top = 0.0;
  for (std::int64_t t = 0; t < f0.times; ++t) {
    for (std::int64_t i = 0; i < f0.n; ++i) {
      double s2 = 0.0;
      for (const auto& f : rates) s2 += f.at(t, i) * f.at(t, i);
      top = std::max(top, s2);
    }
  }
  for (std::int64_t t = 0; t < f0.times; ++t) {
    for (std::int64_t i = 0; i < f0.n; ++i) {
      // −(Σ_d v_d)² + Σ_d v_d² = −2 Σ_{c<d} v_c v_d, coded in the second form: exact zeros
      // for disjoint supports, no cancellation of the squares.
      double s2 = 0.0, cross = 0.0;
      for (std::size_t c = 0; c < rates.size(); ++c) {
        const double vc = rates[c].at(t, i);
        s2 += vc * vc;
        for (std::size_t d = c + 1; d < rates.size(); ++d) cross += vc * rates[d].at(t, i);
      }
      const double eta = -2.0 * cross;
      c.max_abs = std::max(c.max_abs, std::abs(eta));
      if (s2 > 0.0 && s2 > 1e-20 * top) {
        const double r = eta / s2;
        c.normalised.push_back(r);
        c.max_normalised = std::max(c.max_normalised, std::abs(r));
      }
    }
  }
  c.max_relative = top > 0.0 ? c.max_abs / top : 0.0;
  return c;
}

std::vector<double> histogram(const std::vector<double>& values, double lo, double hi, int bins) {
  std::vector<double> h(static_cast<std::size_t>(std::max(bins, 1)), 0.0);
  const double w = (hi - lo) / static_cast<double>(h.size());
  for (double v : values) {
    if (!std::isfinite(v)) continue;
    auto b = static_cast<std::int64_t>(std::floor((v - lo) / w));
    b = std::clamp<std::int64_t>(b, 0, static_cast<std::int64_t>(h.size()) - 1);
    h[static_cast<std::size_t>(b)] += 1.0;
  }
  return h;
}

// (76) corrected and the string energy (see the header).
StringAction string_action(const Permutation& p, double alpha, TimeMode mode,
                           const std::vector<Field>& fields, const std::vector<Field>& rates) {
  const Permutation pt = transpose(p);
  const auto nd = fields.size();
  std::vector<Field> xs, vs;
  xs.push_back(field_sum(fields));
  vs.push_back(field_sum(rates));
  for (std::size_t d = 0; d < nd; ++d) {
    xs.push_back(fields[d]);
    vs.push_back(rates[d]);
  }
  const std::int64_t n = xs[0].n;
  const std::int64_t rows = vs[0].times;
  const bool discrete = mode == TimeMode::discrete;
  StringAction a;
  a.energy.assign(nd + 1, {});
  for (std::int64_t t = 0; t < rows; ++t) {
    double lag = 0.0, e_eta = 0.0;
    for (std::size_t mu = 0; mu <= nd; ++mu) {
      const double eta = mu == 0 ? -1.0 : 1.0;
      const Field& x = xs[mu];
      const Field& v = vs[mu];
      double v2 = 0.0, s2 = 0.0;
      for (std::int64_t i = 0; i < n; ++i) {
        const double s = alpha * (x.at(t, i) - x.at(t, p.source[static_cast<std::size_t>(i)]));
        v2 += v.at(t, i) * v.at(t, i);
        s2 += s * s;
      }
      lag += eta * (-v2 + s2) / alpha;
      // Energy: staggered x(t+1)ᵀĜx(t) (discrete) or x(t)ᵀĜx(t) (continuous).
      const auto g = g_times(p, pt, x.row(t), n);
      const double* xr = discrete ? x.row(t + 1) : x.row(t);
      double xgx = 0.0;
      for (std::int64_t i = 0; i < n; ++i) xgx += xr[i] * g[static_cast<std::size_t>(i)];
      const double e = 0.5 * (v2 + alpha * alpha * xgx);
      a.energy[mu].push_back(e);
      e_eta += eta * e;
    }
    a.lagrangian.push_back(lag);
    a.energy_eta.push_back(e_eta);
    a.action += lag / alpha;
  }
  double drift = 0.0;
  for (const auto& e : a.energy) {
    if (e.empty() || !(std::abs(e.front()) > 0.0)) continue;
    for (double v : e) drift = std::max(drift, std::abs(v - e.front()) / std::abs(e.front()));
  }
  a.energy_drift = drift;
  return a;
}

// Light-cone resampling (see the header).
std::vector<double> light_cone(const Field& f) {
  const std::int64_t T = f.times - 1;
  const std::int64_t L = f.n;
  std::vector<double> img(static_cast<std::size_t>((T + 1) * (T + 1)));
  for (std::int64_t a = 0; a <= T; ++a) {
    for (std::int64_t b = 0; b <= T; ++b) {
      const std::int64_t t = (a + b) / 2;
      const std::int64_t diff = a - b;
      const std::int64_t k = ((diff >= 0 ? diff / 2 : -((-diff + 1) / 2)) % L + L) % L;
      img[static_cast<std::size_t>(a * (T + 1) + b)] = f.at(t, k);
    }
  }
  return img;
}

}  // namespace nnworld::hidden
