#include "nnworld/trainable/network_ensemble.hpp"

#include <omp.h>

#include <Eigen/Dense>
#include <algorithm>
#include <cmath>
#include <limits>
#include <string>

#include "nnworld/core/error.hpp"
#include "nnworld/core/rng.hpp"
#include "nnworld/core/statistics.hpp"
#include "nnworld/network/activation.hpp"

namespace nnworld::trainable {

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

std::vector<double> flatten(const network::Network& net) {
  const auto n = net.n();
  std::vector<double> t(static_cast<std::size_t>(n + n * n));
  for (std::int64_t i = 0; i < n; ++i) t[static_cast<std::size_t>(i)] = net.b[i];
  const network::DenseWeights w = network::to_dense(net.w);
  for (std::int64_t i = 0; i < n; ++i) {
    for (std::int64_t j = 0; j < n; ++j) t[static_cast<std::size_t>(n + i * n + j)] = w(i, j);
  }
  return t;
}

// Gram–Schmidt (twice, for accuracy) in the order given.
std::vector<std::vector<double>> orthonormalise(std::vector<std::vector<double>> d) {
  for (std::size_t k = 0; k < d.size(); ++k) {
    double norm0 = 0.0;
    for (double v : d[k]) norm0 += v * v;
    norm0 = std::sqrt(norm0);
    for (int pass = 0; pass < 2; ++pass) {
      for (std::size_t j = 0; j < k; ++j) {
        double dot = 0.0;
        for (std::size_t i = 0; i < d[k].size(); ++i) dot += d[k][i] * d[j][i];
        for (std::size_t i = 0; i < d[k].size(); ++i) d[k][i] -= dot * d[j][i];
      }
    }
    double norm = 0.0;
    for (double v : d[k]) norm += v * v;
    norm = std::sqrt(norm);
    if (!(norm > 1e-10 * norm0) || !(norm0 > 0.0)) {
      throw Error("trainable subspace",
                  "direction " + std::to_string(k + 1) +
                      " is zero or lies in the span of the "
                      "ones before it",
                  "K linearly independent directions");
    }
    for (double& v : d[k]) v /= norm;
  }
  return d;
}

// Relaxed states, loss and gradient of one replica's mini-batch (the dense kernel). X holds the
// B states as columns (N × B, column-major), y, fy, dfy scratch of size N.
struct Scratch {
  std::vector<double> x, xn, y, g, gtheta, gq, gq_mean, gq_m2;
  std::vector<std::uint64_t> rows;
};

}  // namespace

std::vector<double> Subspace::theta_at(std::span<const double> q) const {
  std::vector<double> t = flatten(base);
  for (int k = 0; k < dims(); ++k) {
    const auto& d = axes[static_cast<std::size_t>(k)];
    for (std::size_t i = 0; i < t.size(); ++i) t[i] += q[static_cast<std::size_t>(k)] * d[i];
  }
  return t;
}

std::vector<std::uint8_t> Subspace::first_hidden_mask(std::int64_t active_hidden) const {
  std::vector<std::uint8_t> mask(static_cast<std::size_t>(n()), 1);
  if (active_hidden < 0) return mask;
  std::vector<std::uint8_t> boundary(static_cast<std::size_t>(n()), 0);
  for (auto i : base.inputs) boundary[static_cast<std::size_t>(i)] = 1;
  for (auto i : base.outputs) boundary[static_cast<std::size_t>(i)] = 1;
  std::int64_t seen = 0;
  for (std::int64_t i = 0; i < n(); ++i) {
    if (boundary[static_cast<std::size_t>(i)] != 0) continue;
    if (seen++ >= active_hidden) mask[static_cast<std::size_t>(i)] = 0;
  }
  return mask;
}

