#pragma once
// The Madelung view of the quantum limit (paper (29)–(33), spec §4): (p, F) read off Ψ with
// phase unwrapping, a direct (p, F) solver for node-free data, and the residuals of the
// Madelung pair / the full system with the boxed terms.
//
//   auto f = trainable::madelung_fields(grid, psi, map);          // p = |Ψ|², F = ħ arg Ψ (+…)
//   trainable::MadelungSolver s(grid, constants, V, false, Edge::periodic);
//   trainable::MadelungState st = s.initial(p, F);
//   s.evolve(st, 1e-3, 2000);                                      // RK4, 4th-order FD
#include <cstdint>
#include <functional>
#include <span>
#include <vector>

#include "nnworld/core/grid.hpp"
#include "nnworld/trainable/parameters.hpp"
#include "nnworld/trainable/schrodinger.hpp"

namespace nnworld::trainable {

// (p, F) of Ψ and how well F is defined.
struct MadelungFields {
  std::vector<double> p;  // |Ψ|²
  // F = ħ·θ + osmotic·log p, θ = arg Ψ unwrapped from the grid centre (along axis 1 through the
  // centre, then along axis 2 from that line, then along axis 3), so F(centre) = ħ arg Ψ(centre).
  // Where p = 0 and osmotic ≠ 0, F is NaN.
  std::vector<double> F;
  // Neighbour pairs (both with p > floor·max p, not across the periodic seam) where the step of
  // the unwrapped θ differs from the local wrapped step by a non-zero multiple of 2π: there the
  // unwrapped F is inconsistent (multi-valued: a vortex, ∮∇F·dq ≠ 0). Always 0 for K = 1.
  std::int64_t inconsistent = 0;
  // Neighbour pairs (same condition) whose wrapped phase step exceeds π/2 in size: a node (θ
  // jumps by π where Ψ changes sign) or a phase not resolved by the grid.
  std::int64_t jumps = 0;
  // Grid plaquettes (K ≥ 2, all corners above the floor) around which the wrapped phase steps
  // add up to ±2π: vortices.
  std::int64_t vortices = 0;
};

// (35) inverted, the Madelung view of Ψ for the map m: p = |Ψ|²,
// F = m.hbar·(unwrapped arg Ψ) + m.osmotic·log p.
[[nodiscard]] MadelungFields madelung_fields(const core::Grid& g, std::span<const Complex> psi,
                                             const QuantumMap& m, double floor = 1e-12);

// The branch of arg Ψ is arbitrary: shifts F by the multiple of 2πħ that brings F[index]
// closest to reference[index], so that snapshots at nearby times can be differenced.
void align_branch(std::span<double> F, std::span<const double> reference, double hbar,
                  std::int64_t index);

// (35) with the corrected constants: Ψ = √p e^{i(F − osmotic·log p)/ħ} (the inverse of
// madelung_fields where p > 0).
[[nodiscard]] std::vector<Complex> psi_from_madelung(std::span<const double> p,
                                                     std::span<const double> F,
                                                     const QuantumMap& m);

// ---- Direct (p, F) solver ------------------------------------------------------------------

// How the 1-D finite differences treat the ends of the grid: periodic wrap, or open ends with
// one-sided 4th-order stencils (for fields that are not periodic, e.g. the quadratic log p and
// F of a Gaussian packet, which the stencils differentiate exactly).
enum class Edge { periodic, open };

// ∂f/∂q and ∂²f/∂q² on a 1-D grid by central differences of order 2 or 4; open ends use
// one-sided stencils of the same order (exact for polynomials of degree ≤ order).
[[nodiscard]] std::vector<double> fd1(const core::Grid& g, std::span<const double> f, Edge e,
                                      int order = 4);
[[nodiscard]] std::vector<double> fd2(const core::Grid& g, std::span<const double> f, Edge e,
                                      int order = 4);

// The state of the direct solver: ℓ = log p (p > 0: node-free data only) and F.
struct MadelungState {
  std::vector<double> log_p;
  std::vector<double> F;
  double time = 0.0;
  [[nodiscard]] std::vector<double> p() const;
};

// Values prescribed at the ends of a non-periodic grid: ℓ = log p and F as functions of (t, q).
struct MadelungBoundary {
  std::function<double(double t, double q)> log_p;
  std::function<double(double t, double q)> F;
};

// The Madelung pair (boxed = false) or the full system (32), (30)/μ (boxed = true) in (ℓ, F):
//   ∂_tℓ = −2γ(∇ℓ·∇F + ∇²F) [+ (γ/μ)(∇²ℓ + |∇ℓ|²)]                ((32) divided by p)
//   ∂_tF = −γ|∇F|² − V + (4D/μ)Q [− (γ/μ)∇²F],  Q = ∇²√p/√p = ∇²ℓ/2 + |∇ℓ|²/4   ((30)/μ)
// on a 1-D grid, 4th-order central finite differences and RK4. (33) is 2γ∇ of the F equation,
// so evolving F is equivalent to evolving u = 2γ∇F. With the boxed terms the forward problem
// is well-posed only for 0 ≤ γ/μ ≤ 4D (spec §4: growth rates ±k²√(a(a − 4D)), a = γ/μ).
// Edges: periodic, or open with the two outermost points on each side prescribed by a
// MadelungBoundary at every RK stage (one-sided stencils there would make this dispersive
// system unstable: the Madelung pair is Schrödinger's equation, which has no outflow condition).
// Node-free data only, and away from the tails: with frozen coefficients the (ℓ, F) system has
// the real growth rates ±(ħ/2M)|∇ℓ||k| (ħ/2M = √(4Dγ/μ)), so rounding is amplified where
// |∇log p| is large; keep the grid where p ≳ 1e-8 max p (spec §12).
class MadelungSolver {
 public:
  // `boundary` is required for Edge::open and ignored for Edge::periodic.
  MadelungSolver(const core::Grid& g, const Constants& c, std::vector<double> potential, bool boxed,
                 Edge edge, MadelungBoundary boundary = {});

