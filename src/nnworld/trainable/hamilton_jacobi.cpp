#include "nnworld/trainable/hamilton_jacobi.hpp"

#include <algorithm>
#include <cmath>
#include <memory>
#include <numbers>
#include <stdexcept>
#include <string>

#include "nnworld/core/error.hpp"

namespace nnworld::trainable {

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

void check_dims(int dims) {
  if (dims < 1 || dims > 3) {
    throw std::invalid_argument("K = " + std::to_string(dims) + ": need 1, 2 or 3 axes");
  }
}

void check_size(const core::Fft& fft, std::span<const double> f, const char* what) {
  if (static_cast<std::int64_t>(f.size()) != fft.grid().size()) {
    throw std::invalid_argument(std::string(what) + ": " + std::to_string(f.size()) +
                                " values for a grid of " + std::to_string(fft.grid().size()));
  }
}

// ---- RK4 state of one characteristic ----
struct State {
  core::Point q{0.0, 0.0, 0.0};
  core::Point p{0.0, 0.0, 0.0};
  std::array<double, 9> a{};  // 3×3 row-major
  double s = 0.0;
};

State axpy(const State& y, double h, const State& k, int dims, bool with_a) {
  State r = y;
  for (int i = 0; i < dims; ++i) {
    r.q[i] += h * k.q[i];
    r.p[i] += h * k.p[i];
  }
  if (with_a) {
    for (int i = 0; i < dims; ++i) {
      for (int j = 0; j < dims; ++j) r.a[i * 3 + j] += h * k.a[i * 3 + j];
    }
  }
  r.s += h * k.s;
  return r;
}

// The right-hand sides of integrate_characteristics (see the header for the formulas).
State rate(const State& y, const PotentialJet& v, int dims, double gamma, bool paper, bool with_a) {
  State d;
  double p2 = 0.0;
  for (int i = 0; i < dims; ++i) p2 += y.p[i] * y.p[i];
  if (!paper) {
    // Corrected: q̇ = 2γP, Ṗ = −∇V, Ṡ = γ|P|² − V.
    for (int i = 0; i < dims; ++i) {
      d.q[i] = 2.0 * gamma * y.p[i];
      d.p[i] = -v.gradient[i];
    }
    d.s = gamma * p2 - v.value;
  } else {
    // Printed (40)–(41): q̇ = γP, Ṗ = ∂_t∇F + γ(∇∇F)P = −∇V − γAP, Ṡ = −V.
    for (int i = 0; i < dims; ++i) {
      double ap = 0.0;
      for (int j = 0; j < dims; ++j) ap += y.a[i * 3 + j] * y.p[j];
      d.q[i] = gamma * y.p[i];
      d.p[i] = -v.gradient[i] - gamma * ap;
    }
    d.s = -v.value;
  }
  if (with_a) {
    // Ȧ = −∇∇V − 2γA² (paper form: the −γ(P·∇)A term is neglected).
    for (int i = 0; i < dims; ++i) {
      for (int j = 0; j < dims; ++j) {
        double a2 = 0.0;
        for (int k = 0; k < dims; ++k) a2 += y.a[i * 3 + k] * y.a[k * 3 + j];
        d.a[i * 3 + j] = -v.hessian[i * 3 + j] - 2.0 * gamma * a2;
      }
    }
  }
  return d;
}

bool finite_state(const State& y, int dims, bool with_a) {
  bool ok = std::isfinite(y.s);
  for (int i = 0; i < dims; ++i) ok = ok && std::isfinite(y.q[i]) && std::isfinite(y.p[i]);
  if (with_a) {
    for (int i = 0; i < dims * 3; ++i) ok = ok && std::isfinite(y.a[i]) && std::abs(y.a[i]) < 1e100;
  }
  return ok;
}

}  // namespace

// ---- potentials
// ----------------------------------------------------------------------------------

