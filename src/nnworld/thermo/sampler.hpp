#pragma once
// Hamiltonian Monte Carlo for the canonical ensemble of the hidden variables (paper Section 2,
// Eqs. (5)–(6)):  p(x) = e^{−βH(x)} / Z,  Z = ∫ d^N x e^{−βH(x)},  H the bulk loss (3).
//
// Potential energy E(x) = βH(x), kinetic energy ½|p|² (unit mass matrix), leapfrog integrator
// with the analytic gradient ∂H/∂x = r − Ĵᵀr − m x (Ĵᵀr = ŵᵀ(f̂′r)). Every chain draws from its
// own counter-based stream core::RngStream(seed, StreamTag::start, chain), so results are
// bit-identical for any number of OpenMP threads (chains are distributed over threads).
// Step size: fixed, or tuned during warm-up only (dual averaging, Hoffman & Gelman 2014,
// Alg. 5, towards a target acceptance rate) and frozen afterwards, so the sampling phase is
// an exact Metropolis–Hastings chain.
//
// Observables: ⟨H⟩ = U (10) with a standard error from the effective sample size, Var(H) and
// the heat capacity C = β² Var(H) (spec §2a), split R̂ across chains.
#include <cstdint>
#include <vector>

#include "nnworld/network/network.hpp"

namespace nnworld::thermo {

using network::Matrix;
using network::Vector;

struct HmcOptions {
  double beta = 1.0;               // inverse temperature β > 0
  double step_size = 0.1;          // leapfrog step ε > 0 (initial value when adapting)
  int leapfrog_steps = 10;         // L ≥ 1 leapfrog steps per trajectory
  double step_jitter = 0.1;        // ε drawn uniformly in [ε(1−j), ε(1+j)] per trajectory
  long warmup = 500;               // warm-up trajectories (discarded) ≥ 0
  long samples = 2000;             // recorded trajectories per chain ≥ 4
  int chains = 4;                  // number of independent chains ≥ 1
  bool adapt_step_size = true;     // dual averaging during warm-up, frozen afterwards
  double target_acceptance = 0.8;  // in (0, 1)
  double start_scale = 1.0;        // default start: x ~ N(0, start_scale² I) per chain
  std::vector<Vector> starts;      // explicit starts (one per chain) override start_scale
  bool record_x = false;           // keep every sample of x (N × samples per chain)
  std::uint64_t seed = 1;

  // Throws nnworld::Error on an invalid option (n = number of neurons).
  void validate(std::int64_t n) const;
};

struct HmcChain {
  std::vector<double> h;    // H(x) after each recorded trajectory
  Matrix x;                 // N × samples (only if record_x)
  Vector sum_x;             // Σ_t x_t over the recorded trajectories
  double acceptance = 0.0;  // acceptance rate during sampling
  double step_size = 0.0;   // the frozen step size used for sampling
  long divergences = 0;     // trajectories with non-finite or huge (> 1000) energy error
};

struct HmcResult {
  std::vector<HmcChain> chains;
  double beta = 0.0;
  double mean_h = 0.0;         // U = ⟨H⟩ (10), pooled over chains
  double mean_h_stderr = 0.0;  // √(Var(H) / ESS)
  double var_h = 0.0;          // Var(H), pooled
  double heat_capacity = 0.0;  // C = β² Var(H)
  double heat_capacity_stderr = 0.0;
  double ess_h = 0.0;       // effective sample size of H (sum over chains)
  double r_hat_h = 0.0;     // split R̂ of H
  Vector mean_x;            // ⟨x⟩
  Matrix cov_x;             // Cov(x) (only if record_x)
  Vector r_hat_x;           // split R̂ of each component of x (only if record_x)
  double acceptance = 0.0;  // mean acceptance over chains
};

// Samples p(x) ∝ e^{−βH(x)} (5) with HMC.
HmcResult hmc_sample(const network::Network& net, const HmcOptions& options);

// H(x) of (3) and its gradient ∂H/∂x = r − ŵᵀ(f′(y) ⊙ r) − m x (y = ŵx + b, r = x − f(y)).
double bulk_loss_and_gradient(const network::Network& net, const Vector& x, Vector& grad);

// ---- MCMC statistics -----------------------------------------------------------------------
// Effective sample size of one chain by Geyer's initial positive sequence:
// ESS = n / (−1 + 2 Σ_k Γ_k), Γ_k = ρ_{2k} + ρ_{2k+1} summed while positive (made monotone).
double effective_sample_size(const std::vector<double>& chain);
// Split R̂ (Gelman et al., BDA3 §11.4): each chain cut in two halves of length n; W = mean
// within-half variance, B/n = variance of the half means, R̂ = √(((n−1)/n W + B/n) / W).
double split_r_hat(const std::vector<std::vector<double>>& chains);

}  // namespace nnworld::thermo
