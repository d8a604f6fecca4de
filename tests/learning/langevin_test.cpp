// Langevin dynamics of the trainable variables: the stationary distribution of
//   q ← q − η (∇⟨H⟩ + λ q) + √(2ηT) ξ
// for a loss that is exactly quadratic in q.
#include <gtest/gtest.h>

#include <Eigen/Dense>
#include <cmath>
#include <vector>

#include "nnworld/network/learning.hpp"

namespace nnworld::network {
namespace {

// Linear network N = 2, input neuron 0, no outputs, one data row x₀ = 1 and relax_steps = 0:
// every sample is x = (1, 0), independent of q, and
//   H = ½ Σ_i (x_i − b_i − w_i0 x₀ − w_i1 x₁)² = ½ Σ_i (x_i − zᵀq_i)²,  z = (1, 1, 0),
// with q_i = (b_i, w_i0, w_i1). Each neuron is an independent quadratic with Hessian
// K = z zᵀ + λ I (weight decay included), eigenvalues 2 + λ, λ, λ, so for T > 0 the update is
// the linear (Ornstein–Uhlenbeck) chain q ← q − η K (q − μ) + √(2ηT) ξ with mean
// μ = K⁻¹ z x_i. Its exact stationary covariance solves C = M C M + 2ηT I, M = I − ηK:
//   C = T (K − η K²/2)⁻¹ = T K⁻¹ (1 + O(ηK)),
// the Gibbs–Boltzmann value T K⁻¹ of overdamped Langevin up to the discretisation bias
// ηκ/2 per mode. The batch is always the single row, so SGD adds no extra noise.
//
// Sampling: the chain is continued by calls of M steps with seeds 1000 + j (independent
// noise streams per call, so the concatenation is one Markov chain), reading b₀ and b₁ after
// each call; the first calls are discarded (the start μ relaxes as M^{2t}). With known mean,
// the estimator σ̂² = (1/n) Σ (b − μ)² has relative standard error
//   √(2/n · Σ_{l∈ℤ} ρ_l²),  ρ_l = [M^{lM} C]_00 / C_00 (exact autocorrelation of b),
// computed below; the test allows 5 of those.
TEST(Langevin, StationaryVarianceOfQuadraticLoss) {
  const double eta = 0.02, lambda = 1.0, temperature = 0.01;
  const int steps_per_call = 50, calls = 8000, burn_in = 20;

  Eigen::Vector3d z(1.0, 1.0, 0.0);
  const Eigen::Matrix3d k = z * z.transpose() + lambda * Eigen::Matrix3d::Identity();
  const Eigen::Matrix3d c_exact = temperature * (k - 0.5 * eta * k * k).inverse();
  const Eigen::Matrix3d c_gibbs = temperature * k.inverse();
  const Eigen::Vector3d mu0 = k.inverse() * z * 1.0;  // neuron 0: x₀ = 1; neuron 1: x₁ = 0
  const Eigen::Matrix3d m_step = Eigen::Matrix3d::Identity() - eta * k;

  // Σ_l ρ_l² with ρ_l the lag-l (in calls) autocorrelation of b.
  Eigen::Matrix3d m_call = Eigen::Matrix3d::Identity();
  for (int s = 0; s < steps_per_call; ++s) m_call = m_step * m_call;
  double rho_sum = 1.0;
  Eigen::Matrix3d power = m_call;
  for (int l = 1; l < 200; ++l) {
    const double rho = (power * c_exact)(0, 0) / c_exact(0, 0);
    rho_sum += 2.0 * rho * rho;
    power = m_call * power;
  }

  Network net;
  net.w = DenseWeights::Zero(2, 2);
  net.b = Vector::Zero(2);
  net.activation = ActivationKind::linear;
  net.inputs = {0};
  auto& w = std::get<DenseWeights>(net.w);
  net.b[0] = mu0[0];
  w(0, 0) = mu0[1];
  w(0, 1) = mu0[2];
  Dataset data;
  data.rows = Matrix::Constant(1, 1, 1.0);

  SgdOptions o;
  o.step = eta;
  o.batch = 1;
  o.steps = steps_per_call;
  o.temperature = temperature;
  o.weight_decay = lambda;
  o.relax_steps = 0;
  o.record_every = steps_per_call;

  double sum_sq = 0.0, sum0 = 0.0;
  long n = 0;
  for (int j = 0; j < calls; ++j) {
    o.seed = 1000 + static_cast<std::uint64_t>(j);
    train_sgd(net, data, o);
    if (j < burn_in) continue;
    const double d0 = net.b[0] - mu0[0];
    const double d1 = net.b[1];  // μ = 0 for neuron 1
    sum_sq += d0 * d0 + d1 * d1;
    sum0 += d0 + d1;
    n += 2;
  }
  const double variance = sum_sq / static_cast<double>(n);
  const double rel_error = std::sqrt(2.0 / static_cast<double>(n) * rho_sum);
  EXPECT_NEAR(variance / c_exact(0, 0), 1.0, 5.0 * rel_error)
      << "variance " << variance << " exact discrete " << c_exact(0, 0) << " Gibbs "
      << c_gibbs(0, 0) << " relative standard error " << rel_error;
  // Against Gibbs–Boltzmann T K⁻¹: the same statistical allowance plus the discretisation
  // bias bound η κ_max / 2 = 0.03.
  EXPECT_NEAR(variance / c_gibbs(0, 0), 1.0, 5.0 * rel_error + 0.5 * eta * (2.0 + lambda));
  // The mean sits at μ; the sample mean has standard error √(C_00 Σ_{l∈ℤ} ρ_l / n).
  double rho_lin = 1.0;
  power = m_call;
  for (int l = 1; l < 200; ++l) {
    rho_lin += 2.0 * (power * c_exact)(0, 0) / c_exact(0, 0);
    power = m_call * power;
  }
  EXPECT_NEAR(sum0 / static_cast<double>(n), 0.0,
              5.0 * std::sqrt(c_exact(0, 0) * rho_lin / static_cast<double>(n)));
}

}  // namespace
}  // namespace nnworld::network
