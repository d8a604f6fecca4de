#pragma once
// The constants of the trainable variables' dynamics (paper Sections 4–6, spec §3–§5) and the
// quantities derived from them. D is the diffusion constant of q, γ the learning (drift)
// coefficient of (19), μ the Lagrange multiplier of the constraint (25).
#include <algorithm>
#include <cmath>
#include <string>

namespace nnworld::trainable {

struct Constants {
  double diffusion = 0.25;   // D
  double gamma = 0.5;        // γ
  double mu_lagrange = 2.0;  // μ
};

// ħ = √(4D/(γμ)) — spec §0 correction 3 (the paper's (34)–(36) drop μ: ħ_paper = √(4D/γ)).
[[nodiscard]] inline double hbar(const Constants& c) {
  return std::sqrt(4.0 * c.diffusion / (c.gamma * c.mu_lagrange));
}
// The printed (34)–(36) constant, √(4D/γ): equal to ħ only for μ = 1.
[[nodiscard]] inline double hbar_paper(const Constants& c) {
  return std::sqrt(4.0 * c.diffusion / c.gamma);
}
// M = 1/(2γ) (spec §0 corrections 3 and 5: the same mass in the quantum and classical limits).
[[nodiscard]] inline double mass(const Constants& c) {
  return 1.0 / (2.0 * c.gamma);
}

// Spec §0 correction 4: with the boxed terms kept, D → D′ = D − γ/(4μ) and
// ħ′² = 4D′/(γμ) = 4D/(γμ) − 1/μ².
[[nodiscard]] inline double diffusion_prime(const Constants& c) {
  return c.diffusion - c.gamma / (4.0 * c.mu_lagrange);
}
[[nodiscard]] inline double hbar_prime_squared(const Constants& c) {
  return 4.0 * c.diffusion / (c.gamma * c.mu_lagrange) - 1.0 / (c.mu_lagrange * c.mu_lagrange);
}

// The regime of the full system (32)–(33) with a = γ/μ: quantum (unitary, ħ′ real) for
// 0 < a < 4D, classical for a = 4D (ħ′ = 0), Euclidean (ħ′ imaginary: forward–backward,
// ill-posed as an initial-value problem) for a > 4D or a < 0.
enum class Regime { quantum, classical, euclidean };
[[nodiscard]] inline Regime regime(const Constants& c, double rel_tol = 1e-12) {
  const double a = c.gamma / c.mu_lagrange;
  const double edge = 4.0 * c.diffusion;
  if (std::abs(a - edge) <= rel_tol * std::max(std::abs(a), std::abs(edge))) {
    return Regime::classical;
  }
  return (a > 0.0 && a < edge) ? Regime::quantum : Regime::euclidean;
}
[[nodiscard]] inline const char* regime_name(Regime r) {
  switch (r) {
    case Regime::quantum:
      return "quantum";
    case Regime::classical:
      return "classical";
    case Regime::euclidean:
      return "euclidean";
  }
  return "?";
}

}  // namespace nnworld::trainable