network::Network Subspace::network_of(std::span<const double> theta,
                                      std::span<const std::uint8_t> active) const {
  const auto n = this->n();
  std::vector<std::int32_t> keep, index(static_cast<std::size_t>(n), -1);
  for (std::int64_t i = 0; i < n; ++i) {
    if (active.empty() || active[static_cast<std::size_t>(i)] != 0) {
      index[static_cast<std::size_t>(i)] = static_cast<std::int32_t>(keep.size());
      keep.push_back(static_cast<std::int32_t>(i));
    }
  }
  const auto m = static_cast<std::int64_t>(keep.size());
  network::Network net;
  net.activation = base.activation;
  net.mass = base.mass;
  net.b.resize(m);
  network::DenseWeights w(m, m);
  for (std::int64_t a = 0; a < m; ++a) {
    const auto i = keep[static_cast<std::size_t>(a)];
    net.b[a] = theta[static_cast<std::size_t>(i)];
    for (std::int64_t c = 0; c < m; ++c) {
      w(a, c) = theta[static_cast<std::size_t>(n + i * n + keep[static_cast<std::size_t>(c)])];
    }
  }
  net.w = std::move(w);
  for (auto i : base.inputs) net.inputs.push_back(index[static_cast<std::size_t>(i)]);
  for (auto i : base.outputs) net.outputs.push_back(index[static_cast<std::size_t>(i)]);
  return net;
}

Subspace orthonormal_subspace(network::Network base, std::vector<std::vector<double>> directions) {
  if (!std::holds_alternative<network::DenseWeights>(base.w)) {
    base.w = network::to_dense(base.w);
  }
  const auto n = base.n();
  if (directions.empty() || directions.size() > 3) {
    throw Error("trainable subspace", std::to_string(directions.size()) + " directions",
                "1 ≤ K ≤ 3 directions");
  }
  for (const auto& d : directions) {
    if (static_cast<std::int64_t>(d.size()) != n + n * n) {
      throw Error("trainable subspace", "a direction of length " + std::to_string(d.size()),
                  std::to_string(n + n * n) + " numbers (N + N², b then ŵ row-major)");
    }
  }
  Subspace s;
  s.base = std::move(base);
  s.axes = orthonormalise(std::move(directions));
  return s;
}

Subspace orthonormal_subspace(const ParametrisedNetwork& pnet) {
  pnet.validate();
  std::vector<std::vector<double>> d;
  for (int k = 0; k < pnet.dims(); ++k) {
    network::Network dir = pnet.base;
    dir.b = pnet.bias_directions[static_cast<std::size_t>(k)];
    dir.w = network::to_dense(pnet.weight_directions[static_cast<std::size_t>(k)]);
    d.push_back(flatten(dir));
  }
  return orthonormal_subspace(pnet.base, std::move(d));
}

NetworkEnsemble::NetworkEnsemble(Subspace subspace, const Ensemble& start,
                                 NetworkEnsembleOptions options, std::int64_t initial_hidden)
    : sub_(std::move(subspace)), opt_(std::move(options)) {
  sub_.base.validate();
  m_ = start.replicas;
  k_ = sub_.dims();
  n_ = sub_.n();
  p_ = sub_.parameters();
  if (start.dims != k_) {
    throw Error("network ensemble", "a start with K = " + std::to_string(start.dims),
                "K = " + std::to_string(k_) + " (the subspace's)");
  }
  if (opt_.batch < 2) throw Error("network ensemble", "batch < 2", "B ≥ 2");
  if (opt_.relax_steps < 0) throw Error("network ensemble", "relax_steps < 0", "≥ 0");
  if (opt_.adapt.mode != Adaptation::none && opt_.adapt.scope != AdaptScope::replica) {
    throw Error("network ensemble", "adaptation scope map", "scope replica");
  }
  hidden_.assign(static_cast<std::size_t>(n_), 1);
  for (auto i : sub_.base.inputs) hidden_[static_cast<std::size_t>(i)] = 0;
  for (auto i : sub_.base.outputs) hidden_[static_cast<std::size_t>(i)] = 0;
  theta_.resize(static_cast<std::size_t>(m_ * p_));
  q_.resize(static_cast<std::size_t>(m_ * k_));
  active_.assign(static_cast<std::size_t>(m_ * n_), 1);
  const std::vector<std::uint8_t> mask = sub_.first_hidden_mask(initial_hidden);
  for (std::int64_t r = 0; r < m_; ++r) {
    const Point p = start.position(r);
    const std::vector<double> t = sub_.theta_at(std::span<const double>(p.data(), 3));
    std::copy(t.begin(), t.end(), theta_.begin() + r * p_);
    std::copy(mask.begin(), mask.end(), active_.begin() + r * n_);
    for (std::int64_t i = 0; i < n_; ++i) {
      if (mask[static_cast<std::size_t>(i)] != 0) continue;  // no weights on an inactive neuron
      double* th = theta_.data() + r * p_;
      th[i] = 0.0;
      for (std::int64_t j = 0; j < n_; ++j) th[n_ + i * n_ + j] = th[n_ + j * n_ + i] = 0.0;
    }
    for (int a = 0; a < k_; ++a) q_[static_cast<std::size_t>(r * k_ + a)] = p[a];
  }
  tag_ = start.tag;
  eta_.assign(static_cast<std::size_t>(m_), opt_.step);
  batch_.assign(static_cast<std::size_t>(m_), opt_.batch);
  noise_.assign(static_cast<std::size_t>(m_), kNaN);
  loss_.assign(static_cast<std::size_t>(m_), kNaN);
}

