// Learning dynamics of the trainable variables (b, w): mini-batch SGD on ⟨H⟩ with weight decay
// and Langevin noise (see learning.hpp for the update rule and the determinism contract).
#include "nnworld/network/learning.hpp"

#include <omp.h>

#include <algorithm>
#include <cmath>
#include <exception>
#include <numeric>
#include <span>
#include <string>
#include <type_traits>
#include <unordered_map>
#include <utility>
#include <vector>

#include "nnworld/core/error.hpp"
#include "nnworld/core/rng.hpp"

namespace nnworld::network {

namespace {

// Samples per chunk of a batch. Fixed, independent of the thread count: each chunk sums its
// samples in order and the chunk partials are added in chunk order, so every floating-point
// sum is the same whatever the number of threads.
constexpr std::int64_t kChunk = 8;

// ---- Trainable parameters as one flat vector -------------------------------------------------
// Parameter index p (the counter of the Langevin noise): p ∈ [0, N) is b_p; p = N + k is the
// k-th stored weight: dense — all N² entries in row-major order (k = i N + j); CSR — the stored
// entries in storage order (row by row, increasing column); permutation — value[k] = w_{k,
// source[k]}.

// Stored weight values of `w` as one contiguous span (CSR must be compressed).
std::span<double> stored_values(Weights& w) {
  return std::visit(
      [](auto& m) -> std::span<double> {
        using T = std::decay_t<decltype(m)>;
        if constexpr (std::is_same_v<T, DenseWeights>) {
          return {m.data(), static_cast<std::size_t>(m.size())};
        } else if constexpr (std::is_same_v<T, SparseWeights>) {
          return {m.valuePtr(), static_cast<std::size_t>(m.nonZeros())};
        } else {
          return {m.value.data(), static_cast<std::size_t>(m.value.size())};
        }
      },
      w);
}

std::int64_t stored_count(const Weights& w) {
  return std::visit(
      [](const auto& m) -> std::int64_t {
        using T = std::decay_t<decltype(m)>;
        if constexpr (std::is_same_v<T, DenseWeights>) {
          return m.size();
        } else if constexpr (std::is_same_v<T, SparseWeights>) {
          return m.nonZeros();
        } else {
          return m.value.size();
        }
      },
      w);
}

Error internal(const std::string& what) {
  return Error("train_sgd", what, "a loss gradient with the layout of the weights", 1);
}

// acc[k] += ∂H/∂(k-th stored weight of `pattern`), reading `dw` (same layout as `pattern`).
void add_stored_gradient(const Weights& pattern, const Weights& dw, double* acc) {
  if (pattern.index() != dw.index()) throw internal("weight gradient has another layout");
  if (const auto* d = std::get_if<DenseWeights>(&dw)) {
    const auto& p = std::get<DenseWeights>(pattern);
    if (d->rows() != p.rows() || d->cols() != p.cols()) throw internal("weight gradient shape");
    const double* src = d->data();
    for (Eigen::Index k = 0; k < d->size(); ++k) acc[k] += src[k];
  } else if (const auto* s = std::get_if<SparseWeights>(&dw)) {
    const auto& p = std::get<SparseWeights>(pattern);
    if (s->rows() != p.rows() || s->cols() != p.cols()) throw internal("weight gradient shape");
    const bool same_pattern =
        s->isCompressed() && p.isCompressed() && s->nonZeros() == p.nonZeros() &&
        std::equal(s->outerIndexPtr(), s->outerIndexPtr() + s->outerSize() + 1,
                   p.outerIndexPtr()) &&
        std::equal(s->innerIndexPtr(), s->innerIndexPtr() + s->nonZeros(), p.innerIndexPtr());
    if (same_pattern) {
      const double* src = s->valuePtr();
      for (Eigen::Index k = 0; k < s->nonZeros(); ++k) acc[k] += src[k];
    } else {
      // Another storage pattern: look every trainable (stored) entry up by (row, column).
      std::int64_t k = 0;
      for (Eigen::Index i = 0; i < p.outerSize(); ++i) {
        for (SparseWeights::InnerIterator it(p, i); it; ++it) acc[k++] += s->coeff(i, it.col());
      }
    }
  } else {
    const auto& d_perm = std::get<PermutationWeights>(dw);
    const auto& p = std::get<PermutationWeights>(pattern);
    if (d_perm.value.size() != p.value.size()) throw internal("weight gradient shape");
    for (Eigen::Index k = 0; k < p.value.size(); ++k) acc[k] += d_perm.value[k];
  }
}

// Number of threads to use: options.threads ≥ 1, or the OpenMP default for 0.
int thread_count(const SgdOptions& o) {
  return o.threads > 0 ? o.threads : omp_get_max_threads();
}

bool has_targets(const Network& net, const Dataset& data) {
  return !net.outputs.empty() &&
         data.rows.cols() == static_cast<Eigen::Index>(net.inputs.size() + net.outputs.size());
}

// net.validate() without its scan of the N² dense weights for finiteness (every other check
// runs, with the same messages): a copy of the network with an all-zero permutation in place of
// w is validated. train_sgd certifies the dense weights through the first product instead
// (see dense_sgd_step) and calls net.validate() if that finds a non-finite value.
void validate_structure(const Network& net) {
  const auto* d = std::get_if<DenseWeights>(&net.w);
  if (d == nullptr || net.n() < 1 || d->rows() != net.n() || d->cols() != net.n()) {
    net.validate();
    return;
  }
  Network proxy;
  PermutationWeights identity;
  identity.source.resize(static_cast<std::size_t>(net.n()));
  for (std::size_t i = 0; i < identity.source.size(); ++i)
    identity.source[i] = static_cast<std::int32_t>(i);
  identity.value = Vector::Zero(net.n());
  proxy.w = std::move(identity);
  proxy.b = net.b;
  proxy.activation = net.activation;
  proxy.mass = net.mass;
  proxy.inputs = net.inputs;
  proxy.outputs = net.outputs;
  proxy.validate();
}

void validate_data(const Network& net, const Dataset& data, const char* where,
                   bool full_validation = true) {
  if (full_validation) {
    net.validate();
  } else {
    validate_structure(net);
  }
  if (net.inputs.empty())
    throw Error(where, "the network has no input neurons", "at least one input neuron");
  const auto n_in = static_cast<Eigen::Index>(net.inputs.size());
  const auto n_out = static_cast<Eigen::Index>(net.outputs.size());
  if (data.rows.rows() < 1)
    throw Error(where, "dataset '" + data.source + "' has no rows", "at least one sample");
  if (data.rows.cols() != n_in + n_out && data.rows.cols() != n_in) {
    throw Error(
        where, "dataset '" + data.source + "' has " + std::to_string(data.rows.cols()) + " columns",
        std::to_string(n_in + n_out) + " (inputs + outputs) or " + std::to_string(n_in) +
            " (inputs only)");
  }
}

void validate_options(const SgdOptions& o) {
  auto bad = [](const std::string& key, const std::string& value, const std::string& expected) {
    return Error("train_sgd: " + key, "invalid value " + value, expected);
  };
  if (!(o.step > 0.0) || !std::isfinite(o.step))
    throw bad("step", std::to_string(o.step), "a finite step size > 0");
  if (o.batch < 1) throw bad("batch", std::to_string(o.batch), "a batch size >= 1");
  if (o.steps < 0) throw bad("steps", std::to_string(o.steps), "a number of steps >= 0");
  if (!(o.temperature >= 0.0) || !std::isfinite(o.temperature))
    throw bad("temperature", std::to_string(o.temperature), "a finite temperature >= 0");
  if (!(o.weight_decay >= 0.0) || !std::isfinite(o.weight_decay))
    throw bad("weight_decay", std::to_string(o.weight_decay), "a finite weight decay >= 0");
  if (o.relax_steps < 0)
    throw bad("relax_steps", std::to_string(o.relax_steps), "a number of iterations >= 0");
  if (o.threads < 0) throw bad("threads", std::to_string(o.threads), ">= 0 (0: OpenMP default)");
  if (o.record_every < 1)
    throw bad("record_every", std::to_string(o.record_every), "a recording interval >= 1");
}

// The state at which H is taken for dataset row `row` ("x fast, q slow"): x = 0, inputs
// clamped to the data, `relax_steps` applications of the state map (1) x ← f(w x + b) with the
// inputs held, then the output neurons set to the row's targets (when the data has them).
Vector sample_state(const Network& net, const Matrix& rows, Eigen::Index row, int relax_steps,
                    bool targets) {
  Vector x = Vector::Zero(net.n());
  const auto n_in = static_cast<Eigen::Index>(net.inputs.size());
  for (Eigen::Index k = 0; k < n_in; ++k) x[net.inputs[k]] = rows(row, k);
  if (relax_steps > 0) x = iterate(net, std::move(x), relax_steps, net.inputs);
  if (targets) {
    for (std::size_t k = 0; k < net.outputs.size(); ++k)
      x[net.outputs[k]] = rows(row, n_in + static_cast<Eigen::Index>(k));
  }
  return x;
}

struct BatchSums {
  double loss = 0.0;  // Σ_s H(x_s)
  Vector grad;        // Σ_s ∂H/∂q (flat parameter vector), empty when not asked for
};

// ---- Dense weights: batched terms and the in-place update ------------------------------------
// Every product below is cut into tiles whose sizes depend on N and the column count only
// (never on the thread count); each tile is one serial Eigen product, and every sum over
// samples runs in fixed chunks of kChunk added in chunk order. So all bits are the same for any
// number of threads.

constexpr std::int64_t kColumns = 256;  // columns per tile of the products

// Rows per tile: 64 for a single column (a GEMV), else about N/8, a multiple of 64 in [64, 1024].
std::int64_t tile_rows(std::int64_t n, std::int64_t cols) {
  if (cols == 1) return 64;
  return std::clamp<std::int64_t>((n / 8 + 63) / 64 * 64, 64, 1024);
}

// Sets the calling thread's OpenMP thread count for the nested kernels; restores it on exit.
class ThreadCountScope {
 public:
  explicit ThreadCountScope(int threads) : saved_(omp_get_max_threads()) {
    omp_set_num_threads(threads);
  }
  ~ThreadCountScope() { omp_set_num_threads(saved_); }
  ThreadCountScope(const ThreadCountScope&) = delete;
  ThreadCountScope& operator=(const ThreadCountScope&) = delete;

