#pragma once
// Thermodynamics of the hidden variables (paper Sections 2–3): the canonical ensemble of the
// states x at inverse temperature β for the bulk loss (3),
//   Z(β) = ∫_{R^N} dᴺx e^{−βH(x)}   (5),     F = −β⁻¹ log Z   (6),
//   U = ⟨H⟩ = −∂_β log Z   (10),             S_x = β(U − F) = β² ∂_β F   (13),
//   C_β = β² (⟨H²⟩ − ⟨H⟩²) = −β² ∂_β U   (heat capacity, an extra observable),
// computed three deterministic ways:
//   * `laplace`    — Laplace's method about the minima of H, Eq. (7) as corrected by spec §0
//                    item 1: log Z_L = −βH(x*) + (N/2) log 2π − ½ log det[β(Ĝ(x*) − m I)];
//   * `paper_eq7`  — the formula (7) as printed, log Z_7 = (N/2) log 2π − ½ log det[(1 − βm)I + βĜ]
//                    (the Gaussian integral with an extra reference measure e^{−|x|²/2}: it is
//                    not Laplace's method, spec §1b);
//   * `quadrature` — nested adaptive Gauss–Kronrod (G7K15) cubature of (5), N ≤ 3.
// Existence of Z (spec §1a): for bounded f (tanh, logistic) Z < ∞ iff m < 1; for linear f
// (H = ½ xᵀ(Ĝ − mI)x when b = 0) Z < ∞ iff Ĝ − mI ≻ 0. For relu no existence check is made.
#include <functional>
#include <limits>
#include <string>
#include <vector>

#include "nnworld/network/network.hpp"

