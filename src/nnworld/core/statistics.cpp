#include "nnworld/core/statistics.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

#include "nnworld/core/error.hpp"

namespace nnworld::core {

namespace {
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
}

MeanError mean_error(std::span<const double> x) {
  MeanError m;
  double sum = 0.0;
  for (double v : x) {
    if (!std::isfinite(v)) continue;
    sum += v;
    ++m.n;
  }
  if (m.n == 0) return {kNaN, kNaN, 0};
  m.mean = sum / static_cast<double>(m.n);
  if (m.n < 2) {
    m.se = kNaN;
    return m;
  }
  double ss = 0.0;
  for (double v : x) {
    if (std::isfinite(v)) ss += (v - m.mean) * (v - m.mean);
  }
  m.se = std::sqrt(ss / static_cast<double>(m.n - 1) / static_cast<double>(m.n));
  return m;
}

double jackknife_se(std::int64_t groups, const std::function<double(std::int64_t)>& estimate) {
  if (groups < 2) return kNaN;
  std::vector<double> th(static_cast<std::size_t>(groups));
  double mean = 0.0;
  for (std::int64_t g = 0; g < groups; ++g) {
    th[static_cast<std::size_t>(g)] = estimate(g);
    if (!std::isfinite(th[static_cast<std::size_t>(g)])) return kNaN;
    mean += th[static_cast<std::size_t>(g)];
  }
  mean /= static_cast<double>(groups);
  double ss = 0.0;
  for (double v : th) ss += (v - mean) * (v - mean);
  return std::sqrt(static_cast<double>(groups - 1) / static_cast<double>(groups) * ss);
}

std::vector<double> jackknife_se(const std::vector<std::vector<double>>& estimates) {
  const auto groups = static_cast<std::int64_t>(estimates.size());
  if (groups < 2) return {};
  const std::size_t len = estimates.front().size();
  std::vector<double> se(len, 0.0);
  for (std::size_t i = 0; i < len; ++i) {
    double mean = 0.0;
    bool finite = true;
    for (const auto& e : estimates) {
      finite = finite && std::isfinite(e[i]);
      mean += e[i];
    }
    if (!finite) {
      se[i] = kNaN;
      continue;
    }
    mean /= static_cast<double>(groups);
    double ss = 0.0;
    for (const auto& e : estimates) ss += (e[i] - mean) * (e[i] - mean);
    se[i] = std::sqrt(static_cast<double>(groups - 1) / static_cast<double>(groups) * ss);
  }
  return se;
}

namespace {

// Σ over the series of group g (r mod groups = g) of x̃(t) x̃(t+k) and x̃(t)² over t < T − k.
struct Lagged {
  std::vector<double> num, den;
};

std::vector<Lagged> group_sums(std::span<const double> x, const std::vector<double>& mean,
                               std::int64_t m, std::int64_t t, std::int64_t max_lag,
                               std::int64_t groups) {
  std::vector<Lagged> out(static_cast<std::size_t>(groups));
  for (auto& l : out) {
    l.num.assign(static_cast<std::size_t>(max_lag + 1), 0.0);
    l.den.assign(static_cast<std::size_t>(max_lag + 1), 0.0);
  }
  std::vector<double> a(static_cast<std::size_t>(t));
  for (std::int64_t r = 0; r < m; ++r) {
    Lagged& l = out[static_cast<std::size_t>(r % groups)];
    const double* s = x.data() + r * t;
    for (std::int64_t i = 0; i < t; ++i)
      a[static_cast<std::size_t>(i)] = s[i] - mean[static_cast<std::size_t>(i)];
    for (std::int64_t k = 0; k <= max_lag; ++k) {
      double num = 0.0, den = 0.0;
      for (std::int64_t i = 0; i + k < t; ++i) {
        const double u = a[static_cast<std::size_t>(i)], v = a[static_cast<std::size_t>(i + k)];
        if (!std::isfinite(u) || !std::isfinite(v)) continue;
        num += u * v;
        den += u * u;
      }
      l.num[static_cast<std::size_t>(k)] += num;
      l.den[static_cast<std::size_t>(k)] += den;
    }
  }
  return out;
}

// The sums of every group but `skip` (−1: all).
Lagged total(const std::vector<Lagged>& g, std::int64_t skip) {
  Lagged l;
  l.num.assign(g.front().num.size(), 0.0);
  l.den.assign(g.front().den.size(), 0.0);
  for (std::size_t i = 0; i < g.size(); ++i) {
    if (static_cast<std::int64_t>(i) == skip) continue;
    for (std::size_t k = 0; k < l.num.size(); ++k) {
      l.num[k] += g[i].num[k];
      l.den[k] += g[i].den[k];
    }
  }
  return l;
}

// τ and W from the lagged sums by Sokal's rule.
AutocorrelationTime sokal(const Lagged& l, std::int64_t max_lag, double c) {
  AutocorrelationTime a;
  a.rho.push_back(1.0);
  double tau = 1.0;
  a.converged = false;
  for (std::int64_t k = 1; k <= max_lag; ++k) {
    const double den = l.den[static_cast<std::size_t>(k)];
    const double rho = den > 0.0 ? l.num[static_cast<std::size_t>(k)] / den : kNaN;
    a.rho.push_back(rho);
    tau += 2.0 * rho;
    if (static_cast<double>(k) >= c * tau) {
      a.window = k;
      a.converged = true;
      break;
    }
  }
  if (!a.converged) a.window = max_lag;
  a.tau = tau;
  return a;
}

}  // namespace

AutocorrelationTime integrated_autocorrelation_time(std::span<const double> series, std::int64_t m,
                                                    std::int64_t t, std::int64_t groups, double c) {
  if (m < 1 || t < 4 || static_cast<std::int64_t>(series.size()) != m * t) {
    throw Error("core::integrated_autocorrelation_time",
                "series of " + std::to_string(series.size()) +
                    " values for M = " + std::to_string(m) + ", T = " + std::to_string(t),
                "M·T values with T ≥ 4");
  }
  std::vector<double> mean(static_cast<std::size_t>(t), 0.0),
      count(static_cast<std::size_t>(t), 0.0);
  for (std::int64_t r = 0; r < m; ++r) {
    for (std::int64_t i = 0; i < t; ++i) {
      const double v = series[static_cast<std::size_t>(r * t + i)];
      if (!std::isfinite(v)) continue;
      mean[static_cast<std::size_t>(i)] += v;
      count[static_cast<std::size_t>(i)] += 1.0;
    }
  }
  for (std::int64_t i = 0; i < t; ++i) {
    mean[static_cast<std::size_t>(i)] =
        count[static_cast<std::size_t>(i)] > 0.0
            ? mean[static_cast<std::size_t>(i)] / count[static_cast<std::size_t>(i)]
            : kNaN;
  }
  const std::int64_t max_lag = t / 2 - 1;
  groups = std::max<std::int64_t>(1, std::min(groups, m));
  const std::vector<Lagged> sums = group_sums(series, mean, m, t, max_lag, groups);
  AutocorrelationTime full = sokal(total(sums, -1), max_lag, c);
  if (groups >= 2) {
    const std::int64_t w = full.window;
    full.se = jackknife_se(groups, [&](std::int64_t g) {
      const Lagged l = total(sums, g);
      double tau = 1.0;
      for (std::int64_t k = 1; k <= w; ++k) {
        const double den = l.den[static_cast<std::size_t>(k)];
        tau += 2.0 * (den > 0.0 ? l.num[static_cast<std::size_t>(k)] / den : kNaN);
      }
      return tau;
    });
  } else {
    full.se = kNaN;
  }
  return full;
}

}  // namespace nnworld::core
