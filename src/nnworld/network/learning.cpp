// Learning dynamics of the trainable variables (b, w): mini-batch SGD on ⟨H⟩ with weight decay
// and Langevin noise (see learning.hpp for the update rule and the determinism contract).
// GCC 12 reports a false -Wmaybe-uninitialized inside its own AVX-512 intrinsics when inlining
// Eigen's GEMM kernel (gebp); the pragma must precede the includes to cover them.
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#include "nnworld/network/learning.hpp"

#include <omp.h>

#include <algorithm>
#include <cmath>
#include <exception>
#include <span>
#include <string>
#include <type_traits>
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

void validate_data(const Network& net, const Dataset& data, const char* where) {
  net.validate();
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

// Samples per block of the dense path (a multiple of kChunk), and rows per tile of its weight
// gradient product (about N/8, a multiple of 64 in [64, 1024]); both independent of the thread
// count.
constexpr std::int64_t kBlock = 256;
std::int64_t tile_rows(std::int64_t n) {
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

// The sums of batch_sums for dense weights, on blocks of kBlock samples with matrix products
// instead of one N×N outer product per sample ((3), or (4) with P = P_∂; P = I for (3)):
//   X' = P X (columns: the samples' states),  Y = P (w X' + b 1ᵀ),  R = X' − f(Y),
//   H_s = ½|R_s|² − (m/2)|X'_s|²,  G = P (R ⊙ f′(Y)),
//   Σ_s ∂H/∂b = −Σ_s G_s,  Σ_s ∂H/∂w = −G X'ᵀ   (∂H/∂w_ij = −g_i x'_j of loss_gradient).
// Determinism: every column is computed on its own; H and ∂H/∂b are summed in chunks of
// kChunk samples in order, the chunk partials in chunk order (as batch_sums); −G X'ᵀ is computed
// on row tiles of tile_rows(N) rows, each by one serial product, and the blocks are accumulated in
// block order. No sum depends on the number of threads.
BatchSums dense_batch_sums(const Network& net, const Dataset& data,
                           const std::vector<Eigen::Index>& rows, const SgdOptions& o,
                           bool with_grad) {
  const auto count = static_cast<std::int64_t>(rows.size());
  const std::int64_t n = net.n();
  const bool targets = has_targets(net, data);
  const bool boundary = o.loss == LossKind::boundary;
  const Vector mask = boundary ? net.boundary_mask() : Vector();
  const int threads = thread_count(o);
  const ThreadCountScope scope(threads);

  BatchSums out;
  if (with_grad) {
    out.grad.resize(n + n * n);  // the weight part is first written by the first block
    out.grad.head(n).setZero();
  }
  for (std::int64_t b0 = 0; b0 < count; b0 += kBlock) {
    const std::int64_t len = std::min(kBlock, count - b0);
    Matrix xs(n, len);
    std::vector<std::exception_ptr> failure(static_cast<std::size_t>(len));
#pragma omp parallel num_threads(threads)
    {
      omp_set_num_threads(1);  // nested kernels of this thread: serial
#pragma omp for schedule(dynamic, 1)
      for (std::int64_t s = 0; s < len; ++s) {
        try {
          xs.col(s) = sample_state(net, data.rows, rows[static_cast<std::size_t>(b0 + s)],
                                   o.relax_steps, targets);
        } catch (...) {
          failure[static_cast<std::size_t>(s)] = std::current_exception();
        }
      }
    }
    for (const auto& f : failure) {
      if (f) std::rethrow_exception(f);
    }
    if (boundary) xs = mask.asDiagonal() * xs;  // X' = P X
    Matrix y = preactivation_batch(net, xs);    // w X' + b 1ᵀ
    if (boundary) y = mask.asDiagonal() * y;
    Matrix r = y;
    apply_activation(net.activation, r.data(), r.size());  // f(Y)
    r = xs - r;                                            // R = X' − f(Y)

    for (std::int64_t c0 = 0; c0 < len; c0 += kChunk) {
      const std::int64_t c1 = std::min(len, c0 + kChunk);
      double loss_sum = 0.0;
      for (std::int64_t s = c0; s < c1; ++s) {
        loss_sum += 0.5 * r.col(s).squaredNorm() - 0.5 * net.mass * xs.col(s).squaredNorm();
      }
      out.loss += loss_sum;
    }
    if (!with_grad) continue;

    Matrix& g = y;  // G = P (R ⊙ f′(Y)), in place of Y
    Matrix dfy(n, len);
    activation_derivative(net.activation, y.data(), dfy.data(), y.size());
    g = r.cwiseProduct(dfy);
    if (boundary) g = mask.asDiagonal() * g;
    for (std::int64_t c0 = 0; c0 < len; c0 += kChunk) {
      const std::int64_t c1 = std::min(len, c0 + kChunk);
      Vector part = Vector::Zero(n);
      for (std::int64_t s = c0; s < c1; ++s) part -= g.col(s);
      out.grad.head(n) += part;
    }
    Eigen::Map<DenseWeights> dw(out.grad.data() + n, n, n);  // row-major, k = i N + j
    const std::int64_t rows_per_tile = tile_rows(n);
    const std::int64_t tiles = (n + rows_per_tile - 1) / rows_per_tile;
#pragma omp parallel for schedule(static) num_threads(threads)
    for (std::int64_t t = 0; t < tiles; ++t) {
      const std::int64_t r0 = t * rows_per_tile;
      const std::int64_t rl = std::min(rows_per_tile, n - r0);
      auto tile = dw.middleRows(r0, rl);
      if (b0 == 0) tile.setZero();  // first touch by the thread that computes the tile
      tile.noalias() -= g.middleRows(r0, rl) * xs.transpose();
    }
  }
  return out;
}

// Σ over the listed rows of H and (optionally) of ∂H/∂q, in fixed chunks of kChunk samples:
// chunk c sums its samples in order, then the chunk partials are added for c = 0, 1, … on the
// calling thread. Each thread runs the per-sample kernels serially (its own OpenMP thread
// count set to 1), so they do the same arithmetic whatever the team size.
BatchSums batch_sums(const Network& net, const Dataset& data, const std::vector<Eigen::Index>& rows,
                     const SgdOptions& o, bool with_grad) {
  if (std::holds_alternative<DenseWeights>(net.w)) {
    return dense_batch_sums(net, data, rows, o, with_grad);
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

bool all_finite(const double* v, std::int64_t n) {
  for (std::int64_t k = 0; k < n; ++k) {
    if (!std::isfinite(v[k])) return false;
  }
  return true;
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
  validate_data(net, data, "train_sgd");
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
  std::vector<Eigen::Index> rows(static_cast<std::size_t>(options.batch));
  for (std::int64_t t = 0; t < options.steps; ++t) {
    const auto tu = static_cast<std::uint64_t>(t);
    for (std::size_t k = 0; k < rows.size(); ++k)
      rows[k] = static_cast<Eigen::Index>(batch_rng.below(tu, k, n_rows));
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
  result.final_loss = dataset_loss_unchecked(net, data, options);
  if (!std::isfinite(result.final_loss)) throw Divergence(options.steps, "loss");
  return result;
}

}  // namespace nnworld::network
