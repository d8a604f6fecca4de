#include "nnworld/holography/chains.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <string>

#include "nnworld/core/error.hpp"

namespace nnworld::holography {

namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();

std::string chain_name(std::size_t c, const Chain& ch) {
  return "chain " + std::to_string(c) + " (" + std::to_string(ch.from) + " → " +
         std::to_string(ch.to) + ", " + std::to_string(ch.bulk) + " bulk)";
}

}  // namespace

std::int64_t ChainNetwork::n_bulk() const {
  std::int64_t total = 0;
  for (const auto& c : chains) total += c.bulk;
  return total;
}

void ChainNetwork::validate() const {
  if (n_boundary < 1) {
    throw Error("holography", "no boundary neurons", "n_boundary >= 1");
  }
  for (std::size_t c = 0; c < chains.size(); ++c) {
    const Chain& ch = chains[c];
    for (std::int64_t end : {ch.from, ch.to}) {
      if (end < 0 || end >= n_boundary) {
        throw Error(chain_name(c, ch), "neuron " + std::to_string(end) + " is not on the boundary",
                    "a boundary neuron 0.." + std::to_string(n_boundary - 1));
      }
    }
    if (ch.bulk < 0) {
      throw Error(chain_name(c, ch), "negative length", "bulk >= 0");
    }
  }
}

Eigen::SparseMatrix<double> weight_matrix(const ChainNetwork& net) {
  net.validate();
  const std::int64_t n = net.n();
  std::vector<Eigen::Triplet<double, std::int64_t>> edges;
  edges.reserve(static_cast<std::size_t>(net.n_bulk()) + net.chains.size());
  std::int64_t next = net.n_boundary;
  for (const Chain& ch : net.chains) {
    // path: from → next → next+1 → … → next+bulk−1 → to; an edge j → i is w(i, j)
    std::int64_t prev = ch.from;
    for (std::int64_t k = 0; k < ch.bulk; ++k) {
      edges.emplace_back(next + k, prev, 1.0);
      prev = next + k;
    }
    edges.emplace_back(ch.to, prev, 1.0);
    next += ch.bulk;
  }
  Eigen::SparseMatrix<double, Eigen::ColMajor, std::int64_t> w(n, n);
  w.setFromTriplets(edges.begin(), edges.end());
  w.makeCompressed();
  return w;
}

Projections projections(const ChainNetwork& net) {
  net.validate();
  const std::int64_t n = net.n();
  std::vector<char> starts(static_cast<std::size_t>(net.n_boundary), 0);
  std::vector<char> ends(starts.size(), 0);
  for (const Chain& ch : net.chains) {
    starts[static_cast<std::size_t>(ch.from)] = 1;
    ends[static_cast<std::size_t>(ch.to)] = 1;
  }
  auto select = [n](const std::vector<std::int64_t>& rows) {
    Eigen::SparseMatrix<double> p(static_cast<Eigen::Index>(rows.size()), n);
    std::vector<Eigen::Triplet<double>> t;
    for (std::size_t r = 0; r < rows.size(); ++r) {
      t.emplace_back(static_cast<int>(r), static_cast<int>(rows[r]), 1.0);
    }
    p.setFromTriplets(t.begin(), t.end());
    return p;
  };
  std::vector<std::int64_t> all, in, out;
  for (std::int64_t i = 0; i < net.n_boundary; ++i) {
    all.push_back(i);
    if (starts[static_cast<std::size_t>(i)]) in.push_back(i);
    if (ends[static_cast<std::size_t>(i)]) out.push_back(i);
  }
  return {select(all), select(in), select(out)};
}

bool boundary_from_transfer(const Eigen::MatrixXd& transfer, Eigen::MatrixXd& w_boundary,
                            double& rho_bound) {
  const Eigen::Index nb = transfer.rows();
  const Eigen::MatrixXd a = Eigen::MatrixXd::Identity(nb, nb) - transfer;
  // ŵ_∂ (I − C) = C  ⇔  (I − C)ᵀ ŵ_∂ᵀ = Cᵀ: one LU of (I − C)ᵀ serves both solves.
  const Eigen::PartialPivLU<Eigen::MatrixXd> lu(a.transpose());
  // x = (I − C)⁻¹ 1 through the same factors.
  const Eigen::VectorXd x = lu.transpose().solve(Eigen::VectorXd::Ones(nb));
  double x_max = 0.0;
  for (Eigen::Index i = 0; i < nb; ++i) {
    // I − C with C ≥ 0 is a nonsingular M-matrix (ρ(C) < 1) iff (I − C)⁻¹ 1 > 0
    if (!(x(i) > 0.0) || !std::isfinite(x(i))) return false;
    x_max = std::max(x_max, x(i));
  }
  rho_bound = 1.0 - 1.0 / x_max;
  w_boundary = lu.solve(transfer.transpose()).transpose();
  return w_boundary.allFinite();
}