PotentialFn harmonic_potential_fn(double omega, double gamma) {
  if (!(gamma > 0.0)) throw std::invalid_argument("harmonic potential: γ must be > 0");
  const double k = omega * omega / (2.0 * gamma);  // V = k|q|²/2, k = ω²/(2γ) = Mω²
  return [k](const core::Point& q, int order) {
    PotentialJet j;
    j.value = 0.5 * k * (q[0] * q[0] + q[1] * q[1] + q[2] * q[2]);
    if (order >= 1) {
      for (int a = 0; a < 3; ++a) j.gradient[a] = k * q[a];
    }
    if (order >= 2) {
      for (int a = 0; a < 3; ++a) j.hessian[a * 3 + a] = k;
    }
    return j;
  };
}

PotentialFn expression_potential_fn(const core::Expression& v, int dims, double h_gradient,
                                    double h_hessian) {
  check_dims(dims);
  if (static_cast<int>(v.variables().size()) != dims) {
    throw std::invalid_argument("expression potential: " + std::to_string(v.variables().size()) +
                                " variables for K = " + std::to_string(dims));
  }
  auto expr = std::make_shared<core::Expression>(v);
  return [expr, dims, h_gradient, h_hessian](const core::Point& q, int order) {
    PotentialJet j;
    std::array<double, 3> x{q[0], q[1], q[2]};
    const std::span<const double> xs(x.data(), static_cast<std::size_t>(dims));
    j.value = (*expr)(xs);
    if (order >= 1) {
      for (int a = 0; a < dims; ++a) {
        j.gradient[a] = expr->derivative(xs, static_cast<std::size_t>(a), h_gradient);
      }
    }
    if (order >= 2) {
      const double h = h_hessian;
      for (int a = 0; a < dims; ++a) {
        // ∂²V/∂q_a²: (−V(+2h) + 16V(+h) − 30V + 16V(−h) − V(−2h)) / (12h²).
        auto at = [&](double d) {
          std::array<double, 3> y = x;
          y[a] += d;
          return (*expr)(std::span<const double>(y.data(), static_cast<std::size_t>(dims)));
        };
        j.hessian[a * 3 + a] =
            (-at(2.0 * h) + 16.0 * at(h) - 30.0 * j.value + 16.0 * at(-h) - at(-2.0 * h)) /
            (12.0 * h * h);
        for (int b = a + 1; b < dims; ++b) {
          // ∂_b(∂_a V): 4th-order central difference of the 4th-order ∂_a V along b.
          auto ga = [&](double d) {
            std::array<double, 3> y = x;
            y[b] += d;
            return expr->derivative(
                std::span<const double>(y.data(), static_cast<std::size_t>(dims)),
                static_cast<std::size_t>(a), h_gradient);
          };
          const double m = (8.0 * (ga(h) - ga(-h)) - (ga(2.0 * h) - ga(-2.0 * h))) / (12.0 * h);
          j.hessian[a * 3 + b] = m;
          j.hessian[b * 3 + a] = m;
        }
      }
    }
    return j;
  };
}

// ---- characteristics
// -------------------------------------------------------------------------------

