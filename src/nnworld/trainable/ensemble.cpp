// The parametrised network, F(q) on a grid with its gradient and interpolation, and the
// Euler–Maruyama engine of the replica ensemble (see ensemble.hpp).
#include "nnworld/trainable/ensemble.hpp"

#include <omp.h>

#include <algorithm>
#include <cmath>
#include <exception>
#include <limits>
#include <string>
#include <type_traits>
#include <utility>

#include "nnworld/core/error.hpp"
#include "nnworld/core/fft.hpp"
#include "nnworld/core/parallel.hpp"
#include "nnworld/core/rng.hpp"
#include "nnworld/trainable/ensemble_kernels.hpp"

namespace nnworld::trainable {

namespace {

std::string str(std::int64_t v) {
  return std::to_string(v);
}

void check_dims(int dims, const char* where) {
  if (dims < 1 || dims > 3) {
    throw Error(where, "K = " + std::to_string(dims) + " parameters", "K = 1, 2 or 3");
  }
}

void check_grid(const core::Grid& grid, int dims, const char* where) {
  if (grid.dims != dims) {
    throw Error(where,
                "a grid with " + std::to_string(grid.dims) +
                    " axes for K = " + std::to_string(dims) + " parameters",
                "one grid axis per parameter");
  }
}

// Runs body(i) for i in [0, n) on OpenMP threads (each thread's nested kernels serial) and
// rethrows the first exception (lowest index) afterwards.
template <class Body>
void parallel_points(std::int64_t n, Body&& body) {
  std::vector<std::exception_ptr> failure(static_cast<std::size_t>(n));
#pragma omp parallel
  {
    omp_set_num_threads(1);
#pragma omp for schedule(dynamic, 1)
    for (std::int64_t i = 0; i < n; ++i) {
      try {
        body(i);
      } catch (...) {
        failure[static_cast<std::size_t>(i)] = std::current_exception();
      }
    }
  }
  for (const auto& f : failure) {
    if (f) std::rethrow_exception(f);
  }
}

network::Weights combine_same_layout(const network::Weights& base,
                                     const std::vector<network::Weights>& dirs,
                                     std::span<const double> q, bool& ok) {
  ok = true;
  for (const auto& d : dirs) ok = ok && d.index() == base.index();
  if (!ok) return base;
  if (const auto* p = std::get_if<network::PermutationWeights>(&base)) {
    for (const auto& d : dirs)
      ok = ok && std::get<network::PermutationWeights>(d).source == p->source;
    if (!ok) return base;
    network::PermutationWeights out = *p;
    for (std::size_t k = 0; k < dirs.size(); ++k)
      out.value += q[k] * std::get<network::PermutationWeights>(dirs[k]).value;
    return out;
  }
  if (const auto* s = std::get_if<network::SparseWeights>(&base)) {
    network::SparseWeights out = *s;
    for (std::size_t k = 0; k < dirs.size(); ++k)
      out = network::SparseWeights(out + q[k] * std::get<network::SparseWeights>(dirs[k]));
    out.makeCompressed();
    return out;
  }
  network::DenseWeights out = std::get<network::DenseWeights>(base);
  for (std::size_t k = 0; k < dirs.size(); ++k)
    out += q[k] * std::get<network::DenseWeights>(dirs[k]);
  return out;
}

// One-sided 4th-order first-derivative stencils at the first two points of a box axis (the
// last two use the mirrored stencils with the opposite sign):
//   f′₀ = (−25f₀ + 48f₁ − 36f₂ + 16f₃ − 3f₄)/(12h),  f′₁ = (−3f₀ − 10f₁ + 18f₂ − 6f₃ + f₄)/(12h).
void fd4_line(const double* f, std::int64_t stride, std::int64_t n, double h, bool periodic,
              double* out) {
  const double c = 1.0 / (12.0 * h);
  auto at = [&](std::int64_t j) { return f[j * stride]; };
  for (std::int64_t j = 0; j < n; ++j) {
    double d;
    if (periodic) {
      auto w = [&](std::int64_t k) { return at(kernels::wrap_index(k, n)); };
      d = (w(j - 2) - 8.0 * w(j - 1) + 8.0 * w(j + 1) - w(j + 2)) * c;
    } else if (j >= 2 && j <= n - 3) {
      d = (at(j - 2) - 8.0 * at(j - 1) + 8.0 * at(j + 1) - at(j + 2)) * c;
    } else if (j == 0) {
      d = (-25.0 * at(0) + 48.0 * at(1) - 36.0 * at(2) + 16.0 * at(3) - 3.0 * at(4)) * c;
    } else if (j == 1) {
      d = (-3.0 * at(0) - 10.0 * at(1) + 18.0 * at(2) - 6.0 * at(3) + at(4)) * c;
    } else if (j == n - 1) {
      d = (25.0 * at(n - 1) - 48.0 * at(n - 2) + 36.0 * at(n - 3) - 16.0 * at(n - 4) +
           3.0 * at(n - 5)) *
          c;
    } else {  // j == n − 2
      d = (3.0 * at(n - 1) + 10.0 * at(n - 2) - 18.0 * at(n - 3) + 6.0 * at(n - 4) - at(n - 5)) * c;
    }
    out[j * stride] = d;
  }
}

// Replicas per block of the em_step kernel: the noise of a block is made in three passes
// (Philox words; Box–Muller, vectorised; the update). Blocks are fixed by replica index, so
// every replica sees the same arithmetic for any thread count.
constexpr std::int64_t kBlock = 256;
// Fewest blocks for a second thread (4096 replicas, ≈ 0.1 ms per step): below that a fork and
// barrier per step cost more than they save (bench/RESULTS.md, ensemble_em rows).
constexpr std::int64_t kParallelBlocks = 16;

// The em_step kernel for K axes and one interpolation kind (dispatched once per call), on the
// replicas [first, last) (whole blocks but for the ensemble's last).
template <int K, Interpolation I>
void em_kernel(Ensemble& e, const FreeEnergyField& field, const LangevinParameters& p,
               std::int64_t first, std::int64_t last) {
  const core::Grid& g = field.grid;
  const bool periodic = g.boundary == core::Boundary::periodic;
  const Domain dom = replica_domain(g);
  double period[3];
  for (int a = 0; a < K; ++a) period[a] = dom.hi[a] - dom.lo[a];
  const double drift = p.gamma * p.dt;
  const double kick = std::sqrt(2.0 * p.diffusion * p.dt);
  const auto step = static_cast<std::uint64_t>(e.step);
  const std::int64_t m = last;
  const std::int64_t b0 = first / kBlock;
  const std::int64_t blocks = (m + kBlock - 1) / kBlock;
  const kernels::AxisMap ax0 = kernels::axis_map(g, 0);
  double* q = e.q.data();
  const double* grad[3] = {field.gradient[0].data(), K > 1 ? field.gradient[1].data() : nullptr,
                           K > 2 ? field.gradient[2].data() : nullptr};
  int bad = 0;
#pragma omp parallel for schedule(static) reduction(| : bad) if (blocks - b0 >= kParallelBlocks)
  for (std::int64_t b = b0; b < blocks; ++b) {
    const std::int64_t r0 = b * kBlock;
    const std::int64_t len = std::min(kBlock, m - r0);
    alignas(64) double u[K > 2 ? 4 : 2][kBlock];
    alignas(64) double z[K][kBlock];
    for (std::int64_t i = 0; i < len; ++i) {
      const auto w =
          core::RngStream(p.seed, core::StreamTag::langevin, static_cast<std::uint64_t>(r0 + i))
              .raw(step, 0);
      u[0][i] = kernels::open_unit(w[0]);
      u[1][i] = kernels::open_unit(w[1]);
      if constexpr (K > 2) {
        u[2][i] = kernels::open_unit(w[2]);
        u[3][i] = kernels::open_unit(w[3]);
      }
    }
    // Box–Muller as kernels::box_muller computes it: log and sincos vectorised; the square
    // root in a plain loop (with errno semantics a vectorised sqrt would need a branch).
#pragma omp simd
    for (std::int64_t i = 0; i < len; ++i) {
      double s, c;
      kernels::sincos_2pi(u[1][i], s, c);
      z[0][i] = c;
      if constexpr (K > 1) z[1][i] = s;
      u[1][i] = -2.0 * kernels::log_normal(u[0][i]);
    }
    if constexpr (K > 2) {
#pragma omp simd
      for (std::int64_t i = 0; i < len; ++i) {
        double s, c;
        kernels::sincos_2pi(u[3][i], s, c);
        z[2][i] = c;
        u[3][i] = -2.0 * kernels::log_normal(u[2][i]);
      }
    }
    for (std::int64_t i = 0; i < len; ++i) {
      const double rho = std::sqrt(u[1][i]);
      z[0][i] *= rho;
      if constexpr (K > 1) z[1][i] *= rho;
      if constexpr (K > 2) z[2][i] *= std::sqrt(u[3][i]);
    }
    for (std::int64_t i = 0; i < len; ++i) {
      double* qr = q + (r0 + i) * K;
      if constexpr (K == 1) {
        kernels::AxisStencil st;
        kernels::axis_stencil(ax0, qr[0], I, st);
        double gx = 0.0;
        for (int j = 0; j < st.size; ++j) gx += st.weight[j] * grad[0][st.index[j]];
        const double next = qr[0] + drift * gx + kick * z[0][i];
        qr[0] = kernels::confine_coordinate(next, dom.lo[0], period[0], periodic);
        bad |= std::isfinite(next) ? 0 : 1;
      } else {
        Point pos{0.0, 0.0, 0.0};
        for (int a = 0; a < K; ++a) pos[a] = qr[a];
        for (int a = 0; a < K; ++a) {
          const double ga = kernels::interpolate(g, grad[a], pos, I);
          const double next = pos[a] + drift * ga + kick * z[a][i];
          qr[a] = kernels::confine_coordinate(next, dom.lo[a], period[a], periodic);
          bad |= std::isfinite(next) ? 0 : 1;
        }
      }
    }
  }
  if (bad) throw Divergence(static_cast<long>(e.step), "replica coordinate q");
}

void em_range(Ensemble& ensemble, const FreeEnergyField& field, const LangevinParameters& p,
              std::int64_t first, std::int64_t last) {
  const bool cubic = p.interpolation == Interpolation::cubic;
  switch (ensemble.dims) {
    case 1:
      cubic ? em_kernel<1, Interpolation::cubic>(ensemble, field, p, first, last)
            : em_kernel<1, Interpolation::linear>(ensemble, field, p, first, last);
      break;
    case 2:
      cubic ? em_kernel<2, Interpolation::cubic>(ensemble, field, p, first, last)
            : em_kernel<2, Interpolation::linear>(ensemble, field, p, first, last);
      break;
    default:
      cubic ? em_kernel<3, Interpolation::cubic>(ensemble, field, p, first, last)
            : em_kernel<3, Interpolation::linear>(ensemble, field, p, first, last);
      break;
  }
}

void check_step_inputs(const Ensemble& ensemble, const FreeEnergyField& field,
                       const LangevinParameters& p) {
  check_grid(field.grid, ensemble.dims, "em_step");
  if (static_cast<std::int64_t>(ensemble.q.size()) != ensemble.replicas * ensemble.dims)
    throw Error(
        "em_step",
        "an ensemble with " + str(static_cast<std::int64_t>(ensemble.q.size())) + " coordinates",
        "replicas × K");
  if (!(p.dt > 0.0) || !(p.diffusion >= 0.0) || !std::isfinite(p.gamma))
    throw Error("em_step", "dt = " + std::to_string(p.dt) + ", D = " + std::to_string(p.diffusion),
                "dt > 0, D ≥ 0, finite γ");
}

}  // namespace

// ---- Parametrised network ------------------------------------------------------------------

void ParametrisedNetwork::validate() const {
  base.validate();
  check_dims(dims(), "parametrised network");
  if (weight_directions.size() != bias_directions.size()) {
    throw Error("parametrised network",
                str(static_cast<std::int64_t>(weight_directions.size())) +
                    " weight directions and " +
                    str(static_cast<std::int64_t>(bias_directions.size())) + " bias directions",
                "one weight and one bias direction per parameter");
  }
  const std::int64_t n = base.n();
  for (int k = 0; k < dims(); ++k) {
    const std::string where = "parametrised network: direction " + std::to_string(k + 1);
    if (bias_directions[static_cast<std::size_t>(k)].size() != n)
      throw Error(
          where,
          "bias direction of size " + str(bias_directions[static_cast<std::size_t>(k)].size()),
          "size N = " + str(n));
    network::Network probe = base;
    probe.w = weight_directions[static_cast<std::size_t>(k)];
    probe.b = bias_directions[static_cast<std::size_t>(k)];
    try {
      probe.validate();
    } catch (const Error& e) {
      throw Error(where, e.message(), "weights of the shape of the base network");
    }
  }
}

// ŵ(q) = ŵ₀ + Σ_k q_k ŵ_k, b(q) = b₀ + Σ_k q_k b_k (the layout of ŵ₀ when every direction has
// it, else dense).
network::Network ParametrisedNetwork::at(std::span<const double> q) const {
  const int k = dims();
  if (static_cast<int>(q.size()) < k) {
    throw Error(
        "parametrised network",
        "a point with " + std::to_string(q.size()) + " coordinates for K = " + std::to_string(k),
        "K coordinates");
  }
  network::Network net = base;
  for (int j = 0; j < k; ++j) net.b += q[j] * bias_directions[static_cast<std::size_t>(j)];
  bool ok = false;
  net.w = combine_same_layout(base.w, weight_directions, q, ok);
  if (!ok) {
    network::DenseWeights w = network::to_dense(base.w);
    for (int j = 0; j < k; ++j)
      w += q[j] * network::to_dense(weight_directions[static_cast<std::size_t>(j)]);
    net.w = std::move(w);
  }
  return net;
}

ParametrisedNetwork random_directions(const network::Network& base, int dims, double weight_scale,
                                      double bias_scale, std::uint64_t seed) {
  check_dims(dims, "random_directions");
  base.validate();
  ParametrisedNetwork p;
  p.base = base;
  const std::int64_t n = base.n();
  for (int k = 0; k < dims; ++k) {
    const core::RngStream rng(seed, core::StreamTag::init, 1000 + static_cast<std::uint64_t>(k));
    std::uint64_t idx = 0;
    network::Vector b(n);
    for (std::int64_t i = 0; i < n; ++i) b[i] = bias_scale * rng.normal(0, idx++);
    network::Weights w = base.w;
    std::visit(
        [&](auto& m) {
          using T = std::decay_t<decltype(m)>;
          if constexpr (std::is_same_v<T, network::DenseWeights>) {
            for (Eigen::Index i = 0; i < m.rows(); ++i)
              for (Eigen::Index j = 0; j < m.cols(); ++j)
                m(i, j) = weight_scale * rng.normal(0, idx++);
          } else if constexpr (std::is_same_v<T, network::SparseWeights>) {
            m.makeCompressed();
            for (Eigen::Index i = 0; i < m.nonZeros(); ++i)
              m.valuePtr()[i] = weight_scale * rng.normal(0, idx++);
          } else {
            for (Eigen::Index i = 0; i < m.value.size(); ++i)
              m.value[i] = weight_scale * rng.normal(0, idx++);
          }
        },
        w);
    p.weight_directions.push_back(std::move(w));
    p.bias_directions.push_back(std::move(b));
  }
  return p;
}

// ---- Fields on the grid --------------------------------------------------------------------

std::vector<double> grid_derivative(const core::Grid& grid, std::span<const double> f, int axis,
                                    GradientMethod method) {
  if (static_cast<std::int64_t>(f.size()) != grid.size())
    throw Error("grid_derivative", str(static_cast<std::int64_t>(f.size())) + " values",
                str(grid.size()) + " (one per grid point)");
  if (axis < 0 || axis >= grid.dims)
    throw Error("grid_derivative", "axis " + std::to_string(axis), "an axis of the grid");
  const bool periodic = grid.boundary == core::Boundary::periodic;
  if (method == GradientMethod::automatic)
    method = periodic ? GradientMethod::spectral : GradientMethod::fd4;
  if (method == GradientMethod::spectral) {
    if (!periodic)
      throw Error("grid_derivative", "spectral derivative on a box grid", "a periodic grid");
    const core::Fft fft(grid);
    return core::spectral_derivative(fft, f, axis);
  }
  const std::int64_t n = grid.points[axis];
  if (n < 5) throw Error("grid_derivative", str(n) + " points on an axis", "at least 5 (fd4)");
  const std::int64_t s = grid.stride(axis);
  const double h = grid.spacing(axis);
  std::vector<double> out(f.size());
  const std::int64_t lines = grid.size() / n;
  for (std::int64_t l = 0; l < lines; ++l) {
    // Line l: the points with every index but `axis` fixed; its first point is
    // (l / s) · n · s + l % s.
    const std::int64_t start = (l / s) * n * s + l % s;
    fd4_line(f.data() + start, s, n, h, periodic, out.data() + start);
  }
  return out;
}

FreeEnergyField make_field(const core::Grid& grid, std::vector<double> values,
                           GradientMethod method) {
  if (static_cast<std::int64_t>(values.size()) != grid.size())
    throw Error("make_field", str(static_cast<std::int64_t>(values.size())) + " values",
                str(grid.size()) + " (one per grid point)");
  for (std::size_t i = 0; i < values.size(); ++i) {
    if (!std::isfinite(values[i]))
      throw Error("make_field",
                  "F is not finite at grid point " + str(static_cast<std::int64_t>(i)),
                  "finite values");
  }
  FreeEnergyField f;
  f.grid = grid;
  f.value = std::move(values);
  for (int a = 0; a < grid.dims; ++a) f.gradient[a] = grid_derivative(grid, f.value, a, method);
  return f;
}

FreeEnergyField field_from_expression(const core::Grid& grid, const core::Expression& expression,
                                      GradientMethod method) {
  if (static_cast<int>(expression.variables().size()) != grid.dims) {
    throw Error("field_from_expression",
                "the formula '" + expression.text() + "' has " +
                    std::to_string(expression.variables().size()) + " variables",
                "one per grid axis (q1 … qK)");
  }
  std::vector<double> v(static_cast<std::size_t>(grid.size()));
  grid.for_each([&](std::int64_t i, const core::Point& q) {
    v[static_cast<std::size_t>(i)] =
        expression(std::span<const double>(q.data(), static_cast<std::size_t>(grid.dims)));
  });
  return make_field(grid, std::move(v), method);
}

// Laplace free energy of the hidden variables at every grid point:
//   F(q) = −β⁻¹ log Z_L(β; b(q), ŵ(q)),
//   log Z_L = −βH(x*) + (N/2) log 2π − ½ log det[β(Ĝ(x*) − m I)]   (7) as corrected (spec §0.1).
FreeEnergyField field_from_laplace(const ParametrisedNetwork& pnet, double beta,
                                   const core::Grid& grid, const thermo::GaussianOptions& options,
                                   GradientMethod method) {
  pnet.validate();
  check_grid(grid, pnet.dims(), "field_from_laplace");
  if (!(beta > 0.0) || !std::isfinite(beta))
    throw Error("field_from_laplace", "beta = " + std::to_string(beta), "a finite β > 0");
  std::vector<double> v(static_cast<std::size_t>(grid.size()));
  parallel_points(grid.size(), [&](std::int64_t i) {
    const core::Point q = grid.point(i);
    const thermo::PartitionEstimate est = thermo::laplace(pnet.at(q), beta, options);
    if (est.status != "ok") {
      throw Error("field_from_laplace",
                  "the Laplace free energy does not exist at grid point " + str(i) + " (" +
                      est.status + ", " + std::to_string(est.zero_modes) + " zero modes)",
                  "Ĝ − mI positive definite at every grid point");
    }
    v[static_cast<std::size_t>(i)] = est.free_energy;
  });
  return make_field(grid, std::move(v), method);
}

network::Vector relaxed_state(const network::Network& net, const network::Dataset& data,
                              Eigen::Index row, int relax_steps) {
  network::Vector x = network::Vector::Zero(net.n());
  const auto n_in = static_cast<Eigen::Index>(net.inputs.size());
  for (Eigen::Index k = 0; k < n_in; ++k)
    x[net.inputs[static_cast<std::size_t>(k)]] = data.rows(row, k);
  if (relax_steps > 0) x = network::iterate(net, std::move(x), relax_steps, net.inputs);
  const bool targets =
      !net.outputs.empty() &&
      data.rows.cols() == static_cast<Eigen::Index>(net.inputs.size() + net.outputs.size());
  if (targets) {
    for (std::size_t k = 0; k < net.outputs.size(); ++k)
      x[net.outputs[k]] = data.rows(row, n_in + static_cast<Eigen::Index>(k));
  }
  return x;
}

double dataset_loss_at(const ParametrisedNetwork& pnet, const Point& q,
                       const network::Dataset& data, int relax_steps, network::LossKind loss) {
  const network::Network net = pnet.at(q);
  double sum = 0.0;
  for (Eigen::Index s = 0; s < data.rows.rows(); ++s)
    sum += network::loss(net, relaxed_state(net, data, s, relax_steps), loss);
  return sum / static_cast<double>(data.rows.rows());
}

FreeEnergyField field_from_dataset_loss(const ParametrisedNetwork& pnet,
                                        const network::Dataset& data, int relax_steps,
                                        const core::Grid& grid, network::LossKind loss,
                                        GradientMethod method) {
  pnet.validate();
  check_grid(grid, pnet.dims(), "field_from_dataset_loss");
  if (data.rows.rows() < 1)
    throw Error("field_from_dataset_loss", "an empty dataset", "at least one sample");
  std::vector<double> v(static_cast<std::size_t>(grid.size()));
  parallel_points(grid.size(), [&](std::int64_t i) {
    v[static_cast<std::size_t>(i)] = -dataset_loss_at(pnet, grid.point(i), data, relax_steps, loss);
  });
  return make_field(grid, std::move(v), method);
}

double FreeEnergyField::value_at(const Point& q, Interpolation kind) const {
  return kernels::interpolate(grid, value.data(), q, kind);
}

Point FreeEnergyField::gradient_at(const Point& q, Interpolation kind) const {
  Point g{0.0, 0.0, 0.0};
  for (int a = 0; a < grid.dims; ++a)
    g[a] = kernels::interpolate(grid, gradient[a].data(), q, kind);
  return g;
}

// ---- Replicas ------------------------------------------------------------------------------

Point Ensemble::position(std::int64_t r) const {
  Point p{0.0, 0.0, 0.0};
  for (int a = 0; a < dims; ++a) p[a] = q[static_cast<std::size_t>(r * dims + a)];
  return p;
}

Ensemble gaussian_ensemble(int dims, std::int64_t replicas, const Point& mean, const Point& sd,
                           std::uint64_t seed) {
  check_dims(dims, "gaussian_ensemble");
  if (replicas < 1)
    throw Error("gaussian_ensemble", str(replicas) + " replicas", "at least one replica");
  Ensemble e;
  e.dims = dims;
  e.replicas = replicas;
  e.q.resize(static_cast<std::size_t>(replicas * dims));
#pragma omp parallel for schedule(static) if (replicas >= kParallelBlocks * kBlock)
  for (std::int64_t r = 0; r < replicas; ++r) {
    const core::RngStream rng(seed, core::StreamTag::start, static_cast<std::uint64_t>(r));
    double z[3];
    kernels::normals(rng, 0, dims, z);
    for (int a = 0; a < dims; ++a)
      e.q[static_cast<std::size_t>(r * dims + a)] = mean[a] + sd[a] * z[a];
  }
  return e;
}

Ensemble two_packet_ensemble(int dims, std::int64_t replicas, const Point& centre1,
                             const Point& centre2, const Point& sd, std::uint64_t seed) {
  Ensemble e = gaussian_ensemble(dims, replicas, Point{0.0, 0.0, 0.0}, sd, seed);
  e.tag.assign(static_cast<std::size_t>(replicas), 0);
  for (std::int64_t r = 0; r < replicas; ++r) {
    const bool second = r >= replicas / 2;
    e.tag[static_cast<std::size_t>(r)] = second ? 1 : 0;
    const Point& c = second ? centre2 : centre1;
    for (int a = 0; a < dims; ++a) e.q[static_cast<std::size_t>(r * dims + a)] += c[a];
  }
  return e;
}

Domain replica_domain(const core::Grid& grid) {
  Domain d;
  for (int a = 0; a < grid.dims; ++a) {
    const double h = grid.spacing(a);
    d.lo[a] = -grid.extent[a] - 0.5 * h;
    d.hi[a] = grid.extent[a] - 0.5 * h;
  }
  return d;
}

void confine(Ensemble& ensemble, const core::Grid& grid) {
  check_grid(grid, ensemble.dims, "confine");
  const Domain d = replica_domain(grid);
  const bool periodic = grid.boundary == core::Boundary::periodic;
  const int k = ensemble.dims;
  for (std::int64_t r = 0; r < ensemble.replicas; ++r) {
    for (int a = 0; a < k; ++a) {
      double& q = ensemble.q[static_cast<std::size_t>(r * k + a)];
      q = kernels::confine_coordinate(q, d.lo[a], d.hi[a] - d.lo[a], periodic);
    }
  }
}

// Euler–Maruyama for dq = γ∇F dt + √(2D) dW (the Langevin equation whose density obeys (20)):
//   q ← q + γ ∇F(q) dt + √(2D dt) ξ,  ξ_a ~ N(0, 1) from (seed, replica, step).
void em_step(Ensemble& ensemble, const FreeEnergyField& field, const LangevinParameters& p) {
  check_step_inputs(ensemble, field, p);
  em_range(ensemble, field, p, 0, ensemble.replicas);
  ensemble.step += 1;
  ensemble.time += p.dt;
}

// The replicas are independent between observations, so on R ranks each advances its share
// (whole blocks of kBlock replicas, hence the arithmetic of em_step) with no communication, and
// the shares are gathered at the end. A divergence on any rank ends every rank at the first
// diverging step, as em_step would.
void advance_langevin(Ensemble& ensemble, const FreeEnergyField& field, const LangevinParameters& p,
                      std::int64_t target_step) {
  const core::Comm& comm = core::current_comm();
  if (comm.size() == 1) {
    while (ensemble.step < target_step) em_step(ensemble, field, p);
    return;
  }
  check_step_inputs(ensemble, field, p);
  const core::Share mine = comm.share(ensemble.replicas, kBlock);
  std::int64_t diverged = std::numeric_limits<std::int64_t>::max();
  while (ensemble.step < target_step) {
    if (mine.size() > 0) {
      try {
        em_range(ensemble, field, p, mine.begin, mine.end);
      } catch (const Divergence&) {
        diverged = ensemble.step;
        break;
      }
    }
    ensemble.step += 1;
    ensemble.time += p.dt;
  }
  diverged = comm.min(diverged);
  if (diverged != std::numeric_limits<std::int64_t>::max()) {
    // As after em_step's throw, the ensemble is not to be used further.
    throw Divergence(static_cast<long>(diverged), "replica coordinate q");
  }
  comm.allgather(ensemble.q, ensemble.replicas, kBlock, ensemble.dims);
}

void simulate_langevin(Ensemble& ensemble, const FreeEnergyField& field,
                       const LangevinParameters& p, std::int64_t steps, std::int64_t observe_every,
                       const std::function<void(const Ensemble&)>& observe) {
  const bool watch = observe && observe_every > 0;
  if (watch) observe(ensemble);
  const std::int64_t end = ensemble.step + steps;
  const std::int64_t stride = watch ? observe_every : steps;
  while (ensemble.step < end) {
    advance_langevin(ensemble, field, p, std::min(end, ensemble.step + stride));
    if (watch && (ensemble.step - (end - steps)) % observe_every == 0) observe(ensemble);
  }
}

}  // namespace nnworld::trainable