std::span<const double> NetworkEnsemble::theta(std::int64_t r) const {
  return {theta_.data() + r * p_, static_cast<std::size_t>(p_)};
}

std::span<const std::uint8_t> NetworkEnsemble::active(std::int64_t r) const {
  return {active_.data() + r * n_, static_cast<std::size_t>(n_)};
}

std::int64_t NetworkEnsemble::active_hidden(std::int64_t r) const {
  std::int64_t c = 0;
  for (std::int64_t i = 0; i < n_; ++i) {
    c += hidden_[static_cast<std::size_t>(i)] != 0 && active_[static_cast<std::size_t>(r * n_ + i)];
  }
  return c;
}

network::Network NetworkEnsemble::network(std::int64_t r) const {
  return sub_.network_of(theta(r), active(r));
}

Ensemble NetworkEnsemble::positions() const {
  Ensemble e;
  e.dims = k_;
  e.replicas = m_;
  e.q = q_;
  e.tag = tag_;
  e.step = step_;
  e.time = static_cast<double>(step_);
  return e;
}

std::size_t NetworkEnsemble::state_bytes() const {
  return theta_.size() * sizeof(double) + q_.size() * sizeof(double) + active_.size() +
         (eta_.size() + noise_.size() + loss_.size()) * sizeof(double) +
         batch_.size() * sizeof(std::int64_t);
}

void NetworkEnsemble::sync_q(std::int64_t r) {
  const std::vector<double> t0 = flatten(sub_.base);
  const double* th = theta_.data() + r * p_;
  for (int a = 0; a < k_; ++a) {
    const auto& d = sub_.axes[static_cast<std::size_t>(a)];
    double s = 0.0;
    for (std::int64_t i = 0; i < p_; ++i)
      s += d[static_cast<std::size_t>(i)] * (th[i] - t0[static_cast<std::size_t>(i)]);
    q_[static_cast<std::size_t>(r * k_ + a)] = s;
  }
}

