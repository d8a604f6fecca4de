#include "nnworld/geometry/grid_curvature.hpp"

#include <algorithm>
#include <cmath>
#include <numbers>
#include <string>

#include "nnworld/core/error.hpp"
#include "nnworld/geometry/curvature.hpp"
#include "nnworld/geometry/onsager.hpp"

namespace nnworld::geometry {

namespace {

using Field = std::vector<double>;

std::size_t packed(int n, int a, int b) {
  return static_cast<std::size_t>(component_index(n, a, b));
}

void check_metric(const GridMetric& m, const char* where) {
  const int n = m.n;
  if (n < 2 || n > max_dimension) {
    throw Error(where, "metric dimension " + std::to_string(n), "2..6");
  }
  if (m.grid.dims < 1 || m.grid.dims > 3 || m.grid.dims > n) {
    throw Error(where, "grid dimension " + std::to_string(m.grid.dims),
                "1..3 and at most the metric dimension " + std::to_string(n));
  }
  if (m.grid.boundary != core::Boundary::periodic) throw Error(where, "grid is not periodic");
  const auto want = static_cast<std::size_t>(n * (n + 1) / 2);
  if (m.components.size() != want) {
    throw Error(where, std::to_string(m.components.size()) + " metric components",
                std::to_string(want) + " (n(n+1)/2)");
  }
  for (const auto& c : m.components) {
    if (c.size() != static_cast<std::size_t>(m.grid.size())) {
      throw Error(where, "metric component size differs from the grid size");
    }
  }
}

// Spectral derivatives of real periodic fields on fft.grid(): wavenumbers per flat index with
// the Nyquist mode of an even axis set to zero (so derivatives of real fields stay real, as
// core::spectral_gradient), and the 2/3-rule mask.
class Spectral {
 public:
  explicit Spectral(const core::Fft& fft) : fft_(fft) {
    const core::Grid& grid = fft.grid();
    const int d = grid.dims;
    const auto size = static_cast<std::size_t>(grid.size());
    k_.assign(static_cast<std::size_t>(d), Field(size));
    keep_.assign(size, 1);
    for (std::int64_t i = 0; i < grid.size(); ++i) {
      const auto idx = grid.unflatten(i);
      for (int a = 0; a < d; ++a) {
        const std::int64_t j = idx[static_cast<std::size_t>(a)];
        const double k = fft.k(a)[static_cast<std::size_t>(j)];
        const bool nyquist = grid.points[a] % 2 == 0 && j == grid.points[a] / 2;
        k_[static_cast<std::size_t>(a)][static_cast<std::size_t>(i)] = nyquist ? 0.0 : k;
        // mode number |m| = |k| L / π; removed if |m| > N/3
        const double m = std::abs(k * grid.extent[a] / std::numbers::pi);
        if (3.0 * m > static_cast<double>(grid.points[a])) keep_[static_cast<std::size_t>(i)] = 0;
      }
    }
  }

  // Transform f (forward); every later derivative call differentiates it.
  void load(std::span<const double> f, bool dealias) {
    hat_.resize(f.size());
    for (std::size_t i = 0; i < f.size(); ++i) hat_[i] = core::Complex(f[i], 0.0);
    fft_.forward(hat_);
    if (dealias) {
      for (std::size_t i = 0; i < hat_.size(); ++i) {
        if (!keep_[i]) hat_[i] = core::Complex(0.0, 0.0);
      }
    }
  }
  // ∂_c f  (multiplier i k_c).
  Field first(int c) {
    const Field& kc = k_[static_cast<std::size_t>(c)];
    return apply([&](std::size_t i) { return core::Complex(0.0, kc[i]); });
  }
  // ∂_c∂_e f  (multiplier −k_c k_e).
  Field second(int c, int e) {
    const Field& kc = k_[static_cast<std::size_t>(c)];
    const Field& ke = k_[static_cast<std::size_t>(e)];
    return apply([&](std::size_t i) { return core::Complex(-kc[i] * ke[i], 0.0); });
  }

