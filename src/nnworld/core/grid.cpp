#include "nnworld/core/grid.hpp"

#include <cmath>
#include <numbers>
#include <sstream>
#include <stdexcept>

namespace nnworld::core {

const char* boundary_name(Boundary b) {
  return b == Boundary::periodic ? "periodic" : "box";
}

double Grid::cell_volume() const {
  double v = 1.0;
  for (int a = 0; a < dims; ++a) v *= spacing(a);
  return v;
}

std::int64_t Grid::stride(int a) const {
  std::int64_t s = 1;
  for (int b = dims - 1; b > a; --b) s *= points[b];
  return s;
}

std::array<std::int64_t, 3> Grid::unflatten(std::int64_t i) const {
  std::array<std::int64_t, 3> idx{0, 0, 0};
  for (int a = dims - 1; a >= 0; --a) {
    idx[a] = i % points[a];
    i /= points[a];
  }
  return idx;
}

Point Grid::point(std::int64_t i) const {
  const auto idx = unflatten(i);
  Point q{0.0, 0.0, 0.0};
  for (int a = 0; a < dims; ++a) q[a] = coordinate(a, idx[a]);
  return q;
}

std::vector<double> Grid::wavenumbers(int a) const {
  const std::int64_t n = points[a];
  std::vector<double> k(n);
  const double unit = std::numbers::pi / extent[a];  // 2π / (2L)
  for (std::int64_t m = 0; m < n; ++m) {
    const std::int64_t mm = m < (n + 1) / 2 ? m : m - n;
    k[m] = unit * static_cast<double>(mm);
  }
  return k;
}

std::string Grid::describe() const {
  std::ostringstream o;
  for (int a = 0; a < dims; ++a) o << (a ? "×" : "") << points[a];
  o << " on ";
  bool same = true;
  for (int a = 1; a < dims; ++a) same = same && extent[a] == extent[0];
  if (same) {
    o << "[−" << extent[0] << ", " << extent[0] << ")";
    if (dims > 1) o << (dims == 2 ? "²" : "³");
  } else {
    for (int a = 0; a < dims; ++a) {
      o << (a ? " × " : "") << "[−" << extent[a] << ", " << extent[a] << ")";
    }
  }
  o << ", " << boundary_name(boundary);
  return o.str();
}

Grid make_grid(std::span<const std::int64_t> points, std::span<const double> extent,
               Boundary boundary) {
  if (points.empty() || points.size() > 3) {
    throw std::invalid_argument("a grid has 1, 2 or 3 axes, got " + std::to_string(points.size()));
  }
  if (extent.size() != points.size() && extent.size() != 1) {
    throw std::invalid_argument("grid extent: one L per axis (or one for all), got " +
                                std::to_string(extent.size()) + " for " +
                                std::to_string(points.size()) + " axes");
  }
  Grid g;
  g.dims = static_cast<int>(points.size());
  g.boundary = boundary;
  for (int a = 0; a < g.dims; ++a) {
    const double l = extent.size() == 1 ? extent[0] : extent[a];
    if (points[a] < 4) {
      throw std::invalid_argument("grid axis " + std::to_string(a + 1) + ": " +
                                  std::to_string(points[a]) + " points, need at least 4");
    }
    if (!(l > 0.0) || !std::isfinite(l)) {
      throw std::invalid_argument("grid axis " + std::to_string(a + 1) +
                                  ": extent L must be finite and > 0");
    }
    g.points[a] = points[a];
    g.extent[a] = l;
  }
  return g;
}

double integrate(const Grid& g, std::span<const double> f) {
  double s = 0.0;
  for (double v : f) s += v;
  return s * g.cell_volume();
}

namespace {

// Applies the 1-D stencil c[−r..r] / h^p along `axis` and adds the result to `out`.
template <int R>
void add_stencil(const Grid& g, std::span<const double> f, int axis, const double (&c)[2 * R + 1],
                 double scale, std::vector<double>& out) {
  const std::int64_t n = g.points[axis];
  const std::int64_t s = g.stride(axis);
  const std::int64_t total = g.size();
  const bool periodic = g.boundary == Boundary::periodic;
#pragma omp parallel for schedule(static) if (total > 32768)
  for (std::int64_t i = 0; i < total; ++i) {
    const std::int64_t j = (i / s) % n;  // index along the axis
    const std::int64_t base = i - j * s;
    double acc = 0.0;
    for (int o = -R; o <= R; ++o) {
      if (c[o + R] == 0.0) continue;
      std::int64_t jj = j + o;
      if (jj < 0 || jj >= n) {
        if (!periodic) continue;  // zero ghost value
        jj = (jj + n) % n;
      }
      acc += c[o + R] * f[base + jj * s];
    }
    out[i] += scale * acc;
  }
}

void check_size(const Grid& g, std::span<const double> f) {
  if (static_cast<std::int64_t>(f.size()) != g.size()) {
    throw std::invalid_argument("field has " + std::to_string(f.size()) + " values for a grid of " +
                                std::to_string(g.size()));
  }
}

}  // namespace

std::vector<double> fd_derivative(const Grid& g, std::span<const double> f, int axis, int order) {
  check_size(g, f);
  if (axis < 0 || axis >= g.dims) throw std::invalid_argument("fd_derivative: no such axis");
  std::vector<double> out(f.size(), 0.0);
  const double h = g.spacing(axis);
  if (order == 2) {
    static constexpr double c[3] = {-0.5, 0.0, 0.5};
    add_stencil<1>(g, f, axis, c, 1.0 / h, out);
  } else if (order == 4) {
    static constexpr double c[5] = {1.0 / 12, -2.0 / 3, 0.0, 2.0 / 3, -1.0 / 12};
    add_stencil<2>(g, f, axis, c, 1.0 / h, out);
  } else {
    throw std::invalid_argument("finite differences of order 2 or 4");
  }
  return out;
}

std::vector<double> fd_laplacian(const Grid& g, std::span<const double> f, int order) {
  check_size(g, f);
  std::vector<double> out(f.size(), 0.0);
  for (int a = 0; a < g.dims; ++a) {
    const double h = g.spacing(a);
    if (order == 2) {
      static constexpr double c[3] = {1.0, -2.0, 1.0};
      add_stencil<1>(g, f, a, c, 1.0 / (h * h), out);
    } else if (order == 4) {
      static constexpr double c[5] = {-1.0 / 12, 4.0 / 3, -5.0 / 2, 4.0 / 3, -1.0 / 12};
      add_stencil<2>(g, f, a, c, 1.0 / (h * h), out);
    } else {
      throw std::invalid_argument("finite differences of order 2 or 4");
    }
  }
  return out;
}

}  // namespace nnworld::core
