#pragma once
// A space-time (or Riemannian) metric g_μν(x) in n = 2..6 dimensions, as a value type.
//
//   auto g = geometry::Metric::schwarzschild(1.0);        // coordinates (t, r, theta, phi)
//   geometry::Matrix m = g({0.0, 5.0, 1.0, 0.3});          // g_μν at (t, r, θ, φ)
//
// Conventions (spec §0): signature (−,+,…,+), G = c = 1. Built-in families evaluate closed
// forms; FLRW, conformally flat and user metrics evaluate muParser expressions
// (core::Expression); grid metrics interpolate samples on a periodic grid (periodic_grid).
// Evaluation is not thread-safe for expression metrics: give each thread its own copy (copies
// are independent; a grid metric's copies share its read-only coefficients).
//
// Checks. Construction: dimension 2..6, matrix shape = coordinate count, every expression parses
// in the coordinates and constants (else nnworld::Error showing the expression and the 0-based
// position), no name used twice. Symmetry of a user matrix: entries (a,b) and (b,a) whose
// strings are equal after removing blanks are symmetric by construction; every other pair is
// checked numerically at each evaluation point (|g_ab − g_ba| ≤ 1e-12·max|g|). Evaluation
// (operator()): finite entries, symmetric, and |det g| ≥ 1e-12·Π_a‖row_a‖ (Hadamard's bound,
// so the test is scale-free); a failure throws nnworld::Error naming the point's coordinates.
#include <Eigen/Dense>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "nnworld/core/expression.hpp"

namespace nnworld::geometry {

inline constexpr int max_dimension = 6;

// n×n matrices and n-vectors with n ≤ 6: no heap allocation.
using Matrix =
    Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, 0, max_dimension, max_dimension>;
using Vector = Eigen::Matrix<double, Eigen::Dynamic, 1, 0, max_dimension, 1>;

// A named constant of an expression metric, e.g. {"M", 1.0}.
struct Constant {
  std::string name;
  double value = 0.0;
};

class Metric {
 public:
  enum class Family {
    minkowski,
    schwarzschild,
    kerr,
    de_sitter,
    schwarzschild_de_sitter,
    flrw,
    sphere,
    conformally_flat,
    user,
    grid
  };

  // η = diag(−1, 1, …, 1); coordinates t, x, y, z (n = 4) or t, x1, …, x_{n−1}.
  static Metric minkowski(int n = 4);
  // ds² = −f dt² + dr²/f + r²dΩ², f = 1 − 2M/r; coordinates (t, r, theta, phi).
  static Metric schwarzschild(double mass);
  // Kerr in Boyer–Lindquist coordinates (t, r, theta, phi), Σ = r² + a²cos²θ,
  // Δ = r² − 2Mr + a²: g_tt = −(1 − 2Mr/Σ), g_tφ = −2Mar sin²θ/Σ, g_rr = Σ/Δ, g_θθ = Σ,
  // g_φφ = (r² + a² + 2Ma²r sin²θ/Σ) sin²θ.
  static Metric kerr(double mass, double spin);
  // Static patch, f = 1 − Λr²/3.
  static Metric de_sitter(double lambda);
  // f = 1 − 2M/r − Λr²/3.
  static Metric schwarzschild_de_sitter(double mass, double lambda);
  // Flat FLRW ds² = −dt² + a(t)²(dx² + …); `scale_factor` is an expression of t (and of the
  // constants), e.g. "exp(sqrt(L/3)*t)". Coordinates as minkowski(n).
  static Metric flrw(const std::string& scale_factor, int n = 4,
                     const std::vector<Constant>& constants = {});
  // The n-sphere of radius a in hyperspherical coordinates (chi1, …, chi_{n−1}, phi):
  // ds² = a²(dχ₁² + sin²χ₁dχ₂² + … + sin²χ₁⋯sin²χ_{n−1}dφ²). For n = 2: (theta, phi).
  static Metric sphere(int n, double radius);
  // g = e^{2φ(x)}δ (Euclidean) with φ an expression of the coordinates x, y, z (n ≤ 3) or
  // x1, …, xn (n > 3).
  static Metric conformally_flat(const std::string& phi, int n,
                                 const std::vector<Constant>& constants = {});
  // A user metric: coordinate names, the full n×n matrix of expressions in the coordinates and
  // the constants, and the constants' values.
  static Metric user(std::vector<std::string> coordinates,
                     const std::vector<std::vector<std::string>>& components,
                     const std::vector<Constant>& constants = {});
  // A metric sampled on a periodic grid over the first d = shape.size() coordinates (1 ≤ d ≤ 3,
  // d ≤ n = coordinates.size()): coordinate c ∈ [0, periods[c]) carries shape[c] ≥ 2 points
  // x_c = j·L_c/N_c (L = periods, N = shape); the other n − d coordinates are ignorable (g does
  // not depend on them). components: n(n+1)/2 arrays in packed order (0,0), (0,1), …, (0,n−1),
  // (1,1), …, (n−1,n−1), each ΠN_c finite samples in row-major grid order (last axis fastest).
  //
  // Evaluation is the trigonometric interpolant (exact for fields band-limited to |m_c| < N_c/2)
  //   g_ab(x) = Σ_m Ĝ_ab(m) Π_c b_c(m_c, x_c),  Ĝ_ab(m) = (1/ΠN) Σ_j g_ab(j) e^{−2πi m·j/N},
  //   b_c(m, x) = e^{2πi m x/L_c} for |m| < N_c/2 and cos(π N_c x/L_c) for the Nyquist mode
  //   m = N_c/2 of an even N_c (its weight split evenly between ±N_c/2), so g is real.
  // The coefficients are computed once here (a separable DFT, O(ΠN·ΣN_c) per component) and
  // shared by copies; with the real half-spectrum along the last axis one evaluation costs
  // about n(n+1)/2 · ΠN_{c<d−1} · (N_{d−1}/2 + 1) complex multiply-adds (separable sums: the
  // last axis first, then each earlier one), and is thread-safe.
  // Throws nnworld::Error on n outside 2..6, d outside 1..min(3, n), a period that is not
  // finite and > 0, a shape entry < 2, a wrong component count or size, a non-finite sample.
  static Metric periodic_grid(std::vector<std::string> coordinates, std::vector<double> periods,
                              std::vector<std::int64_t> shape,
                              std::vector<std::vector<double>> components);