 private:
  template <class M>
  Field apply(M&& multiplier) {
    work_.resize(hat_.size());
    for (std::size_t i = 0; i < hat_.size(); ++i) work_[i] = multiplier(i) * hat_[i];
    fft_.backward(work_);
    Field out(work_.size());
    for (std::size_t i = 0; i < work_.size(); ++i) out[i] = work_[i].real();
    return out;
  }
  const core::Fft& fft_;
  std::vector<Field> k_;
  std::vector<std::uint8_t> keep_;
  std::vector<core::Complex> hat_, work_;
};

// Index of the unordered derivative pair (c, e), c, e < d, packed like component_index.
std::size_t pair_index(int d, int c, int e) {
  return packed(d, c, e);
}

[[noreturn]] void non_finite(std::int64_t point, const std::string& what) {
  throw Divergence(static_cast<long>(point), what + " (grid point " + std::to_string(point) + ")");
}

}  // namespace

const std::vector<double>& GridMetric::component(int a, int b) const {
  return components[packed(n, a, b)];
}

std::vector<double>& GridMetric::component(int a, int b) {
  return components[packed(n, a, b)];
}

const std::vector<double>& GridCurvature::ricci_component(int a, int b) const {
  return ricci[packed(n, a, b)];
}

const std::vector<double>& GridCurvature::einstein_component(int a, int b) const {
  return einstein[packed(n, a, b)];
}

core::Grid make_periodic_grid(std::span<const std::int64_t> points,
                              std::span<const double> periods) {
  const char* where = "geometry::make_periodic_grid";
  if (points.empty() || points.size() > 3 || periods.size() != points.size()) {
    throw Error(
        where,
        std::to_string(points.size()) + " axes and " + std::to_string(periods.size()) + " periods",
        "1..3 axes, one period per axis");
  }
  std::vector<double> half(periods.size());
  for (std::size_t c = 0; c < points.size(); ++c) {
    if (points[c] < 4) {
      throw Error(where, "points on axis " + std::to_string(c) + ": " + std::to_string(points[c]),
                  "≥ 4");
    }
    if (!(periods[c] > 0.0) || !std::isfinite(periods[c])) {
      throw Error(where, "period of axis " + std::to_string(c) + ": " + std::to_string(periods[c]),
                  "a finite number > 0");
    }
    half[c] = 0.5 * periods[c];
  }
  return core::make_grid(points, half, core::Boundary::periodic);
}

core::Point grid_coordinates(const core::Grid& grid, std::int64_t i) {
  core::Point q = grid.point(i);
  for (int a = 0; a < grid.dims; ++a) q[static_cast<std::size_t>(a)] += grid.extent[a];
  return q;
}

GridMetric constant_grid_metric(const core::Grid& grid, std::span<const double> diagonal) {
  GridMetric m{grid, static_cast<int>(diagonal.size()), {}};
  const int n = m.n;
  if (n < 2 || n > max_dimension) {
    throw Error("geometry::constant_grid_metric", "metric dimension " + std::to_string(n), "2..6");
  }
  m.components.assign(static_cast<std::size_t>(n * (n + 1) / 2),
                      Field(static_cast<std::size_t>(grid.size()), 0.0));
  for (int a = 0; a < n; ++a) {
    std::fill(m.component(a, a).begin(), m.component(a, a).end(),
              diagonal[static_cast<std::size_t>(a)]);
  }
  check_metric(m, "geometry::constant_grid_metric");
  return m;
}

GridMetric sample_metric(const Metric& metric, const core::Grid& grid,
                         std::span<const double> ignorable) {
  const char* where = "geometry::sample_metric";
  const int n = metric.dimension();
  const int d = grid.dims;
  if (d > n) {
    throw Error(where, "grid dimension " + std::to_string(d),
                "at most the metric dimension " + std::to_string(n));
  }
  if (!ignorable.empty() && static_cast<int>(ignorable.size()) != n - d) {
    throw Error(where, std::to_string(ignorable.size()) + " ignorable coordinate values",
                std::to_string(n - d) + " (n − grid dimension) or none");
  }
  std::vector<double> diag(static_cast<std::size_t>(n), 1.0);
  GridMetric m = constant_grid_metric(grid, diag);
  std::vector<double> x(static_cast<std::size_t>(n), 0.0);
  for (int c = d; c < n && !ignorable.empty(); ++c) {
    x[static_cast<std::size_t>(c)] = ignorable[static_cast<std::size_t>(c - d)];
  }
  for (std::int64_t i = 0; i < grid.size(); ++i) {
    const core::Point p = grid_coordinates(grid, i);
    for (int c = 0; c < d; ++c) x[static_cast<std::size_t>(c)] = p[static_cast<std::size_t>(c)];
    const Matrix g = metric(x);  // checked
    for (int a = 0; a < n; ++a)
      for (int b = a; b < n; ++b) m.component(a, b)[static_cast<std::size_t>(i)] = g(a, b);
  }
  return m;
}

GridMetric grid_metric(const TorusMetric& metric) {
  return GridMetric{metric.grid, metric.dim(), metric.components};
}

// Sec. 9, (93)–(96) and (89)–(92) on the grid. Spectral jet: ∂_c g_ab ↔ i k_c ĝ_ab,
// ∂_c∂_e g_ab ↔ −k_c k_e ĝ_ab (c, e < d; zero along ignorable coordinates); christoffel route:
// Γ^a_{bc} = g^{ae}Γ_{ebc} (93) pointwise, ∂_eΓ^a_{bc} ↔ i k_e Γ̂^a_{bc} (2/3 rule optional). Per
// point: Γ, R_μν (96), R = g^{μν}R_μν, G_μν = R_μν − ½Rg_μν, R_{αβγδ}R^{αβγδ}, R_μνR^μν
// (curvature(MetricJet)); √|g|, L_ΓΓ = g^{μν}(Γ^α_{μβ}Γ^β_{να} − Γ^α_{μν}Γ^β_{αβ}),
// L_(91) = ¼(2I₄ − I₁ − I₂) (onsager_point).
GridCurvature grid_curvature(const GridMetric& metric, const core::Fft& fft,
                             const GridCurvatureOptions& options) {
  const char* where = "geometry::grid_curvature";
  check_metric(metric, where);
  const core::Grid& grid = metric.grid;
  {
    const core::Grid& fg = fft.grid();
    if (fg.dims != grid.dims || fg.points != grid.points || fg.extent != grid.extent) {
      throw Error(where, "the FFT grid " + fg.describe() + " differs from the metric's grid",
                  grid.describe());
    }
  }
  const int n = metric.n;
  const int d = grid.dims;
  const int pairs_n = n * (n + 1) / 2;
  const int pairs_d = d * (d + 1) / 2;
  const std::int64_t size = grid.size();
  const auto us = static_cast<std::size_t>(size);
  const bool jet_route = options.route == GridRoute::metric_jet;

  // ---- spectral derivatives of the sampled metric: first[ci][c], second[ci][pair(c, e)] ----
  Spectral spectral(fft);
  std::vector<std::vector<Field>> first(static_cast<std::size_t>(pairs_n));
  std::vector<std::vector<Field>> second(static_cast<std::size_t>(jet_route ? pairs_n : 0));
  for (int ci = 0; ci < pairs_n; ++ci) {
    const auto uci = static_cast<std::size_t>(ci);
    spectral.load(metric.components[uci], false);
    for (int c = 0; c < d; ++c) first[uci].push_back(spectral.first(c));
    if (!jet_route) continue;
    second[uci].resize(static_cast<std::size_t>(pairs_d));
    for (int c = 0; c < d; ++c)
      for (int e = c; e < d; ++e) second[uci][pair_index(d, c, e)] = spectral.second(c, e);
  }

  // The first-order jet at point p (entries with an ignorable derivative index stay zero).
  auto fill_first = [&](ArrayJet<double>& j, std::size_t p) {
    j.dim = n;
    for (int a = 0; a < n; ++a)
      for (int b = 0; b < n; ++b) {
        const std::size_t ci = packed(n, a, b);
        j.g[a][b] = metric.components[ci][p];
        for (int c = 0; c < d; ++c) j.dg[a][b][c] = first[ci][static_cast<std::size_t>(c)][p];
      }
  };

  // A failure inside a parallel loop is recorded (lowest point) and rethrown after it.
  std::int64_t bad_point = -1;
  std::string bad_what;
  auto record = [&](std::int64_t p, const Error& e) {
#pragma omp critical(grid_curvature_error)
    if (bad_point < 0 || p < bad_point) {
      bad_point = p;
      bad_what = e.what_;
    }
  };
  auto rethrow = [&] {
    if (bad_point < 0) return;
    const core::Point x = grid_coordinates(grid, bad_point);
    std::string at = "(";
    for (int c = 0; c < d; ++c) {
      at += (c ? ", " : "") + std::to_string(x[static_cast<std::size_t>(c)]);
    }
    throw Error(
        std::string(where) + " at grid point " + std::to_string(bad_point) + " x = " + at + ")",
        bad_what, "a non-singular metric at every grid point");
  };

  // ---- christoffel route: Γ^a_{bc} pointwise, then ∂_eΓ^a_{bc} by FFT ----
  // gam[a·pairs_n + component_index(n, b, c)], dgam[same][e]
  std::vector<Field> gam;
  std::vector<std::vector<Field>> dgam;
  if (!jet_route) {
    gam.assign(static_cast<std::size_t>(n * pairs_n), Field(us));
#pragma omp parallel
    {
      ArrayJet<double> j;
#pragma omp for schedule(static)
      for (std::int64_t p = 0; p < size; ++p) {
        const auto up = static_cast<std::size_t>(p);
        fill_first(j, up);
        try {
          const ChristoffelSymbols<double> cs = christoffel(j, inverse_metric(j));
          for (int a = 0; a < n; ++a)
            for (int b = 0; b < n; ++b)
              for (int c = b; c < n; ++c) {
                gam[static_cast<std::size_t>(a * pairs_n) + packed(n, b, c)][up] =
                    cs.upper[a][b][c];
              }
        } catch (const Error& e) {
          record(p, e);
        }
      }
    }
    rethrow();
    dgam.resize(gam.size());
    for (std::size_t i = 0; i < gam.size(); ++i) {
      spectral.load(gam[i], options.dealias);
      for (int e = 0; e < d; ++e) dgam[i].push_back(spectral.first(e));
    }
  }

  // Second derivatives of the jet at point p (derivative indices ≥ d stay zero).
  auto fill_second = [&](ArrayJet<double>& j, std::size_t p) {
    if (jet_route) {
      for (int a = 0; a < n; ++a)
        for (int b = 0; b < n; ++b) {
          const std::size_t ci = packed(n, a, b);
          for (int c = 0; c < d; ++c)
            for (int e = 0; e < d; ++e) j.ddg[a][b][c][e] = second[ci][pair_index(d, c, e)][p];
        }
      return;
    }
    // ∂_eΓ_{fbc} = g_{fa,e}Γ^a_{bc} + g_{fa}∂_eΓ^a_{bc}; ddg[a][b][c][e] = ∂_eΓ_{abc} + ∂_eΓ_{bac}.
    auto G = [&](int a, int b, int c) {
      return gam[static_cast<std::size_t>(a * pairs_n) + packed(n, b, c)][p];
    };
    auto dG = [&](int a, int b, int c, int e) {
      return dgam[static_cast<std::size_t>(a * pairs_n) + packed(n, b, c)]
                 [static_cast<std::size_t>(e)][p];
    };
    JetRank4<double> dlow{};  // dlow[f][b][c][e] = ∂_eΓ_{fbc}, c < d
    for (int e = 0; e < d; ++e)
      for (int f = 0; f < n; ++f)
        for (int b = 0; b < n; ++b)
          for (int c = 0; c < d; ++c) {
            double s = 0.0;
            for (int a = 0; a < n; ++a)
              s += j.dg[f][a][e] * G(a, b, c) + j.g[f][a] * dG(a, b, c, e);
            dlow[f][b][c][e] = s;
          }
    for (int a = 0; a < n; ++a)
      for (int b = 0; b < n; ++b)
        for (int c = 0; c < d; ++c)
          for (int e = 0; e < d; ++e) j.ddg[a][b][c][e] = dlow[a][b][c][e] + dlow[b][a][c][e];
  };

  GridCurvature out;
  out.grid = grid;
  out.n = n;
  out.sqrt_g.resize(us);
  out.ricci_scalar.resize(us);
  out.l_gamma_gamma.resize(us);
  out.l_onsager_printed.resize(us);
  // The tensor engine is needed for the tensors, and (christoffel route) for R through (96).
  const bool use_tensor_engine = options.tensors;
  if (options.tensors) {
    out.kretschmann.resize(us);
    out.ricci_squared.resize(us);
    out.ricci.assign(static_cast<std::size_t>(pairs_n), Field(us));
    out.einstein.assign(static_cast<std::size_t>(pairs_n), Field(us));
  }

  // ---- pointwise: every point is independent, so the result is the same for any thread
  // count ----
#pragma omp parallel
  {
    ArrayJet<double> j;
    MetricJet mj;
    if (use_tensor_engine) {
      mj.n = n;
      mj.g = Matrix::Zero(n, n);
      for (int c = 0; c < n; ++c) {
        mj.dg[static_cast<std::size_t>(c)] = Matrix::Zero(n, n);
        for (int e = 0; e < n; ++e) {
          mj.ddg[static_cast<std::size_t>(c)][static_cast<std::size_t>(e)] = Matrix::Zero(n, n);
        }
      }
    }
#pragma omp for schedule(static)
    for (std::int64_t p = 0; p < size; ++p) {
      const auto up = static_cast<std::size_t>(p);
      try {
        fill_first(j, up);
        fill_second(j, up);
        if (use_tensor_engine) {
          for (int a = 0; a < n; ++a)
            for (int b = 0; b < n; ++b) {
              mj.g(a, b) = j.g[a][b];
              for (int c = 0; c < d; ++c) {
                mj.dg[static_cast<std::size_t>(c)](a, b) = j.dg[a][b][c];
                for (int e = 0; e < d; ++e) {
                  mj.ddg[static_cast<std::size_t>(c)][static_cast<std::size_t>(e)](a, b) =
                      j.ddg[a][b][c][e];
                }
              }
            }
          const Curvature cv = curvature(mj);
          const OnsagerPoint<double> q = onsager_point_first_order(j);
          out.sqrt_g[up] = q.sqrt_g;
          out.l_gamma_gamma[up] = q.l_gamma_gamma;
          out.l_onsager_printed[up] = q.l_onsager_printed;
          out.ricci_scalar[up] = cv.scalar;
          out.kretschmann[up] = cv.kretschmann;
          out.ricci_squared[up] = cv.ricci_squared;
          for (int a = 0; a < n; ++a)
            for (int b = a; b < n; ++b) {
              out.ricci[packed(n, a, b)][up] = cv.ricci(a, b);
              out.einstein[packed(n, a, b)][up] = cv.einstein(a, b);
            }
        } else {
          const OnsagerPoint<double> q = onsager_point(j);
          out.sqrt_g[up] = q.sqrt_g;
          out.ricci_scalar[up] = q.ricci_scalar;
          out.l_gamma_gamma[up] = q.l_gamma_gamma;
          out.l_onsager_printed[up] = q.l_onsager_printed;
        }
      } catch (const Error& e) {
        record(p, e);
      }
    }
  }
  rethrow();
  auto check_finite = [&](const Field& f, const char* name) {
    for (std::int64_t p = 0; p < size; ++p) {
      if (!std::isfinite(f[static_cast<std::size_t>(p)])) non_finite(p, name);
    }
  };
  check_finite(out.sqrt_g, "sqrt|g|");
  check_finite(out.ricci_scalar, "R");
  check_finite(out.l_gamma_gamma, "L_GG");
  check_finite(out.l_onsager_printed, "L_(91)");
  if (options.tensors) check_finite(out.kretschmann, "Kretschmann");
  out.integrals = grid_integrals(out);
  return out;
}

// (92) corrected: ∫√|g|R, ∫√|g|L_ΓΓ, ∫√|g|L_(91), ∫√|g| as Σ_i (·)_i h_1⋯h_d (trapezoid rule).
GridIntegrals grid_integrals(const GridCurvature& f) {
  const std::size_t size = f.sqrt_g.size();
  Field w(size);
  auto weighted = [&](const Field& v) {
    for (std::size_t i = 0; i < size; ++i) w[i] = f.sqrt_g[i] * v[i];
    return core::integrate(f.grid, w);
  };
  GridIntegrals a;
  a.sqrt_g_r = weighted(f.ricci_scalar);
  a.sqrt_g_l_gamma_gamma = weighted(f.l_gamma_gamma);
  a.sqrt_g_l_onsager_printed = weighted(f.l_onsager_printed);
  a.volume = core::integrate(f.grid, f.sqrt_g);
  return a;
}

}  // namespace nnworld::geometry
