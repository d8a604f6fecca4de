#pragma once
// Small random networks in the three weight layouts, and a naive reference of the state map
// (plain loops, std::tanh / std::exp) that shares no code with the kernels under test.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <numeric>
#include <random>
#include <string>
#include <vector>

#include "nnworld/network/network.hpp"

namespace nnworld::network::testing {

enum class Layout { dense, sparse, permutation };

inline std::string layout_name(Layout l) {
  switch (l) {
    case Layout::dense:
      return "dense";
    case Layout::sparse:
      return "sparse";
    case Layout::permutation:
      break;
  }
  return "permutation";
}

inline Vector random_vector(std::int64_t n, std::mt19937_64& rng, double lo = -1.0,
                            double hi = 1.0) {
  std::uniform_real_distribution<double> u(lo, hi);
  Vector v(n);
  for (std::int64_t i = 0; i < n; ++i) v[i] = u(rng);
  return v;
}

inline std::vector<std::int32_t> random_permutation(std::int64_t n, std::mt19937_64& rng) {
  std::vector<std::int32_t> p(static_cast<std::size_t>(n));
  std::iota(p.begin(), p.end(), 0);
  std::shuffle(p.begin(), p.end(), rng);
  return p;
}

// Dense matrix with entries uniform in [−scale, scale]; for the sparse layout about half the
// entries are dropped (at least one kept per row); for the permutation layout one entry per row.
inline Weights random_weights(Layout layout, std::int64_t n, std::mt19937_64& rng,
                              double scale = 1.0) {
  std::uniform_real_distribution<double> u(-scale, scale);
  std::uniform_real_distribution<double> coin(0.0, 1.0);
  switch (layout) {
    case Layout::dense: {
      DenseWeights w(n, n);
      for (std::int64_t i = 0; i < n; ++i) {
        for (std::int64_t j = 0; j < n; ++j) w(i, j) = u(rng);
      }
      return w;
    }
    case Layout::sparse: {
      std::vector<Eigen::Triplet<double, std::int32_t>> t;
      for (std::int64_t i = 0; i < n; ++i) {
        const auto keep = static_cast<std::int64_t>(rng() % static_cast<std::uint64_t>(n));
        for (std::int64_t j = 0; j < n; ++j) {
          if (j == keep || coin(rng) < 0.5) {
            t.emplace_back(static_cast<std::int32_t>(i), static_cast<std::int32_t>(j), u(rng));
          }
        }
      }
      SparseWeights w(n, n);
      w.setFromTriplets(t.begin(), t.end());
      w.makeCompressed();
      return w;
    }
    case Layout::permutation:
      break;
  }
  PermutationWeights p;
  p.source = random_permutation(n, rng);
  p.value = random_vector(n, rng, -scale, scale);
  return p;
}

// The same matrix in another layout (entries copied exactly).
inline Weights convert(const DenseWeights& d, Layout layout) {
  const std::int64_t n = d.rows();
  if (layout == Layout::dense) return d;
  if (layout == Layout::sparse) {
    SparseWeights s = d.sparseView();
    s.makeCompressed();
    return s;
  }
  PermutationWeights p;
  p.source.resize(static_cast<std::size_t>(n));
  p.value.resize(n);
  for (std::int64_t i = 0; i < n; ++i) {
    std::int64_t nz = -1;
    for (std::int64_t j = 0; j < n; ++j) {
      if (d(i, j) != 0.0) nz = j;
    }
    p.source[static_cast<std::size_t>(i)] = static_cast<std::int32_t>(nz);
    p.value[i] = d(i, nz);
  }
  return p;
}

inline Network random_network(Layout layout, std::int64_t n, ActivationKind act,
                              std::mt19937_64& rng, double scale = 1.0) {
  Network net;
  net.w = random_weights(layout, n, rng, scale);
  net.b = random_vector(n, rng, -0.5, 0.5);
  net.activation = act;
  return net;
}

// Reference activation from the C library (not the vectorised kernels).
inline double reference_f(ActivationKind kind, double y) {
  switch (kind) {
    case ActivationKind::tanh:
      return std::tanh(y);
    case ActivationKind::logistic:
      return y >= 0.0 ? 1.0 / (1.0 + std::exp(-y)) : std::exp(y) / (1.0 + std::exp(y));
    case ActivationKind::relu:
      return y > 0.0 ? y : 0.0;
    case ActivationKind::linear:
      break;
  }
  return y;
}

// Naive y = w x + b (in long double) from the dense form.
inline Vector reference_preactivation(const Network& net, const Vector& x) {
  const DenseWeights w = to_dense(net.w);
  Vector y(net.n());
  for (std::int64_t i = 0; i < net.n(); ++i) {
    long double s = 0.0L;
    for (std::int64_t j = 0; j < net.n(); ++j) {
      s += static_cast<long double>(w(i, j)) * static_cast<long double>(x[j]);
    }
    y[i] = static_cast<double>(s + static_cast<long double>(net.b[i]));
  }
  return y;
}

inline Vector reference_map(const Network& net, const Vector& x) {
  Vector y = reference_preactivation(net, x);
  for (std::int64_t i = 0; i < y.size(); ++i) y[i] = reference_f(net.activation, y[i]);
  return y;
}

// Σ_j |w_ij x_j| + |b_i|: the scale of the rounding error of row i of w x + b.
inline Vector row_magnitude(const Network& net, const Vector& x) {
  const DenseWeights w = to_dense(net.w);
  return w.cwiseAbs() * x.cwiseAbs() + net.b.cwiseAbs();
}

}  // namespace nnworld::network::testing
