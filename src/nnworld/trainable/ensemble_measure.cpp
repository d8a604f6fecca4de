// Density estimates, moments, L1 distance and its statistical floor, Shannon entropy (21) and
// entropy production (22) of the replica ensemble (see ensemble_measure.hpp).
#include "nnworld/trainable/ensemble_measure.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numbers>
#include <string>

#include "nnworld/core/error.hpp"
#include "nnworld/trainable/ensemble_kernels.hpp"

namespace nnworld::trainable {

namespace {

void check_grid(const core::Grid& grid, const Ensemble& e, const char* where) {
  if (grid.dims != e.dims) {
    throw Error(
        where,
        "a grid with " + std::to_string(grid.dims) + " axes for K = " + std::to_string(e.dims),
        "one grid axis per parameter");
  }
}

void check_field(const core::Grid& grid, std::span<const double> f, const char* where) {
  if (static_cast<std::int64_t>(f.size()) != grid.size()) {
    throw Error(where, std::to_string(f.size()) + " values",
                std::to_string(grid.size()) + " (one per grid point)");
  }
}

// Moments of the replicas selected by keep(r).
template <class Keep>
Moments moments_of(const Ensemble& e, Keep&& keep) {
  const int k = e.dims;
  Moments m;
  double n = 0.0;
  Point sum{0.0, 0.0, 0.0};
  for (std::int64_t r = 0; r < e.replicas; ++r) {
    if (!keep(r)) continue;
    n += 1.0;
    for (int a = 0; a < k; ++a) sum[a] += e.q[static_cast<std::size_t>(r * k + a)];
  }
  if (n < 2.0) throw Error("moments", "fewer than 2 replicas selected", "at least 2");
  for (int a = 0; a < k; ++a) m.mean[a] = sum[a] / n;
  std::array<std::array<double, 3>, 3> c2{};
  Point c4{0.0, 0.0, 0.0};
  for (std::int64_t r = 0; r < e.replicas; ++r) {
    if (!keep(r)) continue;
    double d[3];
    for (int a = 0; a < k; ++a) d[a] = e.q[static_cast<std::size_t>(r * k + a)] - m.mean[a];
    for (int a = 0; a < k; ++a) {
      for (int b = 0; b < k; ++b) c2[a][b] += d[a] * d[b];
      c4[a] += d[a] * d[a] * d[a] * d[a];
    }
  }
  for (int a = 0; a < k; ++a) {
    for (int b = 0; b < k; ++b) m.covariance[a][b] = c2[a][b] / (n - 1.0);
    const double s2 = c2[a][a] / n;  // biased, for the moment ratios
    const double m4 = c4[a] / n;
    m.mean_se[a] = std::sqrt(m.covariance[a][a] / n);
    m.variance_se[a] = std::sqrt(std::max(0.0, m4 - s2 * s2) / n);
    m.kurtosis[a] = s2 > 0.0 ? m4 / (s2 * s2) : 0.0;
  }
  return m;
}

// Convolves `f` (row-major on g) along `axis` with the symmetric weights w[0..R] (w[|m|]),
// wrapping (periodic) or reflecting at the cell faces (box).
std::vector<double> convolve_axis(const core::Grid& g, const std::vector<double>& f, int axis,
                                  const std::vector<double>& w) {
  const std::int64_t n = g.points[axis];
  const std::int64_t s = g.stride(axis);
  const auto radius = static_cast<std::int64_t>(w.size()) - 1;
  const bool periodic = g.boundary == core::Boundary::periodic;
  std::vector<double> out(f.size(), 0.0);
  const std::int64_t lines = g.size() / n;
  for (std::int64_t l = 0; l < lines; ++l) {
    const std::int64_t start = (l / s) * n * s + l % s;
    for (std::int64_t j = 0; j < n; ++j) {
      const double v = f[static_cast<std::size_t>(start + j * s)];
      if (v == 0.0) continue;
      for (std::int64_t o = -radius; o <= radius; ++o) {
        std::int64_t t = j + o;
        if (periodic) {
          t = kernels::wrap_index(t, n);
        } else {
          // Reflection about the cell faces: −1 ↦ 0, n ↦ n − 1 (repeated for wide kernels).
          while (t < 0 || t >= n) t = t < 0 ? -1 - t : 2 * n - 1 - t;
        }
        out[static_cast<std::size_t>(start + t * s)] +=
            v * w[static_cast<std::size_t>(std::abs(o))];
      }
    }
  }
  return out;
}

}  // namespace

std::vector<std::int64_t> histogram_counts(const core::Grid& grid, const Ensemble& ensemble,
                                           std::int64_t* outside) {
  check_grid(grid, ensemble, "histogram_counts");
  std::vector<std::int64_t> counts(static_cast<std::size_t>(grid.size()), 0);
  std::int64_t out = 0;
  const int k = ensemble.dims;
  for (std::int64_t r = 0; r < ensemble.replicas; ++r) {
    const std::int64_t c = kernels::flat_cell(grid, ensemble.q.data() + r * k);
    if (c < 0) {
      ++out;
    } else {
      ++counts[static_cast<std::size_t>(c)];
    }
  }
  if (outside != nullptr) *outside = out;
  return counts;
}

// p_i = n_i / (M h_1⋯h_K).
DensityEstimate histogram_density(const core::Grid& grid, const Ensemble& ensemble) {
  DensityEstimate d;
  const auto counts = histogram_counts(grid, ensemble, &d.outside);
  const double scale = 1.0 / (static_cast<double>(ensemble.replicas) * grid.cell_volume());
  d.p.resize(counts.size());
  for (std::size_t i = 0; i < counts.size(); ++i) d.p[i] = static_cast<double>(counts[i]) * scale;
  return d;
}

std::vector<double> cell_means(const core::Grid& grid, const Ensemble& ensemble,
                               std::span<const double> values, std::int64_t min_count) {
  check_grid(grid, ensemble, "cell_means");
  if (static_cast<std::int64_t>(values.size()) != ensemble.replicas) {
    throw Error("cell_means", std::to_string(values.size()) + " values",
                std::to_string(ensemble.replicas) + " (one per replica)");
  }
  const auto nc = static_cast<std::size_t>(grid.size());
  std::vector<double> sum(nc, 0.0);
  std::vector<std::int64_t> count(nc, 0);
  for (std::int64_t r = 0; r < ensemble.replicas; ++r) {
    const double v = values[static_cast<std::size_t>(r)];
    const std::int64_t c = kernels::flat_cell(grid, ensemble.q.data() + r * ensemble.dims);
    if (c < 0 || !std::isfinite(v)) continue;
    sum[static_cast<std::size_t>(c)] += v;
    ++count[static_cast<std::size_t>(c)];
  }
  std::vector<double> out(nc, std::numeric_limits<double>::quiet_NaN());
  for (std::size_t c = 0; c < nc; ++c) {
    if (count[c] >= std::max<std::int64_t>(1, min_count))
      out[c] = sum[c] / static_cast<double>(count[c]);
  }
  return out;
}

std::array<double, 3> silverman_bandwidth(const Ensemble& ensemble) {
  const Moments m = moments(ensemble);
  const int k = ensemble.dims;
  const double factor =
      std::pow(4.0 / ((k + 2.0) * static_cast<double>(ensemble.replicas)), 1.0 / (k + 4.0));
  std::array<double, 3> bw{0.0, 0.0, 0.0};
  for (int a = 0; a < k; ++a) bw[a] = std::sqrt(m.covariance[a][a]) * factor;
  return bw;
}

// Binned Gaussian KDE: p̂ = (histogram) ⊛ Π_a w^{(a)},  w_m ∝ exp(−(m h_a)²/(2 bw_a²)).
std::vector<double> smooth_density(const core::Grid& grid, std::vector<double> p,
                                   const std::array<double, 3>& bandwidth) {
  for (int a = 0; a < grid.dims; ++a) {
    const double bw = bandwidth[a];
    const double h = grid.spacing(a);
    if (!(bw > 0.0)) continue;  // all replicas at one point: no smoothing
    const auto radius = static_cast<std::int64_t>(std::ceil(5.0 * bw / h));
    std::vector<double> w(static_cast<std::size_t>(radius + 1));
    double total = 0.0;
    for (std::int64_t m = 0; m <= radius; ++m) {
      const double x = static_cast<double>(m) * h / bw;
      w[static_cast<std::size_t>(m)] = std::exp(-0.5 * x * x);
      total += (m == 0 ? 1.0 : 2.0) * w[static_cast<std::size_t>(m)];
    }
    for (double& v : w) v /= total;
    p = convolve_axis(grid, p, a, w);
  }
  return p;
}

DensityEstimate kde_density(const core::Grid& grid, const Ensemble& ensemble,
                            std::array<double, 3> bandwidth) {
  DensityEstimate d = histogram_density(grid, ensemble);
  std::array<double, 3> silverman{0.0, 0.0, 0.0};
  bool need = false;
  for (int a = 0; a < grid.dims; ++a) need = need || !(bandwidth[a] > 0.0);
  if (need) silverman = silverman_bandwidth(ensemble);
  for (int a = 0; a < grid.dims; ++a) {
    d.bandwidth[a] = bandwidth[a] > 0.0 ? bandwidth[a] : silverman[a];
  }
  d.p = smooth_density(grid, std::move(d.p), d.bandwidth);
  return d;
}

Moments moments(const Ensemble& ensemble) {
  return moments_of(ensemble, [](std::int64_t) { return true; });
}

Moments moments(const Ensemble& ensemble, std::int32_t which) {
  if (ensemble.tag.size() != static_cast<std::size_t>(ensemble.replicas))
    throw Error("moments", "an ensemble without tags", "tagged replicas (two_packet_ensemble)");
  return moments_of(
      ensemble, [&](std::int64_t r) { return ensemble.tag[static_cast<std::size_t>(r)] == which; });
}

double l1_distance(const core::Grid& grid, std::span<const double> p,
                   std::span<const double> reference) {
  check_field(grid, p, "l1_distance");
  check_field(grid, reference, "l1_distance (reference)");
  double s = 0.0;
  for (std::size_t i = 0; i < p.size(); ++i) s += std::abs(p[i] - reference[i]);
  return s * grid.cell_volume();
}

// de Moivre: E|X − nP| = 2 ν C(n, ν) P^ν (1 − P)^{n−ν+1}, ν = ⌊nP⌋ + 1.
double binomial_mean_abs_deviation(std::int64_t n, double p) {
  if (n < 1 || !(p > 0.0) || !(p < 1.0)) return 0.0;
  const auto nu = static_cast<std::int64_t>(std::floor(static_cast<double>(n) * p)) + 1;
  if (nu > n) return 0.0;
  const double dn = static_cast<double>(n), dnu = static_cast<double>(nu);
  const double log_c = std::lgamma(dn + 1.0) - std::lgamma(dnu + 1.0) - std::lgamma(dn - dnu + 1.0);
  const double log_v =
      std::log(2.0 * dnu) + log_c + dnu * std::log(p) + (dn - dnu + 1.0) * std::log1p(-p);
  return std::exp(log_v);
}

StatisticalFloor statistical_floor(const core::Grid& grid, std::span<const double> reference,
                                   std::int64_t replicas) {
  check_field(grid, reference, "statistical_floor");
  if (replicas < 1)
    throw Error("statistical_floor", std::to_string(replicas) + " replicas", "M >= 1");
  const double vol = grid.cell_volume();
  const double m = static_cast<double>(replicas);
  StatisticalFloor f;
  double var = 0.0;
  for (double r : reference) {
    const double p = std::clamp(r * vol, 0.0, 1.0);
    const double mad = binomial_mean_abs_deviation(replicas, p) / m;
    f.expected += mad;
    var += std::max(0.0, p * (1.0 - p) / m - mad * mad);
    f.gaussian += std::sqrt(p * (1.0 - p));
  }
  f.sd = std::sqrt(var);
  f.gaussian *= std::sqrt(2.0 / (std::numbers::pi * m));
  return f;
}

// (21): S_q = −∫ p log p.
double shannon_entropy(const core::Grid& grid, std::span<const double> p) {
  check_field(grid, p, "shannon_entropy");
  double s = 0.0;
  for (double v : p) {
    if (v > 0.0) s -= v * std::log(v);
  }
  return s * grid.cell_volume();
}

// (22), first line: dS_q/dt = ∫ [D|∇p|²/p − γ∇p·∇F] = 4D∫|∇√p|² − γ∫∇p·∇F.
EntropyProduction entropy_production(const core::Grid& grid, std::span<const double> p,
                                     const FreeEnergyField& field, double diffusion, double gamma) {
  check_field(grid, p, "entropy_production");
  if (field.grid.dims != grid.dims || field.grid.size() != grid.size())
    throw Error("entropy_production", "a field on another grid", "F on the grid of p");
  std::vector<double> root(p.size());
  for (std::size_t i = 0; i < p.size(); ++i) root[i] = std::sqrt(std::max(0.0, p[i]));
  EntropyProduction e;
  double fisher = 0.0, cross = 0.0;
  for (int a = 0; a < grid.dims; ++a) {
    const auto dr = grid_derivative(grid, root, a, GradientMethod::fd4);
    const auto dp = grid_derivative(grid, p, a, GradientMethod::fd4);
    const auto& df = field.gradient[a];
    for (std::size_t i = 0; i < p.size(); ++i) {
      fisher += dr[i] * dr[i];
      cross += dp[i] * df[i];
    }
  }
  const double vol = grid.cell_volume();
  e.stochastic = 4.0 * diffusion * fisher * vol;
  e.learning = -gamma * cross * vol;
  e.total = e.stochastic + e.learning;
  return e;
}

std::vector<double> entropy_rate(std::span<const double> times, std::span<const double> entropy) {
  if (times.size() != entropy.size() || times.size() < 2)
    throw Error("entropy_rate",
                std::to_string(times.size()) + " times and " + std::to_string(entropy.size()) +
                    " entropies",
                "two equal-length series of at least 2 values");
  const std::size_t n = times.size();
  std::vector<double> rate(n);
  for (std::size_t j = 0; j < n; ++j) {
    const std::size_t a = j == 0 ? 0 : j - 1;
    const std::size_t b = j + 1 == n ? n - 1 : j + 1;
    rate[j] = (entropy[b] - entropy[a]) / (times[b] - times[a]);
  }
  return rate;
}

}  // namespace nnworld::trainable
