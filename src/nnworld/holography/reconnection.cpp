#include "nnworld/holography/reconnection.hpp"

#include <algorithm>
#include <cmath>
#include <map>

namespace nnworld::holography {

std::int64_t cut_count(std::int64_t la, std::int64_t lb, std::int64_t s) {
  // q ∈ [0, lb] with p = q + s ∈ [0, la]
  const std::int64_t lo = std::max<std::int64_t>(0, -s);
  const std::int64_t hi = std::min(lb, la - s);
  return std::max<std::int64_t>(0, hi - lo + 1);
}

void cross(ChainNetwork& net, std::int64_t a, std::int64_t b, std::int64_t p, std::int64_t q) {
  Chain& ca = net.chains[static_cast<std::size_t>(a)];
  Chain& cb = net.chains[static_cast<std::size_t>(b)];
  const std::int64_t la = ca.bulk, lb = cb.bulk;
  const std::int64_t head_a = ca.to;
  ca.to = cb.to;
  ca.bulk = p + (lb - q);
  cb.to = head_a;
  cb.bulk = q + (la - p);
}

ReconnectionEvent reconnect(ChainNetwork& net, const core::RngStream& rng, std::uint64_t step) {
  ReconnectionEvent ev;
  const auto m = static_cast<std::uint64_t>(net.chains.size());
  if (m < 2) return ev;
  std::uint64_t a = rng.below(step, 0, m);
  std::uint64_t b = rng.below(step, 1, m - 1);
  if (b >= a) ++b;
  if (b < a) std::swap(a, b);
  const std::int64_t la = net.chains[a].bulk, lb = net.chains[b].bulk;
  const auto p = static_cast<std::int64_t>(rng.below(step, 2, static_cast<std::uint64_t>(la + 1)));
  const auto q = static_cast<std::int64_t>(rng.below(step, 3, static_cast<std::uint64_t>(lb + 1)));
  const std::int64_t s = p - q;
  const std::int64_t l1 = p + (lb - q);  // j → k
  const std::int64_t l2 = q + (la - p);  // l → i
  // Metropolis ratio of the reverse to the forward proposal (the pair's probability cancels).
  const double forward = static_cast<double>(cut_count(la, lb, s)) /
                         (static_cast<double>(la + 1) * static_cast<double>(lb + 1));
  const double reverse = static_cast<double>(cut_count(l1, l2, s)) /
                         (static_cast<double>(l1 + 1) * static_cast<double>(l2 + 1));
  ev.a = static_cast<std::int64_t>(a);
  ev.b = static_cast<std::int64_t>(b);
  ev.p = p;
  ev.q = q;
  ev.accepted = reverse >= forward || rng.uniform(step, 4) * forward < reverse;
  if (ev.accepted) cross(net, ev.a, ev.b, p, q);
  return ev;
}

double histogram_entropy(const std::vector<double>& counts) {
  double total = 0.0;
  for (double c : counts) total += c;
  if (!(total > 0.0)) return 0.0;
  double h = 0.0;
  for (double c : counts) {
    if (c > 0.0) {
      const double pr = c / total;
      h -= pr * std::log(pr);
    }
  }
  return h;
}

double bulk_entropy(const ChainNetwork& net) {
  std::int64_t longest = 0;
  for (const Chain& c : net.chains) longest = std::max(longest, c.bulk);
  std::vector<double> counts(static_cast<std::size_t>(longest + 1), 0.0);
  for (const Chain& c : net.chains) counts[static_cast<std::size_t>(c.bulk)] += 1.0;
  return histogram_entropy(counts);
}

double boundary_entropy(const Eigen::MatrixXd& w_boundary, double epsilon, double bin_width) {
  // d(i, j) of (100), binned around multiples of the width (d is an integer on a single chain); the
  // entries with no path (ŵ = 0) are not part of the histogram
  const double log_eps = std::log(epsilon);
  std::map<std::int64_t, double> bins;
  for (Eigen::Index j = 0; j < w_boundary.cols(); ++j) {
    for (Eigen::Index i = 0; i < w_boundary.rows(); ++i) {
      const double v = w_boundary(i, j);
      if (!(v > 0.0)) continue;
      const double d = std::log(v) / log_eps - 1.0;
      bins[static_cast<std::int64_t>(std::floor(d / bin_width + 0.5))] += 1.0;
    }
  }
  std::vector<double> counts;
  counts.reserve(bins.size());
  for (const auto& [k, c] : bins) counts.push_back(c);
  return histogram_entropy(counts);
}

std::vector<double> equilibrium_length_pmf(std::int64_t n_bulk, std::int64_t m) {
  // P(L = k) = C(N − k + m − 2, m − 2) / C(N + m − 1, m − 1), through lgamma.
  auto log_choose = [](double n, double k) {
    return std::lgamma(n + 1.0) - std::lgamma(k + 1.0) - std::lgamma(n - k + 1.0);
  };
  const auto nn = static_cast<double>(n_bulk);
  const auto mm = static_cast<double>(m);
  const double log_total = log_choose(nn + mm - 1.0, mm - 1.0);
  std::vector<double> pmf(static_cast<std::size_t>(n_bulk + 1));
  for (std::int64_t k = 0; k <= n_bulk; ++k) {
    const auto kk = static_cast<double>(k);
    pmf[static_cast<std::size_t>(k)] =
        std::exp(log_choose(nn - kk + mm - 2.0, mm - 2.0) - log_total);
  }
  return pmf;
}

double equilibrium_length_variance(std::int64_t n_bulk, std::int64_t m) {
  const auto nn = static_cast<double>(n_bulk);
  const auto mm = static_cast<double>(m);
  return nn * (mm - 1.0) * (mm + nn) / (mm * mm * (mm + 1.0));
}

}  // namespace nnworld::holography
