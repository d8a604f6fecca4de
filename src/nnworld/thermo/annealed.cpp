#include "nnworld/thermo/annealed.hpp"

#include <Eigen/Cholesky>
#include <Eigen/Eigenvalues>
#include <algorithm>
#include <cmath>
#include <numbers>
#include <vector>

#include "nnworld/core/error.hpp"
#include "nnworld/core/parallel.hpp"
#include "nnworld/core/rng.hpp"
#include "nnworld/network/activation.hpp"
#include "nnworld/thermo/hmc_kernel.hpp"

namespace nnworld::thermo {

namespace {

void require(bool ok, const char* key, const std::string& got, const std::string& expected) {
  if (!ok) throw Error(std::string("ais_log_z: option '") + key + "'", "got " + got, expected);
}

// Ĝv = (I − Ĵ)ᵀ(I − Ĵ)v with Ĵ = f̂′ŵ at x (8)–(9), by two matrix–vector products.
Vector g_times(const network::Network& net, const Vector& df, const Vector& v) {
  const Vector wv = network::preactivation(net, v) - net.b;
  const Vector u = v - df.cwiseProduct(wv);
  return u - network::transpose_times(net.w, df.cwiseProduct(u));
}

// Largest eigenvalue of Ĝ(x) by power iteration (Ĝ ⪰ 0), 60 iterations from a fixed vector.
double g_max_eigenvalue(const network::Network& net, const Vector& x) {
  Vector y = network::preactivation(net, x);
  Vector df(y.size());
  network::activation_derivative(net.activation, y.data(), df.data(), y.size());
  Vector v = Vector::Ones(y.size()).normalized();
  double lambda = 0.0;
  for (int it = 0; it < 60; ++it) {
    Vector gv = g_times(net, df, v);
    lambda = v.dot(gv);
    const double norm = gv.norm();
    if (!(norm > 0.0)) break;
    v = gv / norm;
  }
  return lambda;
}

}  // namespace

void AisOptions::validate() const {
  require(std::isfinite(beta) && beta > 0.0, "beta", std::to_string(beta), "a finite number > 0");
  require(particles >= 2, "particles", std::to_string(particles), "an integer >= 2");
  require(temperatures >= 1, "temperatures", std::to_string(temperatures), "an integer >= 1");
  require(std::isfinite(schedule_power) && schedule_power > 0.0, "schedule_power",
          std::to_string(schedule_power), "a finite number > 0");
  require(transitions >= 1, "transitions", std::to_string(transitions), "an integer >= 1");
  require(leapfrog_steps >= 1, "leapfrog_steps", std::to_string(leapfrog_steps), "an integer >= 1");
  require(std::isfinite(step_scale) && step_scale > 0.0, "step_scale", std::to_string(step_scale),
          "a finite number > 0");
  require(std::isfinite(isotropic_variance) && isotropic_variance >= 0.0, "isotropic_variance",
          std::to_string(isotropic_variance), "a finite number >= 0 (0: automatic)");
  require(max_laplace_n >= 0, "max_laplace_n", std::to_string(max_laplace_n), "an integer >= 0");
}

// Eqs. (5), (6), (10), (13) by annealed importance sampling, as coded:
//   q₀ = N(c, A⁻¹):  −log q₀(x) = ½δᵀAδ + (N/2) log 2π − ½ log det A,  δ = x − c;
//   log w = Σ_{k=1..K} (t_k − t_{k−1}) [−βH(x_{k−1}) − log q₀(x_{k−1})],
//   x_k ← HMC transitions leaving π_{t_k} ∝ q₀^{1−t_k} e^{−t_k βH} invariant, energy
//   E_t = (1−t)·½δᵀAδ + tβH, ∇E_t = (1−t)Aδ + tβ ∂H/∂x, step ε_k = c_ε / √((1−t_k)κ₀ + t_kκ₁)
//   (κ₀ = λ_max(A), κ₁ = β(λ_max Ĝ(c) − m), floored at 0.01 κ₀);
//   log Z = log( (1/n) Σ_i w_i ),  se(log Z) = sd(a)/√n, a_i = w_i / w̄;
//   U = Σ a_i H(x_K^i) / n,  se(U) = sd(a (H − U))/√n;
//   F = −log Z / β (6);  S_x = βU + log Z = β(U − F) (13),  se(S) = sd(a − 1 + β a (H − U))/√n
//   (influence functions of the ratio estimators, so the U–log Z correlation is included).
AisResult ais_log_z(const network::Network& net, const AisOptions& options) {
  net.validate();
  options.validate();
  const std::int64_t n = net.n();
  const double beta = options.beta;
  const bool bounded = net.activation == network::ActivationKind::tanh ||
                       net.activation == network::ActivationKind::logistic;
  if (bounded && !(net.mass < 1.0)) {
    throw Error("ais_log_z", "mass m = " + std::to_string(net.mass) + " with a bounded activation",
                "m < 1 (otherwise Z = ∞: H → −∞ along large |x|)");
  }
  AisResult result;
  result.beta = beta;

  // ---- Base density -----------------------------------------------------------------------
  Vector centre = Vector::Zero(n);
  Matrix a;       // precision A (laplace) — empty for the isotropic base
  Matrix chol_l;  // A = L Lᵀ
  double log_det_a = 0.0;
  double kappa0 = 0.0;      // λ_max of the base precision
  double lambda_min = 0.0;  // smallest eigenvalue of Ĝ(c) − mI (if computed)
  bool have_eigs = false;
  bool laplace = false;
  double h_star = 0.0;
  if (options.base != AisBase::isotropic && n <= options.max_laplace_n) {
    const auto fps = network::fixed_points(net, options.newton);
    if (fps.empty()) {
      result.base_note = "no fixed point found: isotropic base centred at 0";
    } else {
      centre = fps.front().x;
      h_star = fps.front().loss;
      const Matrix g = network::g_matrix(net, centre) - net.mass * Matrix::Identity(n, n);
      const Eigen::SelfAdjointEigenSolver<Matrix> eig(0.5 * (g + g.transpose()));
      lambda_min = eig.eigenvalues().minCoeff();
      have_eigs = true;
      const double lmax = eig.eigenvalues().maxCoeff();
      if (lambda_min > 1e-10 * std::max(1.0, lmax)) {
        laplace = true;
        a = beta * 0.5 * (g + g.transpose());
        const Eigen::LLT<Matrix> llt(a);
        chol_l = llt.matrixL();
        log_det_a = 2.0 * chol_l.diagonal().array().log().sum();
        kappa0 = beta * lmax;
      } else {
        result.base_note = "Ĝ(x*) − mI is not positive definite (zero mode, λ_min = " +
                           std::to_string(lambda_min) + "): isotropic base centred at x*";
      }
    }
  } else if (options.base == AisBase::isotropic) {
    result.base_note = "isotropic base requested";
  } else {
    result.base_note = "N > max_laplace_n: isotropic base centred at 0";
  }
  if (options.base == AisBase::laplace && !laplace) {
    throw Error("ais_log_z", "Laplace base requested but unavailable (" + result.base_note + ")",
                "a fixed point x* with Ĝ(x*) − mI positive definite");
  }
  if (net.activation == network::ActivationKind::linear && have_eigs && !laplace) {
    throw Error("ais_log_z", "linear network with Ĝ − mI not positive definite",
                "Ĝ − mI ≻ 0 (otherwise Z = ∞)");
  }
  double sigma2 = 0.0;
  if (!laplace) {
    if (options.base == AisBase::isotropic && n <= options.max_laplace_n && !have_eigs) {
      // Centre and λ_min for the requested isotropic base: still around the lowest fixed point.
      const auto fps = network::fixed_points(net, options.newton);
      if (!fps.empty()) centre = fps.front().x;
      const Matrix g = network::g_matrix(net, centre) - net.mass * Matrix::Identity(n, n);
      lambda_min =
          Eigen::SelfAdjointEigenSolver<Matrix>(0.5 * (g + g.transpose())).eigenvalues().minCoeff();
      have_eigs = true;
    }
    sigma2 = options.isotropic_variance > 0.0  ? options.isotropic_variance
             : (have_eigs && lambda_min > 0.0) ? std::max(1.0, 1.0 / (beta * lambda_min))
                                               : 1.0;
    log_det_a = -static_cast<double>(n) * std::log(sigma2);
    kappa0 = 1.0 / sigma2;
  }
  result.base = laplace ? "laplace" : "isotropic";
  result.base_mean = centre;
  const double log_norm = 0.5 * static_cast<double>(n) * std::log(2.0 * std::numbers::pi) -
                          0.5 * log_det_a;  // −log q₀(c)
  if (laplace) result.laplace_log_z = -beta * h_star + log_norm;
  const double kappa1 = std::max(beta * (g_max_eigenvalue(net, centre) - net.mass), 0.01 * kappa0);

  // ---- Schedule -----------------------------------------------------------------------------
  const int k_max = options.temperatures;
  std::vector<double> t(static_cast<std::size_t>(k_max) + 1);
  std::vector<double> eps(t.size());
  for (int k = 0; k <= k_max; ++k) {
    t[k] = std::pow(static_cast<double>(k) / k_max, options.schedule_power);
    eps[k] = options.step_scale / std::sqrt((1.0 - t[k]) * kappa0 + t[k] * kappa1);
  }

  // ---- Particles ----------------------------------------------------------------------------
  const int np = options.particles;
  std::vector<double> log_w(static_cast<std::size_t>(np), 0.0);
  std::vector<double> h_final(static_cast<std::size_t>(np), 0.0);
  std::vector<double> acc(static_cast<std::size_t>(np), 0.0);
  const double sigma = std::sqrt(sigma2);

  // Particles are independent: on R MPI ranks each runs its share, then every rank gathers the
  // three per-particle results in particle order (the estimates below see the same numbers).
  const core::Comm& comm = core::current_comm();
  const core::Share mine = comm.share(np);
#pragma omp parallel for schedule(static, 1)
  for (int i = static_cast<int>(mine.begin); i < static_cast<int>(mine.end); ++i) {
    const core::RngStream rng(options.seed, core::StreamTag::start, static_cast<std::uint64_t>(i));
    // Precision product Aδ and the quadratic form ½δᵀAδ of the base.
    auto precision_times = [&](const Vector& d) -> Vector {
      return laplace ? Vector(a * d) : Vector(d / sigma2);
    };
    Vector z(n);
    for (std::int64_t j = 0; j < n; ++j) z[j] = rng.normal(0, static_cast<std::uint64_t>(j));
    detail::HmcState s;
    // x₀ = c + L⁻ᵀ z  (Cov = (L Lᵀ)⁻¹ = A⁻¹), or c + σ z.
    s.x = laplace ? Vector(centre + chol_l.transpose().triangularView<Eigen::Upper>().solve(z))
                  : Vector(centre + sigma * z);
    double lw = 0.0;
    double accepted = 0.0;
    Vector grad_h;
    for (int k = 1; k <= k_max; ++k) {
      const double tk = t[k];
      // Weight increment at x_{k−1}: (t_k − t_{k−1}) (−βH − log q₀).
      const double h = bulk_loss_and_gradient(net, s.x, grad_h);
      const Vector d = s.x - centre;
      const Vector ad = precision_times(d);
      const double quad = 0.5 * d.dot(ad);
      lw += (tk - t[k - 1]) * (-beta * h + quad + log_norm);
      // Transitions leaving π_{t_k} invariant.
      s.energy = (1.0 - tk) * quad + tk * beta * h;
      s.grad = (1.0 - tk) * ad + tk * beta * grad_h;
      auto energy = [&](const Vector& x, Vector& grad) {
        Vector gh;
        const double hx = bulk_loss_and_gradient(net, x, gh);
        const Vector dx = x - centre;
        const Vector adx = precision_times(dx);
        grad = (1.0 - tk) * adx + tk * beta * gh;
        return (1.0 - tk) * 0.5 * dx.dot(adx) + tk * beta * hx;
      };
      for (int j = 0; j < options.transitions; ++j) {
        const std::uint64_t step =
            static_cast<std::uint64_t>(k - 1) * static_cast<std::uint64_t>(options.transitions) +
            static_cast<std::uint64_t>(j) + 1;
        const detail::HmcOutcome o =
            detail::hmc_transition(energy, s, eps[k], options.leapfrog_steps, rng, step);
        accepted += o.accept_probability;
      }
    }
    log_w[i] = lw;
    h_final[i] = s.energy / beta;  // t_K = 1: E = βH
    acc[i] = accepted / (static_cast<double>(k_max) * options.transitions);
  }

  comm.allgather(log_w, np, 1);
  comm.allgather(h_final, np, 1);
  comm.allgather(acc, np, 1);

  // ---- Estimates (fixed order: independent of the thread and rank count) ---------------------
  const double max_lw = *std::max_element(log_w.begin(), log_w.end());
  std::vector<double> w(log_w.size());
  double sum_w = 0.0;
  double sum_w2 = 0.0;
  for (std::size_t i = 0; i < w.size(); ++i) {
    w[i] = std::exp(log_w[i] - max_lw);
    sum_w += w[i];
    sum_w2 += w[i] * w[i];
  }
  const double dn = static_cast<double>(np);
  const double w_bar = sum_w / dn;
  result.log_z = max_lw + std::log(w_bar);
  result.weight_ess = sum_w * sum_w / sum_w2;
  double u = 0.0;
  for (std::size_t i = 0; i < w.size(); ++i) u += w[i] * h_final[i];
  u /= sum_w;
  result.mean_h = u;
  double var_a = 0.0;
  double var_u = 0.0;
  double var_s = 0.0;
  for (std::size_t i = 0; i < w.size(); ++i) {
    const double ai = w[i] / w_bar;
    const double psi = ai - 1.0;
    const double phi = ai * (h_final[i] - u);
    var_a += psi * psi;
    var_u += phi * phi;
    var_s += (psi + beta * phi) * (psi + beta * phi);
  }
  result.log_z_stderr = std::sqrt(var_a / (dn - 1.0) / dn);
  result.mean_h_stderr = std::sqrt(var_u / (dn - 1.0) / dn);
  result.entropy_stderr = std::sqrt(var_s / (dn - 1.0) / dn);
  result.free_energy = -result.log_z / beta;
  result.free_energy_stderr = result.log_z_stderr / beta;
  result.entropy = beta * u + result.log_z;
  for (double v : acc) result.acceptance += v / dn;
  result.log_weights = std::move(log_w);
  return result;
}

}  // namespace nnworld::thermo
