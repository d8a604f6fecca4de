#pragma once
// Which description do the replicas obey? (shared/physics/bridges.md §2–§3, spec §3–§4.) From
// records of an ensemble of learning networks — each replica's q (and one step later) and the
// free energy F of its hidden variables at its parameters — on the cells of a grid:
//   p(t, q)    a Gaussian kernel density of the replicas (ensemble_measure.hpp: kde_density);
//   F(t, q)    the mean of the replicas' F in the cell;
//   V(q)       (24): the mean over records and replicas in the cell of −ΔF/Δt along the
//              replicas' own paths between consecutive records;
//   a(q), D(q) Kramers–Moyal drift and diffusion over one step (kramers_moyal.hpp), taken as
//              known (their errors, from every step of every replica, are far below those of
//              the fields); γ(q) = a·∇F/|∇F|² (the regression of the drift on ∇F), so γ∇F ≡ u =
//              (a·∇F)∇F/|∇F|² (in K = 1, u = a).
//
// The transport of p (Fokker–Planck (20) against the Madelung continuity (32)) is tested one
// step at a time, in the discrete time of SGD (a step is the unit of time): from the replicas
// at t and the KM moments at their positions (linear interpolation between cell centres), each
// description predicts the histogram at t + 1,
//   Fokker–Planck (20):       q → N(q + u(q), 2D(q))  (the Euler step of (20): a diffusion's
//                             one-step law, with the KM drift and variance of that step);
//   Madelung continuity (32): q → q + 2u(q)  (the fluid velocity u = 2γ∇F of (31), no diffusion;
//                             spec §4b: the particles move with γ∇F, the fluid with 2γ∇F);
// the residual per cell is the kernel-smoothed histogram at t + 1 minus the equally smoothed
// prediction, over the cells with ≥ min_count replicas at t + 1.
//
// F's equations are field equations in continuous time: at every record t_j but the first and
// the last (central differences in time) and every cell c whose ±2 stencil holds ≥ min_count
// replicas at t_{j−1}, t_j, t_{j+1} and a KM estimate (∇ by central differences),
//   R_25 = ∂_t F + γ|∇F|² + V                                 the constraint (25)
//   R_M2 = R_25 − (4D/μ) Q,  Q = ∇²√p/√p                      Hamilton–Jacobi with the Bohm term
// with 1/μ fitted to R_25 ≈ (4D/μ)Q by weighted least squares (one number per run).
//
// Each residual's standard error is the delete-one-group jackknife over `groups` groups of
// replicas (r mod groups), which recomputes the densities, F and V (and μ) without the group.
// The summary of a residual is χ² = Σ R²/se² over its terms and dof their number. Each term is a
// t variable (the jackknife error has groups − 1 degrees of freedom) and neighbouring terms are
// correlated (kernel smoothing, central differences), so χ²/dof is judged against null_law
// below, not against a χ² law; the exact Ornstein–Uhlenbeck pipeline calibrates it
// (docs/physics.md). z = (χ² − dof)/√(2 dof) is kept as an observable.
#include <cstdint>
#include <vector>

#include "nnworld/core/grid.hpp"
#include "nnworld/trainable/ensemble.hpp"
#include "nnworld/trainable/kramers_moyal.hpp"

namespace nnworld::trainable {

struct ReplicaRecord {
  double time = 0.0;
  std::vector<double> q;              // M × K
  std::vector<double> q_next;         // M × K one step later (the one-step tests; may be empty)
  std::vector<double> f;              // M (NaN where F is not available)
  std::vector<std::int32_t> neurons;  // M: active hidden neurons (empty when N is fixed)
};

struct DescriptionOptions {
  core::Grid grid;                  // cells (a box grid; the KM result must use the same grid)
  double bandwidth = 0.0;           // kernel bandwidth of p (≤ 0: Silverman's rule per record)
  std::int64_t groups = 32;         // jackknife groups
  std::int64_t min_count = 50;      // replicas a cell needs at every record to be in the support
  std::int64_t km_min_count = 100;  // KM samples a cell needs (else it is left out)
};

struct ResidualSummary {
  double chi2 = 0.0;
  std::int64_t dof = 0;
  [[nodiscard]] double per_dof() const;
  [[nodiscard]] double z() const;  // (χ² − dof)/√(2 dof)
};

// The comparison of a residual's χ²/dof with its null law (see DescriptionResult): the expected
// value ν/(ν − 2) and 3 standard deviations √(Var[t²]·correlation/dof).
struct NullLaw {
  double expected = 0.0;
  double tolerance = 0.0;
};
[[nodiscard]] NullLaw null_law(std::int64_t jackknife_dof, std::int64_t dof, double correlation);

struct DescriptionResult {
  ResidualSummary fokker_planck, continuity, constraint, hamilton_jacobi;
  double inverse_mu = 0.0, inverse_mu_se = 0.0;  // 1/μ fitted (R_25 ≈ (4D/μ)Q)
  // The null law of χ²/dof: each term is a residual over its jackknife error, t-distributed with
  // ν = groups − 1 degrees of freedom, so E[t²] = ν/(ν − 2) and Var[t²] = 2ν²(ν − 1)/((ν − 2)²
  // (ν − 4)); terms are correlated over ≈ `correlation` cells (the kernel: Π_a(1 + 2 bw_a/h_a);
  // the central differences of the F fields: 3^K), which divides the number of independent terms.
  std::int64_t jackknife_dof = 0;  // ν
  double step_correlation = 1.0, field_correlation = 1.0;
  std::int64_t cells = 0;    // distinct cells with terms
  std::int64_t records = 0;  // records with residuals
  // Fields at the record with the most F terms (row-major on the grid; NaN where there is no
  // term), for figures: p, F, V, D, γ and the F residuals over their standard errors; the
  // one-step residuals over their errors at the record with the most cells (step_time).
  double time = 0.0, step_time = 0.0;
  std::vector<double> p, f, v, diffusion, gamma, z_fp, z_m1, z_25, z_m2;
};

[[nodiscard]] DescriptionResult compare_descriptions(const std::vector<ReplicaRecord>& records,
                                                     const KramersMoyalResult& km,
                                                     const DescriptionOptions& options);

}  // namespace nnworld::trainable