BoundaryMap boundary_map(const Eigen::SparseMatrix<double>& w_in, std::int64_t n_boundary,
                         double epsilon) {
  if (!(epsilon > 0.0) || !std::isfinite(epsilon)) {
    throw Error("holography.epsilon", "ε = " + std::to_string(epsilon) + " is not positive",
                "0 < ε < 1/ρ(w)");
  }
  const Eigen::Index n = w_in.rows();
  if (w_in.cols() != n || n_boundary < 1 || n_boundary > n) {
    throw Error("holography", "weight matrix and boundary do not match",
                "a square w with 1 <= n_boundary <= N");
  }
  Eigen::SparseMatrix<double> w = w_in;
  w.makeCompressed();
  for (Eigen::Index k = 0; k < w.nonZeros(); ++k) {
    if (w.valuePtr()[k] < 0.0 || !std::isfinite(w.valuePtr()[k])) {
      throw Error("holography", "a weight is negative or not finite", "w >= 0 (chains of neurons)");
    }
  }
  const Eigen::Index nb = n_boundary;
  BoundaryMap out;
  out.epsilon = epsilon;
  out.transfer = Eigen::MatrixXd::Zero(nb, nb);
  const auto* outer = w.outerIndexPtr();
  const auto* inner = w.innerIndexPtr();
  const double* value = w.valuePtr();
  // An acyclic bulk empties every front within n − nb sweeps (its longest path), exactly; a
  // front alive after that runs through a bulk cycle and converges geometrically: it is then
  // stopped at a relative 1e-17, and 64 sweeps per bulk neuron is far past any ρ < 1.
  const std::int64_t acyclic_sweeps = static_cast<std::int64_t>(n - nb);
  const std::int64_t max_sweeps = 64 * static_cast<std::int64_t>(n - nb) + 64;
  std::int64_t sweeps_max = 0;
  bool diverged = false;

#pragma omp parallel reduction(max : sweeps_max) reduction(|| : diverged)
  {
    std::vector<double> cur(static_cast<std::size_t>(n), 0.0), nxt(cur.size(), 0.0);
    std::vector<Eigen::Index> front, next_front;
#pragma omp for schedule(dynamic, 1)
    for (Eigen::Index j = 0; j < nb; ++j) {
      if (diverged) continue;
      // Column j of C: paths j → (bulk)* → i, accumulated sweep by sweep.
      double* col = out.transfer.col(j).data();
      double reached = 0.0;  // the largest entry of the column so far
      // Pushes v·εŵ(:, src) forward: boundary entries into the column, bulk entries into the
      // front `to` (new neurons listed in `to_front`), whose total is added to `mass`.
      auto scatter = [&](Eigen::Index src, double v, std::vector<double>& to,
                         std::vector<Eigen::Index>& to_front, double& mass) {
        for (auto k = outer[src]; k < outer[src + 1]; ++k) {
          const Eigen::Index i = inner[k];
          const double m = epsilon * value[k] * v;
          if (i < nb) {
            col[i] += m;
            reached = std::max(reached, col[i]);
          } else {
            if (to[static_cast<std::size_t>(i)] == 0.0) to_front.push_back(i);
            to[static_cast<std::size_t>(i)] += m;
            mass += m;
          }
        }
      };
      front.clear();
      double entered = 0.0;
      scatter(j, 1.0, cur, front, entered);
      std::int64_t sweeps = 0;
      while (!front.empty()) {
        ++sweeps;
        next_front.clear();
        double mass = 0.0;
        for (Eigen::Index b : front) {
          const double v = cur[static_cast<std::size_t>(b)];
          cur[static_cast<std::size_t>(b)] = 0.0;
          scatter(b, v, nxt, next_front, mass);
        }
        std::swap(cur, nxt);
        std::swap(front, next_front);
        // A cyclic bulk: stop once the front is negligible against what reached the boundary.
        if (!front.empty() && sweeps > acyclic_sweeps &&
            (mass <= 1e-17 * reached || mass < 1e-300)) {
          for (Eigen::Index b : front) cur[static_cast<std::size_t>(b)] = 0.0;
          front.clear();
        }
        if (sweeps > max_sweeps || !std::isfinite(mass)) {
          diverged = true;
          for (Eigen::Index b : front) cur[static_cast<std::size_t>(b)] = 0.0;
          front.clear();
        }
      }
      sweeps_max = std::max(sweeps_max, sweeps);
    }
  }
  out.bulk_sweeps = sweeps_max;
  if (diverged || !boundary_from_transfer(out.transfer, out.w_boundary, out.rho_bound)) {
    throw Error("holography.epsilon",
                "ε = " + std::to_string(epsilon) +
                    " is not below 1/ρ(w): the series Σ εⁿwⁿ of (99) diverges",
                "0 < ε < 1/ρ(w)");
  }
  return out;
}