Characteristics integrate_characteristics(const PotentialFn& v,
                                          std::span<const CharacteristicState> start, int dims,
                                          const Constants& c,
                                          const CharacteristicsOptions& options) {
  check_dims(dims);
  if (!(options.dt > 0.0) || !(options.t_end > 0.0)) {
    throw std::invalid_argument("characteristics: dt and t_end must be > 0");
  }
  if (!(c.gamma > 0.0)) {
    throw std::invalid_argument("characteristics: γ must be > 0 (mass M = 1/(2γ))");
  }
  const bool paper = options.form == Form::paper;
  const double g = c.gamma;
  const std::int64_t steps = std::max<std::int64_t>(1, std::llround(options.t_end / options.dt));
  const double dt = options.t_end / static_cast<double>(steps);
  const std::int64_t every = std::max<std::int64_t>(1, options.record_every);

  Characteristics out;
  out.form = options.form;
  out.dims = dims;
  out.particles = static_cast<std::int64_t>(start.size());
  out.steps = steps;
  out.dt = dt;
  for (std::int64_t n = 0; n <= steps; ++n) {
    if (n % every == 0 || n == steps) out.time.push_back(static_cast<double>(n) * dt);
  }
  const std::size_t nrec = out.time.size();
  const auto np = static_cast<std::size_t>(out.particles);
  const auto k = static_cast<std::size_t>(dims);
  out.position.assign(nrec * np * k, 0.0);
  out.momentum.assign(nrec * np * k, 0.0);
  out.hessian.assign(nrec * np * k * k, 0.0);
  out.free_energy.assign(nrec * np, 0.0);
  out.energy.assign(nrec * np, 0.0);

  for (std::size_t i = 0; i < np; ++i) {
    State y;
    y.q = start[i].q;
    y.p = start[i].p;
    y.a = start[i].hessian;
    y.s = start[i].free_energy;
    bool with_a = true;  // the corrected form drops A at a caustic
    core::Point q_prev{0.0, 0.0, 0.0};
    std::size_t r = 0;
    auto store = [&](const State& st, double value) {
      const std::size_t base = (r * np + i) * k;
      double p2 = 0.0;
      for (std::size_t a = 0; a < k; ++a) {
        out.position[base + a] = st.q[a];
        out.momentum[base + a] = st.p[a];
        p2 += st.p[a] * st.p[a];
        for (std::size_t b = 0; b < k; ++b) {
          out.hessian[(r * np + i) * k * k + a * k + b] = with_a ? st.a[a * 3 + b] : kNaN;
        }
      }
      out.free_energy[r * np + i] = st.s;
      out.energy[r * np + i] = value + g * p2;  // H(q, P) = V + γ|P|²
      ++r;
    };
    for (std::int64_t n = 0; n < steps; ++n) {
      const int order = with_a ? 2 : 1;
      const PotentialJet j1 = v(y.q, order);
      if (n % every == 0) store(y, j1.value);
      const State k1 = rate(y, j1, dims, g, paper, with_a);
      const State y2 = axpy(y, 0.5 * dt, k1, dims, with_a);
      const State k2 = rate(y2, v(y2.q, order), dims, g, paper, with_a);
      const State y3 = axpy(y, 0.5 * dt, k2, dims, with_a);
      const State k3 = rate(y3, v(y3.q, order), dims, g, paper, with_a);
      const State y4 = axpy(y, dt, k3, dims, with_a);
      const State k4 = rate(y4, v(y4.q, order), dims, g, paper, with_a);
      State next = y;
      for (int a = 0; a < dims; ++a) {
        next.q[a] += dt / 6.0 * (k1.q[a] + 2.0 * k2.q[a] + 2.0 * k3.q[a] + k4.q[a]);
        next.p[a] += dt / 6.0 * (k1.p[a] + 2.0 * k2.p[a] + 2.0 * k3.p[a] + k4.p[a]);
      }
      if (with_a) {
        for (int a = 0; a < dims * 3; ++a) {
          next.a[a] += dt / 6.0 * (k1.a[a] + 2.0 * k2.a[a] + 2.0 * k3.a[a] + k4.a[a]);
        }
      }
      next.s += dt / 6.0 * (k1.s + 2.0 * k2.s + 2.0 * k3.s + k4.s);
      if (!finite_state(next, dims, false)) {
        throw Divergence(
            static_cast<long>(n + 1),
            std::string("characteristic (") + (paper ? "paper" : "corrected") + " form) q, P or F");
      }
      if (with_a && !finite_state(next, dims, true)) {
        if (paper) {
          // The paper's velocity γ∇F needs A = ∇∇F: at a caustic the path is undefined.
          throw Divergence(static_cast<long>(n + 1),
                           "paper-form characteristic: ∇∇F blew up (a caustic of F)");
        }
        with_a = false;
        const double t = static_cast<double>(n + 1) * dt;
        if (!(out.caustic_time <= t)) out.caustic_time = t;
      }
      // Newton's law at step n from q_{n−1}, q_n, q_{n+1} and ∇V(q_n) (from k1).
      if (n >= 1) {
        for (int a = 0; a < dims; ++a) {
          const double acc = (next.q[a] - 2.0 * y.q[a] + q_prev[a]) / (dt * dt);
          out.newton_residual_corrected =
              std::max(out.newton_residual_corrected, std::abs(acc + 2.0 * g * j1.gradient[a]));
          out.newton_residual_paper =
              std::max(out.newton_residual_paper, std::abs(acc + g * j1.gradient[a]));
        }
      }
      q_prev = y.q;
      y = next;
    }
    store(y, v(y.q, 0).value);
  }
  return out;
}

