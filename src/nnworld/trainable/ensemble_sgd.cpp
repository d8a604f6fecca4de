// SGD replicas of a parametrised network and the adaptive-learning mode (see ensemble_sgd.hpp).
#include "nnworld/trainable/ensemble_sgd.hpp"

#include <omp.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <exception>
#include <limits>
#include <string>
#include <type_traits>

#include "nnworld/core/error.hpp"
#include "nnworld/core/rng.hpp"
#include "nnworld/trainable/ensemble_kernels.hpp"

namespace nnworld::trainable {

namespace {

// Counter offset of the rows of the probe batch that initialises Σ̄ in the adaptive modes
// (independent of the rows k < 2³² of the training batches at the same step).
constexpr std::uint64_t kProbeIndex = std::uint64_t{1} << 32;

// Σ_ij dw_ij d_ij over the stored entries of dw (the gradient, in the layout of ŵ(q)) with the
// direction d (whose entries lie in that pattern).
double weights_dot(const network::Weights& dw, const network::Weights& d) {
  if (const auto* g = std::get_if<network::DenseWeights>(&dw)) {
    if (const auto* dd = std::get_if<network::DenseWeights>(&d)) return g->cwiseProduct(*dd).sum();
    if (const auto* ds = std::get_if<network::SparseWeights>(&d)) {
      double s = 0.0;
      for (Eigen::Index i = 0; i < ds->outerSize(); ++i)
        for (network::SparseWeights::InnerIterator it(*ds, i); it; ++it)
          s += it.value() * (*g)(i, it.col());
      return s;
    }
    const auto& dp = std::get<network::PermutationWeights>(d);
    double s = 0.0;
    for (Eigen::Index i = 0; i < dp.value.size(); ++i)
      s += dp.value[i] * (*g)(i, dp.source[static_cast<std::size_t>(i)]);
    return s;
  }
  if (const auto* g = std::get_if<network::SparseWeights>(&dw)) {
    double s = 0.0;
    for (Eigen::Index i = 0; i < g->outerSize(); ++i) {
      for (network::SparseWeights::InnerIterator it(*g, i); it; ++it) {
        if (const auto* ds = std::get_if<network::SparseWeights>(&d)) {
          s += it.value() * ds->coeff(i, it.col());
        } else {
          s += it.value() * network::to_dense(d)(i, it.col());
        }
      }
    }
    return s;
  }
  const auto& g = std::get<network::PermutationWeights>(dw);
  if (const auto* dp = std::get_if<network::PermutationWeights>(&d)) return g.value.dot(dp->value);
  const network::DenseWeights dd = network::to_dense(d);
  double s = 0.0;
  for (Eigen::Index i = 0; i < g.value.size(); ++i)
    s += g.value[i] * dd(i, g.source[static_cast<std::size_t>(i)]);
  return s;
}

void validate_options(const SgdEnsembleOptions& o) {
  auto bad = [](const std::string& key, const std::string& value, const std::string& expected) {
    return Error("sgd ensemble: " + key, "invalid value " + value, expected);
  };
  if (!(o.step > 0.0) || !std::isfinite(o.step))
    throw bad("step", std::to_string(o.step), "a finite step size > 0");
  if (o.batch < 2) throw bad("batch", std::to_string(o.batch), "a batch size >= 2");
  if (o.relax_steps < 0) throw bad("relax_steps", std::to_string(o.relax_steps), ">= 0");
  if (!(o.time_per_step > 0.0))
    throw bad("time_per_step", std::to_string(o.time_per_step), "a time > 0");
  const AdaptiveOptions& a = o.adapt;
  if (a.mode != Adaptation::none) {
    if (!(a.target > 0.0) || !std::isfinite(a.target))
      throw bad("adapt.target", std::to_string(a.target), "θ = D/γ > 0");
    if (!(a.smoothing > 0.0 && a.smoothing <= 1.0))
      throw bad("adapt.smoothing", std::to_string(a.smoothing), "α in (0, 1]");
    if (!(a.min_step > 0.0 && a.min_step <= a.max_step))
      throw bad("adapt.min_step", std::to_string(a.min_step), "0 < min_step <= max_step");
    if (!(a.min_batch >= 2 && a.min_batch <= a.max_batch))
      throw bad("adapt.min_batch", std::to_string(a.min_batch), "2 <= min_batch <= max_batch");
  }
}

// Per cell c: {Σ v_r, n} over the replicas r with cell[r] = c (cell −1: outside, skipped),
// summed in replica order.
std::vector<std::array<double, 2>> cell_sums(std::size_t cells,
                                             const std::vector<std::int64_t>& cell,
                                             const std::vector<double>& v) {
  std::vector<std::array<double, 2>> out(cells, std::array<double, 2>{0.0, 0.0});
  for (std::size_t r = 0; r < cell.size(); ++r) {
    if (cell[r] < 0) continue;
    auto& o = out[static_cast<std::size_t>(cell[r])];
    o[0] += v[r];
    o[1] += 1.0;
  }
  return out;
}

}  // namespace

// step_size: η = clamp(2Bθ/Σ̄);  batch_size: B = clamp(round(ηΣ̄/(2θ))).
void apply_adaptation(const AdaptiveOptions& a, double noise, double& eta, std::int64_t& batch) {
  if (a.mode == Adaptation::step_size) {
    eta = noise > 0.0 ? 2.0 * static_cast<double>(batch) * a.target / noise : a.max_step;
    eta = std::clamp(eta, a.min_step, a.max_step);
  } else if (a.mode == Adaptation::batch_size) {
    const double b = eta * noise / (2.0 * a.target);
    batch = std::isfinite(b) ? std::clamp<std::int64_t>(std::llround(b), a.min_batch, a.max_batch)
                             : a.max_batch;
  } else if (a.mode == Adaptation::both) {
    const double b = a.reference_step * noise / (2.0 * a.target);
    batch = std::isfinite(b) ? std::clamp<std::int64_t>(std::llround(b), a.min_batch, a.max_batch)
                             : a.max_batch;
    eta = noise > 0.0 ? 2.0 * static_cast<double>(batch) * a.target / noise : a.max_step;
    eta = std::clamp(eta, a.min_step, a.max_step);
  }
}

SgdEnsemble make_sgd_ensemble(Ensemble start, const SgdEnsembleOptions& options) {
  validate_options(options);
  SgdEnsemble s;
  const auto m = static_cast<std::size_t>(start.replicas);
  s.ensemble = std::move(start);
  s.step_size.assign(m, options.step);
  s.batch.assign(m, options.batch);
  s.noise.assign(m, std::numeric_limits<double>::quiet_NaN());
  s.batch_loss.assign(m, std::numeric_limits<double>::quiet_NaN());
  return s;
}

// L_B = (1/B) Σ_s H_s,  ∂_k L_B = (1/B) Σ_s [∂H_s/∂b · b_k + Σ_ij ∂H_s/∂w_ij w_k,ij],
// Σ̂ = (1/K) Σ_k (1/(B−1)) Σ_s (∂_k H_s − ∂_k L_B)²  (Welford's update, in row order).
BatchGradient minibatch_gradient(const ParametrisedNetwork& pnet, const Point& q,
                                 const network::Dataset& data, std::span<const Eigen::Index> rows,
                                 int relax_steps, network::LossKind loss) {
  const int k = pnet.dims();
  const network::Network net = pnet.at(q);
  BatchGradient out;
  Point mean{0.0, 0.0, 0.0}, m2{0.0, 0.0, 0.0};
  double loss_sum = 0.0;
  double count = 0.0;
  for (const Eigen::Index row : rows) {
    const network::Vector x = relaxed_state(net, data, row, relax_steps);
    const network::LossGradient g = network::loss_gradient(net, x, loss);
    loss_sum += g.loss;
    count += 1.0;
    for (int j = 0; j < k; ++j) {
      const auto ju = static_cast<std::size_t>(j);
      const double gj =
          g.db.dot(pnet.bias_directions[ju]) + weights_dot(g.dw, pnet.weight_directions[ju]);
      const double delta = gj - mean[j];
      mean[j] += delta / count;
      m2[j] += delta * (gj - mean[j]);
    }
  }
  if (count == 0.0) return out;
  out.loss = loss_sum / count;
  out.gradient = mean;
  if (count > 1.0) {
    double v = 0.0;
    for (int j = 0; j < k; ++j) v += m2[j] / (count - 1.0);
    out.variance = v / k;
  }
  return out;
}

// q_r ← q_r − η_r ∇_q L_B(q_r) for every replica, rows from RngStream(seed, minibatch, r).
SgdStepSummary sgd_step(SgdEnsemble& sgd, const ParametrisedNetwork& pnet,
                        const network::Dataset& data, const SgdEnsembleOptions& options,
                        const core::Grid* grid) {
  validate_options(options);
  Ensemble& e = sgd.ensemble;
  const int k = e.dims;
  if (k != pnet.dims())
    throw Error("sgd_step", "an ensemble with K = " + std::to_string(k),
                "K = " + std::to_string(pnet.dims()) + " (the parametrised network's)");
  if (grid != nullptr && grid->dims != k)
    throw Error("sgd_step", "a grid with another number of axes", "K axes");
  if (data.rows.rows() < 1) throw Error("sgd_step", "an empty dataset", "at least one sample");
  const auto m = e.replicas;
  const auto mu = static_cast<std::size_t>(m);
  if (sgd.step_size.size() != mu || sgd.batch.size() != mu || sgd.noise.size() != mu)
    throw Error("sgd_step", "per-replica state of the wrong size", "make_sgd_ensemble");
  const AdaptiveOptions& a = options.adapt;
  const bool adaptive = a.mode != Adaptation::none;
  const bool use_map = adaptive && a.scope == AdaptScope::map;
  if (use_map && a.map_grid.dims != k)
    throw Error("sgd_step: adapt.map_grid",
                "a grid with " + std::to_string(a.map_grid.dims) + " axes",
                "K = " + std::to_string(k) + " axes");
  sgd.batch_loss.resize(mu);
  const auto n_rows = static_cast<std::uint64_t>(data.rows.rows());
  const auto step = static_cast<std::uint64_t>(e.step);
  std::vector<double> temperature(mu, 0.0), used_step(mu, 0.0), used_batch(mu, 0.0);
  std::vector<double> variance(mu, 0.0);
  std::vector<std::exception_ptr> failure(mu);
  auto rethrow = [&] {
    for (const auto& f : failure) {
      if (f) std::rethrow_exception(f);
    }
  };

  // 1. Probe batches for replicas without an estimate yet.
  if (adaptive) {
#pragma omp parallel
    {
      omp_set_num_threads(1);
      std::vector<Eigen::Index> rows;
#pragma omp for schedule(dynamic, 16)
      for (std::int64_t r = 0; r < m; ++r) {
        const auto ru = static_cast<std::size_t>(r);
        if (!std::isnan(sgd.noise[ru])) continue;
        try {
          const core::RngStream rng(options.seed, core::StreamTag::minibatch,
                                    static_cast<std::uint64_t>(r));
          rows.resize(static_cast<std::size_t>(sgd.batch[ru]));
          for (std::size_t j = 0; j < rows.size(); ++j)
            rows[j] = static_cast<Eigen::Index>(rng.below(step, kProbeIndex + j, n_rows));
          sgd.noise[ru] =
              minibatch_gradient(pnet, e.position(r), data, rows, options.relax_steps, options.loss)
                  .variance;
        } catch (...) {
          failure[ru] = std::current_exception();
        }
      }
    }
    rethrow();
  }

  // 2. Cells of the replicas (before the step) and cells without an estimate: the mean Σ̄_r of
  //    the replicas in them.
  std::vector<std::int64_t> cell;
  if (use_map) {
    if (sgd.noise_map.size() != static_cast<std::size_t>(a.map_grid.size()))
      sgd.noise_map.assign(static_cast<std::size_t>(a.map_grid.size()),
                           std::numeric_limits<double>::quiet_NaN());
    cell.resize(mu);
    for (std::int64_t r = 0; r < m; ++r)
      cell[static_cast<std::size_t>(r)] = kernels::flat_cell(a.map_grid, e.q.data() + r * k);
    const auto sums = cell_sums(sgd.noise_map.size(), cell, sgd.noise);
    for (std::size_t c = 0; c < sums.size(); ++c) {
      if (std::isnan(sgd.noise_map[c]) && sums[c][1] > 0.0)
        sgd.noise_map[c] = sums[c][0] / sums[c][1];
    }
  }

  // 3. The steps.
  int bad = 0;
#pragma omp parallel reduction(| : bad)
  {
    omp_set_num_threads(1);  // the network kernels of each replica run serially
    std::vector<Eigen::Index> rows;
#pragma omp for schedule(dynamic, 16)
    for (std::int64_t r = 0; r < m; ++r) {
      const auto ru = static_cast<std::size_t>(r);
      try {
        if (adaptive) {
          double estimate = sgd.noise[ru];
          if (use_map && cell[ru] >= 0) {
            const double v = sgd.noise_map[static_cast<std::size_t>(cell[ru])];
            if (std::isfinite(v)) estimate = v;
          }
          apply_adaptation(a, estimate, sgd.step_size[ru], sgd.batch[ru]);
        }
        const core::RngStream rng(options.seed, core::StreamTag::minibatch,
                                  static_cast<std::uint64_t>(r));
        const double eta = sgd.step_size[ru];
        const std::int64_t b = sgd.batch[ru];
        rows.resize(static_cast<std::size_t>(b));
        for (std::size_t j = 0; j < rows.size(); ++j)
          rows[j] = static_cast<Eigen::Index>(rng.below(step, j, n_rows));
        const BatchGradient g =
            minibatch_gradient(pnet, e.position(r), data, rows, options.relax_steps, options.loss);
        sgd.batch_loss[ru] = g.loss;
        for (int j = 0; j < k; ++j) {
          double& qj = e.q[static_cast<std::size_t>(r * k + j)];
          qj -= eta * g.gradient[j];
          bad |= std::isfinite(qj) ? 0 : 1;
        }
        bad |= std::isfinite(g.loss) ? 0 : 1;
        used_step[ru] = eta;
        used_batch[ru] = static_cast<double>(b);
        variance[ru] = g.variance;
        temperature[ru] = eta * g.variance / (2.0 * static_cast<double>(b));
        sgd.noise[ru] =
            adaptive ? (1.0 - a.smoothing) * sgd.noise[ru] + a.smoothing * g.variance : g.variance;
      } catch (...) {
        failure[ru] = std::current_exception();
      }
    }
  }
  rethrow();
  if (bad) throw Divergence(static_cast<long>(e.step), "replica coordinate q or loss");

  // 4. The shared estimate: Σ̄(c) ← (1 − α)Σ̄(c) + α·mean over the replicas in c of this step's Σ̂.
  if (use_map) {
    const auto sums = cell_sums(sgd.noise_map.size(), cell, variance);
    for (std::size_t c = 0; c < sums.size(); ++c) {
      if (sums[c][1] > 0.0)
        sgd.noise_map[c] =
            (1.0 - a.smoothing) * sgd.noise_map[c] + a.smoothing * sums[c][0] / sums[c][1];
    }
  }
  if (grid != nullptr) confine(e, *grid);
  e.step += 1;
  e.time += options.time_per_step;

  SgdStepSummary s;
  const double inv = 1.0 / static_cast<double>(m);
  for (std::size_t r = 0; r < mu; ++r) {
    s.mean_batch_loss += sgd.batch_loss[r] * inv;
    s.mean_step += used_step[r] * inv;
    s.mean_batch += used_batch[r] * inv;
    s.mean_temperature += temperature[r] * inv;
  }
  return s;
}

FreeEnergyField sgd_drift_field(const ParametrisedNetwork& pnet, const network::Dataset& data,
                                int relax_steps, const core::Grid& grid, network::LossKind loss) {
  pnet.validate();
  if (grid.dims != pnet.dims())
    throw Error("sgd_drift_field", "a grid with " + std::to_string(grid.dims) + " axes",
                "K = " + std::to_string(pnet.dims()) + " axes");
  if (data.rows.rows() < 1)
    throw Error("sgd_drift_field", "an empty dataset", "at least one sample");
  std::vector<Eigen::Index> rows(static_cast<std::size_t>(data.rows.rows()));
  for (std::size_t s = 0; s < rows.size(); ++s) rows[s] = static_cast<Eigen::Index>(s);
  FreeEnergyField f;
  f.grid = grid;
  f.value.resize(static_cast<std::size_t>(grid.size()));
  for (int a = 0; a < grid.dims; ++a) f.gradient[a].resize(f.value.size());
  std::vector<std::exception_ptr> failure(f.value.size());
#pragma omp parallel
  {
    omp_set_num_threads(1);
#pragma omp for schedule(dynamic, 1)
    for (std::int64_t i = 0; i < grid.size(); ++i) {
      const auto iu = static_cast<std::size_t>(i);
      try {
        const BatchGradient g =
            minibatch_gradient(pnet, grid.point(i), data, rows, relax_steps, loss);
        f.value[iu] = -g.loss;
        for (int a = 0; a < grid.dims; ++a) f.gradient[a][iu] = -g.gradient[a];
      } catch (...) {
        failure[iu] = std::current_exception();
      }
    }
  }
  for (const auto& e : failure) {
    if (e) std::rethrow_exception(e);
  }
  return f;
}

std::vector<double> replica_losses(const Ensemble& ensemble, const ParametrisedNetwork& pnet,
                                   const network::Dataset& data, int relax_steps,
                                   network::LossKind loss) {
  std::vector<double> out(static_cast<std::size_t>(ensemble.replicas));
  std::vector<std::exception_ptr> failure(out.size());
#pragma omp parallel
  {
    omp_set_num_threads(1);
#pragma omp for schedule(dynamic, 16)
    for (std::int64_t r = 0; r < ensemble.replicas; ++r) {
      try {
        out[static_cast<std::size_t>(r)] =
            dataset_loss_at(pnet, ensemble.position(r), data, relax_steps, loss);
      } catch (...) {
        failure[static_cast<std::size_t>(r)] = std::current_exception();
      }
    }
  }
  for (const auto& f : failure) {
    if (f) std::rethrow_exception(f);
  }
  return out;
}

}  // namespace nnworld::trainable
