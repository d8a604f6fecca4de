#pragma once
// Sec. 9, Eqs. (89)–(96): the Onsager form of the entropy production, pointwise at a metric jet.
//
//   geometry::ArrayJet<long double> j;  j.dim = 3;  j.g[a][b] = …;  j.dg[a][b][c] = ∂_c g_ab;
//   j.ddg[a][b][c][d] = ∂_c ∂_d g_ab;
//   const auto p = geometry::onsager_point(j);   // R, L_ΓΓ, L_(91), I₁…I₄, w^μ, ∂_μ w^μ, √g
//
// Index conventions: Γ_{abc} = ½(g_{ab,c} + g_{ac,b} − g_{bc,a}), Γ^a_{bc} = g^{ae}Γ_{ebc}
// (93); Ricci (96) in MTW conventions (the unit sphere has R > 0). The formulas hold for any
// signature; the determinant enters only as √|g|.
//
// The paper's printed Onsager tensor (91) does NOT give the Einstein–Hilbert term
// (spec.md §0 item 10). The correct ΓΓ form is L_ΓΓ = ¼(2I₄ − I₁ + I₂ − 2I₃); the printed one is
// L_(91) = ¼(2I₄ − I₁ − I₂), and L_ΓΓ − L_(91) = ½(I₂ − I₃) is not a null Lagrangian.
//
// Every function is a template on the scalar type, instantiated for double and long double.
#include <array>
#include <cstdint>