// ---- harmonic closed forms
// ------------------------------------------------------------------------

double riccati_curvature(double a0, double omega, double gamma, double t) {
  if (omega == 0.0) return a0 / (1.0 + 2.0 * gamma * a0 * t);
  const double c = std::atan(-2.0 * gamma * a0 / omega);
  return -(omega / (2.0 * gamma)) * std::tan(omega * t + c);
}

CharacteristicState harmonic_characteristic(const CharacteristicState& start, int dims,
                                            double omega, double gamma, double t) {
  check_dims(dims);
  CharacteristicState s = start;
  const double co = std::cos(omega * t);
  const double si = std::sin(omega * t);
  double qp0 = 0.0, qp = 0.0;
  for (int a = 0; a < dims; ++a) {
    const double q0 = start.q[a], p0 = start.p[a];
    if (omega == 0.0) {
      s.q[a] = q0 + 2.0 * gamma * p0 * t;
      s.p[a] = p0;
    } else {
      s.q[a] = q0 * co + (2.0 * gamma * p0 / omega) * si;
      s.p[a] = p0 * co - (omega * q0 / (2.0 * gamma)) * si;
    }
    qp0 += q0 * p0;
    qp += s.q[a] * s.p[a];
  }
  // S(t) − S(0) = ∫(γ|P|² − V)dt = (M/2)∫(|q̇|² − ω²|q|²)dt = (M/2)[q·q̇] = ½[q·P].
  s.free_energy = start.free_energy + 0.5 * (qp - qp0);
  // The Hessian follows the Riccati equation on the eigenvalues of A(0); only isotropic
  // A(0) = aI is handled here (off-diagonal entries kept as given).
  for (int a = 0; a < dims; ++a) {
    s.hessian[a * 3 + a] = riccati_curvature(start.hessian[a * 3 + a], omega, gamma, t);
  }
  return s;
}

double paper_harmonic_position(double q0, double a0, double omega, double gamma, double t) {
  if (omega == 0.0) return q0 * std::sqrt(1.0 + 2.0 * gamma * a0 * t);
  const double c = std::atan(-2.0 * gamma * a0 / omega);
  return q0 * std::sqrt(std::cos(omega * t + c) / std::cos(c));
}

QuadraticFreeEnergy harmonic_backward_free_energy(double a_terminal, double c_terminal,
                                                  double t_end, double omega, int dims,
                                                  const Constants& c, double t) {
  const double g = c.gamma;
  const double kmu = static_cast<double>(dims) / (2.0 * c.mu_lagrange);
  QuadraticFreeEnergy f;
  if (omega == 0.0) {
    const double x = 1.0 + 2.0 * g * a_terminal * (t - t_end);
    f.curvature = a_terminal / x;
    f.offset = c_terminal - kmu * std::log(x);
    return f;
  }
  const double ca = std::atan(-2.0 * g * a_terminal / omega) - omega * t_end;
  f.curvature = -(omega / (2.0 * g)) * std::tan(omega * t + ca);
  f.offset = c_terminal - kmu * std::log(std::cos(omega * t + ca) / std::cos(omega * t_end + ca));
  return f;
}

// ---- fields
// ------------------------------------------------------------------------------------------

std::vector<double> hj_time_derivative(const core::Fft& fft, std::span<const double> f,
                                       std::span<const double> v, const Constants& c) {
  check_size(fft, f, "F");
  check_size(fft, v, "V");
  const auto grad = core::spectral_gradient(fft, f);
  const auto lap = core::spectral_laplacian(fft, f);
  std::vector<double> out(f.size());
  for (std::size_t i = 0; i < f.size(); ++i) {
    double g2 = 0.0;
    for (const auto& ga : grad) g2 += ga[i] * ga[i];
    out[i] = -v[i] - c.gamma * g2 - (c.gamma / c.mu_lagrange) * lap[i];
  }
  return out;
}