namespace {

// One replica's mini-batch on the dense parameters θ (b then ŵ row-major), masks applied: the B
// states are the columns of X (N × B); each relaxation step is Y = ŵX + b1ᵀ (one small GEMM), f
// applied to the whole block (the vectorised activation), then the rows that (1) does not update
// (inputs, inactive neurons) restored. Returns the mini-batch loss; fills sc.gtheta (the mean
// gradient) and, when want_q, the mean and the sum of squared deviations of the per-sample
// q-gradient (sc.gq_mean, sc.gq_m2). `keep`: 1 for the rows (1) leaves as they are; `lossmask`:
// the neurons of the loss (active; boundary too for (4)).
double batch_gradient(const double* th, const std::uint8_t* keep, const std::uint8_t* lossmask,
                      const std::uint8_t* act, std::int64_t n, const network::Network& base,
                      const network::Dataset& data, std::span<const std::uint64_t> rows, int relax,
                      const Subspace& sub, bool want_q, Scratch& sc) {
  using RowMap =
      Eigen::Map<const Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>>;
  using Block = Eigen::Map<Eigen::MatrixXd>;
  const auto bsz = static_cast<std::int64_t>(rows.size());
  const auto n_in = static_cast<std::int64_t>(base.inputs.size());
  const auto n_out = static_cast<std::int64_t>(base.outputs.size());
  const bool targets = n_out > 0 && data.rows.cols() == n_in + n_out;
  const int k = sub.dims();
  const auto nb = static_cast<std::size_t>(n * bsz);
  sc.x.resize(nb);
  sc.xn.resize(nb);
  sc.y.resize(nb);
  sc.g.resize(nb);
  sc.gq.resize(nb);
  const RowMap w(th + n, n, n);
  const Eigen::Map<const Eigen::VectorXd> b(th, n);
  Block x(sc.x.data(), n, bsz), y(sc.y.data(), n, bsz), xn(sc.xn.data(), n, bsz),
      g(sc.g.data(), n, bsz), dfy(sc.gq.data(), n, bsz);
  x.setZero();
  for (std::int64_t s = 0; s < bsz; ++s) {
    const auto row = static_cast<Eigen::Index>(rows[static_cast<std::size_t>(s)]);
    for (std::int64_t a = 0; a < n_in; ++a)
      x(base.inputs[static_cast<std::size_t>(a)], s) = data.rows(row, a);
  }
  for (int t = 0; t < relax; ++t) {
    xn.noalias() = w * x;
    xn.colwise() += b;
    network::apply_activation(base.activation, sc.xn.data(), n * bsz);
    for (std::int64_t i = 0; i < n; ++i) {
      if (keep[i] != 0) xn.row(i) = x.row(i);
    }
    x.swap(xn);
  }
  if (targets) {
    for (std::int64_t s = 0; s < bsz; ++s) {
      const auto row = static_cast<Eigen::Index>(rows[static_cast<std::size_t>(s)]);
      for (std::int64_t a = 0; a < n_out; ++a)
        x(base.outputs[static_cast<std::size_t>(a)], s) = data.rows(row, n_in + a);
    }
  }
  // Loss (3) or (4) at x (network::loss_terms): x_s = x on the loss's neurons, 0 elsewhere;
  // y = b + ŵ x_s on the loss's rows, 0 on the other active rows; r = x_s − f(y).
  for (std::int64_t i = 0; i < n; ++i) {
    if (lossmask[i] == 0) x.row(i).setZero();  // x now holds x_s
  }
  y.noalias() = w * x;
  y.colwise() += b;
  for (std::int64_t i = 0; i < n; ++i) {
    if (lossmask[i] == 0) y.row(i).setZero();
  }
  network::activation_derivative(base.activation, sc.y.data(), sc.gq.data(), n * bsz);
  network::apply_activation(base.activation, sc.y.data(), n * bsz);  // y now holds f(y)
  double loss = 0.0;
  for (std::int64_t s = 0; s < bsz; ++s) {
    for (std::int64_t i = 0; i < n; ++i) {
      if (act[i] == 0) {
        g(i, s) = 0.0;
        continue;
      }
      const double r = x(i, s) - y(i, s);
      loss += 0.5 * r * r - 0.5 * base.mass * x(i, s) * x(i, s);
      g(i, s) = lossmask[i] != 0 ? -r * dfy(i, s) : 0.0;
    }
  }
  // ∂H/∂b = mean of g, ∂H/∂ŵ = mean of g x_sᵀ.
  const double inv = 1.0 / static_cast<double>(bsz);
  sc.gtheta.resize(static_cast<std::size_t>(n + n * n));
  Eigen::Map<Eigen::VectorXd>(sc.gtheta.data(), n) = g.rowwise().sum() * inv;
  Eigen::Map<Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>>(
      sc.gtheta.data() + n, n, n)
      .noalias() = (g * x.transpose()) * inv;
  sc.gq_mean.assign(static_cast<std::size_t>(k), 0.0);
  sc.gq_m2.assign(static_cast<std::size_t>(k), 0.0);
  if (want_q) {
    // Per sample, ∂H/∂q_a = g_sᵀ(d_a,b + D_a,W x_s): the rows of D_a,W applied to every x_s.
    for (int a = 0; a < k; ++a) {
      const auto& d = sub.axes[static_cast<std::size_t>(a)];
      const RowMap dw(d.data() + n, n, n);
      const Eigen::Map<const Eigen::VectorXd> db(d.data(), n);
      xn.noalias() = dw * x;
      xn.colwise() += db;
      for (std::int64_t s = 0; s < bsz; ++s) {
        const double v = g.col(s).dot(xn.col(s));
        const double cnt = static_cast<double>(s + 1);
        const double delta = v - sc.gq_mean[static_cast<std::size_t>(a)];
        sc.gq_mean[static_cast<std::size_t>(a)] += delta / cnt;
        sc.gq_m2[static_cast<std::size_t>(a)] +=
            delta * (v - sc.gq_mean[static_cast<std::size_t>(a)]);
      }
    }
  }
  return loss * inv;
}

}  // namespace