Eigen::MatrixXd boundary_map_dense(const Eigen::MatrixXd& w, std::int64_t n_boundary,
                                   double epsilon) {
  const Eigen::Index n = w.rows();
  const Eigen::MatrixXd a = Eigen::MatrixXd::Identity(n, n) - epsilon * w;
  // (99): P̂_∂ εŵ (I − εŵ)⁻¹ P̂_∂ᵀ; columns of (I − εŵ)⁻¹ P̂_∂ᵀ are the first n_boundary unit
  // vectors solved through the LU.
  const Eigen::MatrixXd rhs = Eigen::MatrixXd::Identity(n, n_boundary);
  const Eigen::MatrixXd y = a.partialPivLu().solve(rhs);
  return (epsilon * w.topRows(n_boundary)) * y;
}

Eigen::MatrixXd boundary_map_printed(const Eigen::MatrixXd& w, std::int64_t n_boundary,
                                     double epsilon) {
  const Eigen::Index n = w.rows();
  // (99) as printed: P̂_∂ εŵ (I − εŵ) P̂_∂ᵀ.
  const Eigen::MatrixXd a = Eigen::MatrixXd::Identity(n, n) - epsilon * w;
  return (epsilon * w.topRows(n_boundary)) * a.leftCols(n_boundary);
}

Eigen::MatrixXd chain_distance(const Eigen::MatrixXd& w_boundary, double epsilon) {
  // (100): d(i, j) = log_ε ŵ^∂_ij − 1.
  const double log_eps = std::log(epsilon);
  Eigen::MatrixXd d(w_boundary.rows(), w_boundary.cols());
  for (Eigen::Index j = 0; j < d.cols(); ++j) {
    for (Eigen::Index i = 0; i < d.rows(); ++i) {
      const double v = w_boundary(i, j);
      d(i, j) = v > 0.0 ? std::log(v) / log_eps - 1.0 : kInf;
    }
  }
  return d;
}

Eigen::MatrixXd direct_transfer(const Eigen::MatrixXd& w_boundary) {
  // ŵ_∂ = C (I − C)⁻¹ ⇔ C = ŵ_∂ (I + ŵ_∂)⁻¹ ⇔ (I + ŵ_∂)ᵀ Cᵀ = ŵ_∂ᵀ.
  const Eigen::Index nb = w_boundary.rows();
  const Eigen::MatrixXd a = Eigen::MatrixXd::Identity(nb, nb) + w_boundary;
  return a.transpose().partialPivLu().solve(w_boundary.transpose()).transpose();
}

Eigen::MatrixXd chain_transfer(const ChainNetwork& net, double epsilon) {
  net.validate();
  Eigen::MatrixXd c = Eigen::MatrixXd::Zero(net.n_boundary, net.n_boundary);
  for (const Chain& ch : net.chains) {
    c(ch.to, ch.from) += std::pow(epsilon, static_cast<double>(ch.bulk + 1));
  }
  return c;
}

double spectral_radius(const ChainNetwork& net) {
  net.validate();
  const std::int64_t nb = net.n_boundary;
  // Cycles of ŵ pass through the boundary (a chain's interior is a path), so ρ(ŵ) > 0 iff the
  // boundary graph of the chains has a cycle: Kahn's topological sort decides.
  std::vector<std::vector<std::int64_t>> succ(static_cast<std::size_t>(nb));
  std::vector<std::int64_t> indeg(static_cast<std::size_t>(nb), 0);
  for (const Chain& ch : net.chains) {
    succ[static_cast<std::size_t>(ch.from)].push_back(ch.to);
    ++indeg[static_cast<std::size_t>(ch.to)];
  }
  std::vector<std::int64_t> ready;
  for (std::int64_t i = 0; i < nb; ++i) {
    if (indeg[static_cast<std::size_t>(i)] == 0) ready.push_back(i);
  }
  std::int64_t removed = 0;
  while (!ready.empty()) {
    const std::int64_t v = ready.back();
    ready.pop_back();
    ++removed;
    for (std::int64_t t : succ[static_cast<std::size_t>(v)]) {
      if (--indeg[static_cast<std::size_t>(t)] == 0) ready.push_back(t);
    }
  }
  if (removed == nb) return 0.0;
  // A cycle of Λ edges gives ρ(ŵ) ≥ 1, so ε* = 1/ρ(ŵ) ∈ (0, 1]: bisect on ρ(C(ε)) < 1.
  auto below = [&](double eps) {
    Eigen::MatrixXd wb;
    double rho = 0.0;
    return boundary_from_transfer(chain_transfer(net, eps), wb, rho);
  };
  double lo = 0.0, hi = 1.0;
  if (below(hi)) return 1.0;  // not reached: ρ(C(1)) ≥ 1 on any cycle
  while (hi - lo > 1e-13 * hi) {
    const double mid = 0.5 * (lo + hi);
    (below(mid) ? lo : hi) = mid;
  }
  return 1.0 / (0.5 * (lo + hi));
}

}  // namespace nnworld::holography
