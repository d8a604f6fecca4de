#include "nnworld/geometry/torus.hpp"

#include <Eigen/Dense>
#include <algorithm>
#include <cmath>
#include <limits>
#include <numbers>
#include <string>

#include "nnworld/core/error.hpp"
#include "nnworld/core/rng.hpp"
#include "nnworld/geometry/onsager.hpp"

namespace nnworld::geometry {

namespace {

constexpr double kTwoPi = 2.0 * std::numbers::pi;

void check_metric(const TorusMetric& m, const char* where) {
  const int n = m.grid.dims;
  if (n < 2 || n > 3) throw Error(where, "torus dimension " + std::to_string(n), "2 or 3");
  const std::size_t want = static_cast<std::size_t>(n * (n + 1) / 2);
  if (m.components.size() != want) throw Error(where, "wrong number of metric components");
  for (const auto& c : m.components) {
    if (c.size() != static_cast<std::size_t>(m.grid.size())) {
      throw Error(where, "metric component size differs from the grid size");
    }
  }
}

// out[a] = ∂_a f for a < dims by FFT; with `dealias`, modes with |m_a| > N_a/3 on some axis
// are removed first (2/3 rule). The Nyquist mode of an even axis is dropped (real result).
std::vector<std::vector<double>> gradient(const core::Fft& fft, std::span<const double> f,
                                          bool dealias) {
  if (!dealias) return core::spectral_gradient(fft, f);
  const core::Grid& grid = fft.grid();
  const int n = grid.dims;
  std::vector<core::Complex> fh(f.size());
  for (std::size_t i = 0; i < f.size(); ++i) fh[i] = core::Complex(f[i], 0.0);
  fft.forward(fh);
  const std::int64_t size = grid.size();
  std::vector<std::uint8_t> keep(static_cast<std::size_t>(size), 1);
  for (std::int64_t i = 0; i < size; ++i) {
    const auto idx = grid.unflatten(i);
    for (int a = 0; a < n; ++a) {
      const double k = fft.k(a)[static_cast<std::size_t>(idx[a])];
      const double m = std::abs(k * grid.extent[a] / std::numbers::pi);
      if (3.0 * m > static_cast<double>(grid.points[a])) keep[static_cast<std::size_t>(i)] = 0;
    }
  }
  std::vector<std::vector<double>> out(static_cast<std::size_t>(n));
  std::vector<core::Complex> work(fh.size());
  for (int a = 0; a < n; ++a) {
    const auto& ka = fft.k(a);
    for (std::int64_t i = 0; i < size; ++i) {
      const auto idx = grid.unflatten(i);
      const std::int64_t j = idx[a];
      const bool nyquist = grid.points[a] % 2 == 0 && j == grid.points[a] / 2;
      const double k = nyquist ? 0.0 : ka[static_cast<std::size_t>(j)];
      work[static_cast<std::size_t>(i)] =
          keep[static_cast<std::size_t>(i)]
              ? core::Complex(0.0, k) * fh[static_cast<std::size_t>(i)]
              : core::Complex(0.0, 0.0);
    }
    fft.backward(work);
    out[static_cast<std::size_t>(a)].resize(f.size());
    for (std::size_t i = 0; i < f.size(); ++i) out[static_cast<std::size_t>(a)][i] = work[i].real();
  }
  return out;
}

}  // namespace

int component_index(int n, int a, int b) {
  if (a > b) std::swap(a, b);
  // rows 0..a−1 hold n, n−1, …, n−a+1 entries
  return a * n - a * (a - 1) / 2 + (b - a);
}

const std::vector<double>& TorusMetric::component(int a, int b) const {
  return components[static_cast<std::size_t>(component_index(grid.dims, a, b))];
}

std::vector<double>& TorusMetric::component(int a, int b) {
  return components[static_cast<std::size_t>(component_index(grid.dims, a, b))];
}

core::Grid make_torus_grid(int n, std::int64_t points) {
  if (n < 2 || n > 3) {
    throw Error("geometry::make_torus_grid", "dimension " + std::to_string(n), "2 or 3");
  }
  if (points < 4) {
    throw Error("geometry::make_torus_grid", "points per axis " + std::to_string(points), "≥ 4");
  }
  std::vector<std::int64_t> pts(static_cast<std::size_t>(n), points);
  std::vector<double> ext(static_cast<std::size_t>(n), std::numbers::pi);
  return core::make_grid(pts, ext, core::Boundary::periodic);
}

core::Point torus_point(const core::Grid& grid, std::int64_t i) {
  core::Point q = grid.point(i);
  for (int a = 0; a < grid.dims; ++a) q[static_cast<std::size_t>(a)] += std::numbers::pi;
  return q;
}

TorusMetric flat_metric(const core::Grid& grid) {
  TorusMetric m{grid, {}};
  const int n = grid.dims;
  m.components.assign(static_cast<std::size_t>(n * (n + 1) / 2),
                      std::vector<double>(static_cast<std::size_t>(grid.size()), 0.0));
  for (int a = 0; a < n; ++a) std::fill(m.component(a, a).begin(), m.component(a, a).end(), 1.0);
  check_metric(m, "geometry::flat_metric");
  return m;
}

TorusMetric random_cosine_metric(const core::Grid& grid, double epsilon, std::uint64_t seed,
                                 int modes, int k_max, double min_eigenvalue) {
  const char* where = "geometry::random_cosine_metric";
  if (modes < 1) throw Error(where, "modes " + std::to_string(modes), "≥ 1");
  if (k_max < 0) throw Error(where, "k_max " + std::to_string(k_max), "≥ 0");
  TorusMetric m = flat_metric(grid);
  const int n = grid.dims;
  const core::RngStream rng(seed, core::StreamTag::user);
  for (int a = 0; a < n; ++a)
    for (int b = a; b < n; ++b) {
      const auto ci = static_cast<std::uint64_t>(component_index(n, a, b));
      std::vector<double>& g = m.component(a, b);
      for (int i = 0; i < modes; ++i) {
        const auto base = static_cast<std::uint64_t>(i) * 8;
        const double c = rng.normal(ci, base);
        const double phase = kTwoPi * rng.uniform(ci, base + 1);
        std::array<double, 3> k{0.0, 0.0, 0.0};
        for (int d = 0; d < n; ++d) {
          const auto span = static_cast<std::uint64_t>(2 * k_max + 1);
          k[static_cast<std::size_t>(d)] =
              static_cast<double>(rng.below(ci, base + 2 + static_cast<std::uint64_t>(d), span)) -
              static_cast<double>(k_max);
        }
        for (std::int64_t p = 0; p < grid.size(); ++p) {
          const core::Point x = torus_point(grid, p);
          const double arg = k[0] * x[0] + k[1] * x[1] + k[2] * x[2] + phase;
          g[static_cast<std::size_t>(p)] += epsilon * 0.5 * c * std::cos(arg);
        }
      }
    }
  const double lo = min_metric_eigenvalue(m);
  if (!(lo > min_eigenvalue)) {
    throw Error(where, "minimum eigenvalue of g is " + std::to_string(lo),
                "> " + std::to_string(min_eigenvalue) + " (choose a smaller epsilon)");
  }
  return m;
}

TorusMetric conformal_metric(const core::Grid& grid, std::span<const double> phi) {
  if (phi.size() != static_cast<std::size_t>(grid.size())) {
    throw Error("geometry::conformal_metric", "phi has " + std::to_string(phi.size()) + " values",
                std::to_string(grid.size()) + " (the grid size)");
  }
  TorusMetric m = flat_metric(grid);
  for (int a = 0; a < grid.dims; ++a) {
    std::vector<double>& g = m.component(a, a);
    for (std::size_t p = 0; p < phi.size(); ++p) g[p] = std::exp(2.0 * phi[p]);
  }
  return m;
}

double min_metric_eigenvalue(const TorusMetric& metric) {
  check_metric(metric, "geometry::min_metric_eigenvalue");
  const int n = metric.dim();
  double lo = std::numeric_limits<double>::infinity();
  for (std::int64_t p = 0; p < metric.grid.size(); ++p) {
    Eigen::Matrix3d g = Eigen::Matrix3d::Identity();
    for (int a = 0; a < n; ++a)
      for (int b = 0; b < n; ++b) g(a, b) = metric.component(a, b)[static_cast<std::size_t>(p)];
    double m = 0.0;
    if (n == 2) {
      const double tr = g(0, 0) + g(1, 1);
      const double det = g(0, 0) * g(1, 1) - g(0, 1) * g(1, 0);
      m = 0.5 * tr - std::sqrt(std::max(0.0, 0.25 * tr * tr - det));
    } else {
      const Eigen::SelfAdjointEigenSolver<Eigen::Matrix3d> es(g, Eigen::EigenvaluesOnly);
      m = es.eigenvalues()(0);
    }
    lo = std::min(lo, m);
  }
  return lo;
}

TorusMetricDerivatives metric_derivatives(const TorusMetric& metric, const core::Fft& fft,
                                          bool second_order) {
  // One forward transform per component, then one backward transform per derivative:
  // ∂_c ↔ i k_c and ∂_c∂_d ↔ −k_c k_d, with the Nyquist wavenumber of an even axis set to zero
  // (as core::spectral_gradient, so the derivatives of a real field stay real).
  check_metric(metric, "geometry::metric_derivatives");
  const core::Grid& grid = fft.grid();
  const int n = metric.dim();
  const auto size = static_cast<std::size_t>(grid.size());
  std::vector<std::vector<double>> k(static_cast<std::size_t>(n), std::vector<double>(size));
  for (std::int64_t i = 0; i < grid.size(); ++i) {
    const auto idx = grid.unflatten(i);
    for (int a = 0; a < n; ++a) {
      const std::int64_t j = idx[static_cast<std::size_t>(a)];
      const bool nyquist = grid.points[a] % 2 == 0 && j == grid.points[a] / 2;
      k[static_cast<std::size_t>(a)][static_cast<std::size_t>(i)] =
          nyquist ? 0.0 : fft.k(a)[static_cast<std::size_t>(j)];
    }
  }
  TorusMetricDerivatives d;
  std::vector<core::Complex> fh(size), work(size);
  auto backward_real = [&](auto&& multiplier) {
    for (std::size_t i = 0; i < size; ++i) work[i] = multiplier(i) * fh[i];
    fft.backward(work);
    std::vector<double> out(size);
    for (std::size_t i = 0; i < size; ++i) out[i] = work[i].real();
    return out;
  };
  for (const auto& comp : metric.components) {
    for (std::size_t i = 0; i < size; ++i) fh[i] = core::Complex(comp[i], 0.0);
    fft.forward(fh);
    std::vector<std::vector<double>> first;
    for (int c = 0; c < n; ++c) {
      const auto& kc = k[static_cast<std::size_t>(c)];
      first.push_back(backward_real([&](std::size_t i) { return core::Complex(0.0, kc[i]); }));
    }
    d.first.push_back(std::move(first));
    if (!second_order) continue;
    std::vector<std::vector<std::vector<double>>> second(
        static_cast<std::size_t>(n), std::vector<std::vector<double>>(static_cast<std::size_t>(n)));
    for (int c = 0; c < n; ++c)
      for (int e = c; e < n; ++e) {
        const auto& kc = k[static_cast<std::size_t>(c)];
        const auto& ke = k[static_cast<std::size_t>(e)];
        auto v = backward_real([&](std::size_t i) { return core::Complex(-kc[i] * ke[i], 0.0); });
        second[static_cast<std::size_t>(e)][static_cast<std::size_t>(c)] = v;
        second[static_cast<std::size_t>(c)][static_cast<std::size_t>(e)] = std::move(v);
      }
    d.second.push_back(std::move(second));
  }
  return d;
}

TorusFields torus_fields(const TorusMetric& metric, const core::Fft& fft,
                         const TorusOptions& options) {
  check_metric(metric, "geometry::torus_fields");
  const int n = metric.dim();
  const std::int64_t size = metric.grid.size();
  const auto us = static_cast<std::size_t>(size);
  const bool jet_route = options.ricci_route == RicciRoute::metric_jet;
  const TorusMetricDerivatives der = metric_derivatives(metric, fft, jet_route);
  TorusFields out;
  out.sqrt_g.resize(us);
  out.ricci_scalar.resize(us);
  out.l_gamma_gamma.resize(us);
  out.l_gamma_gamma_invariants.resize(us);
  out.l_onsager_printed.resize(us);
  // Fills the entries below n of `j` (the rest stay zero) with the sampled jet at point p.
  auto fill_jet = [&](ArrayJet<double>& j, std::int64_t p, bool with_second) {
    const auto up = static_cast<std::size_t>(p);
    j.dim = n;
    for (int a = 0; a < n; ++a)
      for (int b = 0; b < n; ++b) {
        const auto ci = static_cast<std::size_t>(component_index(n, a, b));
        j.g[a][b] = metric.components[ci][up];
        for (int c = 0; c < n; ++c) {
          j.dg[a][b][c] = der.first[ci][static_cast<std::size_t>(c)][up];
          if (!with_second) continue;
          for (int e = 0; e < n; ++e) {
            j.ddg[a][b][c][e] =
                der.second[ci][static_cast<std::size_t>(c)][static_cast<std::size_t>(e)][up];
          }
        }
      }
  };
  // Pointwise quantities; each point is independent, so the result is the same for any
  // thread count.
#pragma omp parallel
  {
    ArrayJet<double> j;
#pragma omp for schedule(static)
    for (std::int64_t p = 0; p < size; ++p) {
      const auto up = static_cast<std::size_t>(p);
      fill_jet(j, p, jet_route);
      const OnsagerPoint<double> q = jet_route ? onsager_point(j) : onsager_point_first_order(j);
      out.sqrt_g[up] = q.sqrt_g;
      out.ricci_scalar[up] = q.ricci_scalar;
      out.l_gamma_gamma[up] = q.l_gamma_gamma;
      out.l_gamma_gamma_invariants[up] = q.l_gamma_gamma_invariants;
      out.l_onsager_printed[up] = q.l_onsager_printed;
    }
  }
  if (jet_route) return out;

  // Christoffel route: Γ^a_{bc} pointwise, ∂_dΓ^a_{bc} by FFT, then (96)
  //   R = g^{mn}[∂_aΓ^a_{nm} − ∂_mΓ^a_{na} + Γ^b_{nm}Γ^a_{ab} − Γ^b_{na}Γ^a_{mb}].
  const int pairs = n * (n + 1) / 2;
  std::vector<std::vector<double>> gam(static_cast<std::size_t>(n * pairs),
                                       std::vector<double>(us));
  std::vector<std::vector<double>> ginv(static_cast<std::size_t>(pairs), std::vector<double>(us));
  auto gidx = [&](int a, int b, int c) {
    return static_cast<std::size_t>(a * pairs + component_index(n, b, c));
  };
#pragma omp parallel
  {
    ArrayJet<double> j;
#pragma omp for schedule(static)
    for (std::int64_t p = 0; p < size; ++p) {
      const auto up = static_cast<std::size_t>(p);
      fill_jet(j, p, false);
      const JetMatrix<double> gi = inverse_metric(j);
      const ChristoffelSymbols<double> cs = christoffel(j, gi);
      for (int a = 0; a < n; ++a)
        for (int b = 0; b < n; ++b)
          for (int c = b; c < n; ++c) gam[gidx(a, b, c)][up] = cs.upper[a][b][c];
      for (int a = 0; a < n; ++a)
        for (int b = a; b < n; ++b)
          ginv[static_cast<std::size_t>(component_index(n, a, b))][up] = gi[a][b];
    }
  }
  std::vector<std::vector<std::vector<double>>> dgam(gam.size());  // [gidx][d]
  for (std::size_t i = 0; i < gam.size(); ++i) dgam[i] = gradient(fft, gam[i], options.dealias);
#pragma omp parallel for schedule(static)
  for (std::int64_t p = 0; p < size; ++p) {
    const auto up = static_cast<std::size_t>(p);
    auto G = [&](int a, int b, int c) { return gam[gidx(a, b, c)][up]; };
    auto dG = [&](int a, int b, int c, int d) {
      return dgam[gidx(a, b, c)][static_cast<std::size_t>(d)][up];
    };
    double r = 0.0;
    for (int m = 0; m < n; ++m)
      for (int v = 0; v < n; ++v) {
        double ric = 0.0;
        for (int a = 0; a < n; ++a) {
          ric += dG(a, v, m, a) - dG(a, v, a, m);
          for (int b = 0; b < n; ++b) ric += G(b, v, m) * G(a, a, b) - G(b, v, a) * G(a, m, b);
        }
        r += ginv[static_cast<std::size_t>(component_index(n, m, v))][up] * ric;
      }
    out.ricci_scalar[up] = r;
  }
  return out;
}

TorusActions torus_actions(const TorusFields& f, const core::Grid& grid) {
  const std::size_t size = f.sqrt_g.size();
  std::vector<double> w(size);
  TorusActions a;
  auto weighted = [&](const std::vector<double>& v) {
    for (std::size_t i = 0; i < size; ++i) w[i] = f.sqrt_g[i] * v[i];
    return core::integrate(grid, w);
  };
  a.sqrt_g_r = weighted(f.ricci_scalar);
  a.sqrt_g_l_gamma_gamma = weighted(f.l_gamma_gamma);
  a.sqrt_g_l_gamma_gamma_invariants = weighted(f.l_gamma_gamma_invariants);
  a.sqrt_g_l_onsager_printed = weighted(f.l_onsager_printed);
  a.volume = core::integrate(grid, f.sqrt_g);
  return a;
}

TorusActions torus_actions(const TorusMetric& metric, const core::Fft& fft,
                           const TorusOptions& options) {
  return torus_actions(torus_fields(metric, fft, options), metric.grid);
}

}  // namespace nnworld::geometry
