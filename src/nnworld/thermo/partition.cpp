#include "nnworld/thermo/partition.hpp"

#include <omp.h>

#include <Eigen/Cholesky>
#include <Eigen/Eigenvalues>
#include <algorithm>
#include <cmath>
#include <limits>
#include <numbers>
#include <sstream>

#include "nnworld/core/error.hpp"
#include "nnworld/core/lapack.hpp"
#include "nnworld/core/rng.hpp"
#include "nnworld/thermo/existence.hpp"

namespace nnworld::thermo {

namespace {

constexpr double log_two_pi = 1.8378770664093454835606594728112;  // log 2π
constexpr double inf = std::numeric_limits<double>::infinity();

std::string str(double v) {
  std::ostringstream os;
  os.precision(10);
  os << v;
  return os.str();
}

Vector symmetric_eigenvalues(const Matrix& a) {
  const Matrix s = 0.5 * (a + a.transpose());
  return Eigen::SelfAdjointEigenSolver<Matrix>(s, Eigen::EigenvaluesOnly).eigenvalues();
}

// Number of eigenvalues ≤ tol · max|eig| (all of them if every eigenvalue is 0).
int count_zero_modes(const Vector& ev, double tol) {
  const double scale = ev.size() > 0 ? ev.cwiseAbs().maxCoeff() : 0.0;
  int k = 0;
  for (double e : ev) k += e <= tol * scale ? 1 : 0;
  return k;
}

// Σ_i log v_i (a scalar loop: Eigen's vectorised log trips a false -Wuninitialized in GCC 12).
double sum_log(const Vector& v) {
  double s = 0.0;
  for (double e : v) s += std::log(e);
  return s;
}

}  // namespace

// log det of a symmetric positive-definite matrix by Cholesky: 2 Σ log L_ii. Falls back to
// the eigenvalues if the factorisation breaks down (then the caller has checked positivity).
double log_det_spd(const Matrix& a) {
  const Matrix s = 0.5 * (a + a.transpose());
  // Below kLapackFrom Eigen's LLT is as fast and avoids the call overhead; above it OpenBLAS's
  // blocked dpotrf is 1.15–1.8× faster than Eigen's LLT (bench/RESULTS.md, log_det rows).
  constexpr Eigen::Index kLapackFrom = 192;
  if (s.rows() >= kLapackFrom) {
    Matrix l = s;
    if (core::cholesky_lower_in_place(l.data(), l.rows(), omp_get_max_threads())) {
      return 2.0 * sum_log(l.diagonal());
    }
  } else {
    const Eigen::LLT<Matrix> llt(s);
    if (llt.info() == Eigen::Success) return 2.0 * sum_log(llt.matrixLLT().diagonal());
  }
  return sum_log(symmetric_eigenvalues(s));
}

namespace {

LossMinimum make_minimum(const network::Network& net, Vector x, double tol) {
  LossMinimum m;
  m.loss = network::bulk_loss(net, x);
  m.hessian_eigenvalues = symmetric_eigenvalues(network::hessian(net, x));
  m.zero_modes = count_zero_modes(m.hessian_eigenvalues, tol);
  m.x = std::move(x);
  return m;
}

// Saddle-free Newton descent on H from x; true if it converged to a stationary point.
bool descend(const network::Network& net, Vector& x, const GaussianOptions& opt) {
  auto grad = network::loss_gradient(net, x, network::LossKind::bulk);
  for (int it = 0; it <= opt.descent_iterations; ++it) {
    if (!grad.dx.allFinite() || !std::isfinite(grad.loss)) return false;
    if (grad.dx.lpNorm<Eigen::Infinity>() <=
        opt.gradient_tolerance * (1.0 + x.lpNorm<Eigen::Infinity>())) {
      return true;
    }
    if (it == opt.descent_iterations) break;
    const Matrix h = network::hessian(net, x);
    const Eigen::SelfAdjointEigenSolver<Matrix> es(0.5 * (h + h.transpose()));
    const Vector lam = es.eigenvalues().cwiseAbs().cwiseMax(1e-8);
    const Vector step =
        -(es.eigenvectors() * (es.eigenvectors().transpose() * grad.dx).cwiseQuotient(lam));
    const double slope = grad.dx.dot(step);  // < 0
    double alpha = 1.0;
    bool accepted = false;
    for (int k = 0; k < 60; ++k, alpha *= 0.5) {
      Vector xn = x + alpha * step;
      auto gn = network::loss_gradient(net, xn, network::LossKind::bulk);
      if (std::isfinite(gn.loss) && gn.loss <= grad.loss + 1e-4 * alpha * slope) {
        x.swap(xn);
        grad = std::move(gn);
        accepted = true;
        break;
      }
    }
    if (!accepted) {
      // No decrease representable: accept if already (nearly) stationary.
      return grad.dx.lpNorm<Eigen::Infinity>() <=
             1e3 * opt.gradient_tolerance * (1.0 + x.lpNorm<Eigen::Infinity>());
    }
  }
  return false;
}

void check_options(const GaussianOptions& opt, const char* where) {
  if (!(opt.zero_mode_tolerance >= 0.0) || opt.descent_iterations < 1 ||
      !(opt.gradient_tolerance > 0.0)) {
    throw Error(where, "invalid options",
                "zero_mode_tolerance >= 0, descent_iterations >= 1, gradient_tolerance > 0");
  }
}

}  // namespace

namespace detail {

void check_beta(double beta, const char* where) {
  if (!(beta > 0.0) || !std::isfinite(beta)) {
    throw Error(where, "inverse temperature beta = " + str(beta), "finite beta > 0");
  }
}

int check_existence(const network::Network& net, const char* where, bool zero_mode_is_error,
                    double zero_mode_tolerance) {
  using network::ActivationKind;
  const bool bounded =
      net.activation == ActivationKind::tanh || net.activation == ActivationKind::logistic;
  if (bounded && !(net.mass < 1.0)) {
    throw Error(where, "Z diverges: m >= 1 with a bounded activation (m = " + str(net.mass) + ")",
                "m < 1");
  }
  if (net.activation != ActivationKind::linear) return 0;
  // Linear f: H = ½|(I − ŵ)x − b|² − (m/2)|x|², quadratic form Ĝ − mI, Ĝ = (I − ŵ)ᵀ(I − ŵ).
  Matrix a = network::g_matrix(net, Vector::Zero(net.n()));
  a.diagonal().array() -= net.mass;
  const Vector ev = symmetric_eigenvalues(a);
  const double scale = ev.size() > 0 ? ev.cwiseAbs().maxCoeff() : 0.0;
  if (ev.size() > 0 && ev[0] < -zero_mode_tolerance * scale) {
    throw Error(where,
                "Z diverges: linear f and G - mI has a negative eigenvalue (" + str(ev[0]) + ")",
                "G - m I positive definite");
  }
  const int zero = count_zero_modes(ev, zero_mode_tolerance);
  if (zero > 0 && zero_mode_is_error) {
    throw Error(where,
                "Z diverges: linear f and G - mI has " + std::to_string(zero) + " zero mode(s)",
                "G - m I positive definite");
  }
  return zero;
}

}  // namespace detail

std::vector<LossMinimum> loss_minima(const network::Network& net, const GaussianOptions& opt) {
  check_options(opt, "thermo::loss_minima");
  const auto fps = network::fixed_points(net, opt.newton);
  std::vector<LossMinimum> out;
  if (net.mass == 0.0) {
    // m = 0: H = ½|r|² ≥ 0 and r = 0 at a fixed point, so each is a global minimum.
    for (const auto& fp : fps) out.push_back(make_minimum(net, fp.x, opt.zero_mode_tolerance));
    return out;
  }
  const std::int64_t n = net.n();
  std::vector<Vector> starts;
  for (const auto& fp : fps) starts.push_back(fp.x);
  starts.push_back(Vector::Zero(n));
  const core::RngStream rng(opt.newton.seed, core::StreamTag::start, 1);
  for (int s = 0; s < opt.newton.starts; ++s) {
    Vector x(n);
    for (std::int64_t i = 0; i < n; ++i) {
      x[i] =
          opt.newton.start_scale *
          (2.0 * rng.uniform(static_cast<std::uint64_t>(s), static_cast<std::uint64_t>(i)) - 1.0);
    }
    starts.push_back(std::move(x));
  }
  for (auto& x : starts) {
    if (!descend(net, x, opt)) continue;
    LossMinimum m = make_minimum(net, x, opt.zero_mode_tolerance);
    const double scale = m.hessian_eigenvalues.cwiseAbs().maxCoeff();
    if (m.hessian_eigenvalues[0] < -opt.zero_mode_tolerance * scale) continue;  // a saddle
    bool merged = false;
    for (const auto& e : out) {
      if ((e.x - m.x).lpNorm<Eigen::Infinity>() <= std::max(opt.newton.merge_distance, 1e-8)) {
        merged = true;
        break;
      }
    }
    if (!merged) out.push_back(std::move(m));
  }
  std::stable_sort(out.begin(), out.end(),
                   [](const LossMinimum& a, const LossMinimum& b) { return a.loss < b.loss; });
  return out;
}

// Laplace's method, Eq. (7) as corrected (spec §0 item 1), summed over the minima x*_k of H:
//   log Z_k = −βH(x*_k) + (N/2) log 2π − ½ log det[β A_k],   A_k = ∇²H(x*_k)
//             (A_k = Ĝ(x*_k) − mI at a fixed point; log det by Cholesky),
//   log Z_L = log Σ_k e^{log Z_k}   (log-sum-exp),  weights w_k = Z_k / Z_L,
//   U_L = Σ_k w_k H(x*_k) + N/(2β)   (10; equipartition),
//   C_β = N/2 + β² Σ_k w_k (H(x*_k) − Σ_j w_j H(x*_j))²   (= N/2 for one minimum),
//   F_L = −log Z_L / β   (6),   S_x = β(U_L − F_L)   (13),
//   S₀ = (N/2)(1 + log(2π/β))   (14),   C = S_x − S₀   (12)–(14); for one minimum
//   C = −½ log det A (spec §2a), for m = 0 C = log Σ_k det(A_k)^{−1/2}.
// A zero mode (eigenvalue of A_k ≤ tol · max|eig|) makes the Gaussian integral diverge:
// status "divergent_gaussian", zero_modes = k, log Z = +∞, F = −∞, S_x = C = +∞, U = C_β = NaN.
PartitionEstimate laplace(const network::Network& net, double beta, const GaussianOptions& opt) {
  constexpr const char* where = "thermo::laplace";
  net.validate();
  detail::check_beta(beta, where);
  check_options(opt, where);
  detail::check_existence(net, where, false, opt.zero_mode_tolerance);
  PartitionEstimate r;
  r.method = "laplace";
  r.beta = beta;
  r.minima = loss_minima(net, opt);
  if (r.minima.empty()) {
    throw Error(where, "no minimum of H found", "a converged fixed point or minimum of H", 3);
  }
  const double n = static_cast<double>(net.n());
  r.entropy_s0 = 0.5 * n * (1.0 + std::log(2.0 * std::numbers::pi / beta));
  for (const auto& m : r.minima) r.zero_modes = std::max(r.zero_modes, m.zero_modes);
  if (r.zero_modes > 0) {
    r.status = "divergent_gaussian";
    r.log_z = inf;
    r.free_energy = -inf;
    r.entropy = inf;
    r.complexity = inf;
    r.mean_loss = not_available;
    r.heat_capacity = not_available;
    return r;
  }
  std::vector<double> log_zk;
  std::vector<double> log_det;
  for (const auto& m : r.minima) {
    const double ld = log_det_spd(network::hessian(net, m.x));
    log_det.push_back(ld);
    log_zk.push_back(-beta * m.loss + 0.5 * n * log_two_pi - 0.5 * (n * std::log(beta) + ld));
  }
  const double top = *std::max_element(log_zk.begin(), log_zk.end());
  double sum = 0.0;
  for (double l : log_zk) sum += std::exp(l - top);
  r.log_z = top + std::log(sum);
  double h_mean = 0.0;
  for (std::size_t k = 0; k < log_zk.size(); ++k) {
    h_mean += std::exp(log_zk[k] - r.log_z) * r.minima[k].loss;
  }
  double h_var = 0.0;
  for (std::size_t k = 0; k < log_zk.size(); ++k) {
    const double d = r.minima[k].loss - h_mean;
    h_var += std::exp(log_zk[k] - r.log_z) * d * d;
  }
  r.free_energy = -r.log_z / beta;
  r.mean_loss = h_mean + 0.5 * n / beta;
  r.heat_capacity = 0.5 * n + beta * beta * h_var;
  r.entropy = beta * (r.mean_loss - r.free_energy);
  r.complexity = r.minima.size() == 1 ? -0.5 * log_det[0] : r.entropy - r.entropy_s0;
  return r;
}

// The paper's Eq. (7) as printed, about the lowest-loss fixed point x* of (1), λ_i = eig Ĝ(x*),
// a_i = λ_i − m, d_i = 1 + β a_i (the eigenvalues of (1 − βm)I + βĜ):
//   log Z_7 = (N/2) log 2π − ½ log det[(1 − βm)I + βĜ]   (no −βH(x*) term, as printed;
//             log det by Cholesky),
//   U_7 = −∂_β log Z_7 = ½ Σ_i a_i / d_i,   C_β = β² ∂²_β log Z_7 = ½ β² Σ_i a_i² / d_i²,
//   F_7 = −log Z_7 / β,   S_7 = β(U_7 − F_7).
// It equals ∫ dᴺx e^{−|x|²/2} e^{−βH_quad} (reference measure e^{−|x|²/2}), not Laplace's
// method (spec §1b). If some d_i ≤ tol · max|d|: status "divergent_gaussian".
PartitionEstimate paper_eq7(const network::Network& net, double beta, const GaussianOptions& opt) {
  constexpr const char* where = "thermo::paper_eq7";
  net.validate();
  detail::check_beta(beta, where);
  check_options(opt, where);
  detail::check_existence(net, where, false, opt.zero_mode_tolerance);
  const auto fps = network::fixed_points(net, opt.newton);
  if (fps.empty()) {
    throw Error(where, "no fixed point of (1) found", "a converged fixed point", 3);
  }
  PartitionEstimate r;
  r.method = "paper_eq7";
  r.beta = beta;
  r.minima.push_back(make_minimum(net, fps.front().x, opt.zero_mode_tolerance));
  const Matrix g = network::g_matrix(net, fps.front().x);
  const Vector a = symmetric_eigenvalues(g).array() - net.mass;
  const Vector d = (1.0 + beta * a.array()).matrix();
  const double n = static_cast<double>(net.n());
  r.zero_modes = count_zero_modes(d, opt.zero_mode_tolerance);
  if (r.zero_modes > 0) {
    r.status = "divergent_gaussian";
    r.log_z = inf;
    r.free_energy = -inf;
    r.entropy = inf;
    r.mean_loss = not_available;
    r.heat_capacity = not_available;
    return r;
  }
  Matrix m = beta * g;
  m.diagonal().array() += 1.0 - beta * net.mass;
  r.log_z = 0.5 * n * log_two_pi - 0.5 * log_det_spd(m);
  r.mean_loss = 0.5 * a.cwiseQuotient(d).sum();
  r.heat_capacity = 0.5 * beta * beta * a.cwiseQuotient(d).squaredNorm();
  r.free_energy = -r.log_z / beta;
  r.entropy = beta * (r.mean_loss - r.free_energy);
  return r;
}

// ---- Decomposition helpers (spec §2b), Ĝ = diag(λ), H(x*) = 0 -----------------------------

namespace {
void check_lambda(double beta, const Vector& lambda, double m, bool laplace_form,
                  const char* where) {
  detail::check_beta(beta, where);
  for (double l : lambda) {
    const double arg = laplace_form ? l - m : 1.0 + beta * (l - m);
    if (!(arg > 0.0)) {
      throw Error(where, "non-positive Gaussian eigenvalue (lambda = " + str(l) + ")",
                  laplace_form ? "lambda_i > m" : "1 - beta m + beta lambda_i > 0");
    }
  }
}
}  // namespace

// Laplace form (6)+(7 corrected): βF_L = −(N/2) log 2π + ½ Σ_i log[β(λ_i − m)]
//   = β A(β) − C(λ) with βA = (N/2) log(β/2π), C = −½ Σ log(λ_i − m)   (12).
double beta_free_energy_laplace(double beta, const Vector& lambda, double m) {
  check_lambda(beta, lambda, m, true, "thermo::beta_free_energy_laplace");
  const double n = static_cast<double>(lambda.size());
  return -0.5 * n * log_two_pi + 0.5 * sum_log((beta * (lambda.array() - m)).matrix());
}

// Printed (7): βF_7 = −(N/2) log 2π + ½ Σ_i log(1 − βm + βλ_i).
double beta_free_energy_eq7(double beta, const Vector& lambda, double m) {
  check_lambda(beta, lambda, m, false, "thermo::beta_free_energy_eq7");
  const double n = static_cast<double>(lambda.size());
  return -0.5 * n * log_two_pi + 0.5 * sum_log((1.0 + beta * (lambda.array() - m)).matrix());
}

// ∂(βF_L)/∂λ_i = ½ / (λ_i − m)   (independent of β: (11) holds, decomposition (12) exact).
Vector beta_free_energy_gradient_laplace(double beta, const Vector& lambda, double m) {
  check_lambda(beta, lambda, m, true, "thermo::beta_free_energy_gradient_laplace");
  return (0.5 / (lambda.array() - m)).matrix();
}

// ∂(βF_7)/∂λ_i = ½ β / (1 − βm + βλ_i).
Vector beta_free_energy_gradient_eq7(double beta, const Vector& lambda, double m) {
  check_lambda(beta, lambda, m, false, "thermo::beta_free_energy_gradient_eq7");
  return (0.5 * beta / (1.0 + beta * (lambda.array() - m))).matrix();
}

// ∂²(βF_7)/∂β∂λ_i = ½ (1 − βm + βλ_i)⁻²   (spec §2b: (7) never gives (12)).
Vector mixed_derivative_eq7(double beta, const Vector& lambda, double m) {
  check_lambda(beta, lambda, m, false, "thermo::mixed_derivative_eq7");
  return (0.5 / (1.0 + beta * (lambda.array() - m)).square()).matrix();
}

// (12) by the 4-point central difference of βF = −log Z in (β, q) at q = 1 (partition.hpp).
MixedDerivative mixed_derivative(
    const network::Network& net, double beta, double beta_step, double q_step,
    const std::function<double(const network::Network&, double)>& log_z) {
  detail::check_beta(beta, "thermo::mixed_derivative");
  if (!(beta_step > 0.0 && beta_step < 1.0) || !(q_step > 0.0 && q_step < 1.0)) {
    throw Error("thermo::mixed_derivative",
                "steps beta_step = " + str(beta_step) + ", q_step = " + str(q_step),
                "0 < beta_step < 1 and 0 < q_step < 1");
  }
  MixedDerivative d;
  d.h = beta_step * beta;
  d.k = q_step;
  const network::Network up = network::scale_weights(net, 1.0 + d.k);
  const network::Network down = network::scale_weights(net, 1.0 - d.k);
  const double fpp = -log_z(up, beta + d.h), fpm = -log_z(up, beta - d.h);
  const double fmp = -log_z(down, beta + d.h), fmm = -log_z(down, beta - d.h);
  d.value = (fpp - fpm - fmp + fmm) / (4.0 * d.h * d.k);
  const double big = std::max({std::abs(fpp), std::abs(fpm), std::abs(fmp), std::abs(fmm)});
  const double delta =
      64.0 * std::numeric_limits<double>::epsilon() / 2.0 * (big + static_cast<double>(net.n()));
  d.rounding = delta / (d.h * d.k);
  return d;
}

}  // namespace nnworld::thermo
