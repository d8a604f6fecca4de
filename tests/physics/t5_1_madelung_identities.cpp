// Spec T5.1: the identities of s5_madelung_sympy.py, checked numerically at random smooth
// fields p(t, q), F(t, q), V(q) on a periodic (t, q1, q2) grid with spectral derivatives.
//
// The fields are exponentials / sums of a few low Fourier modes on 24³ points, so they and
// their products are resolved to rounding: every identity below is exact algebra, and the
// tolerance 1e-10 (relative to the largest term of the identity, as the spec asks) only has to
// absorb rounding in the FFTs, amplified where the identity divides by φ, p or Ψ (observed 2e-16 …
// 4e-12). The derivative operators are the spectral ∂_a with the Nyquist mode dropped (real
// antisymmetric), and ∇² = Σ_a ∂_a∂_a (symmetric), so the Euler–Lagrange equations of the discrete
// action are exactly the discrete (29), (30): the action is quadratic in F and in r = √p, hence a
// central difference of it is exact up to rounding.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <complex>
#include <numbers>
#include <random>
#include <vector>

#include "nnworld/core/fft.hpp"
#include "nnworld/trainable/euclidean.hpp"
#include "nnworld/trainable/madelung.hpp"
#include "nnworld/trainable/parameters.hpp"
#include "nnworld/trainable/schrodinger.hpp"

namespace nnworld::trainable {
namespace {

using Field = std::vector<double>;
using CField = std::vector<core::Complex>;

class T5_1 : public ::testing::Test {
 protected:
  T5_1()
      : grid_(core::make_grid({24, 24, 24}, {std::numbers::pi}, core::Boundary::periodic)),
        fft_(grid_) {
    // p = exp(Σ few modes) > 0, F = Σ few modes, V = Σ few modes in q only; wavenumbers
    // |k_a| ≤ 1, so that e^{iF/ħ}, √p, 1/p, … have spectra far below rounding at the Nyquist
    // wavenumber 12.
    std::mt19937_64 rng(20240501);
    std::normal_distribution<double> n01(0.0, 1.0);
    struct Mode {
      int kt, k1, k2;
      double a, phase;
    };
    auto modes = [&](bool with_t) {
      std::vector<Mode> m;
      for (int j = 0; j < 6; ++j) {
        m.push_back({with_t ? static_cast<int>(rng() % 3) - 1 : 0, static_cast<int>(rng() % 2),
                     static_cast<int>(rng() % 3) - 1, 0.25 * n01(rng),
                     6.283 * static_cast<double>(rng() % 1000) / 1e3});
      }
      return m;
    };
    const auto mp = modes(true), mf = modes(true), mv = modes(false);
    auto eval = [&](const std::vector<Mode>& m, const core::Point& x) {
      double s = 0.0;
      for (const auto& md : m)
        s += md.a * std::cos(md.kt * x[0] + md.k1 * x[1] + md.k2 * x[2] + md.phase);
      return s;
    };
    const auto n = static_cast<std::size_t>(grid_.size());
    p_.resize(n);
    F_.resize(n);
    V_.resize(n);
    grid_.for_each([&](std::int64_t i, const core::Point& x) {
      p_[i] = 0.2 * std::exp(eval(mp, x));
      F_[i] = 0.4 * eval(mf, x) + 0.2 * std::sin(x[1] - x[2]);
      V_[i] = eval(mv, x);
    });
  }

