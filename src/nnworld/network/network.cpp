#include "nnworld/network/network.hpp"

#include <omp.h>

#include <Eigen/Eigenvalues>
#include <Eigen/LU>
#include <algorithm>
#include <cmath>
#include <limits>
#include <string>

#include "nnworld/core/error.hpp"
#include "nnworld/core/rng.hpp"
#include "nnworld/network/kernels.hpp"

namespace nnworld::network {

namespace {

using kernels::Csr;

std::string str(std::int64_t v) {
  return std::to_string(v);
}

// O(1) shape checks done by every kernel entry point (validate() does the full check).
void check_weights_shape(const Network& net, const char* where) {
  const std::int64_t n = net.n();
  std::visit(
      [&](const auto& w) {
        using W = std::decay_t<decltype(w)>;
        std::int64_t rows = 0;
        std::int64_t cols = 0;
        if constexpr (std::is_same_v<W, PermutationWeights>) {
          rows = w.size();
          cols = w.value.size();
        } else {
          rows = w.rows();
          cols = w.cols();
        }
        if (rows != n || cols != n) {
          throw Error(where,
                      "weights have shape " + str(rows) + "x" + str(cols) + " but b has " + str(n) +
                          " entries",
                      "an N x N weight matrix with N = |b| = " + str(n));
        }
      },
      net.w);
}

void check_state(const Network& net, std::int64_t size, const char* where) {
  check_weights_shape(net, where);
  if (size != net.n()) {
    throw Error(where, "state has " + str(size) + " entries",
                str(net.n()) + " entries (one per neuron)");
  }
}

// y = w x + b (Linear evaluator) or f(w x + b), one kernel call, dispatched once.
template <class E>
void map_into(const Network& net, const double* x, double* out) {
  std::visit([&](const auto& w) { kernels::map_single<E>(w, net.b, x, out); }, net.w);
}

Vector preactivation_unchecked(const Network& net, const Vector& x) {
  Vector y(net.n());
  map_into<Linear>(net, x.data(), y.data());
  return y;
}

// Pointwise f and f′ of y over the whole array (one dispatch).
void f_and_df(ActivationKind kind, const Vector& y, Vector& fy, Vector& dfy) {
  fy.resize(y.size());
  dfy.resize(y.size());
  with_activation(kind, [&](auto e) {
    using E = decltype(e);
    const std::int64_t n = y.size();
    const double* yp = y.data();
    double* fp = fy.data();
    double* dp = dfy.data();
#pragma omp simd
    for (std::int64_t i = 0; i < n; ++i) {
      fp[i] = E::f(yp[i]);
      dp[i] = E::df(yp[i]);
    }
  });
}

Vector f_of(ActivationKind kind, Vector y) {
  apply_activation(kind, y.data(), y.size());
  return y;
}

// Quantities of the loss at x: the masked state x' = P x, y' = P (w x' + b), r' = x' − f(y'),
// g = r' ⊙ f′(y'). For the bulk loss (3) P = I.
struct LossTerms {
  Vector xs;   // x'
  Vector y;    // y'
  Vector fy;   // f(y')
  Vector dfy;  // f′(y')
  Vector r;    // r'
  double loss = 0.0;
};

LossTerms loss_terms(const Network& net, const Vector& x, LossKind kind) {
  LossTerms t;
  if (kind == LossKind::boundary) {
    const Vector p = net.boundary_mask();
    t.xs = p.cwiseProduct(x);
    t.y = p.cwiseProduct(preactivation_unchecked(net, t.xs));
  } else {
    t.xs = x;
    t.y = preactivation_unchecked(net, x);
  }
  f_and_df(net.activation, t.y, t.fy, t.dfy);
  t.r = t.xs - t.fy;
  t.loss = 0.5 * t.r.squaredNorm() - 0.5 * net.mass * t.xs.squaredNorm();
  return t;
}

Matrix dense_colmajor(const Weights& w) {
  return Matrix(to_dense(w));
}

}  // namespace

// ---- Network ----------------------------------------------------------------------------

// Diagonal of P_∂ = P_in + P_out (Eq. (4)).
Vector Network::boundary_mask() const {
  Vector p = Vector::Zero(n());
  for (const auto i : inputs) {
    if (i >= 0 && i < n()) p[i] = 1.0;
  }
  for (const auto i : outputs) {
    if (i >= 0 && i < n()) p[i] = 1.0;
  }
  return p;
}

void Network::validate() const {
  const std::int64_t nn = n();
  if (nn < 1) throw Error("network", "the network has no neurons (b is empty)", "N >= 1");
  check_weights_shape(*this, "network.w");
  const auto non_finite = [](const std::string& where, const std::string& what) {
    return Error(where, what + " is not finite", "a finite number");
  };
  std::visit(
      [&](const auto& w) {
        using W = std::decay_t<decltype(w)>;
        if constexpr (std::is_same_v<W, DenseWeights>) {
          for (std::int64_t i = 0; i < nn; ++i) {
            for (std::int64_t j = 0; j < nn; ++j) {
              if (!std::isfinite(w(i, j))) {
                throw non_finite("network.w", "dense weight w(" + str(i) + ", " + str(j) + ")");
              }
            }
          }
        } else if constexpr (std::is_same_v<W, SparseWeights>) {
          const Csr c(w);
          for (std::int64_t i = 0; i < nn; ++i) {
            if (c.end(i) < c.begin(i) || c.begin(i) < 0 || c.end(i) > w.data().allocatedSize()) {
              throw Error("network.w", "sparse row " + str(i) + " has an invalid extent",
                          "a well-formed CSR matrix");
            }
            for (std::int64_t k = c.begin(i); k < c.end(i); ++k) {
              const std::int64_t j = c.inner[k];
              if (j < 0 || j >= nn) {
                throw Error("network.w", "sparse row " + str(i) + " has column index " + str(j),
                            "a column in [0, " + str(nn) + ")");
              }
              if (!std::isfinite(c.value[k])) {
                throw non_finite("network.w", "sparse weight w(" + str(i) + ", " + str(j) + ")");
              }
            }
          }
        } else {
          std::vector<char> seen(static_cast<std::size_t>(nn), 0);
          for (std::int64_t i = 0; i < nn; ++i) {
            const std::int64_t j = w.source[static_cast<std::size_t>(i)];
            if (j < 0 || j >= nn) {
              throw Error("network.w", "permutation source[" + str(i) + "] = " + str(j),
                          "an index in [0, " + str(nn) + ")");
            }
            if (seen[static_cast<std::size_t>(j)]) {
              throw Error(
                  "network.w",
                  "permutation source index " + str(j) + " appears twice (row " + str(i) + ")",
                  "a permutation of 0..N-1");
            }
            seen[static_cast<std::size_t>(j)] = 1;
            if (!std::isfinite(w.value[i])) {
              throw non_finite("network.w", "permutation value[" + str(i) + "]");
            }
          }
        }
      },
      w);
  for (std::int64_t i = 0; i < nn; ++i) {
    if (!std::isfinite(b[i])) throw non_finite("network.b", "bias b[" + str(i) + "]");
  }
  if (!std::isfinite(mass)) throw non_finite("network.mass", "the mass m");
  std::vector<char> role(static_cast<std::size_t>(nn), 0);  // 1 input, 2 output
  const auto check_indices = [&](const std::vector<std::int32_t>& idx, const char* name, char tag) {
    for (std::size_t a = 0; a < idx.size(); ++a) {
      const std::int64_t i = idx[a];
      const std::string where = std::string("network.") + name + "[" + str(std::int64_t(a)) + "]";
      if (i < 0 || i >= nn) {
        throw Error(where, "neuron index " + str(i) + " is out of range",
                    "an index in [0, " + str(nn) + ")");
      }
      char& r = role[static_cast<std::size_t>(i)];
      if (r == tag) throw Error(where, "neuron " + str(i) + " is listed twice", "distinct indices");
      if (r != 0) {
        throw Error(where, "neuron " + str(i) + " is both an input and an output",
                    "disjoint input and output sets");
      }
      r = tag;
    }
  };
  check_indices(inputs, "inputs", 1);
  check_indices(outputs, "outputs", 2);
}

DenseWeights to_dense(const Weights& w) {
  return std::visit(
      [](const auto& m) -> DenseWeights {
        using W = std::decay_t<decltype(m)>;
        if constexpr (std::is_same_v<W, DenseWeights>) {
          return m;
        } else if constexpr (std::is_same_v<W, SparseWeights>) {
          return DenseWeights(m.toDense());
        } else {
          const std::int64_t n = m.size();
          DenseWeights d = DenseWeights::Zero(n, n);
          for (std::int64_t i = 0; i < n; ++i)
            d(i, m.source[static_cast<std::size_t>(i)]) = m.value[i];
          return d;
        }
      },
      w);
}

// Spec T2.1: π_ij = 1 iff i − 1 ≡ j (mod N), i.e. source[i] = (i − 1 + N) mod N; x'_i = x_{i−1}.
PermutationWeights cyclic_permutation(std::int64_t n, double scale) {
  if (n < 1 || n > std::numeric_limits<std::int32_t>::max()) {
    throw Error("cyclic_permutation", "size " + str(n), "1 <= N <= 2^31 - 1");
  }
  PermutationWeights p;
  p.source.resize(static_cast<std::size_t>(n));
  for (std::int64_t i = 0; i < n; ++i) {
    p.source[static_cast<std::size_t>(i)] = static_cast<std::int32_t>((i - 1 + n) % n);
  }
  p.value = Vector::Constant(n, scale);
  return p;
}

// wᵀ v for any layout.
Network scale_weights(const Network& net, double q) {
  Network s = net;
  if (auto* d = std::get_if<DenseWeights>(&s.w)) {
    *d *= q;
  } else if (auto* sp = std::get_if<SparseWeights>(&s.w)) {
    *sp *= q;
  } else {
    std::get<PermutationWeights>(s.w).value *= q;
  }
  return s;
}

Vector transpose_times(const Weights& w, const Vector& v) {
  return std::visit(
      [&](const auto& m) -> Vector {
        using W = std::decay_t<decltype(m)>;
        std::int64_t rows = 0;
        std::int64_t cols = 0;
        if constexpr (std::is_same_v<W, PermutationWeights>) {
          rows = cols = m.size();
        } else {
          rows = m.rows();
          cols = m.cols();
        }
        if (v.size() != rows) {
          throw Error("transpose_times", "vector has " + str(v.size()) + " entries",
                      str(rows) + " entries (the rows of w)");
        }
        Vector out(cols);
        kernels::transpose_times(m, v.data(), out.data());
        return out;
      },
      w);
}

// ---- State map (1)–(2) ------------------------------------------------------------------

// y = w x + b   (argument of f in (1)).
Vector preactivation(const Network& net, const Vector& x) {
  check_state(net, x.size(), "preactivation");
  return preactivation_unchecked(net, x);
}

// Y = w X + b 1ᵀ.
Matrix preactivation_batch(const Network& net, const Matrix& x) {
  check_state(net, x.rows(), "preactivation_batch");
  Matrix out(net.n(), x.cols());
  std::visit([&](const auto& w) { kernels::map_batch<Linear>(w, net.b, x, out); }, net.w);
  return out;
}

// (1)–(2): x'_i = f(Σ_j w_ij x_j + b_i).
Vector state_map(const Network& net, const Vector& x) {
  Vector out;
  state_map(net, x, out);
  return out;
}

// (1), into `out` (resized; must not alias x).
void state_map(const Network& net, const Vector& x, Vector& out) {
  check_state(net, x.size(), "state_map");
  if (&out == &x) throw Error("state_map", "output aliases the input state", "distinct vectors", 1);
  out.resize(net.n());
  with_activation(net.activation,
                  [&](auto e) { map_into<decltype(e)>(net, x.data(), out.data()); });
}

// (1) for a batch: X' = f(w X + b 1ᵀ), one state per column.
Matrix state_map_batch(const Network& net, const Matrix& x) {
  Matrix out;
  state_map_batch(net, x, out);
  return out;
}

void state_map_batch(const Network& net, const Matrix& x, Matrix& out) {
  check_state(net, x.rows(), "state_map_batch");
  if (&out == &x) {
    throw Error("state_map_batch", "output aliases the input states", "distinct matrices", 1);
  }
  out.resize(net.n(), x.cols());
  with_activation(net.activation, [&](auto e) {
    using E = decltype(e);
    std::visit([&](const auto& w) { kernels::map_batch<E>(w, net.b, x, out); }, net.w);
  });
}

void state_map_rows(const Network& net, const RowMatrix& x, RowMatrix& out) {
  check_state(net, x.rows(), "state_map_rows");
  if (&out == &x) {
    throw Error("state_map_rows", "output aliases the input states", "distinct matrices", 1);
  }
  if (const auto* p = std::get_if<PermutationWeights>(&net.w)) {
    out.resize(net.n(), x.cols());
    // One state per row is one state per column: the single-state kernel (same bits).
    with_activation(net.activation, [&](auto e) {
      using E = decltype(e);
      if (x.cols() == 1) {
        kernels::map_single<E>(*p, net.b, x.data(), out.data());
      } else {
        kernels::map_rows<E>(*p, net.b, x, out);
      }
    });
    return;
  }
  const Matrix columns = x;
  Matrix mapped;
  state_map_batch(net, columns, mapped);
  out = mapped;
}

// t applications of (1); the `clamped` neurons keep their values.
Vector iterate(const Network& net, Vector x, long steps, const std::vector<std::int32_t>& clamped) {
  check_state(net, x.size(), "iterate");
  if (steps < 0) throw Error("iterate", "steps = " + str(steps), "steps >= 0");
  for (const auto c : clamped) {
    if (c < 0 || c >= net.n()) {
      throw Error("iterate", "clamped neuron index " + str(c),
                  "an index in [0, " + str(net.n()) + ")");
    }
  }
  Vector next(net.n());
  with_activation(net.activation, [&](auto e) {
    using E = decltype(e);
    for (long t = 0; t < steps; ++t) {
      map_into<E>(net, x.data(), next.data());
      for (const auto c : clamped) next[c] = x[c];
      x.swap(next);
    }
  });
  return x;
}

// ---- Losses (3), (4) --------------------------------------------------------------------

// r = x − f(w x + b)   (the residual in (3)).
Vector residual(const Network& net, const Vector& x) {
  check_state(net, x.size(), "residual");
  return x - f_of(net.activation, preactivation_unchecked(net, x));
}

// (3): H = ½ rᵀr − (m/2) xᵀx, r = x − f(w x + b).
double bulk_loss(const Network& net, const Vector& x) {
  const Vector r = residual(net, x);
  return 0.5 * r.squaredNorm() - 0.5 * net.mass * x.squaredNorm();
}

// (4): H_∂ = H(P x, P b, Pᵀ w P) with P = P_∂ diagonal 0/1:
//   x' = P x, y' = P (w x' + b), r' = x' − f(y') (r'_i = −f(0) on bulk neurons),
//   H_∂ = ½ r'ᵀr' − (m/2) x'ᵀx'.
double boundary_loss(const Network& net, const Vector& x) {
  check_state(net, x.size(), "boundary_loss");
  return loss_terms(net, x, LossKind::boundary).loss;
}

double loss(const Network& net, const Vector& x, LossKind kind) {
  return kind == LossKind::boundary ? boundary_loss(net, x) : bulk_loss(net, x);
}

// Gradients of (3) (P = I) and of the literal (4), with g = P (r' ⊙ f′(y')) and Ĵᵀ r' = wᵀ(f̂′r'):
//   ∂H/∂x = P r' − P wᵀ g − m x',   ∂H/∂b = −g,   ∂H/∂w_ij = −g_i x'_j  (stored entries only).
LossGradient loss_gradient(const Network& net, const Vector& x, LossKind kind) {
  check_state(net, x.size(), "loss_gradient");
  const LossTerms t = loss_terms(net, x, kind);
  Vector g = t.r.cwiseProduct(t.dfy);
  Vector pr = t.r;
  if (kind == LossKind::boundary) {
    const Vector p = net.boundary_mask();
    g = g.cwiseProduct(p);
    pr = pr.cwiseProduct(p);
  }
  LossGradient out;
  out.loss = t.loss;
  Vector wtg = transpose_times(net.w, g);
  if (kind == LossKind::boundary) wtg = wtg.cwiseProduct(net.boundary_mask());
  out.dx = pr - wtg - net.mass * t.xs;
  out.db = -g;
  out.dw = std::visit(
      [&](const auto& w) -> Weights {
        using W = std::decay_t<decltype(w)>;
        if constexpr (std::is_same_v<W, DenseWeights>) {
          return DenseWeights(-g * t.xs.transpose());
        } else if constexpr (std::is_same_v<W, SparseWeights>) {
          SparseWeights dw = w;
          dw.makeCompressed();
          const Csr c(dw);
          double* v = dw.valuePtr();
          for (std::int64_t i = 0; i < dw.rows(); ++i) {
            for (std::int64_t k = c.begin(i); k < c.end(i); ++k) v[k] = -g[i] * t.xs[c.inner[k]];
          }
          return dw;
        } else {
          PermutationWeights dw;
          dw.source = w.source;
          dw.value.resize(w.size());
          for (std::int64_t i = 0; i < w.size(); ++i) {
            dw.value[i] = -g[i] * t.xs[w.source[static_cast<std::size_t>(i)]];
          }
          return dw;
        }
      },
      net.w);
  return out;
}

// ---- Linearisation (8), (9) -------------------------------------------------------------

// (9): Ĵ = f̂′ ŵ, f̂′ = diag f′(y), y = w x + b.
Matrix jacobian(const Network& net, const Vector& x) {
  check_state(net, x.size(), "jacobian");
  Vector fy;
  Vector dfy;
  f_and_df(net.activation, preactivation_unchecked(net, x), fy, dfy);
  return dfy.asDiagonal() * dense_colmajor(net.w);
}

// (8): Ĝ = (I − Ĵ)ᵀ (I − Ĵ).
Matrix g_matrix(const Network& net, const Vector& x) {
  Matrix a = -jacobian(net, x);
  a.diagonal().array() += 1.0;
  return a.transpose() * a;
}

// ∇²_x H of (3): Ĝ − Σ_i r_i f″(y_i) w_i·⊗w_i· − m I = Ĝ − wᵀ diag(r ⊙ f″(y)) w − m I.
Matrix hessian(const Network& net, const Vector& x) {
  check_state(net, x.size(), "hessian");
  const Vector y = preactivation_unchecked(net, x);
  const Vector r = x - f_of(net.activation, y);
  Vector d2f(y.size());
  activation_second_derivative(net.activation, y.data(), d2f.data(), y.size());
  const Matrix w = dense_colmajor(net.w);
  Matrix h = g_matrix(net, x);
  h.noalias() -= w.transpose() * (r.cwiseProduct(d2f).asDiagonal() * w);
  h.diagonal().array() -= net.mass;
  return h;
}

// ρ(a) = max |λ(a)|.
double spectral_radius(const Matrix& a) {
  if (a.rows() != a.cols()) {
    throw Error("spectral_radius", "matrix is " + str(a.rows()) + "x" + str(a.cols()),
                "a square matrix");
  }
  if (a.rows() == 0) return 0.0;
  Eigen::EigenSolver<Matrix> es(a, /*computeEigenvectors=*/false);
  if (es.info() != Eigen::Success) {
    throw Error("spectral_radius", "the eigenvalue iteration did not converge",
                "a matrix with finite entries", 3);
  }
  return es.eigenvalues().cwiseAbs().maxCoeff();
}

// ---- Fixed points x* = f(w x* + b) --------------------------------------------------------

// Fixed points of (1): Newton on r(x) = x − f(w x + b) with Jacobian I − Ĵ (9); step δ = −(I − Ĵ)⁻¹
// r, damped by backtracking α ∈ {1, ½, ¼, …} until ½|r(x + αδ)|² ≤ (1 − 10⁻⁴ α) ½|r(x)|² (Armijo).
std::vector<FixedPoint> fixed_points(const Network& net, const NewtonOptions& options) {
  constexpr std::int64_t max_newton_size = 2000;
  net.validate();
  const std::int64_t n = net.n();
  if (n > max_newton_size) {
    throw Error("fixed_points",
                "the Newton search is for N <= 2000 (dense LU per step), N = " + str(n),
                "N <= 2000");
  }
  if (options.starts < 1 || options.max_iterations < 1 || !(options.tolerance > 0.0) ||
      !(options.merge_distance >= 0.0) || !(options.start_scale >= 0.0)) {
    throw Error("fixed_points", "invalid Newton options",
                "starts >= 1, max_iterations >= 1, tolerance > 0, merge_distance >= 0, "
                "start_scale >= 0");
  }
  const Matrix w = dense_colmajor(net.w);
  const core::RngStream rng(options.seed, core::StreamTag::start);
  const auto eval = [&](const Vector& x, Vector& r, Vector& dfy) {
    Vector fy;
    f_and_df(net.activation, preactivation_unchecked(net, x), fy, dfy);
    r = x - fy;
  };
  std::vector<FixedPoint> found;
  for (int s = 0; s < options.starts; ++s) {
    Vector x(n);
    for (std::int64_t i = 0; i < n; ++i) {
      x[i] = s == 0 ? 0.0
                    : options.start_scale * (2.0 * rng.uniform(static_cast<std::uint64_t>(s),
                                                               static_cast<std::uint64_t>(i)) -
                                             1.0);
    }
    Vector r;
    Vector dfy;
    eval(x, r, dfy);
    int it = 0;
    bool converged = r.lpNorm<Eigen::Infinity>() <= options.tolerance;
    while (!converged && it < options.max_iterations) {
      ++it;
      Matrix a = -(dfy.asDiagonal() * w);
      a.diagonal().array() += 1.0;
      const Vector step = a.partialPivLu().solve(-r);
      if (!step.allFinite()) break;
      const double phi = r.squaredNorm();
      double alpha = 1.0;
      bool accepted = false;
      Vector xn;
      Vector rn;
      Vector dn;
      for (int k = 0; k < 60; ++k, alpha *= 0.5) {
        xn = x + alpha * step;
        eval(xn, rn, dn);
        if (rn.allFinite() && (rn.squaredNorm() <= (1.0 - 1e-4 * alpha) * phi ||
                               rn.lpNorm<Eigen::Infinity>() <= options.tolerance)) {
          accepted = true;
          break;
        }
      }
      if (!accepted) break;
      x.swap(xn);
      r.swap(rn);
      dfy.swap(dn);
      converged = r.lpNorm<Eigen::Infinity>() <= options.tolerance;
    }
    if (!converged) continue;
    FixedPoint fp;
    fp.residual = r.lpNorm<Eigen::Infinity>();
    fp.iterations = it;
    fp.loss = bulk_loss(net, x);
    fp.spectral_radius = spectral_radius(dfy.asDiagonal() * w);
    fp.x = std::move(x);
    bool merged = false;
    for (auto& e : found) {
      if ((e.x - fp.x).lpNorm<Eigen::Infinity>() <= options.merge_distance) {
        if (fp.residual < e.residual) e = fp;
        merged = true;
        break;
      }
    }
    if (!merged) found.push_back(std::move(fp));
  }
  std::stable_sort(found.begin(), found.end(),
                   [](const FixedPoint& a, const FixedPoint& b) { return a.loss < b.loss; });
  return found;
}

}  // namespace nnworld::network