 private:
  int saved_;
};

// Minimum multiply–adds for a second thread (below it the fork costs more than it saves).
constexpr double kParallelWork = 131072.0;
int team(int threads, double work) {
  return work < kParallelWork ? 1 : threads;
}

// z = a · b (a: N×K dense weights or states, b: K×M), on row tiles × kColumns columns.
template <class A>
void tiled_product(const A& a, const Matrix& b, Matrix& z, int threads) {
  const std::int64_t n = a.rows();
  const std::int64_t cols = b.cols();
  z.resize(n, cols);
  const std::int64_t rows = tile_rows(n, cols);
  const std::int64_t row_tiles = (n + rows - 1) / rows;
  const std::int64_t tasks = row_tiles * ((cols + kColumns - 1) / kColumns);
  const int nt = team(
      threads, static_cast<double>(n) * static_cast<double>(a.cols()) * static_cast<double>(cols));
#pragma omp parallel for schedule(static) num_threads(nt) if (nt > 1)
  for (std::int64_t t = 0; t < tasks; ++t) {
    const std::int64_t r0 = (t % row_tiles) * rows;
    const std::int64_t c0 = (t / row_tiles) * kColumns;
    const std::int64_t rl = std::min(rows, n - r0);
    const std::int64_t cl = std::min(kColumns, cols - c0);
    z.block(r0, c0, rl, cl).noalias() = a.middleRows(r0, rl) * b.middleCols(c0, cl);
  }
}

// Columns of X: the states of the listed dataset rows, as sample_state computes them for one
// row (x = 0, inputs clamped, relax_steps applications of (1), targets set), but the relaxation
// runs on the whole batch: X ← f(w X + b 1ᵀ) by state_map_batch, inputs re-clamped after each.
Matrix dense_states(const Network& net, const Dataset& data, const std::vector<Eigen::Index>& rows,
                    int relax_steps, bool targets) {
  const std::int64_t n = net.n();
  const auto cols = static_cast<Eigen::Index>(rows.size());
  const auto n_in = static_cast<Eigen::Index>(net.inputs.size());
  Matrix x(n, cols);
  // Inputs are distinct (validated): when every neuron is one, no entry needs the zero.
  if (n_in < n) x.setZero();
  const int nt = team(omp_get_max_threads(), static_cast<double>(n_in) * static_cast<double>(cols));
#pragma omp parallel for schedule(static) num_threads(nt) if (nt > 1)
  for (Eigen::Index s = 0; s < cols; ++s) {
    const Eigen::Index row = rows[static_cast<std::size_t>(s)];
    for (Eigen::Index k = 0; k < n_in; ++k)
      x(net.inputs[static_cast<std::size_t>(k)], s) = data.rows(row, k);
  }
  if (relax_steps > 0) {
    Matrix next(n, cols);
    for (int step = 0; step < relax_steps; ++step) {
      state_map_batch(net, x, next);
      for (Eigen::Index s = 0; s < cols; ++s) {
        for (const auto i : net.inputs) next(i, s) = x(i, s);
      }
      x.swap(next);
    }
  }
  if (targets) {
    for (Eigen::Index s = 0; s < cols; ++s) {
      const Eigen::Index row = rows[static_cast<std::size_t>(s)];
      for (std::size_t k = 0; k < net.outputs.size(); ++k)
        x(net.outputs[k], s) = data.rows(row, n_in + static_cast<Eigen::Index>(k));
    }
  }
  return x;
}

// v_k − v_k is 0 for a finite v_k and NaN for ±∞ or NaN, so the sum is 0 iff all are finite
// (a branch-free loop that vectorises).
bool all_finite(const double* v, std::int64_t n) {
  double acc = 0.0;
#pragma omp simd reduction(+ : acc)
  for (std::int64_t k = 0; k < n; ++k) acc += v[k] - v[k];
  return acc == 0.0;
}

// Loss terms of the columns of a batch ((3), or (4) with P = P_∂; P = I for (3)), from
// X' = P X (xs) and Y = P (w X' + b 1ᵀ) (y, overwritten by G when with_grad):
//   R = X' − f(Y),  H_s = ½|R_s|² − (m/2)|X'_s|²  (returned, one per column),
//   G = P (R ⊙ f′(Y)).
// Each column is computed on its own, so the columns may be spread over the threads.
std::vector<double> dense_terms(const Network& net, const Matrix& xs, Matrix& y, const Vector& mask,
                                bool with_grad, int threads) {
  const std::int64_t n = xs.rows();
  const std::int64_t cols = xs.cols();
  std::vector<double> loss(static_cast<std::size_t>(cols), 0.0);
  const int nt = team(threads, 8.0 * static_cast<double>(n) * static_cast<double>(cols));
#pragma omp parallel num_threads(nt) if (nt > 1)
  {
    Vector fy(n);
    Vector dfy(n);
#pragma omp for schedule(static)
    for (std::int64_t s = 0; s < cols; ++s) {
      double* ys = y.col(s).data();
      std::copy(ys, ys + n, fy.data());
      apply_activation(net.activation, fy.data(), n);  // f(Y_s)
      fy = xs.col(s) - fy;                             // R_s
      loss[static_cast<std::size_t>(s)] =
          0.5 * fy.squaredNorm() - 0.5 * net.mass * xs.col(s).squaredNorm();
      if (!with_grad) continue;
      activation_derivative(net.activation, ys, dfy.data(), n);
      auto g = y.col(s);
      g = fy.cwiseProduct(dfy);  // G_s = R_s ⊙ f′(Y_s)
      if (mask.size() > 0) g = g.cwiseProduct(mask);
    }
  }
  return loss;
}

// total + Σ_s v[slot[s]] over s = 0..B−1 in chunks of kChunk, the chunk partials added to
// total in chunk order.
double chunked_sum(const std::vector<double>& v, const std::vector<std::int64_t>& slot,
                   double total = 0.0) {
  for (std::size_t c0 = 0; c0 < slot.size(); c0 += kChunk) {
    double part = 0.0;
    for (std::size_t s = c0; s < std::min(slot.size(), c0 + kChunk); ++s)
      part += v[static_cast<std::size_t>(slot[s])];
    total += part;
  }
  return total;
}

// The distinct dataset rows of a batch in order of first appearance, the multiplicity of each,
// and for every batch entry s its index slot[s] among them. A batch drawn with replacement
// repeats rows; their states, losses and gradients are computed once.
struct DistinctRows {
  std::vector<Eigen::Index> rows;
  std::vector<double> count;
  std::vector<std::int64_t> slot;
};
DistinctRows distinct_rows(const std::vector<Eigen::Index>& rows) {
  DistinctRows d;
  std::unordered_map<Eigen::Index, std::int64_t> index;
  index.reserve(rows.size());
  d.slot.resize(rows.size());
  for (std::size_t s = 0; s < rows.size(); ++s) {
    const auto [it, added] = index.emplace(rows[s], static_cast<std::int64_t>(d.rows.size()));
    if (added) {
      d.rows.push_back(rows[s]);
      d.count.push_back(0.0);
    }
    d.slot[s] = it->second;
    d.count[static_cast<std::size_t>(it->second)] += 1.0;
  }
  return d;
}

// Y = P (w X' + b 1ᵀ) from Z = w X' (in place).
void add_bias_and_mask(Matrix& z, const Vector& b, const Vector& mask) {
  z.colwise() += b;
  if (mask.size() > 0) z = mask.asDiagonal() * z;
}

// Σ_s H over the listed rows for dense weights (the loss-only path of batch_sums).
double dense_loss_sum(const Network& net, const Dataset& data,
                      const std::vector<Eigen::Index>& rows, const SgdOptions& o) {
  const int threads = thread_count(o);
  const ThreadCountScope scope(threads);
  const Vector mask = o.loss == LossKind::boundary ? net.boundary_mask() : Vector();
  const auto& w = std::get<DenseWeights>(net.w);
  double sum = 0.0;
  // Blocks of kColumns samples (multiples of kChunk: the chunk order is kept) bound the memory.
  for (std::size_t b0 = 0; b0 < rows.size(); b0 += kColumns) {
    const std::vector<Eigen::Index> block(
        rows.begin() + static_cast<std::ptrdiff_t>(b0),
        rows.begin() + static_cast<std::ptrdiff_t>(std::min(rows.size(), b0 + kColumns)));
    Matrix xs = dense_states(net, data, block, o.relax_steps, has_targets(net, data));
    if (mask.size() > 0) xs = mask.asDiagonal() * xs;
    Matrix y;
    tiled_product(w, xs, y, threads);
    add_bias_and_mask(y, net.b, mask);
    const std::vector<double> h = dense_terms(net, xs, y, mask, false, threads);
    std::vector<std::int64_t> slot(h.size());
    std::iota(slot.begin(), slot.end(), std::int64_t{0});
    sum = chunked_sum(h, slot, sum);
  }
  return sum;
}

// One SGD step of train_sgd for dense weights, in place (see train_sgd for the rule). The
// distinct rows u of the batch (distinct_rows; multiplicity c_u) are evaluated once:
//   X'_u = P X_u, Y_u = P (w X'_u + b), H_u and G_u as in dense_terms,
//   L_t = (1/B) Σ_s H_{u(s)},  ∂⟨H⟩/∂b = −(1/B) Σ_s G_{u(s)}  (both in chunks of kChunk),
//   b ← b − η (∂⟨H⟩/∂b + λ b) + σ ξ,
//   w ← (1 − ηλ) w + (η/B) Σ_u c_u G_u X'_uᵀ + σ ξ   (∂H/∂w = −G X'ᵀ; no N×N gradient),
// with σ = √(2ηT) and ξ indexed by (t, parameter). The weight update runs on row tiles, each
// one serial product accumulated into w, then the noise and the finiteness check on the tile.
//
// final_loss: ⟨H⟩ over all S dataset rows after the update, fused into the step when the
// states do not depend on w (relax_steps = 0), there is no noise, and N > 2 S. With X'_d the
// dataset's states and Z_d = w X'_d (before the update; the batch's Y_u are columns of it),
//   w_new X'_d = (1 − ηλ) Z_d + (η/B) G̃ (X'_uᵀ X'_d),   G̃ = G_u diag(c_u),
// which replaces the forward pass over the batch (2N²U flops) and the one with w_new (2N²S)
// by 4NUS flops: one pass over w and 2NU (N − 2S) flops fewer.
struct DenseStep {
  double batch_loss = 0.0;
  bool has_final = false;
  double final_loss = 0.0;
};
DenseStep dense_sgd_step(Network& net, const Dataset& data, const std::vector<Eigen::Index>& rows,
                         const SgdOptions& o, std::int64_t t, bool want_final, bool check_w) {
  const int threads = thread_count(o);
  const ThreadCountScope scope(threads);
  auto& w = std::get<DenseWeights>(net.w);
  const std::int64_t n = net.n();
  const auto batch = static_cast<std::int64_t>(rows.size());
  const std::int64_t samples = data.rows.rows();
  const bool targets = has_targets(net, data);
  const Vector mask = o.loss == LossKind::boundary ? net.boundary_mask() : Vector();
  const double eta = o.step;
  const double sigma = std::sqrt(2.0 * eta * o.temperature);
  const core::RngStream noise_rng(o.seed, core::StreamTag::langevin);
  const auto tu = static_cast<std::uint64_t>(t);
  const bool fuse = want_final && o.relax_steps == 0 && sigma == 0.0 && 2 * samples < n &&
                    static_cast<double>(samples) * static_cast<double>(n) <= 3.3e7;
  const DistinctRows distinct = distinct_rows(rows);
  const auto unique = static_cast<std::int64_t>(distinct.rows.size());

  // X'_u and Y_u = P (w X'_u + b 1ᵀ), from the dataset's product when fused.
  Matrix xs;
  Matrix y;
  Matrix xd;  // fused: the dataset's states X'_d
  Matrix zd;  // fused: Z_d = w X'_d
  if (fuse) {
    std::vector<Eigen::Index> all(static_cast<std::size_t>(samples));
    std::iota(all.begin(), all.end(), Eigen::Index{0});
    xd = dense_states(net, data, all, 0, targets);
    if (mask.size() > 0) xd = mask.asDiagonal() * xd;
    tiled_product(w, xd, zd, threads);
    xs.resize(n, unique);
    y.resize(n, unique);
    for (std::int64_t u = 0; u < unique; ++u) {
      xs.col(u) = xd.col(distinct.rows[static_cast<std::size_t>(u)]);
      y.col(u) = zd.col(distinct.rows[static_cast<std::size_t>(u)]);
    }
  } else {
    xs = dense_states(net, data, distinct.rows, o.relax_steps, targets);
    if (mask.size() > 0) xs = mask.asDiagonal() * xs;
    tiled_product(w, xs, y, threads);
  }
  add_bias_and_mask(y, net.b, mask);
  // Every entry of w enters every column of Y (0 · ±∞ = NaN), so a finite Y certifies that
  // w and b are finite; otherwise the full validation names the offending entry.
  if (check_w && !all_finite(y.data(), y.size())) net.validate();

  const std::vector<double> h = dense_terms(net, xs, y, mask, true, threads);
  Matrix& g = y;  // G_u
  DenseStep out;
  out.batch_loss = chunked_sum(h, distinct.slot) / static_cast<double>(batch);
  if (!std::isfinite(out.batch_loss)) throw Divergence(t, "loss");

  // Bias: b_p ← b_p − η (∂⟨H⟩/∂b_p + λ b_p) + σ ξ(t, p), ∂⟨H⟩/∂b = −(1/B) Σ_s G_{u(s)}.
  Vector db = Vector::Zero(n);
  for (std::size_t c0 = 0; c0 < distinct.slot.size(); c0 += kChunk) {
    Vector part = Vector::Zero(n);
    for (std::size_t s = c0; s < std::min(distinct.slot.size(), c0 + kChunk); ++s)
      part -= g.col(distinct.slot[s]);
    db += part;
  }
  const double inv_batch = 1.0 / static_cast<double>(batch);
  const double decay = o.weight_decay;
  for (std::int64_t p = 0; p < n; ++p) {
    double& q = net.b[p];
    double next = q - eta * (db[p] * inv_batch + decay * q);
    if (sigma > 0.0) next += sigma * noise_rng.normal(tu, static_cast<std::uint64_t>(p));
    q = next;
  }
  if (!all_finite(net.b.data(), n)) throw Divergence(t, "bias");

  // Weights: w ← c w + a G̃ X'_uᵀ + σ ξ(t, N + i N + j), c = 1 − ηλ, a = η/B, G̃ = G_u diag(c_u).
  for (std::int64_t u = 0; u < unique; ++u) {
    const double cu = distinct.count[static_cast<std::size_t>(u)];
    if (cu != 1.0) g.col(u) *= cu;
  }
  const double c = 1.0 - eta * decay;
  const double a = eta * inv_batch;
  const bool small = unique < 16;  // rank-U update row by row (a GEMM does not pay)
  const std::int64_t rows_per_tile = small ? 64 : tile_rows(n, unique);
  const std::int64_t tiles = (n + rows_per_tile - 1) / rows_per_tile;
  std::vector<char> tile_ok(static_cast<std::size_t>(tiles), 1);
  const int nt = team(threads, static_cast<double>(n) * static_cast<double>(n) *
                                   static_cast<double>(std::max<std::int64_t>(unique, 4)));
#pragma omp parallel for schedule(static) num_threads(nt) if (nt > 1)
  for (std::int64_t tile = 0; tile < tiles; ++tile) {
    const std::int64_t r0 = tile * rows_per_tile;
    const std::int64_t rl = std::min(rows_per_tile, n - r0);
    bool ok = true;
    if (!small) {
      auto wt = w.middleRows(r0, rl);
      if (c != 1.0) wt *= c;
      wt.noalias() += a * g.middleRows(r0, rl) * xs.transpose();
    }
    for (std::int64_t i = r0; i < r0 + rl; ++i) {
      double* wi = w.row(i).data();
      if (small) {
        if (c != 1.0) {
#pragma omp simd
          for (std::int64_t j = 0; j < n; ++j) wi[j] *= c;
        }
        for (std::int64_t u = 0; u < unique; ++u) {
          const double coef = a * g(i, u);
          const double* xj = xs.col(u).data();
#pragma omp simd
          for (std::int64_t j = 0; j < n; ++j) wi[j] += coef * xj[j];
        }
      }
      if (sigma > 0.0) {
        const auto base = static_cast<std::uint64_t>(n + i * n);
        for (std::int64_t j = 0; j < n; ++j)
          wi[j] += sigma * noise_rng.normal(tu, base + static_cast<std::uint64_t>(j));
      }
      ok &= all_finite(wi, n);
    }
    tile_ok[static_cast<std::size_t>(tile)] = ok ? 1 : 0;
  }
  if (std::find(tile_ok.begin(), tile_ok.end(), 0) != tile_ok.end()) throw Divergence(t, "weights");

  if (fuse) {
    // w_new X'_d = c Z_d + a G̃ M, M = X'_uᵀ X'_d (U×S), then Y_d = P (· + b_new 1ᵀ).
    const Matrix xs_t = xs.transpose();
    Matrix m;
    tiled_product(xs_t, xd, m, threads);
    Matrix gm;
    tiled_product(g, m, gm, threads);
    if (c != 1.0) zd *= c;
    zd += a * gm;
    add_bias_and_mask(zd, net.b, mask);
    const std::vector<double> hd = dense_terms(net, xd, zd, mask, false, threads);
    std::vector<std::int64_t> slot(hd.size());
    std::iota(slot.begin(), slot.end(), std::int64_t{0});
    out.has_final = true;
    out.final_loss = chunked_sum(hd, slot) / static_cast<double>(samples);
  }
  return out;
}

// Σ over the listed rows of H and (optionally) of ∂H/∂q, in fixed chunks of kChunk samples:
// chunk c sums its samples in order, then the chunk partials are added for c = 0, 1, … on the
// calling thread. Each thread runs the per-sample kernels serially (its own OpenMP thread
// count set to 1), so they do the same arithmetic whatever the team size.
BatchSums batch_sums(const Network& net, const Dataset& data, const std::vector<Eigen::Index>& rows,
                     const SgdOptions& o, bool with_grad) {
  if (!with_grad && std::holds_alternative<DenseWeights>(net.w)) {
    return {dense_loss_sum(net, data, rows, o), Vector()};
  }
  const auto count = static_cast<std::int64_t>(rows.size());
  const std::int64_t n_chunks = (count + kChunk - 1) / kChunk;
  const std::int64_t n_params = net.n() + stored_count(net.w);
  const bool targets = has_targets(net, data);

  std::vector<double> chunk_loss(static_cast<std::size_t>(n_chunks), 0.0);
  std::vector<Vector> chunk_grad(with_grad ? static_cast<std::size_t>(n_chunks) : 0);
  std::vector<std::exception_ptr> failure(static_cast<std::size_t>(n_chunks));
  const int threads = static_cast<int>(std::min<std::int64_t>(thread_count(o), n_chunks));

#pragma omp parallel num_threads(threads)
  {
    omp_set_num_threads(1);  // nested kernels of this thread: serial (this task's ICV only)
#pragma omp for schedule(dynamic, 1)
    for (std::int64_t c = 0; c < n_chunks; ++c) {
      const auto cu = static_cast<std::size_t>(c);
      try {
        double loss_sum = 0.0;
        Vector grad;
        if (with_grad) grad = Vector::Zero(n_params);
        const std::int64_t end = std::min(count, (c + 1) * kChunk);
        for (std::int64_t s = c * kChunk; s < end; ++s) {
          const Vector x = sample_state(net, data.rows, rows[static_cast<std::size_t>(s)],
                                        o.relax_steps, targets);
          if (with_grad) {
            const LossGradient g = loss_gradient(net, x, o.loss);
            loss_sum += g.loss;
            if (g.db.size() != net.n()) throw internal("bias gradient has the wrong size");
            grad.head(net.n()) += g.db;
            add_stored_gradient(net.w, g.dw, grad.data() + net.n());
          } else {
            loss_sum += loss(net, x, o.loss);
          }
        }
        chunk_loss[cu] = loss_sum;
        if (with_grad) chunk_grad[cu] = std::move(grad);
      } catch (...) {
        failure[cu] = std::current_exception();
      }
    }
  }
  for (const auto& f : failure) {
    if (f) std::rethrow_exception(f);
  }

  BatchSums out;
  if (with_grad) out.grad = Vector::Zero(n_params);
  for (std::int64_t c = 0; c < n_chunks; ++c) {
    const auto cu = static_cast<std::size_t>(c);
    out.loss += chunk_loss[cu];
    if (with_grad) out.grad += chunk_grad[cu];
  }
  return out;
}

// ⟨H⟩ over all rows, without the input checks (train_sgd has made them).
double dataset_loss_unchecked(const Network& net, const Dataset& data, const SgdOptions& options) {
  std::vector<Eigen::Index> rows(static_cast<std::size_t>(data.rows.rows()));
  for (std::size_t k = 0; k < rows.size(); ++k) rows[k] = static_cast<Eigen::Index>(k);
  return batch_sums(net, data, rows, options, false).loss / static_cast<double>(rows.size());
}

}  // namespace

// ⟨H⟩ = (1/S) Σ_s H(x_s) over all S rows, x_s the relaxed state of sample_state (bulk (3) or
// boundary (4) loss as chosen by options.loss).
double dataset_loss(const Network& net, const Dataset& data, const SgdOptions& options) {
  validate_data(net, data, "dataset_loss");
  if (options.relax_steps < 0)
    throw Error("dataset_loss: relax_steps", "invalid value " + std::to_string(options.relax_steps),
                "a number of iterations >= 0");
  if (options.threads < 0)
    throw Error("dataset_loss: threads", "invalid value " + std::to_string(options.threads),
                ">= 0 (0: OpenMP default)");
  return dataset_loss_unchecked(net, data, options);
}

// Mini-batch SGD with weight decay and Langevin noise; for step t = 0, 1, …, steps − 1:
//   rows s_k = below(t, k, S) of RngStream(seed, minibatch), k = 0..B−1 (with replacement),
//   g = (1/B) Σ_k ∂H/∂q (x_{s_k}),   L_t = (1/B) Σ_k H(x_{s_k})   (before the update),
//   q_p ← q_p − η (g_p + λ q_p) + √(2 η T) ξ_p,   ξ_p = RngStream(seed, langevin).normal(t, p)
// for every parameter index p (b, then the stored weights; see stored_values above).
// At T > 0 this is the Euler–Maruyama step (time step η) of dq = −∇U dt + √(2T) dW with
// U = ⟨H⟩ + (λ/2)|q|², whose stationary density is the Gibbs one ∝ exp(−U/T).
TrainingResult train_sgd(Network& net, const Dataset& data, const SgdOptions& options,
                         const std::function<void(std::int64_t, std::int64_t)>& progress) {
  validate_options(options);
  const bool dense = std::holds_alternative<DenseWeights>(net.w);
  validate_data(net, data, "train_sgd", !dense);
  if (auto* s = std::get_if<SparseWeights>(&net.w)) s->makeCompressed();

  const std::int64_t n = net.n();
  const std::int64_t n_params = n + stored_count(net.w);
  const auto n_rows = static_cast<std::uint64_t>(data.rows.rows());
  const core::RngStream batch_rng(options.seed, core::StreamTag::minibatch);
  const core::RngStream noise_rng(options.seed, core::StreamTag::langevin);
  const double eta = options.step;
  const double decay = options.weight_decay;
  const double noise_amplitude = std::sqrt(2.0 * eta * options.temperature);  // √(2ηT)
  const double inv_batch = 1.0 / static_cast<double>(options.batch);
  const int threads = thread_count(options);
  const std::int64_t progress_every = std::max<std::int64_t>(1, options.steps / 100);

  TrainingResult result;
  bool have_final = false;  // the last dense step computed the final ⟨H⟩ (dense_sgd_step)
  std::vector<Eigen::Index> rows(static_cast<std::size_t>(options.batch));
  for (std::int64_t t = 0; t < options.steps; ++t) {
    const auto tu = static_cast<std::uint64_t>(t);
    for (std::size_t k = 0; k < rows.size(); ++k)
      rows[k] = static_cast<Eigen::Index>(batch_rng.below(tu, k, n_rows));
    if (dense) {
      const DenseStep st =
          dense_sgd_step(net, data, rows, options, t, t + 1 == options.steps, t == 0);
      if (t % options.record_every == 0) {
        result.step.push_back(t);
        result.loss.push_back(st.batch_loss);
      }
      if (st.has_final) {
        have_final = true;
        result.final_loss = st.final_loss;
      }
      if (progress && ((t + 1) % progress_every == 0 || t + 1 == options.steps))
        progress(t + 1, options.steps);
      continue;
    }
    BatchSums sums = batch_sums(net, data, rows, options, true);
    const double batch_loss = sums.loss * inv_batch;
    if (!std::isfinite(batch_loss)) throw Divergence(t, "loss");
    if (t % options.record_every == 0) {
      result.step.push_back(t);
      result.loss.push_back(batch_loss);
    }

    double* const bias = net.b.data();
    const std::span<double> weights = stored_values(net.w);
    const double* const grad = sums.grad.data();
    // Each parameter is updated from its own gradient entry and its own noise counter (t, p):
    // the order of the updates does not matter.
#pragma omp parallel for num_threads(threads) schedule(static) if (n_params > 4096)
    for (std::int64_t p = 0; p < n_params; ++p) {
      double& q = p < n ? bias[p] : weights[static_cast<std::size_t>(p - n)];
      double next = q - eta * (grad[p] * inv_batch + decay * q);
      if (noise_amplitude > 0.0)
        next += noise_amplitude * noise_rng.normal(tu, static_cast<std::uint64_t>(p));
      q = next;
    }
    if (!all_finite(bias, n)) throw Divergence(t, "bias");
    if (!all_finite(weights.data(), static_cast<std::int64_t>(weights.size())))
      throw Divergence(t, "weights");

    if (progress && ((t + 1) % progress_every == 0 || t + 1 == options.steps))
      progress(t + 1, options.steps);
  }
  if (!have_final) result.final_loss = dataset_loss_unchecked(net, data, options);
  if (!std::isfinite(result.final_loss)) {
    if (options.steps == 0) net.validate();  // dense w not yet certified finite
    throw Divergence(options.steps, "loss");
  }
  return result;
}

}  // namespace nnworld::network