  // ∂_a (a = 0: t, 1: q1, 2: q2).
  [[nodiscard]] Field d(const Field& f, int a) const {
    return core::spectral_derivative(fft_, f, a);
  }
  [[nodiscard]] Field lap(const Field& f) const {  // ∇² over q only
    const Field a = d(d(f, 1), 1), b = d(d(f, 2), 2);
    Field o(f.size());
    for (std::size_t i = 0; i < f.size(); ++i) o[i] = a[i] + b[i];
    return o;
  }
  [[nodiscard]] Field grad2(const Field& f) const {
    const Field a = d(f, 1), b = d(f, 2);
    Field o(f.size());
    for (std::size_t i = 0; i < f.size(); ++i) o[i] = a[i] * a[i] + b[i] * b[i];
    return o;
  }
  [[nodiscard]] Field div_flux(const Field& c, const Field& f) const {  // ∇·(c ∇f)
    const Field a = d(f, 1), b = d(f, 2);
    Field ca(f.size()), cb(f.size());
    for (std::size_t i = 0; i < f.size(); ++i) {
      ca[i] = c[i] * a[i];
      cb[i] = c[i] * b[i];
    }
    const Field da = d(ca, 1), db = d(cb, 2);
    Field o(f.size());
    for (std::size_t i = 0; i < f.size(); ++i) o[i] = da[i] + db[i];
    return o;
  }
  [[nodiscard]] CField cd(const CField& f, int a) const {  // complex ∂_a
    Field re(f.size()), im(f.size());
    for (std::size_t i = 0; i < f.size(); ++i) {
      re[i] = f[i].real();
      im[i] = f[i].imag();
    }
    const Field dr = d(re, a), di = d(im, a);
    CField o(f.size());
    for (std::size_t i = 0; i < f.size(); ++i) o[i] = {dr[i], di[i]};
    return o;
  }
  [[nodiscard]] Field sqrt_of(const Field& f) const {
    Field o(f.size());
    for (std::size_t i = 0; i < f.size(); ++i) o[i] = std::sqrt(f[i]);
    return o;
  }
  // Q = ∇²√p/√p
  [[nodiscard]] Field bohm(const Field& p) const {
    const Field r = sqrt_of(p), lr = lap(r);
    Field o(p.size());
    for (std::size_t i = 0; i < p.size(); ++i) o[i] = lr[i] / r[i];
    return o;
  }
  // (29): γ∇²p − μ∂_tp − 2μγ∇·(p∇F)
  [[nodiscard]] Field eq29(const Constants& c, const Field& p, const Field& F) const {
    const Field lp = lap(p), pt = d(p, 0), dv = div_flux(p, F);
    Field o(p.size());
    for (std::size_t i = 0; i < p.size(); ++i) {
      o[i] = c.gamma * lp[i] - c.mu_lagrange * pt[i] - 2 * c.mu_lagrange * c.gamma * dv[i];
    }
    return o;
  }
  // (30): −4DQ + γ∇²F + μ∂_tF + μγ|∇F|² + μV
  [[nodiscard]] Field eq30(const Constants& c, const Field& p, const Field& F) const {
    const Field q = bohm(p), lf = lap(F), ft = d(F, 0), g2 = grad2(F);
    Field o(p.size());
    const double mu = c.mu_lagrange;
    for (std::size_t i = 0; i < p.size(); ++i) {
      o[i] = -4 * c.diffusion * q[i] + c.gamma * lf[i] + mu * ft[i] + mu * c.gamma * g2[i] +
             mu * V_[i];
    }
    return o;
  }
  // The full (32) and (30)/μ as residuals; boxed = false drops the boxed terms (Madelung pair).
  [[nodiscard]] Field cont(const Constants& c, const Field& p, const Field& F, bool boxed) const {
    const Field pt = d(p, 0), dv = div_flux(p, F), lp = lap(p);
    Field o(p.size());
    for (std::size_t i = 0; i < p.size(); ++i) {
      o[i] = pt[i] + 2 * c.gamma * dv[i] - (boxed ? c.gamma / c.mu_lagrange * lp[i] : 0.0);
    }
    return o;
  }
  [[nodiscard]] Field hj(const Constants& c, const Field& p, const Field& F, bool boxed) const {
    const Field ft = d(F, 0), g2 = grad2(F), lf = lap(F), q = bohm(p);
    Field o(p.size());
    for (std::size_t i = 0; i < p.size(); ++i) {
      o[i] = ft[i] + c.gamma * g2[i] + (boxed ? c.gamma / c.mu_lagrange * lf[i] : 0.0) + V_[i] -
             4 * c.diffusion / c.mu_lagrange * q[i];
    }
    return o;
  }
  // The discrete action (28): Σ [4D|∇√p|² + γp∇²F + μp∂_tF + μγp|∇F|² + μVp] dV.
  [[nodiscard]] double action(const Constants& c, const Field& p, const Field& F) const {
    const Field r = sqrt_of(p), gr = grad2(r), lf = lap(F), ft = d(F, 0), g2 = grad2(F);
    double s = 0.0;
    const double mu = c.mu_lagrange;
    for (std::size_t i = 0; i < p.size(); ++i) {
      s += 4 * c.diffusion * gr[i] + c.gamma * p[i] * lf[i] + mu * p[i] * ft[i] +
           mu * c.gamma * p[i] * g2[i] + mu * V_[i] * p[i];
    }
    return s * grid_.cell_volume();
  }
  [[nodiscard]] Field random_direction(unsigned seed) const {
    std::mt19937_64 rng(seed);
    std::normal_distribution<double> n01(0.0, 1.0);
    // A smooth direction (a few modes) keeps every product resolved.
    const double a = n01(rng), b = n01(rng), c = n01(rng);
    Field eta(p_.size());
    grid_.for_each([&](std::int64_t i, const core::Point& x) {
      eta[i] = a * std::cos(x[0] + x[1]) + b * std::sin(2 * x[2] - x[1]) + c * std::cos(x[2]);
    });
    return eta;
  }
  [[nodiscard]] double dot(const Field& a, const Field& b) const {
    double s = 0.0;
    for (std::size_t i = 0; i < a.size(); ++i) s += a[i] * b[i];
    return s * grid_.cell_volume();
  }