  [[nodiscard]] int dimension() const { return n_; }
  [[nodiscard]] Family family() const { return family_; }
  // "Schwarzschild(M=1)", "user(t, r, theta, phi)", "grid(x, y; 32×32)", …
  [[nodiscard]] std::string name() const;
  [[nodiscard]] const std::vector<std::string>& coordinates() const { return coordinates_; }
  // Grid family: the shape N_c and periods L_c of the grid (empty for the other families).
  [[nodiscard]] std::vector<std::int64_t> grid_shape() const;
  [[nodiscard]] std::vector<double> grid_periods() const;

  // g_μν(x), checked (finite, symmetric, non-singular); throws nnworld::Error naming the point.
  [[nodiscard]] Matrix operator()(std::span<const double> x) const;
  [[nodiscard]] Matrix operator()(std::initializer_list<double> x) const {
    return (*this)(std::span<const double>(x.begin(), x.size()));
  }
  // g_μν(x) without the symmetry and determinant checks (the finite-difference stencils of
  // curvature.hpp evaluate near the checked point through this). The result is symmetrised
  // only for the closed-form families; user entries are returned as written.
  [[nodiscard]] Matrix evaluate(std::span<const double> x) const;

  // "(t=0, r=5, theta=1, phi=0.3)": the point as an error message shows it.
  [[nodiscard]] std::string describe_point(std::span<const double> x) const;

 private:
  Metric() = default;
  static Metric four_dimensional(Family family, double p0, double p1);
  struct GridInterpolant;
  void interpolate_all(std::span<const double> x, Matrix& g) const;
  Family family_ = Family::minkowski;
  int n_ = 4;
  std::vector<std::string> coordinates_;
  double p0_ = 0.0, p1_ = 0.0;           // family parameters (M, a, Λ, radius)
  std::vector<core::Expression> exprs_;  // flrw: {a(t)}; conformal: {φ}; user: n² row-major
  std::vector<double> constants_;        // values after the coordinates in each expression
  std::vector<std::string> constant_names_;
  std::vector<std::pair<int, int>> check_pairs_;  // user pairs (a<b) with different strings
  mutable std::vector<double> args_;              // coordinates ++ constants
  std::shared_ptr<const GridInterpolant> grid_;   // grid: Fourier coefficients (read-only)
};

}  // namespace nnworld::geometry
