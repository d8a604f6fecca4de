#include "nnworld/hidden/complexity.hpp"

#include <Eigen/Eigenvalues>
#include <Eigen/LU>
#include <cmath>
#include <limits>
#include <string>

#include "nnworld/core/error.hpp"

namespace nnworld::hidden {

namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();
constexpr double kNan = std::numeric_limits<double>::quiet_NaN();

void check_square_finite(const Matrix& c, const char* where) {
  if (c.rows() != c.cols()) {
    throw Error(where, "matrix is " + std::to_string(c.rows()) + "×" + std::to_string(c.cols()),
                "a square matrix");
  }
  if (!c.allFinite()) throw Error(where, "matrix holds a non-finite value", "finite entries");
}

}  // namespace

// Hungarian method with potentials (shortest augmenting paths), minimising a_ij = −c_ij.
// Rows are added one at a time; u (rows) and v (columns) are dual potentials with
// a_ij − u_i − v_j ≥ 0 and equality on the matched edges, so every augmentation follows a
// shortest path in reduced costs (Dijkstra without a heap, O(N²) per row, O(N³) in all).
// Indices are 1-based inside, column 0 is the virtual root of the augmenting tree.
Assignment max_weight_assignment(const Matrix& c) {
  check_square_finite(c, "max_weight_assignment");
  const auto n = static_cast<std::size_t>(c.rows());
  Assignment out;
  out.sigma.source.assign(n, 0);
  if (n == 0) return out;
  // a(i, j) row-major, 1-based: a[(i − 1) n + (j − 1)].
  std::vector<double> a(n * n);
  for (std::size_t i = 0; i < n; ++i) {
    for (std::size_t j = 0; j < n; ++j) {
      a[i * n + j] = -c(static_cast<Eigen::Index>(i), static_cast<Eigen::Index>(j));
    }
  }
  std::vector<double> u(n + 1, 0.0), v(n + 1, 0.0), minv(n + 1);
  std::vector<std::size_t> p(n + 1, 0), way(n + 1, 0);  // p[j]: row matched to column j
  std::vector<char> used(n + 1);
  for (std::size_t i = 1; i <= n; ++i) {
    p[0] = i;
    std::size_t j0 = 0;
    std::fill(minv.begin(), minv.end(), kInf);
    std::fill(used.begin(), used.end(), 0);
    do {
      used[j0] = 1;
      const std::size_t i0 = p[j0];
      const double* row = &a[(i0 - 1) * n];
      double delta = kInf;
      std::size_t j1 = 0;
      for (std::size_t j = 1; j <= n; ++j) {
        if (used[j]) continue;
        const double cur = row[j - 1] - u[i0] - v[j];
        if (cur < minv[j]) {
          minv[j] = cur;
          way[j] = j0;
        }
        if (minv[j] < delta) {
          delta = minv[j];
          j1 = j;
        }
      }
      for (std::size_t j = 0; j <= n; ++j) {
        if (used[j]) {
          u[p[j]] += delta;
          v[j] -= delta;
        } else {
          minv[j] -= delta;
        }
      }
      j0 = j1;
    } while (p[j0] != 0);
    do {  // augment along the path back to the root
      const std::size_t j1 = way[j0];
      p[j0] = p[j1];
      j0 = j1;
    } while (j0 != 0);
  }
  for (std::size_t j = 1; j <= n; ++j)
    out.sigma.source[p[j] - 1] = static_cast<std::int32_t>(j - 1);
  for (std::size_t i = 0; i < n; ++i) {
    out.value += c(static_cast<Eigen::Index>(i), out.sigma.source[i]);
  }
  return out;
}

// H_i / log N with H_i = −Σ_j p_ij log p_ij, p_ij = |w_ij| / Σ_j |w_ij|.
double row_entropy(const Eigen::Ref<const Eigen::RowVectorXd>& row) {
  const double total = row.cwiseAbs().sum();
  if (!(total > 0.0)) return kNan;
  if (row.size() <= 1) return 0.0;
  double h = 0.0;
  for (Eigen::Index j = 0; j < row.size(); ++j) {
    const double q = std::abs(row[j]) / total;
    if (q > 0.0) h -= q * std::log(q);
  }
  return h / std::log(static_cast<double>(row.size()));
}