  core::Grid grid_;
  core::Fft fft_;
  Field p_, F_, V_;
};

double max_abs(const Field& f) {
  double m = 0.0;
  for (double v : f) m = std::max(m, std::abs(v));
  return m;
}
// max|a − b| / max(|a|, |b|, scale): the identity's error relative to its largest term.
double rel_gap(const Field& a, const Field& b, double scale = 0.0) {
  double m = 0.0;
  for (std::size_t i = 0; i < a.size(); ++i) m = std::max(m, std::abs(a[i] - b[i]));
  return m / std::max({max_abs(a), max_abs(b), scale});
}

constexpr double kTol = 1e-10;  // rounding only (see the file comment)
const Constants kDefault{0.25, 0.5, 2.0};

TEST_F(T5_1, EulerLagrangeOfActionIsEq29And30) {
  const Constants c = kDefault;
  const double eps = 1e-2;  // exact for a quadratic functional, any ε
  // δ/δF: [S(F + εη) − S(F − εη)]/(2ε) = ⟨(29), η⟩ (the action is quadratic in F).
  const Field eta = random_direction(7);
  Field fp = F_, fm = F_;
  for (std::size_t i = 0; i < fp.size(); ++i) {
    fp[i] += eps * eta[i];
    fm[i] -= eps * eta[i];
  }
  const double dS_F = (action(c, p_, fp) - action(c, p_, fm)) / (2 * eps);
  const double el_F = dot(eq29(c, p_, F_), eta);
  EXPECT_LT(std::abs(dS_F - el_F) / std::abs(el_F), kTol) << dS_F << " vs " << el_F;
  // δ/δp via r = √p (the action is quadratic in r): δS/δr = 2r·(30).
  const Field r = sqrt_of(p_);
  Field pp(r.size()), pm(r.size());
  for (std::size_t i = 0; i < r.size(); ++i) {
    pp[i] = (r[i] + eps * eta[i]) * (r[i] + eps * eta[i]);
    pm[i] = (r[i] - eps * eta[i]) * (r[i] - eps * eta[i]);
  }
  const double dS_r = (action(c, pp, F_) - action(c, pm, F_)) / (2 * eps);
  const Field e30 = eq30(c, p_, F_);
  Field two_r_e30(r.size());
  for (std::size_t i = 0; i < r.size(); ++i) two_r_e30[i] = 2 * r[i] * e30[i];
  const double el_r = dot(two_r_e30, eta);
  EXPECT_LT(std::abs(dS_r - el_r) / std::abs(el_r), kTol) << dS_r << " vs " << el_r;
}

TEST_F(T5_1, Eq30ImpliesEq33AndEq29IsEq32) {
  const Constants c = kDefault;
  const double g = c.gamma, mu = c.mu_lagrange;
  const Field e30 = eq30(c, p_, F_);
  const Field q = bohm(p_);
  // (33)_j: ∂_t u_j + u_k ∂_k u_j + (γ/μ)∇²u_j + 2γ∂_j(V − (4D/μ)Q) == 2γ ∂_j[(30)/μ].
  for (int j = 1; j <= 2; ++j) {
    Field uj = d(F_, j);
    for (auto& v : uj) v *= 2 * g;
    const Field u1 = [&] {
      Field u = d(F_, 1);
      for (auto& v : u) v *= 2 * g;
      return u;
    }();
    const Field u2 = [&] {
      Field u = d(F_, 2);
      for (auto& v : u) v *= 2 * g;
      return u;
    }();
    const Field ujt = d(uj, 0), uj1 = d(uj, 1), uj2 = d(uj, 2), luj = lap(uj);
    Field vq(q.size());
    for (std::size_t i = 0; i < q.size(); ++i) vq[i] = V_[i] - 4 * c.diffusion / mu * q[i];
    const Field dvq = d(vq, j);
    Field lhs(q.size());
    for (std::size_t i = 0; i < q.size(); ++i) {
      lhs[i] = ujt[i] + u1[i] * uj1[i] + u2[i] * uj2[i] + g / mu * luj[i] + 2 * g * dvq[i];
    }
    Field e30mu(q.size());
    for (std::size_t i = 0; i < q.size(); ++i) e30mu[i] = e30[i] / mu;
    Field rhs = d(e30mu, j);
    for (auto& v : rhs) v *= 2 * g;
    EXPECT_LT(rel_gap(lhs, rhs, max_abs(ujt)), kTol) << "component " << j;
  }
  // (32) == −(29)/μ.
  const Field c32 = cont(c, p_, F_, true), e29 = eq29(c, p_, F_);
  Field m29(e29.size());
  for (std::size_t i = 0; i < e29.size(); ++i) m29[i] = -e29[i] / mu;
  EXPECT_LT(rel_gap(c32, m29, max_abs(d(p_, 0))), kTol);
}

TEST_F(T5_1, PsiIsMadelungWithCorrectedConstants) {
  for (const double mu : {2.0, 0.7}) {
    const Constants c{0.25, 0.5, mu};
    const QuantumMap m = quantum_map(c, Form::corrected, false);
    const CField psi = psi_from_madelung(p_, F_, m);
    // S = (iħ∂_tΨ + (ħ²/2M)∇²Ψ − VΨ)/Ψ.
    const CField pt = cd(psi, 0), p11 = cd(cd(psi, 1), 1), p22 = cd(cd(psi, 2), 2);
    Field re(psi.size()), im(psi.size());
    for (std::size_t i = 0; i < psi.size(); ++i) {
      const core::Complex s =
          (core::Complex(0, m.hbar) * pt[i] + m.hbar * m.hbar / (2 * m.mass) * (p11[i] + p22[i]) -
           V_[i] * psi[i]) /
          psi[i];
      re[i] = s.real();
      im[i] = s.imag();
    }
    // Re S = −(∂_tF + γ|∇F|² + V − (4D/μ)Q); Im S = (ħ/2p)(∂_tp + ∇·(2γp∇F)).
    Field mad_f = hj(c, p_, F_, false), mad_p = cont(c, p_, F_, false);
    for (std::size_t i = 0; i < psi.size(); ++i) {
      mad_f[i] = -mad_f[i];
      mad_p[i] *= m.hbar / (2 * p_[i]);
    }
    EXPECT_LT(rel_gap(re, mad_f), kTol) << "μ = " << mu;
    EXPECT_LT(rel_gap(im, mad_p), kTol) << "μ = " << mu;
  }
}

TEST_F(T5_1, PrintedConstantsNeedMuEqualOne) {
  // (34)–(35) as printed: Ψ = √p e^{i√(γ/4D)F}, −i√(4D/γ)∂_tΨ = (4D∇² − V)Ψ. Re of
  // (i√(4D/γ)∂_t + 4D∇² − V)Ψ/Ψ is −(HJ + Bohm) with μ = 1; for general μ it differs from the
  // corrected −(HJ + (4D/μ)Q) by 4D(1 − 1/μ)Q.
  for (const double mu : {1.0, 2.0}) {
    const Constants c{0.25, 0.5, mu};
    const QuantumMap m = quantum_map(c, Form::paper, false);
    EXPECT_DOUBLE_EQ(m.hbar, std::sqrt(4 * c.diffusion / c.gamma));
    const CField psi = psi_from_madelung(p_, F_, m);
    const CField pt = cd(psi, 0), p11 = cd(cd(psi, 1), 1), p22 = cd(cd(psi, 2), 2);
    Field re(psi.size()), im(psi.size());
    for (std::size_t i = 0; i < psi.size(); ++i) {
      const core::Complex s = (core::Complex(0, m.hbar) * pt[i] +
                               4 * c.diffusion * (p11[i] + p22[i]) - V_[i] * psi[i]) /
                              psi[i];
      re[i] = s.real();
      im[i] = s.imag();
    }
    const Field mad_f = hj(c, p_, F_, false), q = bohm(p_);
    Field mad_p = cont(c, p_, F_, false);
    Field sum(re.size()), expected(re.size());
    for (std::size_t i = 0; i < re.size(); ++i) {
      sum[i] = re[i] + mad_f[i];
      expected[i] = 4 * c.diffusion * (1 - 1 / mu) * q[i];
      mad_p[i] *= m.hbar / (2 * p_[i]);
    }
    EXPECT_LT(rel_gap(sum, expected, max_abs(mad_f)), kTol) << "μ = " << mu;
    EXPECT_LT(rel_gap(im, mad_p), kTol) << "μ = " << mu;
    if (mu != 1.0) {
      EXPECT_GT(max_abs(expected), 0.1 * max_abs(mad_f));  // not a vacuous check
    }
  }
}

TEST_F(T5_1, FullSystemIsMadelungWithReducedDiffusion) {
  // F = F̃ + log p/(2μ): full (32)(p, F) == Madelung continuity (p, F̃), and
  // full (30)/μ (p, F) == Madelung HJ with D′ = D − γ/(4μ) (p, F̃) + continuity(p, F̃)/(2μp).
  for (const Constants c : {kDefault, Constants{0.05, 0.5, 1.0}, Constants{0.3, -0.4, 1.5}}) {
    Field F(F_.size());
    for (std::size_t i = 0; i < F.size(); ++i) F[i] = F_[i] + std::log(p_[i]) / (2 * c.mu_lagrange);
    Constants cp = c;
    cp.diffusion = diffusion_prime(c);
    EXPECT_NEAR(4 * cp.diffusion / (c.gamma * c.mu_lagrange), hbar_prime_squared(c), 1e-15);
    const Field full_p = cont(c, p_, F, true), mad_p = cont(c, p_, F_, false);
    EXPECT_LT(rel_gap(full_p, mad_p), kTol);
    const Field full_f = hj(c, p_, F, true), mad_f = hj(cp, p_, F_, false);
    Field rhs(full_f.size());
    for (std::size_t i = 0; i < rhs.size(); ++i) {
      rhs[i] = mad_f[i] + mad_p[i] / (2 * c.mu_lagrange * p_[i]);
    }
    EXPECT_LT(rel_gap(full_f, rhs), kTol);
  }
}

TEST_F(T5_1, ColeHopfPairForNonZeroDiffusion) {
  // Euclidean regime (γ/μ > 4D): φ = √p e^{F̃/ħ_E}, φ̂ = √p e^{−F̃/ħ_E}, ħ_E² = 1/μ² − 4D/(γμ).
  // For ANY fields (p, F):
  //   (∂_tφ + γħ_E∇²φ + Vφ/ħ_E)/φ  =  full(30)/μ / ħ_E + (ħ_Eμ − 1)/(2ħ_Eμ) · full(32)/p,
  //   (∂_tφ̂ − γħ_E∇²φ̂ − Vφ̂/ħ_E)/φ̂ = −full(30)/μ / ħ_E + (ħ_Eμ + 1)/(2ħ_Eμ) · full(32)/p,
  // so a solution of the full system gives the two linear heat equations and back (sympy:
  // the same combination). D = 0 is spec §5 (ħ_E = 1/μ, φ = e^{μF}).
  for (const Constants c :
       {Constants{0.05, 0.5, 1.0}, Constants{0.0, 0.5, 1.0}, Constants{0.1, -0.6, 0.8}}) {
    ASSERT_EQ(regime(c), Regime::euclidean);
    const EuclideanConstants e = euclidean_constants(c);
    const double h = e.hbar_e, mu = c.mu_lagrange;
    EXPECT_NEAR(h * h, 1 / (mu * mu) - 4 * c.diffusion / (c.gamma * mu), 1e-15);
    EXPECT_GT(e.kappa, 0.0);
    if (c.diffusion == 0.0) {
      EXPECT_NEAR(h, 1 / mu, 1e-15);
    }
    Field F(F_.size()), phi(F_.size()), phih(F_.size());
    for (std::size_t i = 0; i < F.size(); ++i) {
      F[i] = F_[i] + std::log(p_[i]) / (2 * mu);  // F_ plays F̃
      phi[i] = std::sqrt(p_[i]) * std::exp(F_[i] / h);
      phih[i] = std::sqrt(p_[i]) * std::exp(-F_[i] / h);
    }
    const Field full_p = cont(c, p_, F, true), full_f = hj(c, p_, F, true);
    const Field phit = d(phi, 0), lphi = lap(phi), phiht = d(phih, 0), lphih = lap(phih);
    Field r1(F.size()), r2(F.size()), e1(F.size()), e2(F.size());
    for (std::size_t i = 0; i < F.size(); ++i) {
      r1[i] = (phit[i] + c.gamma * h * lphi[i] + V_[i] * phi[i] / h) / phi[i];
      r2[i] = (phiht[i] - c.gamma * h * lphih[i] - V_[i] * phih[i] / h) / phih[i];
      e1[i] = full_f[i] / h + (h * mu - 1) / (2 * h * mu) * full_p[i] / p_[i];
      e2[i] = -full_f[i] / h + (h * mu + 1) / (2 * h * mu) * full_p[i] / p_[i];
    }
    EXPECT_LT(rel_gap(r1, e1), kTol) << "D = " << c.diffusion;
    EXPECT_LT(rel_gap(r2, e2), kTol) << "D = " << c.diffusion;
    // p = φφ̂ and F = (ħ_E/2) log(φ/φ̂) + log p/(2μ), as bridge_fields reconstructs them.
    const BridgeFields bf = bridge_fields(c, phi, phih);
    EXPECT_LT(rel_gap(bf.p, p_), kTol);
    EXPECT_LT(rel_gap(bf.F, F), kTol);
  }
}

TEST_F(T5_1, ActionThirtySixIsTwentyEightWithoutTheBoxedTerm) {
  // Pointwise: Re[4D∇Ψ·∇Ψ* + μV|Ψ|² − i k Ψ*∂_tΨ] = (28) − γp∇²F and Im[…] = −(k/2)∂_tp, with
  // Ψ = √p e^{icF}, c = √(γμ/4D), k = √(4Dμ/γ) (4Dc² = μγ, kc = μ).
  const Constants c = kDefault;
  const QuantumMap m = quantum_map(c, Form::corrected, false);
  const double k = std::sqrt(4 * c.diffusion * c.mu_lagrange / c.gamma);
  const CField psi = psi_from_madelung(p_, F_, m);
  const CField pt = cd(psi, 0), p1 = cd(psi, 1), p2 = cd(psi, 2);
  const Field r = sqrt_of(p_), gr = grad2(r), ft = d(F_, 0), g2 = grad2(F_), dpt = d(p_, 0);
  Field re(psi.size()), im(psi.size()), l28(psi.size()), ipt(psi.size());
  const double mu = c.mu_lagrange;
  for (std::size_t i = 0; i < psi.size(); ++i) {
    const core::Complex l =
        4 * c.diffusion * (p1[i] * std::conj(p1[i]) + p2[i] * std::conj(p2[i])) +
        mu * V_[i] * std::norm(psi[i]) - core::Complex(0, k) * std::conj(psi[i]) * pt[i];
    re[i] = l.real();
    im[i] = l.imag();
    l28[i] = 4 * c.diffusion * gr[i] + mu * p_[i] * ft[i] + mu * c.gamma * p_[i] * g2[i] +
             mu * V_[i] * p_[i];
    ipt[i] = -k / 2 * dpt[i];
  }
  EXPECT_LT(rel_gap(re, l28), kTol);
  EXPECT_LT(rel_gap(im, ipt), kTol);
}

}  // namespace
}  // namespace nnworld::trainable