void NetworkEnsemble::step(const network::Dataset& data) {
  if (data.rows.rows() < 1) throw Error("network ensemble", "an empty dataset", "≥ 1 sample");
  const auto n_rows = static_cast<std::uint64_t>(data.rows.rows());
  const auto s = static_cast<std::uint64_t>(step_);
  const bool adaptive = opt_.adapt.mode != Adaptation::none;
  const bool frozen = !opt_.train_all;
  const std::vector<double> t0 = flatten(sub_.base);
  std::vector<std::uint8_t> boundary(static_cast<std::size_t>(n_), 0);
  for (auto i : sub_.base.inputs) boundary[static_cast<std::size_t>(i)] = 1;
  for (auto i : sub_.base.outputs) boundary[static_cast<std::size_t>(i)] = 1;
  std::int64_t bad = -1;
  std::vector<std::uint8_t> input(static_cast<std::size_t>(n_), 0);
  for (auto i : sub_.base.inputs) input[static_cast<std::size_t>(i)] = 1;
#pragma omp parallel
  {
    omp_set_num_threads(1);  // the network kernels of each replica run serially (any thread count)
    Scratch sc;
    std::vector<std::uint8_t> lossmask(static_cast<std::size_t>(n_)),
        keep(static_cast<std::size_t>(n_));
#pragma omp for schedule(static)
    for (std::int64_t r = 0; r < m_; ++r) {
      const auto ru = static_cast<std::size_t>(r);
      const std::uint8_t* act = active_.data() + r * n_;
      for (std::int64_t i = 0; i < n_; ++i) {
        const auto iu = static_cast<std::size_t>(i);
        lossmask[iu] = act[i] != 0 && (opt_.loss == network::LossKind::bulk || boundary[iu] != 0);
        keep[iu] = act[i] == 0 || input[iu] != 0;
      }
      if (adaptive && std::isfinite(noise_[ru]))
        apply_adaptation(opt_.adapt, noise_[ru], eta_[ru], batch_[ru]);
      const core::RngStream rng(opt_.seed, core::StreamTag::minibatch,
                                static_cast<std::uint64_t>(r));
      sc.rows.resize(static_cast<std::size_t>(batch_[ru]));
      for (std::int64_t j = 0; j < batch_[ru]; ++j)
        sc.rows[static_cast<std::size_t>(j)] = rng.below(s, static_cast<std::uint64_t>(j), n_rows);
      double* th = theta_.data() + r * p_;
      const double l = batch_gradient(th, keep.data(), lossmask.data(), act, n_, sub_.base, data,
                                      sc.rows, opt_.relax_steps, sub_, adaptive || frozen, sc);
      loss_[ru] = l;
      if (adaptive) {
        double v = 0.0;
        for (int a = 0; a < k_; ++a)
          v += sc.gq_m2[static_cast<std::size_t>(a)] / static_cast<double>(batch_[ru] - 1);
        v /= k_;
        noise_[ru] = std::isfinite(noise_[ru])
                         ? (1.0 - opt_.adapt.smoothing) * noise_[ru] + opt_.adapt.smoothing * v
                         : v;
      }
      const double eta = eta_[ru];
      if (frozen) {
        double* q = q_.data() + r * k_;
        for (int a = 0; a < k_; ++a) q[a] -= eta * sc.gq_mean[static_cast<std::size_t>(a)];
        for (std::int64_t i = 0; i < p_; ++i) {
          double v = t0[static_cast<std::size_t>(i)];
          for (int a = 0; a < k_; ++a)
            v += q[a] * sub_.axes[static_cast<std::size_t>(a)][static_cast<std::size_t>(i)];
          th[i] = v;
        }
      } else {
        for (std::int64_t i = 0; i < p_; ++i) th[i] -= eta * sc.gtheta[static_cast<std::size_t>(i)];
      }
      // Inactive neurons carry no weights.
      for (std::int64_t i = 0; i < n_; ++i) {
        if (act[i] != 0) continue;
        th[i] = 0.0;
        for (std::int64_t j = 0; j < n_; ++j) th[n_ + i * n_ + j] = th[n_ + j * n_ + i] = 0.0;
      }
      if (!frozen) sync_q(r);
      bool finite = std::isfinite(l);
      for (int a = 0; a < k_; ++a)
        finite = finite && std::isfinite(q_[static_cast<std::size_t>(r * k_ + a)]);
      if (!finite) {
#pragma omp critical
        bad = bad < 0 ? r : std::min(bad, r);
      }
    }
  }
  if (bad >= 0) {
    throw Divergence(static_cast<long>(step_), "replica " + std::to_string(bad) + " (loss or q)");
  }
  ++step_;
  if (opt_.neurons.enabled && opt_.neurons.every > 0 && step_ % opt_.neurons.every == 0) {
    std::int64_t added = 0, removed = 0;
#pragma omp parallel reduction(+ : added, removed)
    {
      omp_set_num_threads(1);  // as above
#pragma omp for schedule(static)
      for (std::int64_t r = 0; r < m_; ++r) {
        const std::int64_t before = active_hidden(r);
        exchange(r, static_cast<std::uint64_t>(step_), data);
        const std::int64_t after = active_hidden(r);
        added += after > before;
        removed += after < before;
      }
    }
    added_ += added;
    removed_ += removed;
  }
}

