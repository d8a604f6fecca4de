#include "nnworld/hidden/emergent.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <numbers>
#include <sstream>

#include "nnworld/core/error.hpp"
#include "nnworld/core/fft.hpp"
#include "nnworld/core/rng.hpp"
#include "nnworld/geometry/torus.hpp"

namespace nnworld::hidden {

namespace {

constexpr double kTwoPi = 2.0 * std::numbers::pi;

// Philox stream ids (replica field of core::RngStream with StreamTag::user).
enum : std::uint64_t {
  kStreamPosition = 11,
  kStreamMomentum = 12,
  kStreamOu = 13,
  kStreamClusterPosition = 14,
  kStreamClusterMomentum = 15,
};

std::string number(double v) {
  char buf[40];
  std::snprintf(buf, sizeof buf, "%.17g", v);
  return buf;
}

const char* coordinate_name(int a) {
  return a == 0 ? "x" : (a == 1 ? "y" : "z");
}

// Cholesky factor L (lower) of a symmetric positive-definite g; throws if not positive-definite.
Matrix cholesky(const Matrix& g) {
  Eigen::LLT<Matrix> llt(g);
  if (llt.info() != Eigen::Success) {
    throw Error("hidden::emergent", "the metric is not positive-definite at a neuron",
                "a positive-definite g(X) (smaller amplitude of the planted field)");
  }
  return llt.matrixL();
}

double sinc(double x) {
  return x == 0.0 ? 1.0 : std::sin(x) / x;
}

}  // namespace

int packed_index(int dim, int a, int b) {
  if (a > b) std::swap(a, b);
  return a * dim - a * (a - 1) / 2 + (b - a);
}

// ---- MetricField ----------------------------------------------------------------------------

MetricField MetricField::fourier(int dim, std::vector<std::vector<FourierTerm>> components) {
  if (dim < 2 || dim > 3)
    throw Error("hidden::MetricField", "dimension " + std::to_string(dim), "2 or 3");
  if (static_cast<int>(components.size()) != dim * (dim + 1) / 2) {
    throw Error("hidden::MetricField", std::to_string(components.size()) + " components",
                std::to_string(dim * (dim + 1) / 2) + " (packed a ≤ b)");
  }
  MetricField f;
  f.dim_ = dim;
  f.comps_ = std::move(components);
  return f;
}

MetricField MetricField::conformal(int dim, const std::string& phi) {
  if (dim < 2 || dim > 3)
    throw Error("hidden::MetricField", "dimension " + std::to_string(dim), "2 or 3");
  MetricField f;
  f.dim_ = dim;
  std::vector<std::string> vars;
  for (int a = 0; a < dim; ++a) vars.emplace_back(coordinate_name(a));
  f.phi_.emplace(phi, vars);
  return f;
}

MetricField MetricField::random_cosine(int dim, double epsilon, std::uint64_t seed, int modes,
                                       int k_max) {
  if (modes < 1 || k_max < 0) {
    throw Error("hidden::MetricField::random_cosine",
                "modes " + std::to_string(modes) + ", k_max " + std::to_string(k_max),
                "modes ≥ 1, k_max ≥ 0");
  }
  // The draws of geometry::random_cosine_metric, term by term:
  // ½εc cos(k·X + φ) = ½εc cos φ cos(k·X) − ½εc sin φ sin(k·X).
  const core::RngStream rng(seed, core::StreamTag::user);
  std::vector<std::vector<FourierTerm>> comps(static_cast<std::size_t>(dim * (dim + 1) / 2));
  for (int a = 0; a < dim; ++a)
    for (int b = a; b < dim; ++b) {
      const auto ci = static_cast<std::uint64_t>(packed_index(dim, a, b));
      auto& terms = comps[ci];
      if (a == b) terms.push_back({{0, 0, 0}, 1.0, 0.0});
      for (int i = 0; i < modes; ++i) {
        const auto base = static_cast<std::uint64_t>(i) * 8;
        const double c = rng.normal(ci, base);
        const double phase = kTwoPi * rng.uniform(ci, base + 1);
        FourierTerm t;
        for (int d = 0; d < dim; ++d) {
          const auto span = static_cast<std::uint64_t>(2 * k_max + 1);
          t.k[static_cast<std::size_t>(d)] =
              static_cast<int>(rng.below(ci, base + 2 + static_cast<std::uint64_t>(d), span)) -
              k_max;
        }
        t.a = 0.5 * epsilon * c * std::cos(phase);
        t.b = -0.5 * epsilon * c * std::sin(phase);
        terms.push_back(t);
      }
    }
  return fourier(dim, std::move(comps));
}

Matrix MetricField::value(const double* x) const {
  Matrix g(dim_, dim_);
  if (phi_) {
    const double e =
        std::exp(2.0 * (*phi_)(std::span<const double>(x, static_cast<std::size_t>(dim_))));
    g.setZero();
    for (int a = 0; a < dim_; ++a) g(a, a) = e;
    return g;
  }
  for (int a = 0; a < dim_; ++a)
    for (int b = a; b < dim_; ++b) {
      double s = 0.0;
      for (const FourierTerm& t : comps_[static_cast<std::size_t>(packed_index(dim_, a, b))]) {
        double arg = 0.0;
        for (int c = 0; c < dim_; ++c) arg += t.k[static_cast<std::size_t>(c)] * x[c];
        s += t.a * std::cos(arg) + t.b * std::sin(arg);
      }
      g(a, b) = s;
      g(b, a) = s;
    }
  return g;
}

void MetricField::jet(const double* x, Matrix& g, std::array<Matrix, 3>& dg) const {
  g.setZero(dim_, dim_);
  for (int c = 0; c < dim_; ++c) dg[static_cast<std::size_t>(c)].setZero(dim_, dim_);
  if (phi_) {
    const std::span<const double> xs(x, static_cast<std::size_t>(dim_));
    const double e = std::exp(2.0 * (*phi_)(xs));
    for (int a = 0; a < dim_; ++a) g(a, a) = e;
    for (int c = 0; c < dim_; ++c) {
      const double d = 2.0 * e * phi_->derivative(xs, static_cast<std::size_t>(c));
      for (int a = 0; a < dim_; ++a) dg[static_cast<std::size_t>(c)](a, a) = d;
    }
    return;
  }
  for (int a = 0; a < dim_; ++a)
    for (int b = a; b < dim_; ++b) {
      double s = 0.0;
      std::array<double, 3> ds{0.0, 0.0, 0.0};
      for (const FourierTerm& t : comps_[static_cast<std::size_t>(packed_index(dim_, a, b))]) {
        double arg = 0.0;
        for (int c = 0; c < dim_; ++c) arg += t.k[static_cast<std::size_t>(c)] * x[c];
        const double cs = std::cos(arg), sn = std::sin(arg);
        s += t.a * cs + t.b * sn;
        const double dd = -t.a * sn + t.b * cs;
        for (int c = 0; c < dim_; ++c)
          ds[static_cast<std::size_t>(c)] += t.k[static_cast<std::size_t>(c)] * dd;
      }
      g(a, b) = g(b, a) = s;
      for (int c = 0; c < dim_; ++c) {
        dg[static_cast<std::size_t>(c)](a, b) = dg[static_cast<std::size_t>(c)](b, a) =
            ds[static_cast<std::size_t>(c)];
      }
    }
}

geometry::Metric MetricField::to_metric() const {
  if (phi_) return geometry::Metric::conformally_flat(phi_->text(), dim_);
  std::vector<std::string> coords;
  for (int a = 0; a < dim_; ++a) coords.emplace_back(coordinate_name(a));
  std::vector<std::vector<std::string>> m(static_cast<std::size_t>(dim_),
                                          std::vector<std::string>(static_cast<std::size_t>(dim_)));
  for (int a = 0; a < dim_; ++a)
    for (int b = a; b < dim_; ++b) {
      std::ostringstream e;
      e << "0";
      for (const FourierTerm& t : comps_[static_cast<std::size_t>(packed_index(dim_, a, b))]) {
        std::ostringstream arg;
        arg << "(0";
        for (int c = 0; c < dim_; ++c) {
          const int k = t.k[static_cast<std::size_t>(c)];
          if (k != 0) arg << "+(" << k << ")*" << coordinate_name(c);
        }
        arg << ")";
        if (t.a != 0.0) e << "+(" << number(t.a) << ")*cos" << arg.str();
        if (t.b != 0.0) e << "+(" << number(t.b) << ")*sin" << arg.str();
      }
      m[static_cast<std::size_t>(a)][static_cast<std::size_t>(b)] = e.str();
      m[static_cast<std::size_t>(b)][static_cast<std::size_t>(a)] = e.str();
    }
  return geometry::Metric::user(coords, m);
}

// ---- single-neuron dynamics -----------------------------------------------------------------

void geodesic_hamilton_rhs(const MetricField& f, const double* x, const double* p, double* dx,
                           double* dp) {
  // Hamilton's equations of H = ½ g^{μν}(x) p_μ p_ν (the kinetic term of (77) with g^i = g(x_i)):
  //   dx^μ = g^{μν} p_ν = v^μ,   dp_c = −½ ∂_c g^{μν} p_μ p_ν = ½ v^μ v^ν ∂_c g_μν.
  const int n = f.dimension();
  Matrix g;
  std::array<Matrix, 3> dg;
  f.jet(x, g, dg);
  Vector pv(n);
  for (int a = 0; a < n; ++a) pv(a) = p[a];
  const Vector v = g.ldlt().solve(pv);
  for (int a = 0; a < n; ++a) dx[a] = v(a);
  for (int c = 0; c < n; ++c) dp[c] = 0.5 * v.dot(dg[static_cast<std::size_t>(c)] * v);
}

void hamilton_rk4_step(const MetricField& f, double* x, double* p, double h) {
  const int n = f.dimension();
  double k[4][6], l[4][6], xs[3], ps[3];
  geodesic_hamilton_rhs(f, x, p, k[0], l[0]);
  for (int s = 1; s < 4; ++s) {
    const double w = s == 3 ? h : 0.5 * h;
    for (int a = 0; a < n; ++a) {
      xs[a] = x[a] + w * k[s - 1][a];
      ps[a] = p[a] + w * l[s - 1][a];
    }
    geodesic_hamilton_rhs(f, xs, ps, k[s], l[s]);
  }
  for (int a = 0; a < n; ++a) {
    x[a] += h / 6.0 * (k[0][a] + 2.0 * k[1][a] + 2.0 * k[2][a] + k[3][a]);
    p[a] += h / 6.0 * (l[0][a] + 2.0 * l[1][a] + 2.0 * l[2][a] + l[3][a]);
  }
}

void ou_momentum_step(const Matrix& g, double* p, double temperature, double c, const double* xi) {
  // Exact OU at fixed x: p ← c p + √(T(1 − c²)) L ξ, LLᵀ = g. If p ~ N(0, Tg) then
  // c p + √(T(1−c²)) Lξ ~ N(0, c²Tg + T(1−c²)g) = N(0, Tg): invariant.
  const int n = static_cast<int>(g.rows());
  const Matrix L = cholesky(g);
  const double s = std::sqrt(temperature * (1.0 - c * c));
  double noise[3] = {0.0, 0.0, 0.0};
  for (int a = 0; a < n; ++a)
    for (int b = 0; b <= a; ++b) noise[a] += L(a, b) * xi[b];
  for (int a = 0; a < n; ++a) p[a] = c * p[a] + s * noise[a];
}

// ---- gas and the estimator ------------------------------------------------------------------

namespace {

std::array<int, 3> cell_of(const double* x, int dim, int bins) {
  std::array<int, 3> j{0, 0, 0};
  for (int a = 0; a < dim; ++a) {
    double u = std::fmod(x[a], kTwoPi);
    if (u < 0.0) u += kTwoPi;
    int k = static_cast<int>(u / kTwoPi * bins);
    j[static_cast<std::size_t>(a)] = std::clamp(k, 0, bins - 1);
  }
  return j;
}

std::int64_t flat_cell(const std::array<int, 3>& j, int dim, int bins) {
  std::int64_t f = 0;
  for (int a = 0; a < dim; ++a) f = f * bins + j[static_cast<std::size_t>(a)];
  return f;
}

std::array<int, 3> unflat_cell(std::int64_t f, int dim, int bins) {
  std::array<int, 3> j{0, 0, 0};
  for (int a = dim - 1; a >= 0; --a) {
    j[static_cast<std::size_t>(a)] = static_cast<int>(f % bins);
    f /= bins;
  }
  return j;
}

// Packed symmetric matrix → Matrix.
Matrix unpack(const double* v, int dim) {
  Matrix m(dim, dim);
  for (int a = 0; a < dim; ++a)
    for (int b = a; b < dim; ++b) m(a, b) = m(b, a) = v[packed_index(dim, a, b)];
  return m;
}

// ĝ = T (S/n)⁻¹ packed; false if S is not positive-definite or n < dim + 1.
bool estimate(const double* s, double n, int dim, double temperature, double* out) {
  if (n < dim + 1) return false;
  const Matrix c = unpack(s, dim) / n;
  Eigen::LLT<Matrix> llt(c);
  if (llt.info() != Eigen::Success) return false;
  const Matrix g = temperature * llt.solve(Matrix::Identity(dim, dim));
  for (int a = 0; a < dim; ++a)
    for (int b = a; b < dim; ++b) out[packed_index(dim, a, b)] = g(a, b);
  return true;
}

}  // namespace

CellEstimate simulate_gas(const MetricField& planted, const GasSetup& s,
                          const std::function<void(std::int64_t)>& progress) {
  // Claim 3 estimator of g^i_μν (77) from velocity correlations: per cell c,
  //   ĝ_c = T [(1/n_c) Σ v vᵀ]⁻¹,  v = g⁻¹(x)p,
  // against the exact equilibrium target g̃_c = (∫_c √g g⁻¹ / ∫_c √g)⁻¹; jackknife se over the
  // neuron batches; χ²/dof over the cells and components.
  const char* where = "hidden::simulate_gas";
  const int dim = planted.dimension();
  if (s.neurons < 1) throw Error(where, "neurons " + std::to_string(s.neurons), "≥ 1");
  if (s.batches < 3 || s.batches > s.neurons) {
    throw Error(where, "batches " + std::to_string(s.batches), "3 ≤ batches ≤ neurons");
  }
  if (!(s.temperature > 0.0) || !(s.gamma >= 0.0) || !(s.step > 0.0) || s.bins < 1 ||
      s.samples < 1 || s.sample_every < 1 || s.burn_in < 0) {
    throw Error(where, "gas parameters", "T > 0, γ ≥ 0, h > 0, bins ≥ 1, samples ≥ 1");
  }
  const int nc = dim * (dim + 1) / 2;
  std::int64_t cells = 1;
  for (int a = 0; a < dim; ++a) cells *= s.bins;
  const double c_ou = std::exp(-s.gamma * s.step);

  // Rejection bound for the equilibrium density ∝ √det g: 1.1 × its maximum on a 64^D grid.
  double bound = 0.0;
  {
    const std::int64_t m = 64;
    std::int64_t total = 1;
    for (int a = 0; a < dim; ++a) total *= m;
    for (std::int64_t i = 0; i < total; ++i) {
      double x[3];
      std::int64_t r = i;
      for (int a = dim - 1; a >= 0; --a) {
        x[a] = kTwoPi * static_cast<double>(r % m) / static_cast<double>(m);
        r /= m;
      }
      bound = std::max(bound, std::sqrt(std::max(0.0, planted.value(x).determinant())));
    }
    bound *= 1.1;
  }

  // Per batch: counts and Σ v vᵀ (packed) per cell.
  const auto nb = static_cast<std::size_t>(s.batches);
  std::vector<std::vector<double>> bcount(
      nb, std::vector<double>(static_cast<std::size_t>(cells), 0.0));
  std::vector<std::vector<double>> bsum(
      nb, std::vector<double>(static_cast<std::size_t>(cells * nc), 0.0));
  const core::RngStream rpos(s.seed, core::StreamTag::user, kStreamPosition);
  const core::RngStream rmom(s.seed, core::StreamTag::user, kStreamMomentum);
  const core::RngStream rou(s.seed, core::StreamTag::user, kStreamOu);
  int failed = 0;  // 1: divergence, 2: rejection exhausted
  long fail_step = 0;
  std::int64_t done = 0;

#pragma omp parallel
  {
    const MetricField field = planted;  // expression fields are not thread-safe
#pragma omp for schedule(dynamic, 1)
    for (int b = 0; b < s.batches; ++b) {
      const std::int64_t i0 = s.neurons * b / s.batches, i1 = s.neurons * (b + 1) / s.batches;
      auto& cnt = bcount[static_cast<std::size_t>(b)];
      auto& sum = bsum[static_cast<std::size_t>(b)];
      for (std::int64_t i = i0; i < i1; ++i) {
        const auto ui = static_cast<std::uint64_t>(i);
        const auto ud = static_cast<std::uint64_t>(dim);
        double x[3] = {0.0, 0.0, 0.0}, p[3] = {0.0, 0.0, 0.0}, xi[3];
        // x from √det g by rejection (attempt k uses counter step k).
        bool accepted = false;
        for (std::uint64_t k = 0; k < 100000 && !accepted; ++k) {
          for (int a = 0; a < dim; ++a)
            x[a] = kTwoPi * rpos.uniform(k, ui * (ud + 1) + static_cast<std::uint64_t>(a));
          const double u = rpos.uniform(k, ui * (ud + 1) + ud);
          accepted = u * bound <= std::sqrt(std::max(0.0, field.value(x).determinant()));
        }
        if (!accepted) {
#pragma omp atomic write
          failed = 2;
          continue;
        }
        // p ~ N(0, T g(x)): the OU step with c = 0 from p = 0.
        for (int a = 0; a < dim; ++a)
          xi[a] = rmom.normal(0, ui * ud + static_cast<std::uint64_t>(a));
        ou_momentum_step(field.value(x), p, s.temperature, 0.0, xi);
        const std::int64_t steps = s.burn_in + s.samples * s.sample_every;
        for (std::int64_t t = 1; t <= steps; ++t) {
          hamilton_rk4_step(field, x, p, s.step);
          const Matrix g = field.value(x);
          for (int a = 0; a < dim; ++a) {
            xi[a] =
                rou.normal(static_cast<std::uint64_t>(t), ui * ud + static_cast<std::uint64_t>(a));
          }
          ou_momentum_step(g, p, s.temperature, c_ou, xi);
          bool finite = true;
          for (int a = 0; a < dim; ++a)
            finite = finite && std::isfinite(x[a]) && std::isfinite(p[a]);
          if (!finite) {
#pragma omp critical(emergent_fail)
            {
              failed = 1;
              fail_step = static_cast<long>(t);
            }
            break;
          }
          if (t > s.burn_in && (t - s.burn_in) % s.sample_every == 0) {
            Vector pv(dim);
            for (int a = 0; a < dim; ++a) pv(a) = p[a];
            const Vector v = g.ldlt().solve(pv);
            const std::int64_t cell = flat_cell(cell_of(x, dim, s.bins), dim, s.bins);
            cnt[static_cast<std::size_t>(cell)] += 1.0;
            for (int a = 0; a < dim; ++a)
              for (int c = a; c < dim; ++c) {
                sum[static_cast<std::size_t>(cell * nc + packed_index(dim, a, c))] += v(a) * v(c);
              }
          }
        }
      }
#pragma omp critical(emergent_progress)
      {
        ++done;
        if (progress) progress(done);
      }
    }
  }
  if (failed == 1) throw Divergence(fail_step, "gas neuron state (x, p)");
  if (failed == 2) {
    throw Error(where, "rejection sampling of the equilibrium positions did not accept",
                "a metric whose √det g is not concentrated on a tiny set");
  }

  // Totals in batch order (bitwise independent of the thread count).
  CellEstimate e;
  const auto ucells = static_cast<std::size_t>(cells);
  std::vector<double> count(ucells, 0.0), sum(ucells * static_cast<std::size_t>(nc), 0.0);
  for (std::size_t b = 0; b < nb; ++b) {
    for (std::size_t c = 0; c < ucells; ++c) count[c] += bcount[b][c];
    for (std::size_t c = 0; c < sum.size(); ++c) sum[c] += bsum[b][c];
  }
  e.counts = count;
  e.g_hat.assign(ucells, std::vector<double>(static_cast<std::size_t>(nc), std::nan("")));
  e.g_se = e.g_hat;
  e.g_jack.assign(nb, e.g_hat);
  e.target.assign(ucells, std::vector<double>(static_cast<std::size_t>(nc), 0.0));
  e.centre = e.target;
  e.centres.resize(ucells);
  const int q = 8;  // midpoint sub-points per axis and cell for the target
  double chi2 = 0.0, err2 = 0.0, se2 = 0.0, norm2 = 0.0, bias2 = 0.0, cnorm2 = 0.0;
  for (std::size_t c = 0; c < ucells; ++c) {
    const auto j = unflat_cell(static_cast<std::int64_t>(c), dim, s.bins);
    const double w = kTwoPi / s.bins;
    for (int a = 0; a < dim; ++a)
      e.centres[c][static_cast<std::size_t>(a)] = (j[static_cast<std::size_t>(a)] + 0.5) * w;
    // Target (∫_cell √g g⁻¹ / ∫_cell √g)⁻¹ by the q^D midpoint rule; centre value.
    Matrix acc = Matrix::Zero(dim, dim);
    double vol = 0.0;
    std::int64_t sub = 1;
    for (int a = 0; a < dim; ++a) sub *= q;
    for (std::int64_t m = 0; m < sub; ++m) {
      double x[3];
      std::int64_t r = m;
      for (int a = dim - 1; a >= 0; --a) {
        x[a] = (j[static_cast<std::size_t>(a)] + (static_cast<double>(r % q) + 0.5) / q) * w;
        r /= q;
      }
      const Matrix g = planted.value(x);
      const double sq = std::sqrt(g.determinant());
      acc += sq * g.inverse();
      vol += sq;
    }
    const Matrix tgt = (acc / vol).inverse();
    const Matrix cen = planted.value(e.centres[c].data());
    for (int a = 0; a < dim; ++a)
      for (int b = a; b < dim; ++b) {
        e.target[c][static_cast<std::size_t>(packed_index(dim, a, b))] = tgt(a, b);
        e.centre[c][static_cast<std::size_t>(packed_index(dim, a, b))] = cen(a, b);
      }
    for (int a = 0; a < dim; ++a)
      for (int b = 0; b < dim; ++b) {
        bias2 += std::pow(tgt(a, b) - cen(a, b), 2);
        cnorm2 += cen(a, b) * cen(a, b);
      }

    // Estimate and jackknife over batches.
    std::vector<double> full(static_cast<std::size_t>(nc));
    if (!estimate(&sum[c * static_cast<std::size_t>(nc)], count[c], dim, s.temperature,
                  full.data()))
      continue;
    int contributing = 0;
    for (std::size_t b = 0; b < nb; ++b) contributing += bcount[b][c] > 0.0 ? 1 : 0;
    if (contributing < 2) continue;
    std::vector<std::vector<double>> loo(nb, std::vector<double>(static_cast<std::size_t>(nc)));
    bool ok = true;
    for (std::size_t b = 0; b < nb && ok; ++b) {
      std::vector<double> sb(static_cast<std::size_t>(nc));
      for (int k = 0; k < nc; ++k) {
        sb[static_cast<std::size_t>(k)] =
            sum[c * static_cast<std::size_t>(nc) + static_cast<std::size_t>(k)] -
            bsum[b][c * static_cast<std::size_t>(nc) + static_cast<std::size_t>(k)];
      }
      ok = estimate(sb.data(), count[c] - bcount[b][c], dim, s.temperature, loo[b].data());
    }
    if (!ok) continue;
    ++e.valid_cells;
    const double fb = static_cast<double>(nb);
    for (int k = 0; k < nc; ++k) {
      const auto uk = static_cast<std::size_t>(k);
      double mean = 0.0;
      for (std::size_t b = 0; b < nb; ++b) mean += loo[b][uk];
      mean /= fb;
      double var = 0.0;
      for (std::size_t b = 0; b < nb; ++b) var += std::pow(loo[b][uk] - mean, 2);
      const double se = std::sqrt((fb - 1.0) / fb * var);
      e.g_hat[c][uk] = full[uk];
      for (std::size_t b = 0; b < nb; ++b) e.g_jack[b][c][uk] = loo[b][uk];
      e.g_se[c][uk] = se;
      const double d = full[uk] - e.target[c][uk];
      chi2 += d * d / (se * se);
      ++e.dof;
    }
    for (int a = 0; a < dim; ++a)
      for (int b = 0; b < dim; ++b) {
        const auto k = static_cast<std::size_t>(packed_index(dim, a, b));
        err2 += std::pow(e.g_hat[c][k] - e.target[c][k], 2);
        se2 += e.g_se[c][k] * e.g_se[c][k];
        norm2 += e.target[c][k] * e.target[c][k];
      }
  }
  for (double v : count) e.n_samples += static_cast<std::int64_t>(v);
  e.chi2_per_dof = e.dof > 0 ? chi2 / static_cast<double>(e.dof) : std::nan("");
  const double nu = static_cast<double>(s.batches - 1);
  // (ĝ − target)/se with a jackknife se from ν = batches − 1 degrees of freedom is a Student
  // t_ν variable: E[t²] = ν/(ν − 2), Var[t²] = 2ν²(ν − 1)/((ν − 2)²(ν − 4)) (ν > 4).
  e.chi2_expected = nu > 2.0 ? nu / (nu - 2.0) : std::nan("");
  e.chi2_sigma = nu > 4.0 && e.valid_cells > 0 ? std::sqrt(2.0 * nu * nu * (nu - 1.0) /
                                                           ((nu - 2.0) * (nu - 2.0) * (nu - 4.0)) /
                                                           static_cast<double>(e.valid_cells))
                                               : std::nan("");
  e.relative_rms_error = norm2 > 0.0 ? std::sqrt(err2 / norm2) : std::nan("");
  e.relative_rms_se = norm2 > 0.0 ? std::sqrt(se2 / norm2) : std::nan("");
  e.coarse_grain_bias = cnorm2 > 0.0 ? std::sqrt(bias2 / cnorm2) : std::nan("");
  return e;
}

MetricField fit_fourier(const CellEstimate& e, int dim, int bins, int k_max) {
  // Coarse-grained field g_μν(X) for (89)–(96) (spec §8b GAP): per component,
  //   min Σ_c n_c [ĝ_c − Σ_k s_k (a_k cos k·X_c + b_k sin k·X_c)]²,  s_k = Π_a sinc(k_a π/B),
  // |k|∞ ≤ K; returns Σ_k (a_k cos k·X + b_k sin k·X).
  const char* where = "hidden::fit_fourier";
  if (k_max < 0 || 2 * k_max + 1 > bins) {
    throw Error(
        where, "K = " + std::to_string(k_max) + " with " + std::to_string(bins) + " cells per axis",
        "2K + 1 ≤ B");
  }
  // Half set of wave vectors: k = 0 and those whose first non-zero component is positive.
  std::vector<std::array<int, 3>> ks;
  const int span = 2 * k_max + 1;
  int total = 1;
  for (int a = 0; a < dim; ++a) total *= span;
  for (int m = 0; m < total; ++m) {
    std::array<int, 3> k{0, 0, 0};
    int r = m;
    for (int a = dim - 1; a >= 0; --a) {
      k[static_cast<std::size_t>(a)] = r % span - k_max;
      r /= span;
    }
    int first = 0;
    for (int a = 0; a < dim && first == 0; ++a) first = k[static_cast<std::size_t>(a)];
    if (first >= 0 && !(first == 0 && m != total / 2)) ks.push_back(k);
  }
  // Columns: for k = 0 one (constant), else cos and sin, each times the cell-average factor.
  std::vector<std::pair<std::size_t, int>> cols;  // (k index, 0 cos / 1 sin)
  for (std::size_t i = 0; i < ks.size(); ++i) {
    const bool zero = ks[i] == std::array<int, 3>{0, 0, 0};
    cols.push_back({i, 0});
    if (!zero) cols.push_back({i, 1});
  }
  std::vector<std::size_t> rows;
  for (std::size_t c = 0; c < e.counts.size(); ++c) {
    if (!std::isnan(e.g_hat[c][0])) rows.push_back(c);
  }
  if (rows.size() < cols.size()) {
    throw Error(where, std::to_string(rows.size()) + " cells with an estimate",
                "at least " + std::to_string(cols.size()) + " (the Fourier basis size)");
  }
  const double half = std::numbers::pi / bins;
  Eigen::MatrixXd A(static_cast<Eigen::Index>(rows.size()), static_cast<Eigen::Index>(cols.size()));
  for (std::size_t r = 0; r < rows.size(); ++r) {
    const auto& X = e.centres[rows[r]];
    const double w = std::sqrt(e.counts[rows[r]]);
    for (std::size_t j = 0; j < cols.size(); ++j) {
      const auto& k = ks[cols[j].first];
      double arg = 0.0, factor = 1.0;
      for (int a = 0; a < dim; ++a) {
        arg += k[static_cast<std::size_t>(a)] * X[static_cast<std::size_t>(a)];
        factor *= sinc(k[static_cast<std::size_t>(a)] * half);
      }
      A(static_cast<Eigen::Index>(r), static_cast<Eigen::Index>(j)) =
          w * factor * (cols[j].second == 0 ? std::cos(arg) : std::sin(arg));
    }
  }
  const Eigen::ColPivHouseholderQR<Eigen::MatrixXd> qr(A);
  if (qr.rank() < static_cast<Eigen::Index>(cols.size())) {
    throw Error(where, "the Fourier fit is rank-deficient", "more cells with samples");
  }
  const int nc = dim * (dim + 1) / 2;
  std::vector<std::vector<FourierTerm>> comps(static_cast<std::size_t>(nc));
  for (int comp = 0; comp < nc; ++comp) {
    Eigen::VectorXd y(static_cast<Eigen::Index>(rows.size()));
    for (std::size_t r = 0; r < rows.size(); ++r) {
      y(static_cast<Eigen::Index>(r)) =
          std::sqrt(e.counts[rows[r]]) * e.g_hat[rows[r]][static_cast<std::size_t>(comp)];
    }
    const Eigen::VectorXd coef = qr.solve(y);
    std::vector<FourierTerm> terms(ks.size());
    for (std::size_t i = 0; i < ks.size(); ++i) terms[i].k = ks[i];
    for (std::size_t j = 0; j < cols.size(); ++j) {
      auto& t = terms[cols[j].first];
      (cols[j].second == 0 ? t.a : t.b) = coef(static_cast<Eigen::Index>(j));
    }
    comps[static_cast<std::size_t>(comp)] = std::move(terms);
  }
  return MetricField::fourier(dim, std::move(comps));
}

MetricField fit_fourier_jackknife(const CellEstimate& e, int dim, int bins, int k_max, int batch) {
  CellEstimate j;
  j.counts = e.counts;
  j.centres = e.centres;
  j.g_hat = e.g_jack.at(static_cast<std::size_t>(batch));
  return fit_fourier(j, dim, bins, k_max);
}

std::vector<std::vector<double>> geodesic_positions(const MetricField& g,
                                                    const std::vector<double>& x0,
                                                    const std::vector<double>& v0, double step,
                                                    std::int64_t steps, std::int64_t record_every) {
  const int dim = g.dimension();
  double x[3] = {0.0, 0.0, 0.0}, p[3] = {0.0, 0.0, 0.0};
  for (int a = 0; a < dim; ++a) x[a] = x0.at(static_cast<std::size_t>(a));
  const Matrix g0 = g.value(x);
  for (int a = 0; a < dim; ++a)
    for (int b = 0; b < dim; ++b) p[a] += g0(a, b) * v0.at(static_cast<std::size_t>(b));
  std::vector<std::vector<double>> out;
  out.emplace_back(x, x + dim);
  for (std::int64_t t = 1; t <= steps; ++t) {
    hamilton_rk4_step(g, x, p, step);
    if (t % record_every == 0 || t == steps) out.emplace_back(x, x + dim);
  }
  return out;
}

// ---- localised excitation -------------------------------------------------------------------

ExcitationRun simulate_excitation(const MetricField& planted, const ExcitationSetup& s,
                                  const std::function<void(std::int64_t)>& progress) {
  // Claim 4: a ring cluster with the action (77) (kinetic term with g(x_i), interaction
  // (α²/2)Σ x·Ĝx, sign-corrected as spec §0 item 8), Hamiltonian RK4; centroid X̄(τ) per replica,
  // its replica mean and standard error.
  const char* where = "hidden::simulate_excitation";
  const int dim = planted.dimension();
  if (s.cluster < 1 || s.replicas < 2 || s.steps < 1 || s.record_every < 1 || !(s.step > 0.0) ||
      static_cast<int>(s.x0.size()) != dim || static_cast<int>(s.v0.size()) != dim ||
      !(s.temperature >= 0.0) || !(s.spread >= 0.0)) {
    throw Error(where, "excitation parameters",
                "cluster ≥ 1, replicas ≥ 2, steps ≥ 1, h > 0, X₀ and V₀ of length D, T_exc ≥ 0");
  }
  const int nc = s.cluster;
  const std::size_t n = static_cast<std::size_t>(nc * dim);
  std::vector<std::int64_t> rec;
  for (std::int64_t t = 0; t <= s.steps; ++t) {
    if (t % s.record_every == 0 || t == s.steps) rec.push_back(t);
  }
  const auto nr = static_cast<std::size_t>(s.replicas);
  // centroid[r][t][μ]
  std::vector<std::vector<double>> cen(
      nr, std::vector<double>(rec.size() * static_cast<std::size_t>(dim)));
  std::vector<double> drift(nr, 0.0);
  const core::RngStream rx(s.seed, core::StreamTag::user, kStreamClusterPosition);
  const core::RngStream rp(s.seed, core::StreamTag::user, kStreamClusterMomentum);
  const double a2 = s.alpha * s.alpha;
  int failed = 0;
  long fail_step = 0;
  std::int64_t done = 0;

#pragma omp parallel
  {
    const MetricField field = planted;
    // Right-hand side of the cluster: per neuron the geodesic Hamiltonian plus the ring force
    // −α²(Ĝx)_i, (Ĝx)_i = 2x_i − x_{i−1} − x_{i+1} (Ĝ = (I − π)ᵀ(I − π), one cycle; 1ᵀĜ = 0).
    auto rhs = [&](const std::vector<double>& x, const std::vector<double>& p,
                   std::vector<double>& dx, std::vector<double>& dp) {
      for (int i = 0; i < nc; ++i) {
        const std::size_t o = static_cast<std::size_t>(i * dim);
        geodesic_hamilton_rhs(field, &x[o], &p[o], &dx[o], &dp[o]);
        if (s.metric_coupling) continue;
        const std::size_t om = static_cast<std::size_t>(((i + nc - 1) % nc) * dim);
        const std::size_t op = static_cast<std::size_t>(((i + 1) % nc) * dim);
        for (int a = 0; a < dim; ++a) {
          const auto ua = static_cast<std::size_t>(a);
          dp[o + ua] -= a2 * (2.0 * x[o + ua] - x[om + ua] - x[op + ua]);
        }
      }
      if (!s.metric_coupling) return;
      // Edge e = (i, i+1): U_e = (α²/2) Δᵀg(m)Δ, Δ = x_{i+1} − x_i, m = (x_i + x_{i+1})/2;
      // ∂U_e/∂x_{i+1} = α² gΔ + (α²/4) Δᵀ∂g Δ, ∂U_e/∂x_i = −α² gΔ + (α²/4) Δᵀ∂g Δ.
      for (int i = 0; i < nc; ++i) {
        const std::size_t o = static_cast<std::size_t>(i * dim);
        const std::size_t op = static_cast<std::size_t>(((i + 1) % nc) * dim);
        double mid[3];
        Vector d(dim);
        for (int a = 0; a < dim; ++a) {
          const auto ua = static_cast<std::size_t>(a);
          mid[a] = 0.5 * (x[o + ua] + x[op + ua]);
          d(a) = x[op + ua] - x[o + ua];
        }
        Matrix g;
        std::array<Matrix, 3> dg;
        field.jet(mid, g, dg);
        const Vector gd = g * d;
        for (int a = 0; a < dim; ++a) {
          const auto ua = static_cast<std::size_t>(a);
          const double tidal = 0.25 * a2 * d.dot(dg[ua] * d);
          dp[op + ua] -= a2 * gd(a) + tidal;
          dp[o + ua] -= -a2 * gd(a) + tidal;
        }
      }
    };
    auto energy = [&](const std::vector<double>& x, const std::vector<double>& p) {
      double h = 0.0;
      for (int i = 0; i < nc; ++i) {
        const std::size_t o = static_cast<std::size_t>(i * dim);
        const std::size_t op = static_cast<std::size_t>(((i + 1) % nc) * dim);
        const Matrix g = field.value(&x[o]);
        Vector pv(dim);
        for (int a = 0; a < dim; ++a) pv(a) = p[o + static_cast<std::size_t>(a)];
        h += 0.5 * pv.dot(g.ldlt().solve(pv));
        // x·Ĝx = Σ_i |x_i − x_{i+1}|² on a ring (n_c = 2 counts the one edge twice, as Ĝ does);
        // metric coupling: Σ_i Δ_iᵀ g(m_i) Δ_i.
        double mid[3];
        Vector d(dim);
        for (int a = 0; a < dim; ++a) {
          const auto ua = static_cast<std::size_t>(a);
          mid[a] = 0.5 * (x[o + ua] + x[op + ua]);
          d(a) = x[op + ua] - x[o + ua];
        }
        h += 0.5 * a2 * (s.metric_coupling ? d.dot(field.value(mid) * d) : d.squaredNorm());
      }
      return h;
    };
#pragma omp for schedule(dynamic, 1)
    for (std::int64_t r = 0; r < s.replicas; ++r) {
      const auto ur = static_cast<std::uint64_t>(r);
      std::vector<double> x(n), p(n), k[4], l[4], xs(n), ps(n);
      for (auto& v : k) v.resize(n);
      for (auto& v : l) v.resize(n);
      for (int i = 0; i < nc; ++i) {
        const std::size_t o = static_cast<std::size_t>(i * dim);
        double xi[3];
        for (int a = 0; a < dim; ++a) {
          x[o + static_cast<std::size_t>(a)] =
              s.x0[static_cast<std::size_t>(a)] +
              s.spread * rx.normal(ur, o + static_cast<std::size_t>(a));
          xi[a] = rp.normal(ur, o + static_cast<std::size_t>(a));
        }
        // p = g(x_i)V₀ + √T_exc L(x_i)ξ: velocity V₀ plus jitter with Cov = T_exc g⁻¹.
        const Matrix g = field.value(&x[o]);
        double pj[3] = {0.0, 0.0, 0.0};
        ou_momentum_step(g, pj, s.temperature, 0.0, xi);
        for (int a = 0; a < dim; ++a) {
          double gv = 0.0;
          for (int b = 0; b < dim; ++b) gv += g(a, b) * s.v0[static_cast<std::size_t>(b)];
          p[o + static_cast<std::size_t>(a)] = gv + pj[a];
        }
      }
      const double e0 = energy(x, p);
      double dmax = 0.0;
      std::size_t ri = 0;
      auto record = [&] {
        for (int a = 0; a < dim; ++a) {
          double m = 0.0;
          for (int i = 0; i < nc; ++i) m += x[static_cast<std::size_t>(i * dim + a)];
          cen[static_cast<std::size_t>(r)]
             [ri * static_cast<std::size_t>(dim) + static_cast<std::size_t>(a)] = m / nc;
        }
        dmax = std::max(dmax, std::abs(energy(x, p) - e0) / std::max(std::abs(e0), 1e-300));
        ++ri;
      };
      record();
      bool finite = true;
      for (std::int64_t t = 1; t <= s.steps && finite; ++t) {
        rhs(x, p, k[0], l[0]);
        for (int st = 1; st < 4; ++st) {
          const double w = st == 3 ? s.step : 0.5 * s.step;
          for (std::size_t j = 0; j < n; ++j) {
            xs[j] = x[j] + w * k[st - 1][j];
            ps[j] = p[j] + w * l[st - 1][j];
          }
          rhs(xs, ps, k[st], l[st]);
        }
        for (std::size_t j = 0; j < n; ++j) {
          x[j] += s.step / 6.0 * (k[0][j] + 2.0 * k[1][j] + 2.0 * k[2][j] + k[3][j]);
          p[j] += s.step / 6.0 * (l[0][j] + 2.0 * l[1][j] + 2.0 * l[2][j] + l[3][j]);
          finite = finite && std::isfinite(x[j]) && std::isfinite(p[j]);
        }
        if (!finite) {
#pragma omp critical(emergent_fail)
          fail_step = static_cast<long>(t);
        }
        if (ri < rec.size() && rec[ri] == t) record();
      }
      if (!finite) {
#pragma omp critical(emergent_fail)
        failed = 1;
      }
      drift[static_cast<std::size_t>(r)] = dmax;
#pragma omp critical(emergent_progress)
      {
        ++done;
        if (progress) progress(done);
      }
    }
  }
  if (failed != 0) throw Divergence(fail_step, "cluster neuron state (x, p)");

  ExcitationRun out;
  const double m = static_cast<double>(nr);
  for (std::size_t t = 0; t < rec.size(); ++t) {
    out.tau.push_back(static_cast<double>(rec[t]) * s.step);
    std::vector<double> mean(static_cast<std::size_t>(dim), 0.0),
        se(static_cast<std::size_t>(dim), 0.0);
    for (int a = 0; a < dim; ++a) {
      const auto ua = static_cast<std::size_t>(a);
      for (std::size_t r = 0; r < nr; ++r)
        mean[ua] += cen[r][t * static_cast<std::size_t>(dim) + ua];
      mean[ua] /= m;
      double var = 0.0;
      for (std::size_t r = 0; r < nr; ++r)
        var += std::pow(cen[r][t * static_cast<std::size_t>(dim) + ua] - mean[ua], 2);
      se[ua] = std::sqrt(var / (m - 1.0) / m);
    }
    out.mean.push_back(mean);
    out.se.push_back(se);
  }
  for (double d : drift) out.max_energy_drift = std::max(out.max_energy_drift, d);
  return out;
}

// ---- maps -----------------------------------------------------------------------------------

namespace {
geometry::TorusMetric sample(const MetricField& f, std::int64_t points) {
  const core::Grid grid = geometry::make_torus_grid(f.dimension(), points);
  const int dim = f.dimension();
  geometry::TorusMetric m{grid, {}};
  m.components.assign(static_cast<std::size_t>(dim * (dim + 1) / 2),
                      std::vector<double>(static_cast<std::size_t>(grid.size())));
  for (std::int64_t i = 0; i < grid.size(); ++i) {
    const core::Point x = geometry::torus_point(grid, i);
    const Matrix g = f.value(x.data());
    for (int a = 0; a < dim; ++a)
      for (int b = a; b < dim; ++b) m.component(a, b)[static_cast<std::size_t>(i)] = g(a, b);
  }
  return m;
}
}  // namespace

std::vector<double> ricci_scalar_map(const MetricField& f, std::int64_t points) {
  const geometry::TorusMetric m = sample(f, points);
  const core::Fft fft(m.grid);
  return geometry::torus_fields(m, fft).ricci_scalar;
}

std::vector<double> component_map(const MetricField& f, int c, std::int64_t points) {
  return sample(f, points).components[static_cast<std::size_t>(c)];
}

}  // namespace nnworld::hidden