  [[nodiscard]] MadelungState initial(std::span<const double> p, std::span<const double> F,
                                      double t0 = 0.0) const;
  // (∂_tℓ, ∂_tF) at the state (the time field of the result is unused).
  [[nodiscard]] MadelungState rhs(const MadelungState& s) const;
  // One classical RK4 step (boundary values imposed at every stage).
  void step(MadelungState& s, double dt) const;
  // `steps` RK4 steps; throws nnworld::Divergence (step number) at the first non-finite value.
  void evolve(MadelungState& s, double dt, std::int64_t steps) const;

 private:
  void impose(MadelungState& s, double t) const;
  core::Grid grid_;
  Constants c_;
  std::vector<double> v_;
  bool boxed_;
  Edge edge_;
  MadelungBoundary boundary_;
};

// Residuals of the Madelung pair (boxed = false) or of the full system (boxed = true) on a 1-D
// grid, from three snapshots at t − h, t, t + h (central difference in time, `order` 2 or 4 in
// space, open ends), at the points where p > mask·max p:
//   continuity = max|∂_tp + ∂(2γ p ∂F) − [(γ/μ)∂²p]| / max|∂_tp| (max over the whole grid),
//   hamilton_jacobi = max|∂_tF + γ(∂F)² + [(γ/μ)∂²F] + V − (4D/μ)Q| / max_mask|∂_tF|.
struct SystemResidual {
  double continuity = 0.0;
  double hamilton_jacobi = 0.0;
  std::int64_t points = 0;  // grid points in the mask
};
[[nodiscard]] SystemResidual madelung_residual(
    const core::Grid& g, const Constants& c, std::span<const double> potential,
    std::span<const double> p_prev, std::span<const double> p, std::span<const double> p_next,
    std::span<const double> F_prev, std::span<const double> F, std::span<const double> F_next,
    double h, bool boxed, int order = 2, double mask = 1e-3);

}  // namespace nnworld::trainable
