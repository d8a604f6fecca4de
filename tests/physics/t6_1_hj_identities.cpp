// Spec T6.1, numerically (the symbolic versions are checks/s6_hj.py):
//  (a) (44) solves (43) for K = 3, and φ = e^{μF} of (44) is harmonic;
//  (b) Cole–Hopf at random smooth periodic fields: φ = e^{μF} obeys ∂_tφ = −(γ/μ)∇²φ − μVφ
//      when F obeys (38), and φ̂ = p e^{−μF} obeys ∂_tφ̂ = (γ/μ)∇²φ̂ + μVφ̂ when p obeys (32)
//      with D = 0; p = φφ̂;
//  (c) (45) ≡ (44) with μ = 2β, q_k = λ_k, C_k = 2(1 − βm), C₀ = −(N/2β) log 4π;
//  (d) the virial (46) at m = 0, its generalisation U = Σλ_i∂F/∂λ_i + m∂F/∂m, and the exact
//      m ≠ 0 defect −(m/2) Σ 1/((1 − βm) + βλ_i) — with U, ∂F/∂λ, ∂F/∂m by finite differences.
#include <gtest/gtest.h>

#include <cmath>
#include <numbers>
#include <random>
#include <vector>

#include "nnworld/core/fft.hpp"
#include "nnworld/core/grid.hpp"
#include "nnworld/trainable/hamilton_jacobi.hpp"