std::vector<double> hj_density_time_derivative(const core::Fft& fft, std::span<const double> p,
                                               std::span<const double> f, const Constants& c) {
  check_size(fft, p, "p");
  check_size(fft, f, "F");
  const auto grad = core::spectral_gradient(fft, f);
  std::vector<double> out = core::spectral_laplacian(fft, p);
  for (double& x : out) x *= c.gamma / c.mu_lagrange;
  std::vector<double> flux(p.size());
  for (int a = 0; a < fft.grid().dims; ++a) {
    for (std::size_t i = 0; i < p.size(); ++i) flux[i] = 2.0 * c.gamma * p[i] * grad[a][i];
    const auto div = core::spectral_derivative(fft, flux, a);
    for (std::size_t i = 0; i < p.size(); ++i) out[i] -= div[i];
  }
  return out;
}

std::vector<double> cole_hopf_phi(std::span<const double> f, double mu) {
  std::vector<double> out(f.size());
  for (std::size_t i = 0; i < f.size(); ++i) out[i] = std::exp(mu * f[i]);
  return out;
}

std::vector<double> cole_hopf_phi_hat(std::span<const double> p, std::span<const double> f,
                                      double mu) {
  if (p.size() != f.size()) throw std::invalid_argument("φ̂: p and F differ in size");
  std::vector<double> out(f.size());
  for (std::size_t i = 0; i < f.size(); ++i) out[i] = p[i] * std::exp(-mu * f[i]);
  return out;
}

std::vector<double> cole_hopf_phi_time_derivative(const core::Fft& fft, std::span<const double> phi,
                                                  std::span<const double> v, const Constants& c) {
  check_size(fft, phi, "φ");
  check_size(fft, v, "V");
  std::vector<double> out = core::spectral_laplacian(fft, phi);
  for (std::size_t i = 0; i < out.size(); ++i) {
    out[i] = -(c.gamma / c.mu_lagrange) * out[i] - c.mu_lagrange * v[i] * phi[i];
  }
  return out;
}

std::vector<double> cole_hopf_phi_hat_time_derivative(const core::Fft& fft,
                                                      std::span<const double> phi_hat,
                                                      std::span<const double> v,
                                                      const Constants& c) {
  check_size(fft, phi_hat, "φ̂");
  check_size(fft, v, "V");
  std::vector<double> out = core::spectral_laplacian(fft, phi_hat);
  for (std::size_t i = 0; i < out.size(); ++i) {
    out[i] = (c.gamma / c.mu_lagrange) * out[i] + c.mu_lagrange * v[i] * phi_hat[i];
  }
  return out;
}