namespace nnworld::geometry {

inline constexpr int kMaxJetDim = 6;

template <class T>
using JetMatrix = std::array<std::array<T, kMaxJetDim>, kMaxJetDim>;  // [a][b]
template <class T>
using JetRank3 = std::array<JetMatrix<T>, kMaxJetDim>;  // [a][b][c]
template <class T>
using JetRank4 = std::array<JetRank3<T>, kMaxJetDim>;  // [a][b][c][d]
template <class T>
using JetVector = std::array<T, kMaxJetDim>;

// A 2-jet of a metric at one point, in dim = 2..6 dimensions (entries beyond dim are unused).
// The arrays must be symmetric in (a, b), and ddg also in (c, d).
template <class T>
struct ArrayJet {
  int dim = 0;
  JetMatrix<T> g{};   // g_ab
  JetRank3<T> dg{};   // dg[a][b][c] = ∂_c g_ab
  JetRank4<T> ddg{};  // ddg[a][b][c][d] = ∂_c ∂_d g_ab (only needed for R and ∂_μ w^μ)
};

// The four quadratic invariants of the first derivatives (spec §8), all indices raised with g⁻¹:
//   I₁ = g^{μν}g^{αγ}g^{βδ} g_{αβ,μ}g_{γδ,ν}   (|∂g|²)
//   I₂ = g^{μν}g^{αβ}g^{γδ} g_{αβ,μ}g_{γδ,ν}   (trace–trace)
//   I₃ = g^{αν}g^{βμ}g^{γδ} g_{αβ,μ}g_{γδ,ν}   (divergence–trace)
//   I₄ = g^{αγ}g^{βν}g^{μδ} g_{αβ,μ}g_{γδ,ν}   (cross)
template <class T>
struct QuadraticInvariants {
  T i1{}, i2{}, i3{}, i4{};
};

template <class T>
struct ChristoffelSymbols {
  JetRank3<T> lower{};  // Γ_{abc} = ½(g_{ab,c} + g_{ac,b} − g_{bc,a})
  JetRank3<T> upper{};  // Γ^a_{bc} = g^{ae} Γ_{ebc}                     (93)
};

// Everything of Sec. 9 at one point.
template <class T>
struct OnsagerPoint {
  T sqrt_g{};        // √|det g|
  T ricci_scalar{};  // R = g^{μν}R_{μν}, (96)
  T l_gamma_gamma{};  // g^{μν}(Γ^α_{μβ}Γ^β_{να} − Γ^α_{μν}Γ^β_{αβ}) (Γ products)
  T l_gamma_gamma_invariants{};  // ¼(2I₄ − I₁ + I₂ − 2I₃)
  T l_onsager_printed{};         // ¼(2I₄ − I₁ − I₂), the paper's (91)
  QuadraticInvariants<T> invariants;
  JetVector<T> w{};            // w^μ = g^{αβ}Γ^μ_{αβ} − g^{μα}Γ^β_{αβ}
  T w_divergence{};            // ∂_μ w^μ
  JetVector<T> d_ln_sqrt_g{};  // ∂_μ ln√|g| = ½ g^{αβ} g_{αβ,μ}
  T w_dot_d_ln_sqrt_g{};       // w^μ ∂_μ ln√|g|
};

// Which Onsager tensor (91) to contract.
enum class OnsagerForm {
  gamma_gamma,  // ¼[2g^{αγ}g^{βν}g^{μδ} − g^{αγ}g^{βδ}g^{μν} + g^{αβ}g^{γδ}g^{μν} −
                // 2g^{αν}g^{βμ}g^{γδ}]
  printed_91,  // ¼[2g^{αγ}g^{βν}g^{μδ} − g^{αγ}g^{βδ}g^{μν} − g^{αβ}g^{γδ}g^{μν}]  (paper (91))
};

// g⁻¹ by Gauss–Jordan elimination with partial pivoting. Throws nnworld::Error for dim outside
// 2..6 or a singular metric.
template <class T>
[[nodiscard]] JetMatrix<T> inverse_metric(const ArrayJet<T>& jet);

// det g_ab (LU with partial pivoting).
template <class T>
[[nodiscard]] T metric_determinant(const ArrayJet<T>& jet);

// (93) Γ_{abc} = ½(g_{ab,c} + g_{ac,b} − g_{bc,a}),  Γ^a_{bc} = g^{ae}Γ_{ebc}.
template <class T>
[[nodiscard]] ChristoffelSymbols<T> christoffel(const ArrayJet<T>& jet, const JetMatrix<T>& g_inv);

// I₁…I₄ as defined above, computed through the fully raised derivative
// D^{abm} = g^{ac}g^{bd}g^{mn} g_{cd,n}:  I₁ = g_{ab,m}D^{abm},  I₄ = g_{ab,m}D^{amb},
// I₂ = g^{mn} t_m t_n,  I₃ = u^n t_n  with  t_m = g^{ab}g_{ab,m},  u^n = g_{bm} D^{nbm}.
template <class T>
[[nodiscard]] QuadraticInvariants<T> quadratic_invariants(const ArrayJet<T>& jet,
                                                          const JetMatrix<T>& g_inv);

// Correct ΓΓ form of (89)–(92) from the invariants: L_ΓΓ = ¼(2I₄ − I₁ + I₂ − 2I₃).
template <class T>
[[nodiscard]] constexpr T l_gamma_gamma_from_invariants(const QuadraticInvariants<T>& q) {
  return T(0.25) * (T(2) * q.i4 - q.i1 + q.i2 - T(2) * q.i3);
}

// The paper's printed Onsager form (91): L_(91) = ¼(2I₄ − I₁ − I₂).
template <class T>
[[nodiscard]] constexpr T l_onsager_printed(const QuadraticInvariants<T>& q) {
  return T(0.25) * (T(2) * q.i4 - q.i1 - q.i2);
}

// L_ΓΓ = g^{μν}(Γ^α_{μβ}Γ^β_{να} − Γ^α_{μν}Γ^β_{αβ}), directly from the Christoffel symbols.
template <class T>
[[nodiscard]] T l_gamma_gamma(const JetMatrix<T>& g_inv, const ChristoffelSymbols<T>& gamma,
                              int dim);

// Ricci tensor (96): R_{μν} = ∂_αΓ^α_{νμ} − ∂_μΓ^α_{να} + Γ^β_{νμ}Γ^α_{αβ} − Γ^β_{να}Γ^α_{μβ},
// with ∂_dΓ^a_{bc} = ∂_d g^{ae} Γ_{ebc} + g^{ae} ∂_dΓ_{ebc}, ∂_d g^{ae} = −g^{ai}g_{ij,d}g^{je}.
template <class T>
[[nodiscard]] JetMatrix<T> ricci_tensor(const ArrayJet<T>& jet);

// R = g^{μν}R_{μν} with R_{μν} from (96).
template <class T>
[[nodiscard]] T ricci_scalar(const ArrayJet<T>& jet);

// One entry of the Onsager tensor L^{μναβγδ} of (91) (without the density factor √|g|), in the
// form selected by `form` (see OnsagerForm for the formula as coded).
template <class T>
[[nodiscard]] T onsager_tensor(const JetMatrix<T>& g_inv, OnsagerForm form, int mu, int nu,
                               int alpha, int beta, int gamma, int delta);

// (89)/(92) integrand: √|g| L^{μναβγδ} g_{αβ,μ} g_{γδ,ν}, summed over all six indices (dim⁶
// terms; independent of quadratic_invariants). For gamma_gamma it equals √|g| L_ΓΓ, for
// printed_91 it equals √|g| L_(91).
template <class T>
[[nodiscard]] T onsager_contraction(const ArrayJet<T>& jet, OnsagerForm form);

// All Sec. 9 quantities at one point (see OnsagerPoint). Uses ddg for R and ∂_μ w^μ:
//   w^μ = g^{αβ}Γ^μ_{αβ} − g^{μα}Γ^β_{αβ},
//   ∂_μ w^μ = ∂_μg^{αβ} Γ^μ_{αβ} + g^{αβ}∂_μΓ^μ_{αβ} − ∂_μg^{μα} Γ^β_{αβ} − g^{μα}∂_μΓ^β_{αβ},
// so that R = L_ΓΓ + ∂_μ w^μ + w^μ ∂_μ ln√|g|, i.e. √|g|R = √|g|L_ΓΓ + ∂_μ(√|g| w^μ).
template <class T>
[[nodiscard]] OnsagerPoint<T> onsager_point(const ArrayJet<T>& jet);

// Same as onsager_point without R and ∂_μ w^μ (ddg unused): the first-derivative quantities.
template <class T>
[[nodiscard]] OnsagerPoint<T> onsager_point_first_order(const ArrayJet<T>& jet);

// Cohomogeneity-one metric g = diag(e^{2f₀(z)}, e^{2f₁(z)}, e^{2f₂(z)}, e^{2f₃(z)}) on R × T³
// (f₀ = C, f_i = A_i), coordinates (z, x₁, x₂, x₃); only z-derivatives are non-zero:
//   g_aa = e^{2f_a},  ∂_z g_aa = 2f_a′ e^{2f_a},  ∂_z² g_aa = (2f_a″ + 4f_a′²) e^{2f_a}.
template <class T>
[[nodiscard]] ArrayJet<T> diagonal_z_jet(const std::array<T, 4>& f, const std::array<T, 4>& df,
                                         const std::array<T, 4>& ddf);

// The reduced 1-D Lagrangians (densities per unit x-volume) of that metric, evaluated through
// the jet functions above: √g R, √g L_ΓΓ and √g L_(91) as functions of (f, f′, f″).
template <class T>
struct ReducedLagrangians {
  T sqrt_g_r{};
  T sqrt_g_l_gamma_gamma{};
  T sqrt_g_l_onsager_printed{};
};
template <class T>
[[nodiscard]] ReducedLagrangians<T> diagonal_z_lagrangians(const std::array<T, 4>& f,
                                                           const std::array<T, 4>& df,
                                                           const std::array<T, 4>& ddf);

}  // namespace nnworld::geometry