PermutationMeasures permutation_measures(const Matrix& w) {
  check_square_finite(w, "permutation_measures");
  if (w.rows() == 0) throw Error("permutation_measures", "matrix is empty", "N >= 1");
  PermutationMeasures m;
  m.n = w.rows();
  const Matrix w2 = w.cwiseAbs2();
  for (Eigen::Index i = 0; i < m.n; ++i) m.frobenius_squared += w2.row(i).sum();

  // Σ w²_{iσ(i)} summed in row order, like ‖w‖²_F: for a generalised permutation each row sum
  // is its single w²_{iσ(i)}, so the two sums agree bit for bit and the distance is exactly 0.
  Assignment sq = max_weight_assignment(w2);
  m.nearest = std::move(sq.sigma);
  m.captured = sq.value;
  m.permutation_distance =
      m.frobenius_squared > 0.0 ? 1.0 - m.captured / m.frobenius_squared : kNan;

  Assignment plain = max_weight_assignment(w);
  m.nearest_plain = std::move(plain.sigma);
  double d2 = 0.0;
  for (Eigen::Index i = 0; i < m.n; ++i) {
    for (Eigen::Index j = 0; j < m.n; ++j) {
      const double e = w(i, j) - (j == m.nearest_plain.source[i] ? 1.0 : 0.0);
      d2 += e * e;
    }
  }
  m.plain_distance = std::sqrt(d2 / static_cast<double>(m.n));

  m.row_entropy.resize(static_cast<std::size_t>(m.n));
  double sum = 0.0;
  std::int64_t counted = 0;
  for (Eigen::Index i = 0; i < m.n; ++i) {
    const double h = row_entropy(w.row(i));
    m.row_entropy[static_cast<std::size_t>(i)] = h;
    if (std::isfinite(h)) {
      sum += h;
      ++counted;
    }
  }
  m.mean_row_entropy = counted > 0 ? sum / static_cast<double>(counted) : kNan;

  m.cycle_lengths = hidden::cycle_lengths(m.nearest);
  m.cycles = static_cast<std::int64_t>(m.cycle_lengths.size());
  m.largest_cycle = m.cycle_lengths.empty() ? 0 : m.cycle_lengths.front();
  for (std::int64_t i = 0; i < m.n; ++i) m.fixed_points += m.nearest.source[i] == i;
  double diag = 0.0;
  for (Eigen::Index i = 0; i < m.n; ++i) diag += w2(i, i);
  m.diagonal_fraction = m.frobenius_squared > 0.0 ? diag / m.frobenius_squared : kNan;
  return m;
}

std::vector<FixedPointComplexity> fixed_point_complexity(const network::Network& net,
                                                         const network::NewtonOptions& newton) {
  std::vector<FixedPointComplexity> out;
  const auto n = net.n();
  for (const network::FixedPoint& fp : network::fixed_points(net, newton)) {
    FixedPointComplexity r;
    r.x = fp.x;
    r.spectral_radius = fp.spectral_radius;
    const Matrix jac = network::jacobian(net, fp.x);
    if (net.mass == 0.0) {
      // C = −log|det(I − Ĵ)| = −Σ_i log|U_ii| (LU with full pivoting).
      const Eigen::FullPivLU<Matrix> lu(Matrix::Identity(n, n) - jac);
      double log_abs = 0.0;
      const Matrix& lu_m = lu.matrixLU();
      for (Eigen::Index i = 0; i < n; ++i) log_abs += std::log(std::abs(lu_m(i, i)));
      r.complexity = -log_abs;  // +∞ when a pivot is 0
    } else {
      // C = −½ Σ_k log λ_k(Ĝ − mI).
      const Matrix g = network::g_matrix(net, fp.x) - net.mass * Matrix::Identity(n, n);
      const Eigen::SelfAdjointEigenSolver<Matrix> es(0.5 * (g + g.transpose()),
                                                     Eigen::EigenvaluesOnly);
      double s = 0.0;
      bool ok = true;
      for (Eigen::Index k = 0; k < n; ++k) {
        if (!(es.eigenvalues()[k] > 0.0)) ok = false;
        s += std::log(es.eigenvalues()[k]);
      }
      r.complexity = ok ? -0.5 * s : kNan;
    }
    out.push_back(std::move(r));
  }
  return out;
}

}  // namespace nnworld::hidden
