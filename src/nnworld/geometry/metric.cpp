#include "nnworld/geometry/metric.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <complex>
#include <cstdio>
#include <numbers>
#include <set>

#include "nnworld/core/error.hpp"

namespace nnworld::geometry {

namespace {

std::string num(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.10g", v + 0.0);  // -0 prints as 0
  return buf;
}

std::string join(const std::vector<std::string>& names) {
  std::string s;
  for (std::size_t i = 0; i < names.size(); ++i) s += (i ? ", " : "") + names[i];
  return s;
}

void check_dimension(const char* where, int n) {
  if (n < 2 || n > max_dimension) {
    throw Error(where, "dimension " + std::to_string(n) + " is not supported",
                "2 <= n <= " + std::to_string(max_dimension));
  }
}

std::vector<std::string> cartesian_names(int n) {
  if (n <= 3) {
    static const char* xyz[] = {"x", "y", "z"};
    return {xyz, xyz + n};
  }
  std::vector<std::string> v;
  for (int i = 1; i <= n; ++i) v.push_back("x" + std::to_string(i));
  return v;
}

// t plus n−1 spatial names: (t, x, y, z) for n = 4, (t, x1, …) otherwise.
std::vector<std::string> spacetime_names(int n) {
  std::vector<std::string> v{"t"};
  if (n == 4) {
    v.insert(v.end(), {"x", "y", "z"});
  } else {
    for (int i = 1; i < n; ++i) v.push_back("x" + std::to_string(i));
  }
  return v;
}

std::string strip_blanks(const std::string& s) {
  std::string r;
  for (char c : s) {
    if (c != ' ' && c != '\t' && c != '\n') r += c;
  }
  return r;
}

// Parse `text` in `variables`; a parse error or an unknown name becomes nnworld::Error that
// shows the expression and the position.
core::Expression parse(const std::string& where, const std::string& text,
                       const std::vector<std::string>& variables, const std::string& expected) {
  try {
    return core::Expression(text, variables);
  } catch (const core::ExpressionError& e) {
    throw Error(where, e.describe(), expected);
  }
}

std::vector<std::string> names_of(const std::vector<Constant>& constants) {
  std::vector<std::string> v;
  for (const auto& c : constants) v.push_back(c.name);
  return v;
}

std::vector<double> values_of(const std::vector<Constant>& constants) {
  std::vector<double> v;
  for (const auto& c : constants) v.push_back(c.value);
  return v;
}

void check_unique(const char* where, const std::vector<std::string>& coordinates,
                  const std::vector<Constant>& constants) {
  std::set<std::string> seen;
  for (const auto& s : coordinates) {
    if (s.empty()) throw Error(where, "empty coordinate name", "a name such as t, r, x");
    if (!seen.insert(s).second) {
      throw Error(where, "coordinate name '" + s + "' is used twice", "distinct names");
    }
  }
  for (const auto& c : constants) {
    if (!seen.insert(c.name).second) {
      throw Error(where, "constant name '" + c.name + "' is used twice or is a coordinate",
                  "names distinct from each other and from the coordinates");
    }
    if (!std::isfinite(c.value)) {
      throw Error(where, "constant '" + c.name + "' is not finite", "a finite number");
    }
  }
}

void check_finite_parameter(const char* where, const char* what, double v) {
  if (!std::isfinite(v)) throw Error(where, std::string(what) + " is not finite", "a number");
}

// Signed frequency of FFT index m on an axis of N points: 0, 1, …, ⌊N/2⌋, then m − N.
std::int64_t frequency(std::int64_t m, std::int64_t n) {
  return m <= n / 2 ? m : m - n;
}

// e^{−2πi (m j mod N)/N} (the exact angle of the reduced product).
std::complex<double> twiddle(std::int64_t m, std::int64_t j, std::int64_t n) {
  const double angle =
      -2.0 * std::numbers::pi * static_cast<double>((m * j) % n) / static_cast<double>(n);
  return {std::cos(angle), std::sin(angle)};
}

}  // namespace

// Fourier coefficients of a grid metric, Ĝ_ab(m) = (1/ΠN) Σ_j g_ab(j) e^{−2πi m·j/N}, stored
// for every FFT index m_c on the axes c < d−1 and for the half spectrum m_{d−1} = 0..⌊N/2⌋ of
// the last axis (real samples: Ĝ(−m) = conj Ĝ(m)), real and imaginary parts apart.
struct Metric::GridInterpolant {
  int d = 0;
  std::vector<std::int64_t> shape;
  std::vector<double> periods;
  std::int64_t outer = 1;      // Π_{c<d−1} N_c
  std::int64_t half = 1;       // ⌊N_{d−1}/2⌋ + 1
  std::vector<double> re, im;  // [component][outer index, row-major][m_{d−1}]
};

Metric Metric::periodic_grid(std::vector<std::string> coordinates, std::vector<double> periods,
                             std::vector<std::int64_t> shape,
                             std::vector<std::vector<double>> components) {
  const char* where = "Metric::periodic_grid";
  const int n = static_cast<int>(coordinates.size());
  check_dimension("Metric::periodic_grid: coordinates", n);
  check_unique(where, coordinates, {});
  const int d = static_cast<int>(shape.size());
  if (d < 1 || d > std::min(3, n)) {
    throw Error(where, "grid shape has " + std::to_string(d) + " axes",
                "1 to " + std::to_string(std::min(3, n)) +
                    " axes (the grid covers the first d coordinates, d <= 3 and d <= n)");
  }
  if (static_cast<int>(periods.size()) != d) {
    throw Error(
        where,
        std::to_string(periods.size()) + " periods for a " + std::to_string(d) + "-axis grid",
        "one period per grid axis");
  }
  std::int64_t points = 1;
  for (int c = 0; c < d; ++c) {
    if (!(periods[c] > 0.0) || !std::isfinite(periods[c])) {
      throw Error(where, "period of " + coordinates[c] + " is " + num(periods[c]),
                  "a finite period > 0");
    }
    if (shape[c] < 2) {
      throw Error(where, "axis " + coordinates[c] + " has " + std::to_string(shape[c]) + " points",
                  "at least 2 points per axis");
    }
    points *= shape[c];
  }
  const int count = n * (n + 1) / 2;
  if (static_cast<int>(components.size()) != count) {
    throw Error(where,
                std::to_string(components.size()) + " components for n = " + std::to_string(n),
                std::to_string(count) + " = n(n+1)/2 arrays in packed order (0,0), (0,1), ...");
  }
  for (int k = 0, a = 0; a < n; ++a) {
    for (int b = a; b < n; ++b, ++k) {
      const std::string comp = "g[" + coordinates[a] + "][" + coordinates[b] + "]";
      if (static_cast<std::int64_t>(components[k].size()) != points) {
        throw Error(where, comp + " has " + std::to_string(components[k].size()) + " samples",
                    std::to_string(points) + " (one per grid point)");
      }
      for (std::int64_t i = 0; i < points; ++i) {
        if (!std::isfinite(components[k][i])) {
          throw Error(where,
                      comp + " = " + num(components[k][i]) + " at grid index " + std::to_string(i) +
                          " is not finite",
                      "finite samples");
        }
      }
    }
  }

  using CMat = Eigen::Matrix<std::complex<double>, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
  using RMat = Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
  auto gi = std::make_shared<GridInterpolant>();
  gi->d = d;
  gi->shape = shape;
  gi->periods = periods;
  const std::int64_t last = shape[d - 1];
  gi->half = last / 2 + 1;
  gi->outer = points / last;
  const std::int64_t half = gi->half, outer = gi->outer;
  // Separable DFT: real → half spectrum along the last axis, then full DFTs along the others.
  CMat w_last(last, half);
  for (std::int64_t j = 0; j < last; ++j)
    for (std::int64_t m = 0; m < half; ++m) w_last(j, m) = twiddle(m, j, last);
  std::vector<CMat> w(d);
  for (int c = 0; c + 1 < d; ++c) {
    w[c].resize(shape[c], shape[c]);
    for (std::int64_t m = 0; m < shape[c]; ++m)
      for (std::int64_t j = 0; j < shape[c]; ++j) w[c](m, j) = twiddle(m, j, shape[c]);
  }
  const double scale = 1.0 / static_cast<double>(points);
  gi->re.resize(static_cast<std::size_t>(count * outer * half));
  gi->im.resize(gi->re.size());
  for (int k = 0; k < count; ++k) {
    const Eigen::Map<const RMat> f(components[k].data(), outer, last);
    CMat coef = f.cast<std::complex<double>>() * w_last;  // outer × half
    if (d >= 2) {
      Eigen::Map<CMat> v(coef.data(), shape[0], outer / shape[0] * half);
      v = (w[0] * v).eval();
    }
    if (d == 3) {
      for (std::int64_t i0 = 0; i0 < shape[0]; ++i0) {
        Eigen::Map<CMat> v(coef.data() + i0 * shape[1] * half, shape[1], half);
        v = (w[1] * v).eval();
      }
    }
    for (std::int64_t i = 0; i < outer * half; ++i) {
      gi->re[k * outer * half + i] = coef.data()[i].real() * scale;
      gi->im[k * outer * half + i] = coef.data()[i].imag() * scale;
    }
  }

  Metric m;
  m.family_ = Family::grid;
  m.n_ = n;
  m.coordinates_ = std::move(coordinates);
  m.grid_ = std::move(gi);
  return m;
}

std::vector<std::int64_t> Metric::grid_shape() const {
  return grid_ ? grid_->shape : std::vector<std::int64_t>{};
}

std::vector<double> Metric::grid_periods() const {
  return grid_ ? grid_->periods : std::vector<double>{};
}

// The trigonometric interpolant of periodic_grid (see metric.hpp) at x, every component:
//   g_ab(x) = Re Σ_{m_0..m_{d−2}} Σ_{m_{d−1}=0}^{⌊N/2⌋} w(m_{d−1}) Ĝ_ab(m) Π_c b_c(m_c, x_c),
// w = 1 for m_{d−1} = 0 and for the Nyquist index, 2 otherwise (the conjugate half), and
// b_c = e^{2πi m x_c/L_c}, or cos(π N_c x_c/L_c) at the Nyquist index of an even N_c. Summed
// axis by axis from the last one (separable), in real arithmetic.
void Metric::interpolate_all(std::span<const double> x, Matrix& g) const {
  const GridInterpolant& gi = *grid_;
  const int d = gi.d;
  std::array<std::vector<double>, 3> br, bi;  // basis b_c(m) by FFT index (last axis: half)
  for (int c = 0; c < d; ++c) {
    const std::int64_t nc = gi.shape[c];
    const std::int64_t count = c + 1 < d ? nc : gi.half;
    const double t = x[c] / gi.periods[c] - std::floor(x[c] / gi.periods[c]);  // in [0, 1)
    br[c].resize(count);
    bi[c].resize(count);
    for (std::int64_t m = 0; m < count; ++m) {
      const std::int64_t f = frequency(m, nc);
      const double angle = 2.0 * std::numbers::pi * static_cast<double>(f) * t;
      const bool nyquist = nc % 2 == 0 && m == nc / 2;
      const double weight = (c + 1 < d || m == 0 || nyquist) ? 1.0 : 2.0;
      br[c][m] = weight * std::cos(angle);
      bi[c][m] = nyquist ? 0.0 : weight * std::sin(angle);
    }
  }
  const std::int64_t half = gi.half, outer = gi.outer;
  const std::int64_t n1 = d == 3 ? gi.shape[1] : 1;
  const double* lr = br[d - 1].data();
  const double* li = bi[d - 1].data();
  for (int k = 0, a = 0; a < n_; ++a) {
    for (int b = a; b < n_; ++b, ++k) {
      const double* cr = gi.re.data() + k * outer * half;
      const double* ci = gi.im.data() + k * outer * half;
      // Σ over the last axis for outer index o: t(o) = Σ_m Ĝ(o, m) b_{d−1}(m).
      auto line = [&](std::int64_t o, double& tr, double& ti) {
        const double* pr = cr + o * half;
        const double* pi = ci + o * half;
        tr = 0.0;
        ti = 0.0;
        for (std::int64_t m = 0; m < half; ++m) {
          tr += pr[m] * lr[m] - pi[m] * li[m];
          ti += pr[m] * li[m] + pi[m] * lr[m];
        }
      };
      double value = 0.0;
      if (d == 1) {
        double tr, ti;
        line(0, tr, ti);
        value = tr;
      } else {
        for (std::int64_t m0 = 0; m0 < gi.shape[0]; ++m0) {
          double ur = 0.0, ui = 0.0;
          for (std::int64_t m1 = 0; m1 < n1; ++m1) {
            double tr, ti;
            line(m0 * n1 + m1, tr, ti);
            if (d == 3) {
              ur += tr * br[1][m1] - ti * bi[1][m1];
              ui += tr * bi[1][m1] + ti * br[1][m1];
            } else {
              ur = tr;
              ui = ti;
            }
          }
          value += ur * br[0][m0] - ui * bi[0][m0];
        }
      }
      g(a, b) = value;
      g(b, a) = value;
    }
  }
}

Metric Metric::minkowski(int n) {
  check_dimension("Metric::minkowski", n);
  Metric m;
  m.family_ = Family::minkowski;
  m.n_ = n;
  m.coordinates_ = spacetime_names(n);
  return m;
}

// The 4-D families in (t, r, θ, φ) with their two parameters p0, p1.
Metric Metric::four_dimensional(Family family, double p0, double p1) {
  Metric m;
  m.family_ = family;
  m.coordinates_ = {"t", "r", "theta", "phi"};
  m.p0_ = p0;
  m.p1_ = p1;
  return m;
}

Metric Metric::schwarzschild(double mass) {
  check_finite_parameter("Metric::schwarzschild", "mass M", mass);
  return four_dimensional(Family::schwarzschild, mass, 0.0);
}

Metric Metric::kerr(double mass, double spin) {
  check_finite_parameter("Metric::kerr", "mass M", mass);
  check_finite_parameter("Metric::kerr", "spin a", spin);
  return four_dimensional(Family::kerr, mass, spin);
}

Metric Metric::de_sitter(double lambda) {
  check_finite_parameter("Metric::de_sitter", "Lambda", lambda);
  return four_dimensional(Family::de_sitter, 0.0, lambda);
}

Metric Metric::schwarzschild_de_sitter(double mass, double lambda) {
  check_finite_parameter("Metric::schwarzschild_de_sitter", "mass M", mass);
  check_finite_parameter("Metric::schwarzschild_de_sitter", "Lambda", lambda);
  return four_dimensional(Family::schwarzschild_de_sitter, mass, lambda);
}

Metric Metric::flrw(const std::string& scale_factor, int n,
                    const std::vector<Constant>& constants) {
  check_dimension("Metric::flrw", n);
  Metric m;
  m.family_ = Family::flrw;
  m.n_ = n;
  m.coordinates_ = spacetime_names(n);
  check_unique("Metric::flrw", {"t"}, constants);
  std::vector<std::string> vars{"t"};
  const auto cn = names_of(constants);
  vars.insert(vars.end(), cn.begin(), cn.end());
  m.exprs_.push_back(parse("Metric::flrw: scale factor a(t)", scale_factor, vars,
                           "an expression in t" + (cn.empty() ? "" : " and " + join(cn))));
  m.constant_names_ = cn;
  m.constants_ = values_of(constants);
  m.args_.assign(vars.size(), 0.0);
  return m;
}

Metric Metric::sphere(int n, double radius) {
  check_dimension("Metric::sphere", n);
  if (!(radius > 0.0) || !std::isfinite(radius)) {
    throw Error("Metric::sphere", "radius " + num(radius) + " is not positive", "radius > 0");
  }
  Metric m;
  m.family_ = Family::sphere;
  m.n_ = n;
  if (n == 2) {
    m.coordinates_ = {"theta", "phi"};
  } else {
    for (int i = 1; i < n; ++i) m.coordinates_.push_back("chi" + std::to_string(i));
    m.coordinates_.push_back("phi");
  }
  m.p0_ = radius;
  return m;
}

Metric Metric::conformally_flat(const std::string& phi, int n,
                                const std::vector<Constant>& constants) {
  check_dimension("Metric::conformally_flat", n);
  Metric m;
  m.family_ = Family::conformally_flat;
  m.n_ = n;
  m.coordinates_ = cartesian_names(n);
  check_unique("Metric::conformally_flat", m.coordinates_, constants);
  auto vars = m.coordinates_;
  const auto cn = names_of(constants);
  vars.insert(vars.end(), cn.begin(), cn.end());
  m.exprs_.push_back(
      parse("Metric::conformally_flat: phi", phi, vars, "an expression in " + join(vars)));
  m.constant_names_ = cn;
  m.constants_ = values_of(constants);
  m.args_.assign(vars.size(), 0.0);
  return m;
}

Metric Metric::user(std::vector<std::string> coordinates,
                    const std::vector<std::vector<std::string>>& components,
                    const std::vector<Constant>& constants) {
  const int n = static_cast<int>(coordinates.size());
  check_dimension("Metric::user: coordinates", n);
  check_unique("Metric::user", coordinates, constants);
  if (static_cast<int>(components.size()) != n) {
    throw Error("Metric::user: g",
                "has " + std::to_string(components.size()) + " rows for " + std::to_string(n) +
                    " coordinates (" + join(coordinates) + ")",
                std::to_string(n) + " rows of " + std::to_string(n) + " expressions");
  }
  for (int a = 0; a < n; ++a) {
    if (static_cast<int>(components[a].size()) != n) {
      throw Error("Metric::user: g row " + std::to_string(a),
                  "has " + std::to_string(components[a].size()) + " entries for " +
                      std::to_string(n) + " coordinates (" + join(coordinates) + ")",
                  std::to_string(n) + " expressions per row");
    }
  }
  Metric m;
  m.family_ = Family::user;
  m.n_ = n;
  m.coordinates_ = std::move(coordinates);
  auto vars = m.coordinates_;
  const auto cn = names_of(constants);
  vars.insert(vars.end(), cn.begin(), cn.end());
  const std::string expected = "an expression in the coordinates (" + join(m.coordinates_) + ")" +
                               (cn.empty() ? std::string(" (no constants defined)")
                                           : " and the constants (" + join(cn) + ")");
  for (int a = 0; a < n; ++a) {
    for (int b = 0; b < n; ++b) {
      m.exprs_.push_back(
          parse("Metric::user: g[" + std::to_string(a) + "][" + std::to_string(b) + "]",
                components[a][b], vars, expected));
    }
  }
  for (int a = 0; a < n; ++a) {
    for (int b = a + 1; b < n; ++b) {
      if (strip_blanks(components[a][b]) != strip_blanks(components[b][a])) {
        m.check_pairs_.emplace_back(a, b);
      }
    }
  }
  m.constant_names_ = cn;
  m.constants_ = values_of(constants);
  m.args_.assign(vars.size(), 0.0);
  return m;
}

std::string Metric::name() const {
  switch (family_) {
    case Family::minkowski:
      return "Minkowski(n=" + std::to_string(n_) + ")";
    case Family::schwarzschild:
      return "Schwarzschild(M=" + num(p0_) + ")";
    case Family::kerr:
      return "Kerr(M=" + num(p0_) + ", a=" + num(p1_) + ")";
    case Family::de_sitter:
      return "de Sitter(Lambda=" + num(p1_) + ")";
    case Family::schwarzschild_de_sitter:
      return "Schwarzschild-de Sitter(M=" + num(p0_) + ", Lambda=" + num(p1_) + ")";
    case Family::flrw:
      return "FLRW(a(t)=" + exprs_[0].text() + ", n=" + std::to_string(n_) + ")";
    case Family::sphere:
      return "S^" + std::to_string(n_) + "(a=" + num(p0_) + ")";
    case Family::conformally_flat:
      return "conformally flat(phi=" + exprs_[0].text() + ", n=" + std::to_string(n_) + ")";
    case Family::user:
      return "user(" + join(coordinates_) + ")";
    case Family::grid: {
      std::string s = "grid(" + join(coordinates_) + "; ";
      for (std::size_t c = 0; c < grid_->shape.size(); ++c)
        s += (c ? "×" : "") + std::to_string(grid_->shape[c]);
      return s + ")";
    }
  }
  return "metric";
}

std::string Metric::describe_point(std::span<const double> x) const {
  std::string s = "(";
  for (std::size_t i = 0; i < x.size(); ++i) {
    s += (i ? ", " : "");
    s += (i < coordinates_.size() ? coordinates_[i] + "=" : "") + num(x[i]);
  }
  return s + ")";
}

Matrix Metric::evaluate(std::span<const double> x) const {
  if (static_cast<int>(x.size()) != n_) {
    throw Error("Metric " + name(), "point has " + std::to_string(x.size()) + " coordinates",
                std::to_string(n_) + " (" + join(coordinates_) + ")");
  }
  Matrix g = Matrix::Zero(n_, n_);
  auto load_args = [&](std::span<const double> coords) {
    std::copy(coords.begin(), coords.end(), args_.begin());
    std::copy(constants_.begin(), constants_.end(), args_.begin() + coords.size());
  };
  auto eval = [&](const core::Expression& e) {
    try {
      return e(args_);
    } catch (const core::ExpressionError& err) {
      throw Error("Metric " + name() + " at " + describe_point(x), err.describe(),
                  "an expression that evaluates");
    }
  };
  switch (family_) {
    case Family::minkowski:
      g.diagonal().setOnes();
      g(0, 0) = -1.0;
      break;
    case Family::schwarzschild:
    case Family::de_sitter:
    case Family::schwarzschild_de_sitter: {
      const double r = x[1], s = std::sin(x[2]);
      const double f = 1.0 - 2.0 * p0_ / r - p1_ * r * r / 3.0;
      g(0, 0) = -f;
      g(1, 1) = 1.0 / f;
      g(2, 2) = r * r;
      g(3, 3) = r * r * s * s;
      break;
    }
    case Family::kerr: {
      const double mass = p0_, a = p1_, r = x[1];
      const double c = std::cos(x[2]), s2 = std::sin(x[2]) * std::sin(x[2]);
      const double sigma = r * r + a * a * c * c;
      const double delta = r * r - 2.0 * mass * r + a * a;
      g(0, 0) = -(1.0 - 2.0 * mass * r / sigma);
      g(0, 3) = g(3, 0) = -2.0 * mass * a * r * s2 / sigma;
      g(1, 1) = sigma / delta;
      g(2, 2) = sigma;
      g(3, 3) = (r * r + a * a + 2.0 * mass * a * a * r * s2 / sigma) * s2;
      break;
    }
    case Family::flrw: {
      args_[0] = x[0];
      std::copy(constants_.begin(), constants_.end(), args_.begin() + 1);
      const double a = eval(exprs_[0]);
      g.diagonal().setConstant(a * a);
      g(0, 0) = -1.0;
      break;
    }
    case Family::sphere: {
      double w = p0_ * p0_;
      for (int i = 0; i < n_; ++i) {
        g(i, i) = w;
        const double s = std::sin(x[i]);
        w *= s * s;
      }
      break;
    }
    case Family::conformally_flat: {
      load_args(x);
      g.diagonal().setConstant(std::exp(2.0 * eval(exprs_[0])));
      break;
    }
    case Family::user: {
      load_args(x);
      for (int a = 0; a < n_; ++a) {
        for (int b = 0; b < n_; ++b) g(a, b) = eval(exprs_[a * n_ + b]);
      }
      break;
    }
    case Family::grid:
      interpolate_all(x, g);
      break;
  }
  return g;
}

Matrix Metric::operator()(std::span<const double> x) const {
  Matrix g = evaluate(x);
  // Built only when an error is thrown (formatting it costs more than evaluating g).
  const auto where = [&] { return "Metric " + name() + " at " + describe_point(x); };
  for (int a = 0; a < n_; ++a) {
    for (int b = 0; b < n_; ++b) {
      if (!std::isfinite(g(a, b))) {
        throw Error(where(),
                    "g[" + coordinates_[a] + "][" + coordinates_[b] + "] = " + num(g(a, b)) +
                        " is not finite",
                    "a point inside the chart");
      }
    }
  }
  const double scale = g.cwiseAbs().maxCoeff();
  for (const auto& [a, b] : check_pairs_) {
    if (std::abs(g(a, b) - g(b, a)) > 1e-12 * scale) {
      throw Error(where(),
                  "metric is not symmetric: g[" + coordinates_[a] + "][" + coordinates_[b] +
                      "] = " + num(g(a, b)) + " but g[" + coordinates_[b] + "][" + coordinates_[a] +
                      "] = " + num(g(b, a)),
                  "g_ab = g_ba");
    }
  }
  // Hadamard: |det g| ≤ Π_a ‖row_a‖, so the ratio is a scale-free measure of singularity.
  double bound = 1.0;
  for (int a = 0; a < n_; ++a) bound *= g.row(a).norm();
  const double det = g.determinant();
  if (!(std::abs(det) >= 1e-12 * bound) || bound == 0.0) {
    throw Error(where(),
                "metric is singular: det g = " + num(det) +
                    " (|det g|/Pi|row| = " + num(bound > 0.0 ? std::abs(det) / bound : 0.0) + ")",
                "|det g| >= 1e-12 * product of row norms");
  }
  return g;
}

}  // namespace nnworld::geometry