ColeHopfSolution solve_hj_backward(const core::Fft& fft, std::span<const double> potential,
                                   std::span<const double> terminal_free_energy, const Constants& c,
                                   const ColeHopfOptions& options) {
  check_size(fft, potential, "V");
  check_size(fft, terminal_free_energy, "F(T)");
  const double mu = c.mu_lagrange;
  if (!(mu > 0.0)) throw std::invalid_argument("Cole–Hopf: μ must be > 0");
  if (!(c.gamma >= 0.0)) {
    throw std::invalid_argument("Cole–Hopf: γ/μ must be ≥ 0 (backward heat equation)");
  }
  if (!(options.t_end > 0.0) || !(options.dt > 0.0)) {
    throw std::invalid_argument("Cole–Hopf: T and dt must be > 0");
  }
  const std::int64_t steps = std::max<std::int64_t>(1, std::llround(options.t_end / options.dt));
  const double ds = options.t_end / static_cast<double>(steps);
  const std::int64_t every = std::max<std::int64_t>(1, options.record_every);
  const std::size_t n = terminal_free_energy.size();

  // φ = e^{μF − off}, max φ = 1.
  double off = -std::numeric_limits<double>::infinity();
  for (double f : terminal_free_energy) off = std::max(off, mu * f);
  if (!std::isfinite(off)) throw std::invalid_argument("Cole–Hopf: F(T) is not finite");
  std::vector<double> phi(n);
  for (std::size_t i = 0; i < n; ++i) phi[i] = std::exp(mu * terminal_free_energy[i] - off);
  std::vector<double> vhalf(n), heat(n);
  const auto& k2 = fft.k_squared();
  for (std::size_t i = 0; i < n; ++i) {
    vhalf[i] = std::exp(0.5 * mu * potential[i] * ds);
    heat[i] = std::exp(-(c.gamma / mu) * k2[i] * ds);
  }

  ColeHopfSolution sol;
  sol.steps = steps;
  sol.dt = ds;
  auto record = [&](std::int64_t j) {  // time t = j·ds
    sol.time.push_back(static_cast<double>(j) * ds);
    std::vector<double> f(n);
    for (std::size_t i = 0; i < n; ++i) f[i] = (std::log(std::max(phi[i], 1e-16)) + off) / mu;
    sol.free_energy.push_back(std::move(f));
    sol.phi_relative.push_back(phi);
  };
  record(steps);
  std::vector<core::Complex> buf(n);
  for (std::int64_t s = 1; s <= steps; ++s) {
    for (std::size_t i = 0; i < n; ++i) buf[i] = core::Complex(phi[i] * vhalf[i], 0.0);
    fft.forward(buf);
    for (std::size_t i = 0; i < n; ++i) buf[i] *= heat[i];
    fft.backward(buf);
    double m = 0.0;
    for (std::size_t i = 0; i < n; ++i) {
      phi[i] = buf[i].real() * vhalf[i];
      m = std::max(m, phi[i]);
    }
    if (!(m > 0.0) || !std::isfinite(m)) throw Divergence(static_cast<long>(s), "Cole–Hopf φ");
    for (double& x : phi) x /= m;
    off += std::log(m);
    const std::int64_t j = steps - s;
    if (j % every == 0 || j == 0) record(j);
  }
  std::reverse(sol.time.begin(), sol.time.end());
  std::reverse(sol.free_energy.begin(), sol.free_energy.end());
  std::reverse(sol.phi_relative.begin(), sol.phi_relative.end());
  return sol;
}

double cole_hopf_amplification(std::span<const double> potential, double mu, double t_end) {
  if (potential.empty()) return 0.0;
  const auto [lo, hi] = std::minmax_element(potential.begin(), potential.end());
  return mu * (*hi - *lo) * t_end;
}

// ---- stationary solutions
// ----------------------------------------------------------------------------

double stationary_free_energy(std::span<const double> q, double c0, std::span<const double> ck,
                              double mu) {
  if (q.size() != ck.size()) throw std::invalid_argument("(44): one C_k per q_k");
  double f = c0;
  for (std::size_t k = 0; k < q.size(); ++k) {
    const double x = ck[k] + mu * q[k];
    if (!(x > 0.0)) return kNaN;
    f += std::log(x) / mu;
  }
  return f;
}

StationaryConstants stationary_constants_for_gaussian(double beta, double m, std::size_t n) {
  StationaryConstants s;
  s.mu = 2.0 * beta;
  s.c0 = -static_cast<double>(n) / (2.0 * beta) * std::log(4.0 * std::numbers::pi);
  s.ck.assign(n, 2.0 * (1.0 - beta * m));
  return s;
}

double gaussian_free_energy(double beta, double m, std::span<const double> lambda) {
  double f = 0.0;
  for (double l : lambda) {
    const double d = (1.0 - beta * m) + beta * l;
    if (!(d > 0.0)) return kNaN;
    f += std::log(d);
  }
  return f / (2.0 * beta) -
         static_cast<double>(lambda.size()) / (2.0 * beta) * std::log(2.0 * std::numbers::pi);
}

