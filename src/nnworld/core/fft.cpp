#include "nnworld/core/fft.hpp"

#include <fftw3.h>

#include <algorithm>
#include <array>
#include <mutex>
#include <stdexcept>

namespace nnworld::core {

namespace {

// FFTW's planner is not thread-safe; execution of a finished plan is.
std::mutex& planner_mutex() {
  static std::mutex m;
  return m;
}

fftw_complex* as_fftw(Complex* p) {
  return reinterpret_cast<fftw_complex*>(p);
}

}  // namespace

// The 1-D plans of one axis: `full` for a chunk of `chunk` lines, `rest` for the last, shorter
// chunk of a block (null when the lines divide evenly).
struct Fft::AxisPlans {
  std::int64_t n = 0;       // transform length
  std::int64_t stride = 1;  // distance between consecutive points of a line
  std::int64_t dist = 1;    // distance between consecutive lines of a chunk
  std::int64_t lines = 0;   // lines per block (s for strided axes, all lines for the last)
  std::int64_t blocks = 0;  // independent blocks (outer indices)
  std::int64_t block_step = 0;
  std::int64_t chunk = 1;  // lines per chunk (fixed by the grid, not by the thread count)
  fftw_plan forward_full = nullptr, backward_full = nullptr;
  fftw_plan forward_rest = nullptr, backward_rest = nullptr;
  ~AxisPlans() {
    for (fftw_plan p : {forward_full, backward_full, forward_rest, backward_rest}) {
      if (p) fftw_destroy_plan(p);
    }
  }
};

Fft::Fft(const Grid& grid) : grid_(grid) {
  if (grid.boundary != Boundary::periodic) {
    throw std::invalid_argument("FFT needs periodic boundaries, the grid has box walls");
  }
  const std::int64_t total = grid.size();
  // Plans are made on an array that is 16-byte but deliberately not 32-byte aligned, so that
  // FFTW never picks codelets that need more alignment than the arrays they will run on (any
  // element of a std::vector<Complex>, a gather buffer) is guaranteed to have.
  struct FftwFree {
    void operator()(fftw_complex* p) const { fftw_free(p); }
  };
  const std::unique_ptr<fftw_complex, FftwFree> raw(
      static_cast<fftw_complex*>(fftw_malloc(sizeof(fftw_complex) * (total + 1))));
  if (!raw) throw std::bad_alloc();
  Complex* const scratch_ptr = reinterpret_cast<Complex*>(raw.get()) + 1;
  struct {
    Complex* p;
    Complex* data() const { return p; }
  } scratch{scratch_ptr};
  const std::lock_guard<std::mutex> lock(planner_mutex());
  for (int a = 0; a < grid.dims; ++a) {
    auto ax = std::make_unique<AxisPlans>();
    ax->n = grid.points[a];
    const std::int64_t s = grid.stride(a);
    ax->stride = s;
    if (s == 1) {
      // Contiguous lines: one block of total/n lines, dist n.
      ax->dist = ax->n;
      ax->lines = total / ax->n;
      ax->blocks = 1;
      ax->block_step = 0;
      ax->chunk = std::max<std::int64_t>(1, std::min<std::int64_t>(ax->lines, 8192 / ax->n));
    } else {
      // Strided lines: blocks of s neighbouring lines (dist 1, stride s).
      ax->dist = 1;
      ax->lines = s;
      ax->blocks = total / (ax->n * s);
      ax->block_step = ax->n * s;
      ax->chunk = std::min<std::int64_t>(s, 16);
    }
    const int n = static_cast<int>(ax->n);
    // Strided lines are gathered into a contiguous buffer (line l at l·n) before the transform:
    // FFTW's estimated plans on a large stride are 10–27× slower than on contiguous lines.
    const int plan_stride = 1;
    const int plan_dist = n;
    auto make = [&](std::int64_t howmany, int sign) {
      fftw_plan p = fftw_plan_many_dft(1, &n, static_cast<int>(howmany), as_fftw(scratch.data()),
                                       nullptr, plan_stride, plan_dist, as_fftw(scratch.data()),
                                       nullptr, plan_stride, plan_dist, sign, FFTW_ESTIMATE);
      if (!p) throw std::runtime_error("FFTW could not make a plan");
      return p;
    };
    ax->forward_full = make(ax->chunk, FFTW_FORWARD);
    ax->backward_full = make(ax->chunk, FFTW_BACKWARD);
    const std::int64_t rest = ax->lines % ax->chunk;
    if (rest != 0) {
      ax->forward_rest = make(rest, FFTW_FORWARD);
      ax->backward_rest = make(rest, FFTW_BACKWARD);
    }
    axes_.push_back(std::move(ax));
    k_[a] = grid.wavenumbers(a);
  }
  k2_.assign(static_cast<std::size_t>(total), 0.0);
  for (std::int64_t i = 0; i < total; ++i) {
    const auto idx = grid.unflatten(i);
    double s2 = 0.0;
    for (int a = 0; a < grid.dims; ++a) s2 += k_[a][idx[a]] * k_[a][idx[a]];
    k2_[i] = s2;
  }
}

Fft::~Fft() = default;

void Fft::transform(std::span<Complex> data, bool forward) const {
  if (static_cast<std::int64_t>(data.size()) != grid_.size()) {
    throw std::invalid_argument("FFT: field has " + std::to_string(data.size()) +
                                " values for a grid of " + std::to_string(grid_.size()));
  }
  for (const auto& axp : axes_) {
    const AxisPlans& ax = *axp;
    const std::int64_t per_block = (ax.lines + ax.chunk - 1) / ax.chunk;
    const std::int64_t chunks = per_block * ax.blocks;
    fftw_plan full = forward ? ax.forward_full : ax.backward_full;
    fftw_plan rest = forward ? ax.forward_rest : ax.backward_rest;
    Complex* base = data.data();
    const bool gather = ax.stride > 1;
#pragma omp parallel if (chunks > 1 && grid_.size() >= 16384)
    {
      std::vector<Complex> buffer(gather ? static_cast<std::size_t>(ax.chunk * ax.n) : 0);
#pragma omp for schedule(static)
      for (std::int64_t c = 0; c < chunks; ++c) {
        const std::int64_t b = c / per_block;
        const std::int64_t first = (c % per_block) * ax.chunk;  // first line of the chunk
        Complex* p = base + b * ax.block_step + first * ax.dist;
        const bool short_chunk = first + ax.chunk > ax.lines;
        fftw_plan plan = short_chunk ? rest : full;
        if (!gather) {
          fftw_execute_dft(plan, as_fftw(p), as_fftw(p));
          continue;
        }
        // Lines first..first+cl of the block are neighbours (dist 1) with stride s.
        const std::int64_t cl = short_chunk ? ax.lines - first : ax.chunk;
        Complex* buf = buffer.data();
        for (std::int64_t j = 0; j < ax.n; ++j) {
          const Complex* row = p + j * ax.stride;
          for (std::int64_t l = 0; l < cl; ++l) buf[l * ax.n + j] = row[l];
        }
        fftw_execute_dft(plan, as_fftw(buf), as_fftw(buf));
        for (std::int64_t j = 0; j < ax.n; ++j) {
          Complex* row = p + j * ax.stride;
          for (std::int64_t l = 0; l < cl; ++l) row[l] = buf[l * ax.n + j];
        }
      }
    }
  }
  if (!forward) {
    const double scale = 1.0 / static_cast<double>(grid_.size());
    const std::int64_t total = grid_.size();
#pragma omp parallel for schedule(static) if (total >= 65536)
    for (std::int64_t i = 0; i < total; ++i) data[i] *= scale;
  }
}

void Fft::forward(std::span<Complex> data) const {
  transform(data, true);
}
void Fft::backward(std::span<Complex> data) const {
  transform(data, false);
}

namespace {

std::vector<Complex> to_complex(std::span<const double> f) {
  std::vector<Complex> c(f.size());
  for (std::size_t i = 0; i < f.size(); ++i) c[i] = Complex(f[i], 0.0);
  return c;
}

// i k_a, with the Nyquist wavenumber of an even axis set to zero.
double derivative_factor(const Fft& fft, int a, std::int64_t m) {
  const std::int64_t n = fft.grid().points[a];
  if (n % 2 == 0 && m == n / 2) return 0.0;
  return fft.k(a)[m];
}

}  // namespace

std::vector<std::vector<double>> spectral_gradient(const Fft& fft, std::span<const double> f) {
  const Grid& g = fft.grid();
  std::vector<Complex> fh = to_complex(f);
  fft.forward(fh);
  std::vector<std::vector<double>> out(g.dims);
  std::vector<Complex> work(fh.size());
  for (int a = 0; a < g.dims; ++a) {
    const std::int64_t n = g.points[a];
    const std::int64_t s = g.stride(a);
    for (std::int64_t i = 0; i < g.size(); ++i) {
      const std::int64_t m = (i / s) % n;
      work[i] = Complex(0.0, derivative_factor(fft, a, m)) * fh[i];
    }
    fft.backward(work);
    out[a].resize(fh.size());
    for (std::size_t i = 0; i < fh.size(); ++i) out[a][i] = work[i].real();
  }
  return out;
}

std::vector<double> spectral_derivative(const Fft& fft, std::span<const double> f, int axis) {
  const Grid& g = fft.grid();
  if (axis < 0 || axis >= g.dims) throw std::invalid_argument("spectral_derivative: no such axis");
  std::vector<Complex> fh = to_complex(f);
  fft.forward(fh);
  const std::int64_t n = g.points[axis];
  const std::int64_t s = g.stride(axis);
  for (std::int64_t i = 0; i < g.size(); ++i) {
    fh[i] *= Complex(0.0, derivative_factor(fft, axis, (i / s) % n));
  }
  fft.backward(fh);
  std::vector<double> out(fh.size());
  for (std::size_t i = 0; i < fh.size(); ++i) out[i] = fh[i].real();
  return out;
}

std::vector<double> spectral_laplacian(const Fft& fft, std::span<const double> f) {
  std::vector<Complex> fh = to_complex(f);
  fft.forward(fh);
  const auto& k2 = fft.k_squared();
  for (std::size_t i = 0; i < fh.size(); ++i) fh[i] *= -k2[i];
  fft.backward(fh);
  std::vector<double> out(fh.size());
  for (std::size_t i = 0; i < fh.size(); ++i) out[i] = fh[i].real();
  return out;
}

}  // namespace nnworld::core