void NetworkEnsemble::exchange(std::int64_t r, std::uint64_t step, const network::Dataset& data) {
  const NeuronExchange& ex = opt_.neurons;
  std::vector<std::int64_t> hidden;
  for (std::int64_t i = 0; i < n_; ++i) {
    if (hidden_[static_cast<std::size_t>(i)] != 0) hidden.push_back(i);
  }
  if (hidden.empty()) return;
  const core::RngStream rng(opt_.seed, core::StreamTag::exchange, static_cast<std::uint64_t>(r));
  const auto pick = hidden[static_cast<std::size_t>(rng.below(step, 0, hidden.size()))];
  std::uint8_t* act = active_.data() + r * n_;
  const bool adding = act[pick] == 0;
  if (!adding && active_hidden(r) <= ex.min_active) return;
  double* th = theta_.data() + r * p_;
  const network::Network before =
      sub_.network_of({th, static_cast<std::size_t>(p_)}, {act, static_cast<std::size_t>(n_)});
  std::vector<double> proposal(th, th + p_);
  std::vector<std::uint8_t> mask(act, act + n_);
  mask[static_cast<std::size_t>(pick)] = adding ? 1 : 0;
  if (adding) {
    const std::vector<double> fam =
        sub_.theta_at(std::span<const double>(q_.data() + r * k_, static_cast<std::size_t>(k_)));
    proposal[static_cast<std::size_t>(pick)] = fam[static_cast<std::size_t>(pick)];
    for (std::int64_t j = 0; j < n_; ++j) {
      if (mask[static_cast<std::size_t>(j)] == 0) continue;
      proposal[static_cast<std::size_t>(n_ + pick * n_ + j)] =
          fam[static_cast<std::size_t>(n_ + pick * n_ + j)];
      proposal[static_cast<std::size_t>(n_ + j * n_ + pick)] =
          fam[static_cast<std::size_t>(n_ + j * n_ + pick)];
    }
  } else {
    proposal[static_cast<std::size_t>(pick)] = 0.0;
    for (std::int64_t j = 0; j < n_; ++j) {
      proposal[static_cast<std::size_t>(n_ + pick * n_ + j)] = 0.0;
      proposal[static_cast<std::size_t>(n_ + j * n_ + pick)] = 0.0;
    }
  }
  const network::Network after = sub_.network_of(proposal, mask);
  const double f0 = data_free_energy(before, data, ex.free_energy);
  const double f1 = data_free_energy(after, data, ex.free_energy);
  if (!std::isfinite(f0) || !std::isfinite(f1)) return;  // no minimum: refused
  const double d_omega = (f1 - f0) - ex.chemical_potential * (adding ? 1.0 : -1.0);
  const double u = rng.uniform(step, 1);
  if (d_omega > 0.0 && u >= std::exp(-ex.free_energy.beta * d_omega)) return;
  std::copy(proposal.begin(), proposal.end(), th);
  std::copy(mask.begin(), mask.end(), act);
  if (!opt_.train_all) {
    // frozen: θ stays θ(q) on the active neurons; q is unchanged.
  } else {
    sync_q(r);
  }
}