std::vector<double> central_gradient(const ScalarFn& f, std::span<const double> q, double h) {
  std::vector<double> x(q.begin(), q.end());
  std::vector<double> g(q.size());
  for (std::size_t k = 0; k < q.size(); ++k) {
    x[k] = q[k] + h;
    const double fp = f(x);
    x[k] = q[k] - h;
    const double fm = f(x);
    x[k] = q[k];
    g[k] = (fp - fm) / (2.0 * h);
  }
  return g;
}

double central_laplacian(const ScalarFn& f, std::span<const double> q, double h) {
  std::vector<double> x(q.begin(), q.end());
  const double f0 = f(x);
  double lap = 0.0;
  for (std::size_t k = 0; k < q.size(); ++k) {
    x[k] = q[k] + h;
    const double fp = f(x);
    x[k] = q[k] - h;
    const double fm = f(x);
    x[k] = q[k];
    lap += (fp - 2.0 * f0 + fm) / (h * h);
  }
  return lap;
}

double stationary_residual(const ScalarFn& f, std::span<const double> q, const Constants& c,
                           double h) {
  const auto g = central_gradient(f, q, h);
  double g2 = 0.0;
  for (double x : g) g2 += x * x;
  return c.gamma * g2 + (c.gamma / c.mu_lagrange) * central_laplacian(f, q, h);
}

// ---- virial and (47)–(48)
// ------------------------------------------------------------------------------

VirialTerms virial(double beta, double m, std::span<const double> lambda) {
  VirialTerms v;
  for (double l : lambda) {
    const double d = (1.0 - beta * m) + beta * l;
    v.mean_loss += 0.5 * (l - m) / d;
    v.lambda_forces += 0.5 * l / d;
    v.mass_term += -0.5 * m / d;
  }
  v.defect = v.mean_loss - v.lambda_forces;
  return v;
}

namespace {

// K_mn = Σ_{i,k} (J⁻¹)_mi J_ik² (J⁻¹)_ni.
Eigen::MatrixXd kinetic_k(const Eigen::MatrixXd& jacobian) {
  const Eigen::MatrixXd jinv = jacobian.inverse();
  const Eigen::VectorXd s = jacobian.array().square().rowwise().sum();  // s_i = Σ_k J_ik²
  return jinv * s.asDiagonal() * jinv.transpose();
}

}  // namespace

Eq47Terms eq47_laplacian(const Constants& c, double beta, double m, const Eigen::VectorXd& lambda,
                         const Eigen::MatrixXd& jacobian, const Eigen::VectorXd& lambda_laplacian) {
  const Eigen::Index n = lambda.size();
  if (jacobian.rows() != n || jacobian.cols() != n || lambda_laplacian.size() != n) {
    throw std::invalid_argument("(47): λ, J (N×N) and ∇²λ must agree in size");
  }
  const double g = c.gamma, mu = c.mu_lagrange;
  Eigen::VectorXd dfdl(n);
  Eq47Terms t;
  for (Eigen::Index i = 0; i < n; ++i) {
    const double d = (1.0 - beta * m) + beta * lambda[i];
    const double j2 = jacobian.row(i).squaredNorm();
    dfdl[i] = 0.5 / d;                                        // ∂F/∂λ_i
    t.first_line += (g / mu) * (-0.5 * beta / (d * d)) * j2;  // ∂²F/∂λ_i² = −β/(2D_i²)
    t.second_line += -(g * beta / (2.0 * mu)) * j2 / (d * d);
    t.missing += (g / mu) * dfdl[i] * lambda_laplacian[i];
  }
  const Eigen::VectorXd dfdq = jacobian.transpose() * dfdl;  // ∂F/∂q_m = Σ_i J_im ∂F/∂λ_i
  t.last_line = -(2.0 * g * beta / mu) * dfdq.dot(kinetic_k(jacobian) * dfdq);
  t.exact = t.first_line + t.missing;
  return t;
}

Eigen::MatrixXd eq48_kinetic_matrix(double beta, double mu, const Eigen::MatrixXd& jacobian) {
  const Eigen::Index n = jacobian.rows();
  return Eigen::MatrixXd::Identity(n, n) - (2.0 * beta / mu) * kinetic_k(jacobian);
}

}  // namespace nnworld::trainable