namespace nnworld::trainable {
namespace {

double max_abs(const std::vector<double>& v) {
  double m = 0.0;
  for (double x : v) m = std::max(m, std::abs(x));
  return m;
}

// A random trigonometric polynomial on the periodic grid [−π, π)^K: Σ amp cos(k·q + θ) with
// integer wavevectors |k_a| ≤ kmax (smooth and exactly periodic).
std::vector<double> random_field(const core::Grid& g, std::mt19937_64& rng, double amp, int kmax) {
  std::uniform_int_distribution<int> kd(-kmax, kmax);
  std::uniform_real_distribution<double> u(-1.0, 1.0);
  struct Mode {
    std::array<int, 3> k;
    double a, theta;
  };
  std::vector<Mode> modes(6);
  for (auto& m : modes) {
    m.k = {kd(rng), g.dims > 1 ? kd(rng) : 0, g.dims > 2 ? kd(rng) : 0};
    m.a = amp * u(rng);
    m.theta = std::numbers::pi * u(rng);
  }
  std::vector<double> f(static_cast<std::size_t>(g.size()));
  g.for_each([&](std::int64_t i, const core::Point& q) {
    double s = 0.0;
    for (const auto& m : modes)
      s += m.a * std::cos(m.k[0] * q[0] + m.k[1] * q[1] + m.k[2] * q[2] + m.theta);
    f[static_cast<std::size_t>(i)] = s;
  });
  return f;
}

TEST(T6_1, StationarySolution44Solves43) {
  // (a) K = 3 with generic constants; central differences h = 1e-4: truncation O(h²) ≈ 1e-8
  // and rounding ε/h² ≈ 1e-8 (spec T6.4 gives the same budget); tolerance 1e-6.
  const Constants c{0.0, 0.9, 1.7};
  const double c0 = 0.4;
  const std::vector<double> ck = {0.5, 1.2, 2.0};
  std::mt19937_64 rng(11);
  std::uniform_real_distribution<double> u(0.1, 2.0);
  double worst = 0.0, worst_phi = 0.0;
  for (int n = 0; n < 20; ++n) {
    const std::vector<double> q = {u(rng), u(rng), u(rng)};
    const ScalarFn f = [&](std::span<const double> x) {
      return stationary_free_energy(x, c0, ck, c.mu_lagrange);
    };
    worst = std::max(worst, std::abs(stationary_residual(f, q, c, 1e-4)));
    // φ = e^{μF} is harmonic: ∇²φ / φ = 0 (the same finite-difference budget, scaled by μ).
    const ScalarFn phi = [&](std::span<const double> x) { return std::exp(c.mu_lagrange * f(x)); };
    worst_phi = std::max(worst_phi, std::abs(central_laplacian(phi, q, 1e-4) / phi(q)));
  }
  EXPECT_LT(worst, 1e-6);
  EXPECT_LT(worst_phi, 1e-6);
  // A non-solution is detected: F = C₀ + Σ log(C_k + μq_k) (without 1/μ) has a residual O(1).
  const ScalarFn wrong = [&](std::span<const double> x) {
    return c.mu_lagrange * stationary_free_energy(x, c0, ck, c.mu_lagrange);
  };
  EXPECT_GT(std::abs(stationary_residual(wrong, std::vector<double>{0.5, 0.5, 0.5}, c, 1e-4)), 0.1);
}

TEST(T6_1, HjTimeDerivativeOfATrigField) {
  // (38) term by term for F = sin q1 cos q2, V = cos q1: |∇F|² = cos²q1 cos²q2 + sin²q1 sin²q2,
  // ∇²F = −2 sin q1 cos q2; spectral derivatives are exact for this band-limited F (rounding).
  const core::Grid g = core::make_grid({32, 32}, {std::numbers::pi}, core::Boundary::periodic);
  const core::Fft fft(g);
  const Constants c{0.0, 0.7, 1.3};
  std::vector<double> f(static_cast<std::size_t>(g.size())), v(f.size()), want(f.size());
  g.for_each([&](std::int64_t i, const core::Point& q) {
    const double s1 = std::sin(q[0]), c1 = std::cos(q[0]), s2 = std::sin(q[1]), c2 = std::cos(q[1]);
    f[i] = s1 * c2;
    v[i] = c1;
    want[i] = -c1 - c.gamma * (c1 * c1 * c2 * c2 + s1 * s1 * s2 * s2) -
              (c.gamma / c.mu_lagrange) * (-2.0 * s1 * c2);
  });
  const auto got = hj_time_derivative(fft, f, v, c);
  double err = 0.0;
  for (std::size_t i = 0; i < f.size(); ++i) err = std::max(err, std::abs(got[i] - want[i]));
  EXPECT_LT(err, 1e-12);
}

// (b) at random smooth fields, K = 2 and K = 3.
void cole_hopf_identities(const core::Grid& g, std::uint64_t seed, int kmax) {
  const core::Fft fft(g);
  std::mt19937_64 rng(seed);
  const Constants c{0.0, 0.8, 1.6};
  const double mu = c.mu_lagrange;
  const auto f = random_field(g, rng, 0.3, kmax);
  const auto v = random_field(g, rng, 1.0, kmax);
  auto p = random_field(g, rng, 0.3, kmax);
  for (double& x : p) x = std::exp(x);  // positive, smooth
  const auto ft = hj_time_derivative(fft, f, v, c);
  const auto pt = hj_density_time_derivative(fft, p, f, c);
  const auto phi = cole_hopf_phi(f, mu);
  const auto phi_hat = cole_hopf_phi_hat(p, f, mu);
  // ∂_tφ = μφ∂_tF and ∂_tφ̂ = e^{−μF}∂_tp − μφ̂∂_tF by the chain rule, against the linear
  // equations. e^{μF} is not band-limited, but its Fourier coefficients decay faster than
  // geometrically (|μF| ≤ 3): on these grids (Nyquist wavenumber 24 for |k_a| ≤ 2 in 2-D, 16
  // for |k_a| ≤ 1 in 3-D) the spectral derivatives are exact to rounding, so the relative
  // residual is ~1e-13; tolerance 1e-10 (spec T5.1 uses the same for its C++ identities).
  const auto phi_t = cole_hopf_phi_time_derivative(fft, phi, v, c);
  const auto phi_hat_t = cole_hopf_phi_hat_time_derivative(fft, phi_hat, v, c);
  std::vector<double> r1(phi.size()), r2(phi.size()), ref1(phi.size()), ref2(phi.size());
  double prod = 0.0;
  for (std::size_t i = 0; i < phi.size(); ++i) {
    ref1[i] = mu * phi[i] * ft[i];
    ref2[i] = std::exp(-mu * f[i]) * pt[i] - mu * phi_hat[i] * ft[i];
    r1[i] = phi_t[i] - ref1[i];
    r2[i] = phi_hat_t[i] - ref2[i];
    prod = std::max(prod, std::abs(phi[i] * phi_hat[i] - p[i]) / p[i]);
  }
  EXPECT_LT(max_abs(r1) / max_abs(ref1), 1e-10) << g.describe();
  EXPECT_LT(max_abs(r2) / max_abs(ref2), 1e-10) << g.describe();
  EXPECT_LT(prod, 1e-14);
  // A wrong sign of the (γ/μ)∇²F term of (38) would break the map: flipping it gives O(1).
  const Constants flipped{0.0, c.gamma, -c.mu_lagrange};
  const auto ft_wrong = hj_time_derivative(fft, f, v, flipped);
  double bad = 0.0;
  for (std::size_t i = 0; i < phi.size(); ++i) {
    bad = std::max(bad, std::abs(phi_t[i] - mu * phi[i] * ft_wrong[i]));
  }
  EXPECT_GT(bad / max_abs(ref1), 1e-3);
}

TEST(T6_1, ColeHopfAtRandomFields2D) {
  cole_hopf_identities(core::make_grid({48, 48}, {std::numbers::pi}, core::Boundary::periodic), 3,
                       2);
}

TEST(T6_1, ColeHopfAtRandomFields3D) {
  cole_hopf_identities(core::make_grid({32, 32, 32}, {std::numbers::pi}, core::Boundary::periodic),
                       5, 1);
}

TEST(T6_1, Eq45EqualsEq44) {
  // (c) F of (45) at random spectra equals (44) with the stated constants: the identity is
  // exact, so only rounding of a few logs remains (1e-13 relative).
  std::mt19937_64 rng(7);
  std::uniform_real_distribution<double> u(0.0, 3.0), ub(0.3, 3.0), um(-0.5, 0.25);
  for (int trial = 0; trial < 50; ++trial) {
    const double beta = ub(rng), m = um(rng);
    std::vector<double> lambda(1 + trial % 6);
    for (double& l : lambda) l = u(rng);
    if (1.0 - beta * m <= 0.0) continue;
    const auto s = stationary_constants_for_gaussian(beta, m, lambda.size());
    EXPECT_DOUBLE_EQ(s.mu, 2.0 * beta);
    const double f45 = gaussian_free_energy(beta, m, lambda);
    const double f44 = stationary_free_energy(lambda, s.c0, s.ck, s.mu);
    EXPECT_NEAR(f44, f45, 1e-13 * (1.0 + std::abs(f45))) << "β=" << beta << " m=" << m;
  }
}

// (d) U = ∂_β(βF) and the forces by central differences of (45). Step 1e-5: truncation
// h²|f‴|/6 ≈ 1e-10, rounding ε|f|/h ≈ 1e-11; tolerance 1e-8.
struct Numeric {
  double u, lambda_forces, mass_term;
};
Numeric numeric_virial(double beta, double m, std::vector<double> lambda) {
  const double h = 1e-5;
  Numeric n{};
  n.u = ((beta + h) * gaussian_free_energy(beta + h, m, lambda) -
         (beta - h) * gaussian_free_energy(beta - h, m, lambda)) /
        (2.0 * h);
  for (std::size_t i = 0; i < lambda.size(); ++i) {
    const double l = lambda[i];
    lambda[i] = l + h;
    const double fp = gaussian_free_energy(beta, m, lambda);
    lambda[i] = l - h;
    const double fm = gaussian_free_energy(beta, m, lambda);
    lambda[i] = l;
    n.lambda_forces += l * (fp - fm) / (2.0 * h);
  }
  n.mass_term =
      m * (gaussian_free_energy(beta, m + h, lambda) - gaussian_free_energy(beta, m - h, lambda)) /
      (2.0 * h);
  return n;
}

TEST(T6_1, VirialAtZeroMass) {
  const std::vector<double> lambda = {0.3, 1.1, 2.5, 0.05};
  const double beta = 1.7;
  const Numeric n = numeric_virial(beta, 0.0, lambda);
  EXPECT_NEAR(n.u, n.lambda_forces, 1e-8);  // (46): U = Σ λ_i ∂F/∂λ_i at m = 0
  double printed = 0.0;                     // (46): ½ Σ λ_i/(1 + βλ_i)
  for (double l : lambda) printed += 0.5 * l / (1.0 + beta * l);
  EXPECT_NEAR(n.u, printed, 1e-8);
  const VirialTerms v = virial(beta, 0.0, lambda);
  EXPECT_NEAR(v.mean_loss, n.u, 1e-8);
  EXPECT_NEAR(v.lambda_forces, n.lambda_forces, 1e-8);
  EXPECT_EQ(v.defect, 0.0);
}

TEST(T6_1, VirialDefectAtNonZeroMass) {
  const std::vector<double> lambda = {0.3, 1.1, 2.5, 0.05};
  const double beta = 1.3, m = 0.2;
  const Numeric n = numeric_virial(beta, m, lambda);
  double defect = 0.0;  // −(m/2) Σ 1/((1 − βm) + βλ_i)
  for (double l : lambda) defect += -0.5 * m / ((1.0 - beta * m) + beta * l);
  EXPECT_NEAR(n.u - n.lambda_forces, defect, 1e-8);       // (46) misses exactly this
  EXPECT_GT(std::abs(defect), 0.1);                       // and it is not small here
  EXPECT_NEAR(n.u, n.lambda_forces + n.mass_term, 1e-8);  // generalised virial
  const VirialTerms v = virial(beta, m, lambda);
  EXPECT_NEAR(v.mean_loss, n.u, 1e-8);
  EXPECT_NEAR(v.lambda_forces, n.lambda_forces, 1e-8);
  EXPECT_NEAR(v.mass_term, n.mass_term, 1e-8);
  EXPECT_NEAR(v.defect, defect, 1e-14);
}

}  // namespace
}  // namespace nnworld::trainable
