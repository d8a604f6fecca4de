#include "nnworld/lab/metric_config.hpp"

#include <cmath>
#include <string>

#include "nnworld/core/error.hpp"
#include "nnworld/core/expression.hpp"
#include "nnworld/lab/grid_metric_config.hpp"

namespace nnworld::lab {

namespace {

using geometry::Constant;
using geometry::Metric;

std::string key_of(std::string_view prefix, const char* name) {
  return std::string(prefix) + "." + name;
}

std::string join(const std::vector<std::string>& v) {
  std::string s;
  for (const auto& x : v) s += (s.empty() ? "" : ", ") + x;
  return s;
}

// `<prefix>.constants` = { name = number, … } (file order).
std::vector<Constant> read_constants(io::Config& c, std::string_view prefix) {
  const std::string key = key_of(prefix, "constants");
  std::vector<Constant> out;
  for (const std::string& name : c.table_keys(key)) {
    const double v = c.get<double>(key + "." + name, 0.0, "a named constant of the expressions");
    out.push_back({name, v});
  }
  return out;
}

// Builds the metric, turning a geometry error into one located at `key`.
template <class Build>
Metric located(const io::Config& c, const std::string& key, Build&& build) {
  try {
    return build();
  } catch (const Error& e) {
    throw c.error(key, e.what_, e.expected);
  }
}

// Parses `text` in `variables`; an error is located at `key` (element row/col when ≥ 0) and
// shows the expression.
void check_expression(const io::Config& c, const std::string& key, std::size_t row,
                      std::int64_t col, const std::string& text,
                      const std::vector<std::string>& variables, const std::string& expected) {
  try {
    core::Expression e(text, variables);
  } catch (const core::ExpressionError& e) {
    if (col < 0 && row == static_cast<std::size_t>(-1)) throw c.error(key, e.describe(), expected);
    throw c.element_error(key, row, col, e.describe(), expected);
  }
}

std::string variables_text(const std::vector<std::string>& coordinates,
                           const std::vector<Constant>& constants) {
  std::vector<std::string> names;
  for (const auto& k : constants) names.push_back(k.name);
  return "an expression in the coordinates (" + join(coordinates) + ")" +
         (names.empty() ? std::string(" (no constants defined: add them to metric.constants)")
                        : " and the constants (" + join(names) + ")");
}

std::vector<std::string> variables_of(std::vector<std::string> coordinates,
                                      const std::vector<Constant>& constants) {
  for (const auto& k : constants) coordinates.push_back(k.name);
  return coordinates;
}

Metric read_user(io::Config& c, std::string_view prefix) {
  const std::string ckey = key_of(prefix, "coordinates");
  const std::string gkey = key_of(prefix, "g");
  if (!c.has(ckey)) {
    throw c.error(key_of(prefix, "family"), "family 'user' needs " + ckey + " and " + gkey,
                  "coordinates = [\"t\", \"r\", …] and g = [[\"…\", …], …]");
  }
  const std::vector<std::string> coordinates =
      c.get_string_list(ckey, {}, "coordinate names, e.g. [\"t\", \"r\", \"theta\", \"phi\"]");
  const auto constants = read_constants(c, prefix);
  const int n = static_cast<int>(coordinates.size());
  if (n < 2 || n > geometry::max_dimension) {
    throw c.error(ckey, std::to_string(n) + " coordinates",
                  "2 to " + std::to_string(geometry::max_dimension) + " names");
  }
  const auto g = c.get_string_rows(gkey, "the metric g_ab: n rows of n expressions");
  if (!g) throw c.error(ckey, "family 'user' needs " + gkey, "an n×n array of expressions");
  if (static_cast<int>(g->size()) != n) {
    throw c.error(gkey,
                  "has " + std::to_string(g->size()) + " rows for " + std::to_string(n) +
                      " coordinates (" + join(coordinates) + ")",
                  std::to_string(n) + " rows of " + std::to_string(n) + " expressions");
  }
  const auto vars = variables_of(coordinates, constants);
  const std::string expected = variables_text(coordinates, constants);
  for (int a = 0; a < n; ++a) {
    const auto& row = (*g)[static_cast<std::size_t>(a)];
    if (static_cast<int>(row.size()) != n) {
      throw c.element_error(gkey, static_cast<std::size_t>(a), -1,
                            "row " + std::to_string(a) + " has " + std::to_string(row.size()) +
                                " entries for " + std::to_string(n) + " coordinates (" +
                                join(coordinates) + ")",
                            std::to_string(n) + " expressions per row");
    }
    for (int b = 0; b < n; ++b) {
      check_expression(c, gkey, static_cast<std::size_t>(a), b, row[static_cast<std::size_t>(b)],
                       vars, expected);
    }
  }
  return located(c, gkey, [&] { return Metric::user(coordinates, *g, constants); });
}

}  // namespace

geometry::Metric read_metric(io::Config& c, std::string_view prefix) {
  const std::string fkey = key_of(prefix, "family");
  const std::string family =
      c.get_choice(fkey, "minkowski", "the metric family",
                   {"minkowski", "schwarzschild", "kerr", "de_sitter", "schwarzschild_de_sitter",
                    "flrw", "sphere", "conformally_flat", "user", "grid"});
  auto number = [&](const char* name, double fallback, const char* doc, io::Range range) {
    return c.get<double>(key_of(prefix, name), fallback, doc, range);
  };
  auto dimension = [&](std::int64_t fallback, std::int64_t lo) {
    return static_cast<int>(
        c.get<std::int64_t>(key_of(prefix, "dimension"), fallback, "number of coordinates n",
                            io::Range::between(static_cast<double>(lo), geometry::max_dimension)));
  };
  if (family == "minkowski") {
    const int n = dimension(4, 2);
    return Metric::minkowski(n);
  }
  if (family == "schwarzschild") {
    const double m = number("mass", 1.0, "mass M (G = c = 1)", io::Range::positive());
    return Metric::schwarzschild(m);
  }
  if (family == "kerr") {
    const double m = number("mass", 1.0, "mass M (G = c = 1)", io::Range::positive());
    const double a = number("spin", 0.5, "spin parameter a = J/M (|a| ≤ M)", io::Range::any());
    if (std::abs(a) > m)
      throw c.error(key_of(prefix, "spin"), "|a| > M (naked singularity)", "|a| ≤ M");
    return Metric::kerr(m, a);
  }
  if (family == "de_sitter") {
    const double l = number("lambda", 0.01, "cosmological constant Λ", io::Range::positive());
    return Metric::de_sitter(l);
  }
  if (family == "schwarzschild_de_sitter") {
    const double m = number("mass", 1.0, "mass M (G = c = 1)", io::Range::positive());
    const double l = number("lambda", 0.01, "cosmological constant Λ", io::Range::positive());
    return Metric::schwarzschild_de_sitter(m, l);
  }
  if (family == "sphere") {
    const int n = dimension(2, 2);
    const double r = number("radius", 1.0, "radius a", io::Range::positive());
    return Metric::sphere(n, r);
  }
  if (family == "flrw" || family == "conformally_flat") {
    const bool flrw = family == "flrw";
    const int n = dimension(flrw ? 4 : 2, 2);
    const std::string ekey = key_of(prefix, flrw ? "scale_factor" : "phi");
    const std::string text =
        flrw ? c.get<std::string>(ekey, "exp(0.1*t)", "scale factor a(t), an expression of t")
             : c.get<std::string>(ekey, "0.1*sin(x)", "conformal factor φ in g = e^(2φ)δ");
    const auto constants = read_constants(c, prefix);
    std::vector<std::string> coordinates;
    if (flrw) {
      coordinates = {"t"};
    } else {
      // Metric::conformally_flat names: x, y, z (n ≤ 3) or x1 … xn.
      if (n <= 3) {
        coordinates = {"x", "y", "z"};
        coordinates.resize(static_cast<std::size_t>(n));
      } else {
        for (int i = 1; i <= n; ++i) coordinates.push_back("x" + std::to_string(i));
      }
    }
    check_expression(c, ekey, static_cast<std::size_t>(-1), -1, text,
                     variables_of(coordinates, constants), variables_text(coordinates, constants));
    return located(c, ekey, [&] {
      return flrw ? Metric::flrw(text, n, constants) : Metric::conformally_flat(text, n, constants);
    });
  }
  if (family == "grid") return read_grid_metric(c, prefix);
  return read_user(c, prefix);
}

std::vector<geometry::Vector> read_points(io::Config& c, std::string_view key,
                                          const geometry::Metric& metric,
                                          const std::vector<std::vector<double>>& fallback,
                                          std::string_view doc) {
  const auto rows = c.get_number_rows(key, fallback, doc, metric.dimension());
  std::vector<geometry::Vector> out;
  for (std::size_t i = 0; i < rows.size(); ++i) {
    geometry::Vector x(metric.dimension());
    for (int a = 0; a < metric.dimension(); ++a) x(a) = rows[i][static_cast<std::size_t>(a)];
    try {
      (void)metric(std::span<const double>(x.data(), static_cast<std::size_t>(x.size())));
    } catch (const Error& e) {
      const std::string what = "at " +
                               metric.describe_point(std::span<const double>(
                                   x.data(), static_cast<std::size_t>(x.size()))) +
                               ": " + e.what_;
      if (c.has(key)) throw c.element_error(key, i, -1, what, e.expected);
      throw c.error(key, "default point " + std::to_string(i) + " " + what, e.expected);
    }
    out.push_back(x);
  }
  return out;
}

geometry::Matrix checked_metric(const io::Config& c, std::string_view key,
                                const geometry::Metric& metric, const geometry::Vector& x) {
  try {
    return metric(std::span<const double>(x.data(), static_cast<std::size_t>(x.size())));
  } catch (const Error& e) {
    throw c.error(key,
                  "at " +
                      metric.describe_point(
                          std::span<const double>(x.data(), static_cast<std::size_t>(x.size()))) +
                      ": " + e.what_,
                  e.expected);
  }
}

}  // namespace nnworld::lab
