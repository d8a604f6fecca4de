#include "nnworld/lab/network_config.hpp"

#include <algorithm>
#include <cmath>
#include <set>

#include "nnworld/core/error.hpp"
#include "nnworld/core/rng.hpp"

namespace nnworld::lab {

using io::Config;
using io::Range;
using network::Network;
using network::Vector;

std::optional<network::PermutationWeights> as_permutation(const network::Weights& w) {
  if (const auto* p = std::get_if<network::PermutationWeights>(&w)) return *p;
  std::int64_t n = 0;
  std::vector<std::int32_t> source;
  std::vector<double> value;
  auto take_row = [&](auto&& entries) -> bool {  // entries: vector of (col, value), non-zero
    if (entries.size() != 1) return false;
    source.push_back(static_cast<std::int32_t>(entries[0].first));
    value.push_back(entries[0].second);
    return true;
  };
  if (const auto* d = std::get_if<network::DenseWeights>(&w)) {
    n = d->rows();
    for (std::int64_t i = 0; i < n; ++i) {
      std::vector<std::pair<std::int64_t, double>> e;
      for (std::int64_t j = 0; j < d->cols(); ++j) {
        if ((*d)(i, j) != 0.0) e.emplace_back(j, (*d)(i, j));
      }
      if (!take_row(e)) return std::nullopt;
    }
  } else if (const auto* s = std::get_if<network::SparseWeights>(&w)) {
    n = s->rows();
    for (std::int64_t i = 0; i < n; ++i) {
      std::vector<std::pair<std::int64_t, double>> e;
      for (network::SparseWeights::InnerIterator it(*s, i); it; ++it) {
        if (it.value() != 0.0) e.emplace_back(it.col(), it.value());
      }
      if (!take_row(e)) return std::nullopt;
    }
  }
  std::vector<char> seen(static_cast<std::size_t>(n), 0);
  for (auto j : source) {
    if (seen[static_cast<std::size_t>(j)]) return std::nullopt;
    seen[static_cast<std::size_t>(j)] = 1;
  }
  network::PermutationWeights p;
  p.source = std::move(source);
  p.value = Eigen::Map<const Vector>(value.data(), static_cast<Eigen::Index>(value.size()));
  return p;
}

namespace {

network::SparseWeights to_sparse(const network::Weights& w, std::int64_t n) {
  if (const auto* s = std::get_if<network::SparseWeights>(&w)) return *s;
  network::SparseWeights out(n, n);
  if (const auto* p = std::get_if<network::PermutationWeights>(&w)) {
    std::vector<Eigen::Triplet<double, std::int32_t>> t;
    for (std::int64_t i = 0; i < n; ++i) {
      t.emplace_back(static_cast<std::int32_t>(i), p->source[static_cast<std::size_t>(i)],
                     p->value[i]);
    }
    out.setFromTriplets(t.begin(), t.end());
    return out;
  }
  out = std::get<network::DenseWeights>(w).sparseView();
  return out;
}

}  // namespace

BuiltNetwork build_network(Config& c, const RunOptions& options) {
  BuiltNetwork built;
  Network& net = built.net;

  // ---- [network] ----
  const auto n = c.get<std::int64_t>("network.n", 8, "number of neurons N", Range::at_least(1));
  if (n > 100'000'000) {
    throw c.error("network.n", "N = " + std::to_string(n) + " is too large", "N <= 100000000");
  }
  const std::string activation =
      c.get_choice("network.activation", "tanh", "activation f of the state map (1)",
                   {"tanh", "logistic", "relu", "linear"});
  net.activation = network::parse_activation(activation);
  const bool has_weights = c.has("network.weights");
  if (has_weights && c.has("network.init")) {
    throw c.error("network.init", "given together with network.weights",
                  "only one of network.weights and network.init");
  }
  const std::string init = c.get_choice(
      "network.init", "random",
      "weights when network.weights is absent: random | permutation | sparse_random | zero",
      {"random", "permutation", "sparse_random", "zero"});
  const double scale = c.get<double>(
      "network.scale", 1.0,
      "weight scale: random N(0, scale²/N); permutation entries = scale; sparse N(0, scale²/k)");
  const std::string perm_kind =
      c.get_choice("network.permutation", "cyclic",
                   "permutation init: cyclic (x_i ← x_{i−1}) or random", {"cyclic", "random"});
  const auto nnz =
      c.get<std::int64_t>("network.nnz_per_row", 4,
                          "sparse_random init: k non-zero weights per row", Range::at_least(1));
  const std::string layout = c.get_choice(
      "network.layout", "auto", "weight storage: auto (from init) | dense | sparse | permutation",
      {"auto", "dense", "sparse", "permutation"});
  // Memory, before anything of size N is built: ŵ with the N×N work matrices of the fixed
  // points (Jacobian, Ĝ) when dense; k entries per row and a few N-vectors when sparse.
  const double nd = static_cast<double>(n);
  if (init == "sparse_random" || layout == "sparse") {
    c.require_memory("network.n", nd * static_cast<double>(nnz) * 16.0 + 16.0 * nd * 8.0,
                     "k sparse weights per row and 16 N-vectors");
  } else if (init == "permutation" && layout != "dense") {
    c.require_memory("network.n", 16.0 * nd * 8.0, "16 N-vectors");
  } else {
    c.require_memory("network.n", 3.0 * nd * nd * 8.0,
                     "dense ŵ and two N×N work matrices of the fixed points");
  }
  const auto weights = c.get_matrix("network.weights", n, n, "explicit N×N weights w_ij (j → i)");
  net.b = Eigen::Map<const Vector>(
      c.get_vector("network.bias", {0.0}, "bias b: N numbers or one number for all",
                   {.size = static_cast<std::size_t>(n), .scalar_broadcast = true})
          .data(),
      n);
  net.mass = c.get<double>("network.mass", 0.0, "m in V(x) = −m x²/2 (bulk loss (3))");
  const auto inputs =
      c.get_index_vector("network.inputs", {}, "indices of the input neurons (P_in)", n);
  const auto outputs =
      c.get_index_vector("network.outputs", {}, "indices of the output neurons (P_out)", n);
  for (auto o : outputs) {
    if (std::find(inputs.begin(), inputs.end(), o) != inputs.end()) {
      throw c.error("network.outputs", "neuron " + std::to_string(o) + " is also an input",
                    "input and output neurons disjoint");
    }
  }
  net.inputs.assign(inputs.begin(), inputs.end());
  net.outputs.assign(outputs.begin(), outputs.end());

  // Weights.
  const core::RngStream rng(options.seed, core::StreamTag::init);
  std::string natural = "dense";
  if (weights) {
    built.init = "explicit";
    net.w = network::DenseWeights(*weights);
  } else if (init == "random") {
    if (n > kDenseLimit) {
      throw c.error("network.init", "random dense weights for N = " + std::to_string(n),
                    "N <= " + std::to_string(kDenseLimit) + ", or init = \"sparse_random\"");
    }
    // w_ij ~ N(0, scale²/N): entry (i, j) is draw (step i, index j) of the init stream.
    network::DenseWeights w(n, n);
    const double sd = scale / std::sqrt(static_cast<double>(n));
    for (std::int64_t i = 0; i < n; ++i) {
      for (std::int64_t j = 0; j < n; ++j) w(i, j) = sd * rng.normal(i, j);
    }
    net.w = std::move(w);
    built.init = "random";
  } else if (init == "permutation") {
    if (perm_kind == "cyclic") {
      net.w = network::cyclic_permutation(n, scale);
    } else {
      // Fisher–Yates shuffle with the init stream (replica 1).
      const core::RngStream prng(options.seed, core::StreamTag::init, 1);
      network::PermutationWeights p;
      p.source.resize(static_cast<std::size_t>(n));
      for (std::int64_t i = 0; i < n; ++i)
        p.source[static_cast<std::size_t>(i)] = static_cast<std::int32_t>(i);
      for (std::int64_t k = n - 1; k > 0; --k) {
        const auto r = static_cast<std::int64_t>(
            prng.below(0, static_cast<std::uint64_t>(k), static_cast<std::uint64_t>(k + 1)));
        std::swap(p.source[static_cast<std::size_t>(k)], p.source[static_cast<std::size_t>(r)]);
      }
      p.value = Vector::Constant(n, scale);
      net.w = std::move(p);
    }
    built.init = perm_kind + " permutation";
    natural = "permutation";
  } else if (init == "sparse_random") {
    if (nnz > n) {
      throw c.error("network.nnz_per_row",
                    std::to_string(nnz) + " non-zeros per row exceed N = " + std::to_string(n),
                    "nnz_per_row <= network.n");
    }
    // Row i: k distinct columns drawn uniformly (draw (i, attempt) of the init stream,
    // replica 2), values N(0, scale²/k) so that every row has the norm of a random dense row.
    const core::RngStream col_rng(options.seed, core::StreamTag::init, 2);
    std::vector<Eigen::Triplet<double, std::int32_t>> t;
    t.reserve(static_cast<std::size_t>(n * nnz));
    const double sd = scale / std::sqrt(static_cast<double>(nnz));
    for (std::int64_t i = 0; i < n; ++i) {
      std::set<std::int64_t> cols;
      for (std::uint64_t a = 0; static_cast<std::int64_t>(cols.size()) < nnz; ++a) {
        cols.insert(static_cast<std::int64_t>(
            col_rng.below(static_cast<std::uint64_t>(i), a, static_cast<std::uint64_t>(n))));
      }
      std::int64_t k = 0;
      for (auto j : cols) {
        t.emplace_back(static_cast<std::int32_t>(i), static_cast<std::int32_t>(j),
                       sd * rng.normal(i, k++));
      }
    }
    network::SparseWeights w(n, n);
    w.setFromTriplets(t.begin(), t.end());
    net.w = std::move(w);
    built.init = "sparse_random";
    natural = "sparse";
  } else {  // zero
    if (n > kAnalysisLimit) {
      net.w = network::SparseWeights(n, n);
      natural = "sparse";
    } else {
      net.w = network::DenseWeights::Zero(n, n);
    }
    built.init = "zero";
  }
  const std::string target = layout == "auto" ? natural : layout;
  if (target == "dense" && !std::holds_alternative<network::DenseWeights>(net.w)) {
    if (n > kDenseLimit) {
      throw c.error("network.layout", "dense weights for N = " + std::to_string(n),
                    "N <= " + std::to_string(kDenseLimit) + " for the dense layout");
    }
    net.w = network::to_dense(net.w);
  } else if (target == "sparse") {
    net.w = to_sparse(net.w, n);
  } else if (target == "permutation") {
    auto p = as_permutation(net.w);
    if (!p) {
      throw c.error("network.layout",
                    "the weights are not a permutation (one non-zero per row and column)",
                    "layout = \"dense\" or \"sparse\" for these weights");
    }
    net.w = std::move(*p);
  }
  net.validate();
  return built;
}

network::Network build_layered_network(Config& c, const RunOptions& options,
                                       const LayeredDefaults& defaults, std::int64_t limit,
                                       const std::string& why) {
  Network net;
  const auto n_in = c.get<std::int64_t>("network.n_inputs", defaults.n_inputs,
                                        "number of input neurons (P_in)", Range::at_least(1));
  const auto n_hidden = c.get<std::int64_t>("network.n_hidden", defaults.n_hidden,
                                            "number of hidden neurons", Range::non_negative());
  const auto n_out = c.get<std::int64_t>("network.n_outputs", defaults.n_outputs,
                                         "number of output neurons (P_out)", Range::non_negative());
  const std::int64_t n = n_in + n_hidden + n_out;
  if (n > limit) {
    throw c.error(
        "network.n_hidden",
        "N = n_inputs + n_hidden + n_outputs = " + std::to_string(n) + " is too large for " + why,
        "N <= " + std::to_string(limit));
  }
  const std::string activation =
      c.get_choice("network.activation", "tanh", "activation f of the state map (1)",
                   {"tanh", "logistic", "relu", "linear"});
  net.activation = network::parse_activation(activation);
  const double scale = c.get<double>("network.scale", 0.5, "initial weights w_ij ~ N(0, scale²/N)",
                                     Range::non_negative());
  const core::RngStream rng(options.seed, core::StreamTag::init);
  network::DenseWeights w(n, n);
  const double sd = scale / std::sqrt(static_cast<double>(n));
  for (std::int64_t i = 0; i < n; ++i) {
    for (std::int64_t j = 0; j < n; ++j) w(i, j) = sd * rng.normal(i, j);
  }
  net.w = std::move(w);
  net.b = Vector::Zero(n);
  for (std::int64_t i = 0; i < n_in; ++i) net.inputs.push_back(static_cast<std::int32_t>(i));
  for (std::int64_t i = n - n_out; i < n; ++i) net.outputs.push_back(static_cast<std::int32_t>(i));
  net.validate();
  return net;
}

network::SgdOptions read_sgd_options(Config& c, const RunOptions& options,
                                     double default_temperature) {
  network::SgdOptions s;
  s.step = c.get<double>("training.step", 0.05, "SGD step size η", Range::positive());
  s.batch = c.get<std::int64_t>("training.batch", 32, "mini-batch size B (at most 10⁸)",
                                Range::between(1, 1e8));
  s.temperature = c.get<double>("training.temperature", default_temperature,
                                "Langevin temperature of (b, w) (noise √(2ηT) ξ; 0: plain SGD)",
                                Range::non_negative());
  s.weight_decay =
      c.get<double>("training.weight_decay", 0.0, "weight decay λ", Range::non_negative());
  s.relax_steps = static_cast<int>(c.get<std::int64_t>(
      "training.relax_steps", 10, "state-map iterations per sample before H is taken",
      Range::between(0, 1e6)));
  const std::string loss =
      c.get_choice("training.loss", "bulk", "loss: bulk (3) or boundary (4)", {"bulk", "boundary"});
  s.loss = loss == "bulk" ? network::LossKind::bulk : network::LossKind::boundary;
  s.threads = options.threads;
  return s;
}

network::SgdOptions read_segment_sgd(Config& c, const RunOptions& options,
                                     std::int64_t segment_steps, double default_temperature) {
  network::SgdOptions s = read_sgd_options(c, options, default_temperature);
  s.steps = segment_steps;
  s.record_every = segment_steps;  // one mini-batch loss per segment
  return s;
}

network::Dataset read_csv_dataset(Config& c, const std::filesystem::path& path, std::int64_t n_in,
                                  std::int64_t n_out, double scale, const std::string& sources) {
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec)) {
    throw c.error("data.source", "cannot open '" + path.string() + "'",
                  sources + " or the path of a CSV file relative to the config");
  }
  network::Dataset raw = network::load_csv(path.string());
  const auto cols = raw.rows.cols();
  const auto rows = raw.rows.rows();
  network::Dataset data;
  if (cols == n_in + n_out || cols == n_in) {
    data = std::move(raw);
  } else if (n_out > 1 && cols == n_in + 1) {
    // The last column is a class label k ∈ {0, …, n_out − 1}: target = one-hot e_k.
    data.source = raw.source;
    data.rows = network::Matrix::Zero(rows, n_in + n_out);
    data.rows.leftCols(n_in) = raw.rows.leftCols(n_in);
    for (Eigen::Index r = 0; r < rows; ++r) {
      const double label = raw.rows(r, n_in);
      if (label != std::floor(label) || label < 0 || label >= static_cast<double>(n_out)) {
        throw c.error("data.source",
                      "'" + path.string() + "' row " + std::to_string(r + 1) + ": label " +
                          std::to_string(label) + " is not a class index",
                      "an integer label in [0, " + std::to_string(n_out) + ") in the last column");
      }
      data.rows(r, n_in + static_cast<Eigen::Index>(label)) = 1.0;
    }
  } else {
    throw c.error("data.source", "'" + path.string() + "' has " + std::to_string(cols) + " columns",
                  std::to_string(n_in + n_out) + " (inputs + targets), " + std::to_string(n_in) +
                      " (inputs only)" +
                      (n_out > 1 ? " or " + std::to_string(n_in + 1) + " (inputs + class label)"
                                 : std::string()));
  }
  data.rows.leftCols(n_in) *= scale;
  return data;
}

}  // namespace nnworld::lab
