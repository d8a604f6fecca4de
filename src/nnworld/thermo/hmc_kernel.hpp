#pragma once
// One Hamiltonian Monte Carlo transition for a potential energy E(x) with gradient ∇E, used by
// the canonical-ensemble sampler (sampler.hpp) and by annealed importance sampling
// (annealed.hpp). Kinetic energy ½|p|², leapfrog integrator, Metropolis accept/reject.
// Random numbers of trajectory `step` come from the counter-based stream `rng`:
//   p_i = normal(step, i) for i < N, u = uniform(step, N) for the acceptance test.
#include <cmath>
#include <cstdint>
#include <limits>

#include "nnworld/core/rng.hpp"
#include "nnworld/network/network.hpp"

namespace nnworld::thermo::detail {

struct HmcState {
  network::Vector x;
  network::Vector grad;  // ∇E(x)
  double energy = 0.0;   // E(x)
};

struct HmcOutcome {
  double accept_probability = 0.0;  // min(1, e^{−ΔH}) (0 if the trajectory diverged)
  bool accepted = false;
  bool divergent = false;  // non-finite energy or |ΔH| > 1000
};

// Leapfrog (L steps of size ε):  p ← p − ½ε∇E;  [x ← x + εp;  p ← p − ε∇E] × L (last kick ½ε);
// accept with probability min(1, exp(E(x₀) + ½|p₀|² − E(x_L) − ½|p_L|²)).
// `energy(x, grad)` returns E(x) and writes ∇E(x) into grad.
template <class EnergyFn>
HmcOutcome hmc_transition(EnergyFn&& energy, HmcState& s, double eps, int steps,
                          const core::RngStream& rng, std::uint64_t step) {
  const std::int64_t n = s.x.size();
  network::Vector p(n);
  for (std::int64_t i = 0; i < n; ++i) p[i] = rng.normal(step, static_cast<std::uint64_t>(i));
  const double h0 = s.energy + 0.5 * p.squaredNorm();
  network::Vector x = s.x;
  network::Vector grad = s.grad;
  double e = s.energy;
  p.noalias() -= 0.5 * eps * grad;
  for (int l = 0; l < steps; ++l) {
    x.noalias() += eps * p;
    e = energy(x, grad);
    if (!std::isfinite(e)) break;
    p.noalias() -= (l + 1 < steps ? eps : 0.5 * eps) * grad;
  }
  HmcOutcome out;
  const double dh =
      std::isfinite(e) ? e + 0.5 * p.squaredNorm() - h0 : std::numeric_limits<double>::infinity();
  if (!std::isfinite(dh) || std::abs(dh) > 1000.0) {
    out.divergent = true;
    return out;
  }
  out.accept_probability = dh <= 0.0 ? 1.0 : std::exp(-dh);
  const double u = rng.uniform(step, static_cast<std::uint64_t>(n));
  if (u < out.accept_probability) {
    out.accepted = true;
    s.x = std::move(x);
    s.grad = std::move(grad);
    s.energy = e;
  }
  return out;
}

}  // namespace nnworld::thermo::detail