double data_free_energy(const network::Network& net, const network::Dataset& data,
                        const FreeEnergyOptions& o) {
  std::vector<std::int32_t> clamped(net.inputs.begin(), net.inputs.end());
  const auto n_in = static_cast<Eigen::Index>(net.inputs.size());
  const auto n_out = static_cast<Eigen::Index>(net.outputs.size());
  const bool targets = n_out > 0 && data.rows.cols() == n_in + n_out;
  if (targets) clamped.insert(clamped.end(), net.outputs.begin(), net.outputs.end());
  double sum = 0.0;
  for (const Eigen::Index row : o.rows) {
    network::Vector state = network::Vector::Zero(net.n());
    for (Eigen::Index a = 0; a < n_in; ++a)
      state[net.inputs[static_cast<std::size_t>(a)]] = data.rows(row, a);
    if (targets) {
      for (Eigen::Index a = 0; a < n_out; ++a)
        state[net.outputs[static_cast<std::size_t>(a)]] = data.rows(row, n_in + a);
    }
    thermo::ClampedOptions c = o.clamped;
    c.stream = static_cast<std::uint64_t>(row);
    const thermo::ClampedEstimate e = thermo::clamped_free_energy(net, clamped, state, o.beta, c);
    if (e.status != "ok") return kNaN;
    sum += e.free_energy;
  }
  return o.rows.empty() ? kNaN : sum / static_cast<double>(o.rows.size());
}

std::vector<double> replica_free_energies(const NetworkEnsemble& ensemble,
                                          const network::Dataset& data,
                                          const FreeEnergyOptions& options, std::int64_t count) {
  count = std::min(count, ensemble.replicas());
  std::vector<double> f(static_cast<std::size_t>(count), kNaN);
#pragma omp parallel
  {
    omp_set_num_threads(1);  // each replica's free energy runs serially (any thread count)
#pragma omp for schedule(static)
    for (std::int64_t r = 0; r < count; ++r) {
      f[static_cast<std::size_t>(r)] = data_free_energy(ensemble.network(r), data, options);
    }
  }
  return f;
}

OutputBiasWalk OutputBiasWalk::of(const Subspace& subspace, const network::Dataset& data,
                                  double eta, std::int64_t batch) {
  const network::Network& net = subspace.base;
  if (net.outputs.size() != 1 || net.activation != network::ActivationKind::linear) {
    throw Error("OutputBiasWalk::of", "not a linear network with one output",
                "the pipeline oracle's network (bridges.md §1)");
  }
  const auto o = net.outputs.front();
  const network::DenseWeights w = network::to_dense(net.w);
  const auto n_in = static_cast<Eigen::Index>(net.inputs.size());
  std::vector<double> z;
  for (Eigen::Index s = 0; s < data.rows.rows(); ++s) {
    network::Vector x = network::Vector::Zero(net.n());
    for (Eigen::Index a = 0; a < n_in; ++a) {
      x[net.inputs[static_cast<std::size_t>(a)]] = data.rows(s, a);
    }
    x[o] = data.rows(s, n_in);
    z.push_back(x[o] - net.b[o] - w.row(o).dot(x));
  }
  OutputBiasWalk walk;
  walk.eta = eta;
  walk.batch = static_cast<double>(batch);
  walk.mu_z = core::mean_error(z).mean;
  for (double v : z) walk.sigma_z_squared += (v - walk.mu_z) * (v - walk.mu_z);
  walk.sigma_z_squared /= static_cast<double>(z.size());  // rows drawn with replacement
  return walk;
}

double OutputBiasWalk::mean(double t, double q0) const {
  return mu_z + std::pow(1.0 - eta, t) * (q0 - mu_z);
}

double OutputBiasWalk::variance(double t, double w0) const {
  const double d2 = std::pow(1.0 - eta, 2.0 * t);
  return d2 * w0 * w0 + eta * sigma_z_squared * (1.0 - d2) / (batch * (2.0 - eta));
}

std::vector<double> OutputBiasWalk::cell_density(const core::Grid& grid, double t, double q0,
                                                 double w0) const {
  const double m = mean(t, q0), sd = std::sqrt(2.0 * variance(t, w0)), h = grid.spacing(0);
  std::vector<double> p(static_cast<std::size_t>(grid.size()));
  for (std::int64_t i = 0; i < grid.size(); ++i) {
    const double q = grid.coordinate(0, i);
    p[static_cast<std::size_t>(i)] =
        0.5 * (std::erf((q + h / 2 - m) / sd) - std::erf((q - h / 2 - m) / sd)) / h;
  }
  return p;
}

}  // namespace nnworld::trainable
