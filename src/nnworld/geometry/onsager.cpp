#include "nnworld/geometry/onsager.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <string>
#include <utility>

#include "nnworld/core/error.hpp"

namespace nnworld::geometry {

namespace {

void check_dim(int dim, const char* where) {
  if (dim < 2 || dim > kMaxJetDim) {
    throw Error(where, "metric jet dimension " + std::to_string(dim), "2..6");
  }
}

// ∂_d g^{ae} = −g^{ai} g_{ij,d} g^{je}, stored [a][e][d].
template <class T>
JetRank3<T> inverse_metric_derivative(const ArrayJet<T>& jet, const JetMatrix<T>& gi) {
  const int n = jet.dim;
  JetRank3<T> out{};
  for (int d = 0; d < n; ++d) {
    JetMatrix<T> tmp{};  // tmp[i][e] = g_{ij,d} g^{je}
    for (int i = 0; i < n; ++i)
      for (int e = 0; e < n; ++e) {
        T s{};
        for (int j = 0; j < n; ++j) s += jet.dg[i][j][d] * gi[j][e];
        tmp[i][e] = s;
      }
    for (int a = 0; a < n; ++a)
      for (int e = 0; e < n; ++e) {
        T s{};
        for (int i = 0; i < n; ++i) s += gi[a][i] * tmp[i][e];
        out[a][e][d] = -s;
      }
  }
  return out;
}

// ∂_dΓ^a_{bc} = ∂_d g^{ae} Γ_{ebc} + g^{ae} ∂_dΓ_{ebc},  ∂_dΓ_{ebc} = ½(g_{eb,cd} + g_{ec,bd} −
// g_{bc,ed}); stored [a][b][c][d].
template <class T>
JetRank4<T> christoffel_derivative(const ArrayJet<T>& jet, const JetMatrix<T>& gi,
                                   const JetRank3<T>& dgi, const ChristoffelSymbols<T>& gam) {
  const int n = jet.dim;
  // Only the entries below dim are written (and read); no zero fill of the 6⁴ array.
  JetRank4<T> out;
  JetVector<T> d_lower{};  // ∂_dΓ_{ebc} for e = 0..n−1 at fixed (b, c, d)
  for (int b = 0; b < n; ++b)
    for (int c = 0; c < n; ++c)
      for (int d = 0; d < n; ++d) {
        for (int e = 0; e < n; ++e)
          d_lower[e] = T(0.5) * (jet.ddg[e][b][c][d] + jet.ddg[e][c][b][d] - jet.ddg[b][c][e][d]);
        for (int a = 0; a < n; ++a) {
          T s{};
          for (int e = 0; e < n; ++e)
            s += dgi[a][e][d] * gam.lower[e][b][c] + gi[a][e] * d_lower[e];
          out[a][b][c][d] = s;
        }
      }
  return out;
}

template <class T>
JetMatrix<T> ricci_from(const ArrayJet<T>& jet, const ChristoffelSymbols<T>& gam,
                        const JetRank4<T>& dgam) {
  const int n = jet.dim;
  JetMatrix<T> ric{};
  for (int m = 0; m < n; ++m)
    for (int v = 0; v < n; ++v) {
      T s{};
      for (int a = 0; a < n; ++a) {
        s += dgam[a][v][m][a] - dgam[a][v][a][m];
        for (int b = 0; b < n; ++b)
          s += gam.upper[b][v][m] * gam.upper[a][a][b] - gam.upper[b][v][a] * gam.upper[a][m][b];
      }
      ric[m][v] = s;
    }
  return ric;
}

template <class T>
T trace_with(const JetMatrix<T>& gi, const JetMatrix<T>& m, int n) {
  T s{};
  for (int a = 0; a < n; ++a)
    for (int b = 0; b < n; ++b) s += gi[a][b] * m[a][b];
  return s;
}

template <class T>
T abs_value(T x) {
  return x < T(0) ? -x : x;
}

}  // namespace

template <class T>
JetMatrix<T> inverse_metric(const ArrayJet<T>& jet) {
  check_dim(jet.dim, "geometry::inverse_metric");
  const int n = jet.dim;
  JetMatrix<T> a = jet.g;
  JetMatrix<T> inv{};
  for (int i = 0; i < n; ++i) inv[i][i] = T(1);
  T scale{};
  for (int i = 0; i < n; ++i)
    for (int j = 0; j < n; ++j) scale = std::max(scale, abs_value(a[i][j]));
  for (int col = 0; col < n; ++col) {
    int piv = col;
    for (int r = col + 1; r < n; ++r)
      if (abs_value(a[r][col]) > abs_value(a[piv][col])) piv = r;
    if (!(abs_value(a[piv][col]) > scale * std::numeric_limits<T>::epsilon())) {
      throw Error("geometry::inverse_metric", "singular metric", "det g ≠ 0");
    }
    std::swap(a[piv], a[col]);
    std::swap(inv[piv], inv[col]);
    const T p = a[col][col];
    for (int j = 0; j < n; ++j) {
      a[col][j] /= p;
      inv[col][j] /= p;
    }
    for (int r = 0; r < n; ++r) {
      if (r == col) continue;
      const T f = a[r][col];
      if (f == T(0)) continue;
      for (int j = 0; j < n; ++j) {
        a[r][j] -= f * a[col][j];
        inv[r][j] -= f * inv[col][j];
      }
    }
  }
  return inv;
}

template <class T>
T metric_determinant(const ArrayJet<T>& jet) {
  check_dim(jet.dim, "geometry::metric_determinant");
  const int n = jet.dim;
  JetMatrix<T> a = jet.g;
  T det(1);
  for (int col = 0; col < n; ++col) {
    int piv = col;
    for (int r = col + 1; r < n; ++r)
      if (abs_value(a[r][col]) > abs_value(a[piv][col])) piv = r;
    if (a[piv][col] == T(0)) return T(0);
    if (piv != col) {
      std::swap(a[piv], a[col]);
      det = -det;
    }
    det *= a[col][col];
    for (int r = col + 1; r < n; ++r) {
      const T f = a[r][col] / a[col][col];
      for (int j = col; j < n; ++j) a[r][j] -= f * a[col][j];
    }
  }
  return det;
}

template <class T>
ChristoffelSymbols<T> christoffel(const ArrayJet<T>& jet, const JetMatrix<T>& gi) {
  const int n = jet.dim;
  ChristoffelSymbols<T> out;
  for (int a = 0; a < n; ++a)
    for (int b = 0; b < n; ++b)
      for (int c = 0; c < n; ++c)
        out.lower[a][b][c] = T(0.5) * (jet.dg[a][b][c] + jet.dg[a][c][b] - jet.dg[b][c][a]);
  for (int a = 0; a < n; ++a)
    for (int b = 0; b < n; ++b)
      for (int c = 0; c < n; ++c) {
        T s{};
        for (int e = 0; e < n; ++e) s += gi[a][e] * out.lower[e][b][c];
        out.upper[a][b][c] = s;
      }
  return out;
}

template <class T>
QuadraticInvariants<T> quadratic_invariants(const ArrayJet<T>& jet, const JetMatrix<T>& gi) {
  const int n = jet.dim;
  // Raise the three indices of g_{cd,n} one at a time: D^{abm} = g^{ac}g^{bd}g^{mn} g_{cd,n}.
  JetRank3<T> r1{}, r2{}, up{};
  for (int a = 0; a < n; ++a)
    for (int d = 0; d < n; ++d)
      for (int k = 0; k < n; ++k) {
        T s{};
        for (int c = 0; c < n; ++c) s += gi[a][c] * jet.dg[c][d][k];
        r1[a][d][k] = s;
      }
  for (int a = 0; a < n; ++a)
    for (int b = 0; b < n; ++b)
      for (int k = 0; k < n; ++k) {
        T s{};
        for (int d = 0; d < n; ++d) s += gi[b][d] * r1[a][d][k];
        r2[a][b][k] = s;
      }
  for (int a = 0; a < n; ++a)
    for (int b = 0; b < n; ++b)
      for (int m = 0; m < n; ++m) {
        T s{};
        for (int k = 0; k < n; ++k) s += gi[m][k] * r2[a][b][k];
        up[a][b][m] = s;
      }
  JetVector<T> t{}, u{};  // t_m = g^{ab} g_{ab,m};  u^n = g_{bm} D^{nbm} = g^{αn}g^{βμ}g_{αβ,μ}
  for (int m = 0; m < n; ++m) {
    T s{};
    for (int a = 0; a < n; ++a)
      for (int b = 0; b < n; ++b) s += gi[a][b] * jet.dg[a][b][m];
    t[m] = s;
  }
  for (int v = 0; v < n; ++v) {
    T s{};
    for (int b = 0; b < n; ++b)
      for (int m = 0; m < n; ++m) s += jet.g[b][m] * up[v][b][m];
    u[v] = s;
  }
  QuadraticInvariants<T> q;
  for (int a = 0; a < n; ++a)
    for (int b = 0; b < n; ++b)
      for (int m = 0; m < n; ++m) {
        q.i1 += jet.dg[a][b][m] * up[a][b][m];
        q.i4 += jet.dg[a][b][m] * up[a][m][b];
      }
  for (int m = 0; m < n; ++m) {
    for (int v = 0; v < n; ++v) q.i2 += gi[m][v] * t[m] * t[v];
    q.i3 += u[m] * t[m];
  }
  return q;
}

template <class T>
T l_gamma_gamma(const JetMatrix<T>& gi, const ChristoffelSymbols<T>& gam, int n) {
  // g^{μν}(Γ^α_{μβ}Γ^β_{να} − Γ^α_{μν}Γ^β_{αβ})
  JetVector<T> contracted{};  // Γ^β_{αβ}
  for (int a = 0; a < n; ++a)
    for (int b = 0; b < n; ++b) contracted[a] += gam.upper[b][a][b];
  T s{};
  for (int m = 0; m < n; ++m)
    for (int v = 0; v < n; ++v) {
      T inner{};
      for (int a = 0; a < n; ++a) {
        for (int b = 0; b < n; ++b) inner += gam.upper[a][m][b] * gam.upper[b][v][a];
        inner -= gam.upper[a][m][v] * contracted[a];
      }
      s += gi[m][v] * inner;
    }
  return s;
}

template <class T>
JetMatrix<T> ricci_tensor(const ArrayJet<T>& jet) {
  const JetMatrix<T> gi = inverse_metric(jet);
  const ChristoffelSymbols<T> gam = christoffel(jet, gi);
  const JetRank3<T> dgi = inverse_metric_derivative(jet, gi);
  return ricci_from(jet, gam, christoffel_derivative(jet, gi, dgi, gam));
}

template <class T>
T ricci_scalar(const ArrayJet<T>& jet) {
  const JetMatrix<T> gi = inverse_metric(jet);
  const ChristoffelSymbols<T> gam = christoffel(jet, gi);
  const JetRank3<T> dgi = inverse_metric_derivative(jet, gi);
  return trace_with(gi, ricci_from(jet, gam, christoffel_derivative(jet, gi, dgi, gam)), jet.dim);
}

template <class T>
T onsager_tensor(const JetMatrix<T>& g, OnsagerForm form, int mu, int nu, int al, int be, int ga,
                 int de) {
  const T cross = T(2) * g[al][ga] * g[be][nu] * g[mu][de];  // 2g^{αγ}g^{βν}g^{μδ}
  const T square = g[al][ga] * g[be][de] * g[mu][nu];        // g^{αγ}g^{βδ}g^{μν}
  const T trace = g[al][be] * g[ga][de] * g[mu][nu];         // g^{αβ}g^{γδ}g^{μν}
  if (form == OnsagerForm::printed_91) return T(0.25) * (cross - square - trace);
  const T div_trace = T(2) * g[al][nu] * g[be][mu] * g[ga][de];  // 2g^{αν}g^{βμ}g^{γδ}
  return T(0.25) * (cross - square + trace - div_trace);
}

template <class T>
T onsager_contraction(const ArrayJet<T>& jet, OnsagerForm form) {
  const int n = jet.dim;
  const JetMatrix<T> gi = inverse_metric(jet);
  using std::sqrt;
  const T sqrt_g = sqrt(abs_value(metric_determinant(jet)));
  T s{};
  for (int mu = 0; mu < n; ++mu)
    for (int nu = 0; nu < n; ++nu)
      for (int al = 0; al < n; ++al)
        for (int be = 0; be < n; ++be) {
          const T left = jet.dg[al][be][mu];
          if (left == T(0)) continue;
          for (int ga = 0; ga < n; ++ga)
            for (int de = 0; de < n; ++de)
              s += onsager_tensor(gi, form, mu, nu, al, be, ga, de) * left * jet.dg[ga][de][nu];
        }
  return sqrt_g * s;
}

namespace {

template <class T>
OnsagerPoint<T> point_impl(const ArrayJet<T>& jet, bool second_order) {
  const int n = jet.dim;
  const JetMatrix<T> gi = inverse_metric(jet);
  const ChristoffelSymbols<T> gam = christoffel(jet, gi);
  OnsagerPoint<T> p;
  using std::sqrt;
  p.sqrt_g = sqrt(abs_value(metric_determinant(jet)));
  p.invariants = quadratic_invariants(jet, gi);
  p.l_gamma_gamma = l_gamma_gamma(gi, gam, n);
  p.l_gamma_gamma_invariants = l_gamma_gamma_from_invariants(p.invariants);
  p.l_onsager_printed = l_onsager_printed(p.invariants);
  JetVector<T> contracted{};  // Γ^β_{αβ}
  for (int a = 0; a < n; ++a)
    for (int b = 0; b < n; ++b) contracted[a] += gam.upper[b][a][b];
  for (int m = 0; m < n; ++m) {
    T s{};
    for (int a = 0; a < n; ++a)
      for (int b = 0; b < n; ++b) s += gi[a][b] * gam.upper[m][a][b];
    for (int a = 0; a < n; ++a) s -= gi[m][a] * contracted[a];
    p.w[m] = s;
    T t{};
    for (int a = 0; a < n; ++a)
      for (int b = 0; b < n; ++b) t += gi[a][b] * jet.dg[a][b][m];
    p.d_ln_sqrt_g[m] = T(0.5) * t;
  }
  for (int m = 0; m < n; ++m) p.w_dot_d_ln_sqrt_g += p.w[m] * p.d_ln_sqrt_g[m];
  if (!second_order) return p;
  const JetRank3<T> dgi = inverse_metric_derivative(jet, gi);
  const JetRank4<T> dgam = christoffel_derivative(jet, gi, dgi, gam);
  p.ricci_scalar = trace_with(gi, ricci_from(jet, gam, dgam), n);
  // ∂_μ w^μ = ∂_μg^{αβ} Γ^μ_{αβ} + g^{αβ}∂_μΓ^μ_{αβ} − ∂_μg^{μα} Γ^β_{αβ} − g^{μα}∂_μΓ^β_{αβ}
  T div{};
  for (int m = 0; m < n; ++m)
    for (int a = 0; a < n; ++a) {
      for (int b = 0; b < n; ++b) {
        div += dgi[a][b][m] * gam.upper[m][a][b] + gi[a][b] * dgam[m][a][b][m];
        div -= dgi[m][a][m] * gam.upper[b][a][b] + gi[m][a] * dgam[b][a][b][m];
      }
    }
  p.w_divergence = div;
  return p;
}

}  // namespace

template <class T>
OnsagerPoint<T> onsager_point(const ArrayJet<T>& jet) {
  return point_impl(jet, true);
}

template <class T>
OnsagerPoint<T> onsager_point_first_order(const ArrayJet<T>& jet) {
  return point_impl(jet, false);
}

template <class T>
ArrayJet<T> diagonal_z_jet(const std::array<T, 4>& f, const std::array<T, 4>& df,
                           const std::array<T, 4>& ddf) {
  using std::exp;
  ArrayJet<T> j;
  j.dim = 4;
  for (int a = 0; a < 4; ++a) {
    const T e = exp(T(2) * f[a]);
    j.g[a][a] = e;
    j.dg[a][a][0] = T(2) * df[a] * e;
    j.ddg[a][a][0][0] = (T(2) * ddf[a] + T(4) * df[a] * df[a]) * e;
  }
  return j;
}

template <class T>
ReducedLagrangians<T> diagonal_z_lagrangians(const std::array<T, 4>& f, const std::array<T, 4>& df,
                                             const std::array<T, 4>& ddf) {
  const OnsagerPoint<T> p = onsager_point(diagonal_z_jet(f, df, ddf));
  return {p.sqrt_g * p.ricci_scalar, p.sqrt_g * p.l_gamma_gamma, p.sqrt_g * p.l_onsager_printed};
}

#define NNWORLD_GEOMETRY_ONSAGER_INSTANTIATE(T)                                                  \
  template JetMatrix<T> inverse_metric(const ArrayJet<T>&);                                      \
  template T metric_determinant(const ArrayJet<T>&);                                             \
  template ChristoffelSymbols<T> christoffel(const ArrayJet<T>&, const JetMatrix<T>&);           \
  template QuadraticInvariants<T> quadratic_invariants(const ArrayJet<T>&, const JetMatrix<T>&); \
  template T l_gamma_gamma(const JetMatrix<T>&, const ChristoffelSymbols<T>&, int);              \
  template JetMatrix<T> ricci_tensor(const ArrayJet<T>&);                                        \
  template T ricci_scalar(const ArrayJet<T>&);                                                   \
  template T onsager_tensor(const JetMatrix<T>&, OnsagerForm, int, int, int, int, int, int);     \
  template T onsager_contraction(const ArrayJet<T>&, OnsagerForm);                               \
  template OnsagerPoint<T> onsager_point(const ArrayJet<T>&);                                    \
  template OnsagerPoint<T> onsager_point_first_order(const ArrayJet<T>&);                        \
  template ArrayJet<T> diagonal_z_jet(const std::array<T, 4>&, const std::array<T, 4>&,          \
                                      const std::array<T, 4>&);                                  \
  template ReducedLagrangians<T> diagonal_z_lagrangians(                                         \
      const std::array<T, 4>&, const std::array<T, 4>&, const std::array<T, 4>&);

NNWORLD_GEOMETRY_ONSAGER_INSTANTIATE(double)
NNWORLD_GEOMETRY_ONSAGER_INSTANTIATE(long double)

#undef NNWORLD_GEOMETRY_ONSAGER_INSTANTIATE

}  // namespace nnworld::geometry