namespace nnworld::thermo {

using network::Matrix;
using network::Vector;

// A local minimum of the bulk loss H (3), the expansion point of the Gaussian forms.
struct LossMinimum {
  Vector x;
  double loss = 0.0;           // H(x*)
  Vector hessian_eigenvalues;  // eig ∇²H(x*) ascending (= eig(Ĝ − mI) at a fixed point)
  int zero_modes = 0;          // eigenvalues ≤ zero_mode_tolerance · max|eig|
};

inline constexpr double not_available = std::numeric_limits<double>::quiet_NaN();

// Result of every method. `status` is "ok" or "divergent_gaussian" (the Gaussian integral does
// not exist: zero_modes > 0, log_z = +∞, reported explicitly rather than as a NaN).
struct PartitionEstimate {
  std::string method;         // "laplace" | "paper_eq7" | "quadrature"
  std::string status = "ok";  // "ok" | "divergent_gaussian"
  double beta = 0.0;
  double log_z = 0.0;                 // log Z
  double free_energy = 0.0;           // F = −log Z / β   (6)
  double mean_loss = 0.0;             // U = ⟨H⟩ = −∂_β log Z   (10)
  double entropy = 0.0;               // S_x = β(U − F)   (13)
  double heat_capacity = 0.0;         // C_β = β² Var(H)
  double entropy_s0 = not_available;  // laplace only: S₀(β) = (N/2)(1 + log(2π/β))   (14)
  double complexity = not_available;  // laplace only: C = S_x − S₀ = −½ log det(Ĝ − mI)  (12)
  int zero_modes = 0;                 // largest number of zero modes over the expansion points
  std::vector<LossMinimum> minima;  // expansion points (laplace, paper_eq7) / box centres
  double error_estimate = 0.0;      // quadrature: estimated absolute error of log Z
  long evaluations = 0;             // quadrature: evaluations of H
};

struct GaussianOptions {
  network::NewtonOptions newton{};     // fixed-point search x* = f(ŵx* + b)
  double zero_mode_tolerance = 1e-10;  // eigenvalue ≤ tol · max|eig| is a zero mode
  int descent_iterations = 200;        // m ≠ 0: Newton iterations on ∇H per start
  double gradient_tolerance = 1e-12;   // m ≠ 0: convergence on max|∂H/∂x| (times 1 + max|x|)
};

struct QuadratureOptions {
  double abs_tolerance = 1e-14;  // per one-dimensional integral of e^{−β(H − H_min)} (max 1)
  double rel_tolerance = 1e-13;  // relative to the integral's value
  double half_width = 0.0;       // box half-width; 0 → 12/√β + 6 (spec T2.4)
  int max_intervals = 4000;      // subintervals per one-dimensional integral
  GaussianOptions minima{};      // how the box centres (minima of H) are found
};

// Distinct local minima of H (3), sorted by H. For m = 0 these are the fixed points of (1)
// (network::fixed_points): r = 0 there, so H = 0 is the global minimum. For m ≠ 0 a fixed point
// is in general not a stationary point of H (∇H = r − Ĵᵀr − m x = −m x there), so the minima are
// found by saddle-free Newton descent on ∇H (step −V|Λ|⁻¹Vᵀ∇H with the exact Hessian, Armijo
// backtracking on H) from the fixed points, x = 0 and `newton.starts` random points; stationary
// points with a negative Hessian eigenvalue (saddles) are dropped.
std::vector<LossMinimum> loss_minima(const network::Network& net,
                                     const GaussianOptions& options = {});

// Laplace's method, summed (log-sum-exp) over loss_minima(net).
PartitionEstimate laplace(const network::Network& net, double beta,
                          const GaussianOptions& options = {});
// The paper's Eq. (7) as printed, about the lowest-loss fixed point of (1).
PartitionEstimate paper_eq7(const network::Network& net, double beta,
                            const GaussianOptions& options = {});
// Adaptive cubature of (5) for N ≤ 3.
PartitionEstimate quadrature(const network::Network& net, double beta,
                             const QuadratureOptions& options = {});

// log det A of a symmetric positive-definite A (symmetrised as ½(A + Aᵀ)) by Cholesky,
// 2 Σ log L_ii; the log det used by `laplace` and `paper_eq7`.
double log_det_spd(const Matrix& a);

// ---- Decomposition (12) for a diagonal Ĝ = diag(λ), H(x*) = 0 (spec §2b, test T3.2) ---------
// βF as a function of (β, λ): Laplace form and the printed (7) form.
double beta_free_energy_laplace(double beta, const Vector& lambda, double m = 0.0);
double beta_free_energy_eq7(double beta, const Vector& lambda, double m = 0.0);
// ∂(βF)/∂λ_i.
Vector beta_free_energy_gradient_laplace(double beta, const Vector& lambda, double m = 0.0);
Vector beta_free_energy_gradient_eq7(double beta, const Vector& lambda, double m = 0.0);
// ∂²(βF)/∂β∂λ_i of the printed (7) form, analytic: ½(1 − βm + βλ_i)⁻² (spec §2b). (The
// Laplace form's is 0 identically; tests and the experiment measure it by mixed_derivative.)
Vector mixed_derivative_eq7(double beta, const Vector& lambda, double m = 0.0);

// ---- Decomposition (12) on a network, by finite differences ---------------------------------
// βF(β, q) = −log Z(β, q) of the network with ŵ → qŵ (network::scale_weights), from `log_z`
// (any method: laplace, paper_eq7, quadrature), differentiated at q = 1 by the 4-point central
// difference                                                                              (12)
//   D = [βF(β+h, 1+k) − βF(β−h, 1+k) − βF(β+h, 1−k) + βF(β−h, 1−k)] / (4hk),  h = beta_step·β.
// D → ∂²(βF)/∂β∂q, which (11)–(12) say vanishes. Its truncation error is O(h² + k²) times third
// derivatives of βF; `rounding` = δ/(hk) bounds the part that four evaluations each accurate to
// δ = 64u(max|βF| + N) (u the unit round-off) can give. For βF = A(β) + B(q) — the Laplace form
// with m = 0, whose expansion point has H(x*) = 0 for every q — the truncation vanishes too, so
// |D| ≤ rounding is a test of that form that can fail.
struct MixedDerivative {
  double value = 0.0;
  double rounding = 0.0;
  double h = 0.0;
  double k = 0.0;
};
MixedDerivative mixed_derivative(
    const network::Network& net, double beta, double beta_step, double q_step,
    const std::function<double(const network::Network&, double)>& log_z);

}  // namespace nnworld::thermo
