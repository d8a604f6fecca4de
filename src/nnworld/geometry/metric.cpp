#include "nnworld/geometry/metric.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
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

}  // namespace

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
  }
  return g;
}

Matrix Metric::operator()(std::span<const double> x) const {
  Matrix g = evaluate(x);
  const std::string where = "Metric " + name() + " at " + describe_point(x);
  for (int a = 0; a < n_; ++a) {
    for (int b = 0; b < n_; ++b) {
      if (!std::isfinite(g(a, b))) {
        throw Error(where,
                    "g[" + coordinates_[a] + "][" + coordinates_[b] + "] = " + num(g(a, b)) +
                        " is not finite",
                    "a point inside the chart");
      }
    }
  }
  const double scale = g.cwiseAbs().maxCoeff();
  for (const auto& [a, b] : check_pairs_) {
    if (std::abs(g(a, b) - g(b, a)) > 1e-12 * scale) {
      throw Error(where,
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
    throw Error(where,
                "metric is singular: det g = " + num(det) +
                    " (|det g|/Pi|row| = " + num(bound > 0.0 ? std::abs(det) / bound : 0.0) + ")",
                "|det g| >= 1e-12 * product of row norms");
  }
  return g;
}

}  // namespace nnworld::geometry
