#include "nnworld/trainable/network_measures.hpp"

#include <Eigen/Eigenvalues>

#include <cmath>
#include <numbers>

#include "nnworld/network/activation.hpp"

namespace nnworld::trainable {

HiddenRelaxation hidden_relaxation_time(const NetworkEnsemble& ensemble,
                                        const network::Dataset& data,
                                        std::span<const Eigen::Index> rows, std::int64_t replicas) {
  replicas = std::min(replicas, ensemble.replicas());
  const int relax = ensemble.options().relax_steps;
  std::vector<double> tau(static_cast<std::size_t>(replicas), std::nan(""));
  std::vector<double> rho_max(static_cast<std::size_t>(replicas), 0.0);
  std::vector<std::int64_t> bad(static_cast<std::size_t>(replicas), 0);
#pragma omp parallel for schedule(static)
  for (std::int64_t r = 0; r < replicas; ++r) {
    const network::Network net = ensemble.network(r);
    std::vector<Eigen::Index> free;
    std::vector<std::uint8_t> held(static_cast<std::size_t>(net.n()), 0);
    for (auto i : net.inputs) held[static_cast<std::size_t>(i)] = 1;
    for (Eigen::Index i = 0; i < net.n(); ++i) {
      if (held[static_cast<std::size_t>(i)] == 0) free.push_back(i);
    }
    double sum = 0.0;
    int used = 0;
    for (const Eigen::Index row : rows) {
      // The relaxed state of the row without the targets (the state (1) relaxes to).
      network::Vector x = network::Vector::Zero(net.n());
      for (std::size_t a = 0; a < net.inputs.size(); ++a)
        x[net.inputs[a]] = data.rows(row, static_cast<Eigen::Index>(a));
      x = network::iterate(net, std::move(x), std::max(relax, 50), net.inputs);
      const network::Matrix j = network::jacobian(net, x);
      network::Matrix jff(static_cast<Eigen::Index>(free.size()),
                          static_cast<Eigen::Index>(free.size()));
      for (std::size_t a = 0; a < free.size(); ++a) {
        for (std::size_t b = 0; b < free.size(); ++b)
          jff(static_cast<Eigen::Index>(a), static_cast<Eigen::Index>(b)) = j(free[a], free[b]);
      }
      const double rho = free.empty() ? 0.0 : network::spectral_radius(jff);
      rho_max[static_cast<std::size_t>(r)] = std::max(rho_max[static_cast<std::size_t>(r)], rho);
      if (!(rho < 1.0)) {
        ++bad[static_cast<std::size_t>(r)];
        continue;
      }
      sum += (1.0 + rho) / (1.0 - rho);
      ++used;
    }
    if (used > 0) tau[static_cast<std::size_t>(r)] = sum / used;
  }
  HiddenRelaxation h;
  h.tau = core::mean_error(tau);
  for (std::int64_t r = 0; r < replicas; ++r) {
    h.rho_max = std::max(h.rho_max, rho_max[static_cast<std::size_t>(r)]);
    h.not_contracting += bad[static_cast<std::size_t>(r)];
  }
  return h;
}

std::vector<LoopIntegral> loop_integrals(const std::vector<ReplicaRecord>& records, double epsilon,
                                         std::int64_t min_length) {
  std::vector<LoopIntegral> out;
  if (records.empty()) return out;
  const auto m = static_cast<std::int64_t>(records.front().f.size());
  const std::int64_t k = m > 0 ? static_cast<std::int64_t>(records.front().q.size()) / m : 1;
  const auto nr = static_cast<std::int64_t>(records.size());
  for (std::int64_t r = 0; r < m; ++r) {
    std::int64_t i = 0;
    while (i < nr) {
      const double fi = records[static_cast<std::size_t>(i)].f[static_cast<std::size_t>(r)];
      std::int64_t closed = -1;
      if (std::isfinite(fi)) {
        for (std::int64_t j = i + min_length; j < nr; ++j) {
          double d2 = 0.0;
          for (std::int64_t a = 0; a < k; ++a) {
            const double d =
                records[static_cast<std::size_t>(j)].q[static_cast<std::size_t>(r * k + a)] -
                records[static_cast<std::size_t>(i)].q[static_cast<std::size_t>(r * k + a)];
            d2 += d * d;
          }
          if (d2 < epsilon * epsilon &&
              std::isfinite(records[static_cast<std::size_t>(j)].f[static_cast<std::size_t>(r)])) {
            closed = j;
            break;
          }
        }
      }
      if (closed < 0) {
        ++i;
        continue;
      }
      LoopIntegral l;
      l.replica = r;
      l.from = i;
      l.to = closed;
      l.integral = records[static_cast<std::size_t>(closed)].f[static_cast<std::size_t>(r)] - fi;
      if (!records.front().neurons.empty()) {
        for (std::int64_t t = i + 1; t <= closed; ++t) {
          l.neuron_changes += std::abs(
              records[static_cast<std::size_t>(t)].neurons[static_cast<std::size_t>(r)] -
              records[static_cast<std::size_t>(t - 1)].neurons[static_cast<std::size_t>(r)]);
        }
      }
      out.push_back(l);
      i = closed;
    }
  }
  return out;
}

core::MeanError integer_phase(std::span<const double> x) {
  std::vector<double> c;
  c.reserve(x.size());
  for (double v : x) c.push_back(std::cos(2.0 * std::numbers::pi * v));
  return core::mean_error(c);
}

}  // namespace nnworld::trainable
