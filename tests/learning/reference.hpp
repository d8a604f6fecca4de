#pragma once
// Test-side reference for the learning tests: an independent dense implementation of the
// per-sample state ("x fast"), the losses (3)/(4) and their parameter gradients, written
// from the formulas and not from the library's kernels.
#include <Eigen/Dense>
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <random>
#include <utility>
#include <vector>

#include "nnworld/network/activation.hpp"
#include "nnworld/network/learning.hpp"
#include "nnworld/network/network.hpp"

namespace nnworld::test {

using network::ActivationKind;
using network::LossKind;
using network::Network;

// Dense copy of a network plus its trainable entries (i, j) in parameter order: for dense
// weights all entries row-major, for CSR the stored entries row by row, for a permutation
// (i, source[i]) for i = 0..N−1.
struct Reference {
  Eigen::MatrixXd w;
  Eigen::VectorXd b;
  std::vector<std::pair<int, int>> stored;
  ActivationKind activation = ActivationKind::linear;
  double mass = 0.0;
  std::vector<std::int32_t> inputs, outputs;

  explicit Reference(const Network& net)
      : b(net.b),
        activation(net.activation),
        mass(net.mass),
        inputs(net.inputs),
        outputs(net.outputs) {
    const auto n = static_cast<int>(net.n());
    w = Eigen::MatrixXd::Zero(n, n);
    if (const auto* d = std::get_if<network::DenseWeights>(&net.w)) {
      w = *d;
      for (int i = 0; i < n; ++i)
        for (int j = 0; j < n; ++j) stored.emplace_back(i, j);
    } else if (const auto* s = std::get_if<network::SparseWeights>(&net.w)) {
      for (int i = 0; i < n; ++i) {
        for (network::SparseWeights::InnerIterator it(*s, i); it; ++it) {
          w(i, it.col()) = it.value();
          stored.emplace_back(i, static_cast<int>(it.col()));
        }
      }
    } else {
      const auto& p = std::get<network::PermutationWeights>(net.w);
      for (int i = 0; i < n; ++i) {
        w(i, p.source[i]) = p.value[i];
        stored.emplace_back(i, p.source[i]);
      }
    }
  }

  [[nodiscard]] int n() const { return static_cast<int>(b.size()); }
  [[nodiscard]] int params() const { return n() + static_cast<int>(stored.size()); }
  [[nodiscard]] double param(int p) const {
    return p < n() ? b[p] : w(stored[p - n()].first, stored[p - n()].second);
  }
  double& param_ref(int p) {
    return p < n() ? b[p] : w(stored[p - n()].first, stored[p - n()].second);
  }

  [[nodiscard]] double f(double y) const { return network::activation_f(activation, y); }
  [[nodiscard]] double df(double y) const { return network::activation_df(activation, y); }

  // x = 0; x_in = data; `relax` times x_i ← f(Σ_j w_ij x_j + b_i) for i ∉ inputs; then the
  // outputs set to the targets when the row has them.
  [[nodiscard]] Eigen::VectorXd state(const Eigen::MatrixXd& rows, int row, int relax) const {
    const int n_in = static_cast<int>(inputs.size());
    Eigen::VectorXd x = Eigen::VectorXd::Zero(n());
    for (int k = 0; k < n_in; ++k) x[inputs[k]] = rows(row, k);
    for (int t = 0; t < relax; ++t) {
      Eigen::VectorXd next(n());
      for (int i = 0; i < n(); ++i) {
        double y = b[i];
        for (int j = 0; j < n(); ++j) y += w(i, j) * x[j];
        next[i] = f(y);
      }
      for (int k = 0; k < n_in; ++k) next[inputs[k]] = rows(row, k);
      x = next;
    }
    if (!outputs.empty() && rows.cols() == n_in + static_cast<int>(outputs.size())) {
      for (std::size_t k = 0; k < outputs.size(); ++k) x[outputs[k]] = rows(row, n_in + k);
    }
    return x;
  }

  // Diagonal of P_∂ (all ones for the bulk loss).
  [[nodiscard]] Eigen::VectorXd projector(LossKind kind) const {
    Eigen::VectorXd p = Eigen::VectorXd::Ones(n());
    if (kind == LossKind::boundary) {
      p.setZero();
      for (auto i : inputs) p[i] = 1.0;
      for (auto i : outputs) p[i] = 1.0;
    }
    return p;
  }

