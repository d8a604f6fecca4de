// The Schrödinger solver of the quantum limit (spec §4), the Madelung view of Ψ, and the
// Euclidean two-point (Cole–Hopf) solver, against closed forms.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <numbers>
#include <vector>

#include "nnworld/core/error.hpp"
#include "nnworld/trainable/euclidean.hpp"
#include "nnworld/trainable/madelung.hpp"
#include "nnworld/trainable/schrodinger.hpp"

namespace nnworld::trainable {
namespace {

constexpr double kPi = std::numbers::pi;
const Constants kUnit{0.25, 0.5, 2.0};  // ħ = M = 1

std::vector<double> harmonic(const core::Grid& g, double gamma, double w) {
  std::vector<double> v(g.size());
  for (std::int64_t i = 0; i < g.size(); ++i) {
    const core::Point q = g.point(i);
    double r2 = 0.0;
    for (int a = 0; a < g.dims; ++a) r2 += q[a] * q[a];
    v[i] = w * w * r2 / (4 * gamma);  // ½Mω²|q|², M = 1/(2γ)
  }
  return v;
}

TEST(QuantumMap, CorrectedPaperAndBoxedConstants) {
  const Constants c{0.3, 0.7, 1.9};
  const QuantumMap m = quantum_map(c, Form::corrected, false);
  EXPECT_DOUBLE_EQ(m.hbar, std::sqrt(4 * 0.3 / (0.7 * 1.9)));
  EXPECT_DOUBLE_EQ(m.mass, 1 / 1.4);
  EXPECT_EQ(m.osmotic, 0.0);
  const QuantumMap p = quantum_map(c, Form::paper, false);
  EXPECT_DOUBLE_EQ(p.hbar, std::sqrt(4 * 0.3 / 0.7));
  EXPECT_DOUBLE_EQ(p.mass, m.mass);
  const QuantumMap b = quantum_map(c, Form::corrected, true);
  EXPECT_DOUBLE_EQ(b.hbar * b.hbar, 4 * 0.3 / (0.7 * 1.9) - 1 / (1.9 * 1.9));
  EXPECT_DOUBLE_EQ(b.osmotic, 1 / 3.8);
  // No unitary evolution: γμ ≤ 0, D ≤ 0, the printed form with γ ≤ 0 or with boxed terms.
  EXPECT_THROW((void)quantum_map({0.3, 0.7, -1.0}, Form::corrected, false), Error);
  EXPECT_THROW((void)quantum_map({0.0, 0.7, 1.0}, Form::corrected, false), Error);
  EXPECT_THROW((void)quantum_map({0.3, -0.7, 1.0}, Form::paper, false), Error);
  EXPECT_THROW((void)quantum_map(c, Form::paper, true), Error);
  // γ < 0 with μ < 0: γμ > 0, a negative mass, still unitary.
  EXPECT_LT(quantum_map({0.3, -0.7, -1.0}, Form::corrected, false).mass, 0.0);
}

TEST(Schrodinger, UnitaryToRounding) {
  // Strang steps are products of unitary factors: the norm changes only by rounding
  // (~1e-16 per step and FFT), 1e-12 after 1000 steps in an anharmonic potential.
  const core::Grid g = core::make_grid({512}, {12.0}, core::Boundary::periodic);
  std::vector<double> v(g.size());
  for (std::int64_t i = 0; i < g.size(); ++i) {
    const double q = g.coordinate(0, i);
    v[i] = 0.1 * q * q * q * q - q * q + 0.5 * std::sin(3 * q);
  }
  const QuantumMap m = quantum_map(kUnit, Form::corrected, false);
  const std::array<double, 1> c{1.0}, w{0.7}, p{1.3};
  auto psi = gaussian_packet(g, m, c, w, p);
  const Schrodinger s(g, m.hbar, m.mass, v);
  EXPECT_NEAR(s.norm(psi), 1.0, 1e-13);
  s.evolve(psi, 2e-3, 1000);
  EXPECT_NEAR(s.norm(psi), 1.0, 1e-12);
  // Time reversal: evolving back with −dt returns Ψ(0) (the Strang step is symmetric).
  s.evolve(psi, -2e-3, 1000);
  const auto psi0 = gaussian_packet(g, m, c, w, p);
  double err = 0.0;
  for (std::size_t i = 0; i < psi.size(); ++i) err = std::max(err, std::abs(psi[i] - psi0[i]));
  EXPECT_LT(err, 1e-11);
}

TEST(Schrodinger, HarmonicGroundStateByImaginaryTime) {
  // V = ½Mω²q², ω = 1.3, with ħ = √(4D/(γμ)) ≠ 1: E₀ = ħω/2, σ² = ħ/(2Mω). The imaginary-time
  // fixed point is the ground state of H + O(dτ²), so ⟨Ĥ⟩ = E₀ + O(dτ⁴) ≈ 1e-12 for dτ = 1e-3;
  // the stopping rule (|ΔE| < 1e-13 over 10 steps) leaves an error ~ 1e-13/(1 − e^{−10ωdτ·2})
  // ≈ 4e-12; tolerance 1e-10.
  const Constants c{0.3, 0.5, 1.5};
  const QuantumMap m = quantum_map(c, Form::corrected, false);
  const double w = 1.3;
  const core::Grid g = core::make_grid({256}, {10.0}, core::Boundary::periodic);
  const Schrodinger s(g, m.hbar, m.mass, harmonic(g, c.gamma, w));
  const std::array<double, 1> centre{0.8}, width{1.5}, mom{0.4};
  const auto gs = s.ground_state(gaussian_packet(g, m, centre, width, mom), 1e-3, 1e-13, 200000);
  EXPECT_TRUE(gs.converged);
  EXPECT_NEAR(gs.energy, m.hbar * w / 2, 1e-10);
  const PsiObservables o = s.measure(gs.psi);
  EXPECT_NEAR(o.norm, 1.0, 1e-12);
  // The state converges more slowly than its energy: excited amplitudes ~ √(E − E₀) ≈ 2e-6
  // remain when the energy criterion stops, and the fixed point is off by O(dτ²) ≈ 1e-6.
  EXPECT_NEAR(o.variance[0], m.hbar / (2 * m.mass * w), 1e-5);
  EXPECT_NEAR(o.mean[0], 0.0, 1e-5);
}

TEST(Schrodinger, TwoDimensionalPacketAndGroundState) {
  // K = 2: a free packet spreads per axis as σ_a²(1 + τ_a²), τ_a = ħt/(2Mσ_a²), and moves with
  // velocity P_a/M (exact propagator for V = 0); the isotropic oscillator's ground state has
  // E₀ = 2·ħω/2.
  const QuantumMap m = quantum_map(kUnit, Form::corrected, false);
  const core::Grid g = core::make_grid({128, 96}, {16.0, 12.0}, core::Boundary::periodic);
  const std::array<double, 2> c{-1.0, 0.5}, w{1.0, 0.8}, p{0.6, -0.3};
  auto psi = gaussian_packet(g, m, c, w, p);
  const Schrodinger free(g, m.hbar, m.mass, {});
  const double t = 2.0;
  free.evolve(psi, t, 1);
  const PsiObservables o = free.measure(psi);
  for (int a = 0; a < 2; ++a) {
    const double tau = m.hbar * t / (2 * m.mass * w[a] * w[a]);
    EXPECT_NEAR(o.variance[a], w[a] * w[a] * (1 + tau * tau), 1e-10) << a;
    EXPECT_NEAR(o.mean[a], c[a] + p[a] / m.mass * t, 1e-10) << a;
  }
  EXPECT_NEAR(o.energy,
              (0.36 + 0.09) / (2 * m.mass) + m.hbar * m.hbar / (8 * m.mass) * (1 + 1 / 0.64),
              1e-10);
  // The Madelung view: a Gaussian has no vortices, no nodes, and a consistent phase.
  const MadelungFields f = madelung_fields(g, psi, m);
  EXPECT_EQ(f.vortices, 0);
  EXPECT_EQ(f.inconsistent, 0);
  EXPECT_EQ(f.jumps, 0);
  // Ground state on a coarser grid (64×48, h = 0.25: the state's spectrum e^{−k²/2} is
  // e^{−79} at the Nyquist wavenumber) with dτ = 5e-3: ⟨Ĥ⟩ = E₀ + O(dτ⁴) ≈ 1e-9; tolerance 1e-8.
  const core::Grid gc = core::make_grid({64, 48}, {8.0, 6.0}, core::Boundary::periodic);
  const Schrodinger osc(gc, m.hbar, m.mass, harmonic(gc, kUnit.gamma, 1.0));
  const std::array<double, 2> c0{0.3, -0.2}, w0{0.8, 0.6}, p0{0.2, 0.1};
  const auto gs = osc.ground_state(gaussian_packet(gc, m, c0, w0, p0), 5e-3, 1e-13, 100000);
  EXPECT_TRUE(gs.converged);
  EXPECT_NEAR(gs.energy, m.hbar * 1.0, 1e-8);
}

TEST(Madelung, VortexAndNodesAreCounted) {
  // Ψ = (q1 + i q2) e^{−|q|²/2} has one vortex at the origin: the unwrapped phase is
  // multi-valued (its circulation 2πħ) and the vortex counter finds exactly one plaquette.
  const QuantumMap m = quantum_map(kUnit, Form::corrected, false);
  const core::Grid g = core::make_grid({63, 63}, {6.0}, core::Boundary::periodic);
  std::vector<core::Complex> psi(g.size());
  for (std::int64_t i = 0; i < g.size(); ++i) {
    const core::Point q = g.point(i);
    psi[i] = core::Complex(q[0] + 0.05, q[1] + 0.03) * std::exp(-(q[0] * q[0] + q[1] * q[1]) / 2);
  }
  const MadelungFields f = madelung_fields(g, psi, m);
  EXPECT_EQ(f.vortices, 1);
  EXPECT_GT(f.inconsistent, 0);
  // 1-D first excited state of the oscillator, q e^{−q²/2}: a node where Ψ changes sign (θ
  // jumps by π), and no inconsistency (1-D unwrapping is always consistent).
  const core::Grid g1 = core::make_grid({200}, {8.0}, core::Boundary::periodic);
  std::vector<core::Complex> phi(g1.size());
  for (std::int64_t i = 0; i < g1.size(); ++i) {
    const double q = g1.coordinate(0, i) + 0.013;
    phi[i] = q * std::exp(-q * q / 2);
  }
  const MadelungFields f1 = madelung_fields(g1, phi, m);
  EXPECT_EQ(f1.jumps, 1);
  EXPECT_EQ(f1.inconsistent, 0);
  EXPECT_EQ(f1.vortices, 0);
}

TEST(Schrodinger, PaperFormDiffersFromCorrectedUnlessMuIsOne) {
  // The printed map uses ħ_paper = √(4D/γ) (μ dropped); the same initial (p, F) then evolves
  // differently unless μ = 1. Compare p(t) of a harmonic coherent state after t = 1.
  const core::Grid g = core::make_grid({256}, {12.0}, core::Boundary::periodic);
  auto gap = [&](double mu) {
    const Constants c{0.25, 0.5, mu};
    std::vector<double> p(g.size()), f(g.size());
    for (std::int64_t i = 0; i < g.size(); ++i) {
      const double q = g.coordinate(0, i);
      p[i] = std::exp(-(q - 1) * (q - 1)) / std::sqrt(kPi);
      f[i] = 0.5 * q;
    }
    const auto v = harmonic(g, c.gamma, 1.0);
    double d = 0.0;
    std::vector<std::vector<double>> dens;
    for (const Form form : {Form::corrected, Form::paper}) {
      const QuantumMap m = quantum_map(c, form, false);
      auto psi = psi_from_madelung(p, f, m);
      const Schrodinger s(g, m.hbar, m.mass, v);
      s.evolve(psi, 1e-3, 1000);
      dens.push_back(density(psi));
    }
    for (std::int64_t i = 0; i < g.size(); ++i) d = std::max(d, std::abs(dens[0][i] - dens[1][i]));
    return d;
  };
  EXPECT_LT(gap(1.0), 1e-14);  // identical evolutions
  EXPECT_GT(gap(2.0), 1e-2);
  EXPECT_GT(gap(0.5), 1e-2);
}

TEST(Schrodinger, EntropyProductionFormulaMatchesNumericDerivative) {
  // dS_q/dt = 2γ⟨∇²F̃⟩_p holds for every Schrödinger solution (continuity with the quantum
  // current); check it against a 4-point central difference of S_q (h = 1e-4: truncation
  // O(h⁴), rounding ε/h ≈ 1e-12, and the Strang steps follow H + O(h²) so the difference sees
  // dS/dt of a Hamiltonian off by ~1e-8) in an anharmonic potential, also with
  // the boxed map (where it is the production of the full (32)).
  const core::Grid g = core::make_grid({512}, {10.0}, core::Boundary::periodic);
  std::vector<double> v(g.size());
  for (std::int64_t i = 0; i < g.size(); ++i) {
    const double q = g.coordinate(0, i);
    v[i] = 0.05 * q * q * q * q + 0.3 * std::cos(2 * q);
  }
  for (const bool boxed : {false, true}) {
    const QuantumMap m = quantum_map(kUnit, Form::corrected, boxed);
    const std::array<double, 1> c{0.5}, w{0.6}, p{0.9};
    auto psi = gaussian_packet(g, m, c, w, p);
    const Schrodinger s(g, m.hbar, m.mass, v);
    s.evolve(psi, 1e-3, 700);
    const double h = 1e-4;
    auto at = [&](int k) {
      auto x = psi;
      s.evolve(x, k > 0 ? h : -h, std::abs(k));
      return s.measure(x).entropy;
    };
    const double numeric = (8 * (at(1) - at(-1)) - (at(2) - at(-2))) / (12 * h);
    const double formula = s.measure(psi).entropy_production;
    EXPECT_NEAR(formula, numeric, 1e-6 * (1 + std::abs(numeric))) << "boxed " << boxed;
    EXPECT_GT(std::abs(formula), 1e-2);
  }
}

TEST(Schrodinger, TwoPacketFringeSpacing) {
  // Packets with momenta ±P meet at T = d/u (u = P/M) and |Ψ|² = 2A²(1 + cos(2Pq/ħ)): fringes
  // of spacing 2πħ/|ΔP| = πħ/P. Measured as the peak of the density's spectrum (parabolic
  // interpolation of log|ρ̂|, exact for the Gaussian line): tolerance 1e-6 relative (the
  // envelope's own spectrum at k = 2P/ħ is e^{−(2Pσ_T/ħ)²/2} ≈ 1e-40 small).
  const core::Grid g = core::make_grid({4096}, {60.0}, core::Boundary::periodic);
  for (const Constants c : {kUnit, Constants{0.2, 0.6, 0.9}}) {
    const QuantumMap m = quantum_map(c, Form::corrected, false);
    const double P = 2.5;
    const TwoPackets tp = schrodinger_two_packets(g, m, 20.0, 1.0, P);
    EXPECT_NEAR(tp.fringe_spacing, kPi * m.hbar / P, 1e-15);
    const double measured = dominant_period(g, tp.density);
    EXPECT_NEAR(measured / tp.fringe_spacing, 1.0, 1e-6) << "ħ = " << m.hbar;
    double norm = 0.0;
    for (double x : tp.density) norm += x * g.cell_volume();
    EXPECT_NEAR(norm, 1.0, 1e-12);
  }
}

// ---- the Euclidean two-point problem -----------------------------------------------------

double gauss(double q, double centre, double var) {
  return std::exp(-(q - centre) * (q - centre) / (2 * var)) / std::sqrt(2 * kPi * var);
}

TEST(EuclideanBridge, FreeHeatKernelsInClosedForm) {
  // V = 0: φ̂(0) = N(q; a, s²) spreads forward, φ̂(t) = N(q; a, s² + 2κt); φ(T) =
  // e^{−(q−b)²/2r²} spreads backward, φ(t) = r/√(r² + 2κ(T−t)) e^{−(q−b)²/2(r² + 2κ(T−t))}.
  // Exact in Fourier space (only rounding and the Gaussian tails at ±30): 1e-12. ∫φφ̂ dq is
  // conserved (symmetric step operator) to rounding.
  const Constants c{0.1, 0.8, 1.0};  // a = 0.8 > 4D = 0.4: Euclidean
  ASSERT_EQ(regime(c), Regime::euclidean);
  const EuclideanConstants e = euclidean_constants(c);
  EXPECT_NEAR(e.hbar_e * e.hbar_e, 1.0 - 0.4 / 0.8, 1e-15);
  const double kappa = e.kappa;
  const core::Grid g = core::make_grid({1024}, {30.0}, core::Boundary::periodic);
  const double a = -2.0, s2 = 1.0, b = 3.0, r2 = 2.0, T = 1.5;
  std::vector<double> h0(g.size()), fT(g.size());
  for (std::int64_t i = 0; i < g.size(); ++i) {
    const double q = g.coordinate(0, i);
    h0[i] = gauss(q, a, s2);
    fT[i] = std::exp(-(q - b) * (q - b) / (2 * r2));
  }
  const Bridge br = solve_bridge(g, c, {}, h0, fT, T, 0.05, 6);
  ASSERT_EQ(br.times.size(), 7u);
  double err = 0.0, mass0 = -1.0, mass_err = 0.0;
  for (std::size_t j = 0; j < br.times.size(); ++j) {
    const double t = br.times[j];
    double mass = 0.0;
    for (std::int64_t i = 0; i < g.size(); ++i) {
      const double q = g.coordinate(0, i);
      const double vb = r2 + 2 * kappa * (T - t);
      const double phi = std::sqrt(r2 / vb) * std::exp(-(q - b) * (q - b) / (2 * vb));
      err = std::max({err, std::abs(br.phi_hat[j][i] - gauss(q, a, s2 + 2 * kappa * t)),
                      std::abs(br.phi[j][i] - phi)});
      mass += br.phi[j][i] * br.phi_hat[j][i] * g.cell_volume();
    }
    if (mass0 < 0) mass0 = mass;
    mass_err = std::max(mass_err, std::abs(mass - mass0));
    // p = φφ̂ ∝ a Gaussian with 1/Var = 1/A + 1/B, mean = Var (a/A + b/B).
    const BridgeFields f = bridge_fields(c, br.phi[j], br.phi_hat[j]);
    double m0 = 0, m1 = 0, m2 = 0;
    for (std::int64_t i = 0; i < g.size(); ++i) {
      const double q = g.coordinate(0, i);
      m0 += f.p[i];
      m1 += q * f.p[i];
      m2 += q * q * f.p[i];
    }
    const double A = s2 + 2 * kappa * t, B = r2 + 2 * kappa * (T - t);
    const double var = 1 / (1 / A + 1 / B), mean = var * (a / A + b / B);
    EXPECT_NEAR(m1 / m0, mean, 1e-10) << t;
    EXPECT_NEAR(m2 / m0 - (m1 / m0) * (m1 / m0), var, 1e-10) << t;
  }
  EXPECT_LT(err, 1e-12);
  EXPECT_LT(mass_err, 1e-13);
}

TEST(EuclideanBridge, SolvesTheFullSystemForNonZeroDiffusion) {
  // The D ≠ 0 Cole–Hopf pair (euclidean.hpp): (p, F) rebuilt from the bridge must satisfy the
  // FULL (32) and (30)/μ, here with a potential. Residuals by 4th-order FD in space and a
  // central difference in time (h = 1e-3, frames at T/2 ± h), where p > 1e-3 max p: the
  // truncation error is O(h²)·|∂³_t| + O(dx⁴) ≈ 1e-6 relative; tolerance 1e-4. Control: the
  // D = 0 formulas (ħ_E = 1/μ) applied to the same D ≠ 0 data leave an O(1) residual.
  const Constants c{0.1, 0.8, 1.0};
  const core::Grid g = core::make_grid({512}, {12.0}, core::Boundary::periodic);
  std::vector<double> v(g.size()), h0(g.size()), fT(g.size());
  for (std::int64_t i = 0; i < g.size(); ++i) {
    const double q = g.coordinate(0, i);
    v[i] = 0.3 * std::cos(q) + 0.02 * q * q;
    h0[i] = gauss(q, -1.0, 0.8);
    fT[i] = std::exp(-(q - 1.5) * (q - 1.5) / 3.0);
  }
  const double T = 1.0, h = 1e-3;
  // Frames every h (1000 frames): the middle three give t = T/2 − h, T/2, T/2 + h.
  const Bridge br = solve_bridge(g, c, v, h0, fT, T, h / 4, 1000);
  const std::size_t j = 500;
  auto fields = [&](const Constants& cc, std::size_t k) {
    return bridge_fields(cc, br.phi[k], br.phi_hat[k]);
  };
  const auto a = fields(c, j - 1), b = fields(c, j), e = fields(c, j + 1);
  const SystemResidual r =
      madelung_residual(g, c, v, a.p, b.p, e.p, a.F, b.F, e.F, h, true, 4, 1e-3);
  EXPECT_GT(r.points, 50);
  EXPECT_LT(r.continuity, 1e-4);
  EXPECT_LT(r.hamilton_jacobi, 1e-4);
  // Control: F from the D = 0 map, F = (1/2μ) log(φ/φ̂) + log p/(2μ) = (1/μ) log φ.
  auto d0 = [&](std::size_t k) {
    BridgeFields f = fields(c, k);
    for (std::int64_t i = 0; i < g.size(); ++i) f.F[i] = std::log(br.phi[k][i]) / c.mu_lagrange;
    return f;
  };
  const auto ca = d0(j - 1), cb = d0(j), ce = d0(j + 1);
  const SystemResidual rc =
      madelung_residual(g, c, v, ca.p, cb.p, ce.p, ca.F, cb.F, ce.F, h, true, 4, 1e-3);
  EXPECT_GT(rc.hamilton_jacobi, 1e-2);
  std::printf("bridge D = 0.1: residuals (32) %.2e, (30)/μ %.2e; with the D = 0 map: %.2e\n",
              r.continuity, r.hamilton_jacobi, rc.hamilton_jacobi);
}

TEST(EuclideanBridge, RefusedOutsideTheEuclideanRegime) {
  EXPECT_THROW((void)euclidean_constants(kUnit), Error);             // quantum
  EXPECT_THROW((void)euclidean_constants({0.25, 1.0, 1.0}), Error);  // classical
  EXPECT_NO_THROW((void)euclidean_constants({0.25, 1.5, 1.0}));      // euclidean
  EXPECT_GT(euclidean_constants({0.25, -1.5, 1.0}).kappa, 0.0);      // γ/μ < 0
}

}  // namespace
}  // namespace nnworld::trainable