  // H(P x, P b, P w P) = ½ Σ_i r_i² − (m/2) Σ_i (P x)_i², r = P x − f(P w P x + P b);
  // returns H and fills ∂H/∂q in parameter order: ∂H/∂b_i = −P_i r_i f′(y_i),
  // ∂H/∂w_ij = −P_i r_i f′(y_i) P_j x_j.
  double loss_and_gradient(const Eigen::VectorXd& x, LossKind kind, Eigen::VectorXd& grad) const {
    const Eigen::VectorXd p = projector(kind);
    const Eigen::VectorXd px = p.cwiseProduct(x);
    Eigen::VectorXd y(n()), r(n()), delta(n());
    double h = 0.0;
    for (int i = 0; i < n(); ++i) {
      double yi = p[i] * b[i];
      for (int j = 0; j < n(); ++j) yi += p[i] * w(i, j) * px[j];
      y[i] = yi;
      r[i] = px[i] - f(yi);
      h += 0.5 * r[i] * r[i] - 0.5 * mass * px[i] * px[i];
      delta[i] = -p[i] * r[i] * df(yi);
    }
    grad.resize(params());
    for (int i = 0; i < n(); ++i) grad[i] = delta[i];
    for (std::size_t k = 0; k < stored.size(); ++k)
      grad[n() + static_cast<int>(k)] = delta[stored[k].first] * px[stored[k].second];
    return h;
  }

  [[nodiscard]] double dataset_loss(const Eigen::MatrixXd& rows, int relax, LossKind kind) const {
    double sum = 0.0;
    Eigen::VectorXd g;
    for (int s = 0; s < rows.rows(); ++s) sum += loss_and_gradient(state(rows, s, relax), kind, g);
    return sum / static_cast<double>(rows.rows());
  }
};

// N×N dense weights with entries N(0, scale²) from `gen`.
inline network::DenseWeights random_dense(int n, double scale, std::mt19937_64& gen) {
  std::normal_distribution<double> normal(0.0, scale);
  network::DenseWeights w(n, n);
  for (int i = 0; i < n; ++i)
    for (int j = 0; j < n; ++j) w(i, j) = normal(gen);
  return w;
}

// CSR weights keeping each entry with probability `density` (at least one per row).
inline network::SparseWeights random_sparse(int n, double density, double scale,
                                            std::mt19937_64& gen) {
  std::normal_distribution<double> normal(0.0, scale);
  std::uniform_real_distribution<double> uniform(0.0, 1.0);
  std::vector<Eigen::Triplet<double, std::int32_t>> entries;
  for (int i = 0; i < n; ++i) {
    entries.emplace_back(i, (i + 1) % n, normal(gen));
    for (int j = 0; j < n; ++j) {
      if (j != (i + 1) % n && uniform(gen) < density) entries.emplace_back(i, j, normal(gen));
    }
  }
  network::SparseWeights w(n, n);
  w.setFromTriplets(entries.begin(), entries.end());
  w.makeCompressed();
  return w;
}

// Permutation weights: a random permutation with values N(0, scale²).
inline network::PermutationWeights random_permutation(int n, double scale, std::mt19937_64& gen) {
  std::normal_distribution<double> normal(0.0, scale);
  network::PermutationWeights w;
  w.source.resize(n);
  for (int i = 0; i < n; ++i) w.source[i] = i;
  std::shuffle(w.source.begin(), w.source.end(), gen);
  w.value.resize(n);
  for (int i = 0; i < n; ++i) w.value[i] = normal(gen);
  return w;
}

enum class Layout { dense, sparse, permutation };

inline network::Weights random_weights(Layout layout, int n, double scale, std::mt19937_64& gen) {
  switch (layout) {
    case Layout::dense:
      return random_dense(n, scale / std::sqrt(n), gen);
    case Layout::sparse:
      return random_sparse(n, 0.4, scale / std::sqrt(0.4 * n), gen);
    case Layout::permutation:
      break;
  }
  return random_permutation(n, scale, gen);
}

inline Eigen::VectorXd random_vector(int n, double scale, std::mt19937_64& gen) {
  std::normal_distribution<double> normal(0.0, scale);
  Eigen::VectorXd v(n);
  for (int i = 0; i < n; ++i) v[i] = normal(gen);
  return v;
}

}  // namespace nnworld::test
