#include "nnworld/lab/curvature_experiment.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <limits>
#include <optional>
#include <string>
#include <vector>

#include "nnworld/core/error.hpp"
#include "nnworld/lab/experiment_util.hpp"
#include "nnworld/lab/metric_config.hpp"

namespace nnworld::lab {

using geometry::Constant;
using geometry::Curvature;
using geometry::Matrix;
using geometry::Metric;
using geometry::Vector;
using io::Config;
using io::Range;

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

std::span<const double> span_of(const Vector& x) {
  return {x.data(), static_cast<std::size_t>(x.size())};
}

std::string join(const std::vector<std::string>& v) {
  std::string s;
  for (const auto& x : v) s += (s.empty() ? "" : ", ") + x;
  return s;
}

}  // namespace

// ---- shared pieces ------------------------------------------------------------------------

std::vector<Constant> metric_constants(const Config& c, const Metric& metric,
                                       std::string_view prefix) {
  const nlohmann::json all = c.resolved();
  const std::string p(prefix);
  if (!all.contains(p)) return {};
  const nlohmann::json& sec = all.at(p);
  auto number = [&](const char* key) {
    return sec.contains(key) && sec.at(key).is_number() ? sec.at(key).get<double>() : kNaN;
  };
  using F = Metric::Family;
  switch (metric.family()) {
    case F::schwarzschild:
      return {{"M", number("mass")}};
    case F::kerr:
      return {{"M", number("mass")}, {"a", number("spin")}};
    case F::de_sitter:
      return {{"L", number("lambda")}};
    case F::schwarzschild_de_sitter:
      return {{"M", number("mass")}, {"L", number("lambda")}};
    case F::sphere:
      return {{"a", number("radius")}};
    case F::flrw:
    case F::conformally_flat:
    case F::user: {
      std::vector<Constant> out;
      if (!sec.contains("constants")) return out;
      const nlohmann::json& k = sec.at("constants");
      for (const std::string& name : c.table_keys(p + ".constants")) {
        if (k.contains(name) && k.at(name).is_number()) {
          out.push_back({name, k.at(name).get<double>()});
        }
      }
      return out;
    }
    default:
      return {};
  }
}

namespace {

std::vector<std::string> expression_variables(const Metric& metric,
                                              const std::vector<Constant>& constants) {
  std::vector<std::string> v = metric.coordinates();
  for (const auto& k : constants) v.push_back(k.name);
  return v;
}

core::Expression parse_point_expression(const Config& c, const std::string& key,
                                        const std::string& text, const Metric& metric,
                                        const std::vector<Constant>& constants) {
  const auto vars = expression_variables(metric, constants);
  try {
    return core::Expression(text, vars);
  } catch (const core::ExpressionError& e) {
    std::vector<std::string> names;
    for (const auto& k : constants) names.push_back(k.name);
    throw c.error(key, e.describe(),
                  "an expression in the coordinates (" + join(metric.coordinates()) + ")" +
                      (names.empty() ? std::string(" (no constants)")
                                     : " and the constants (" + join(names) + ")"));
  }
}

}  // namespace

PointExpression::PointExpression(const Config& c, const std::string& key, const std::string& text,
                                 const Metric& metric, const std::vector<Constant>& constants)
    : expr_(parse_point_expression(c, key, text, metric, constants)) {
  for (const auto& k : constants) constants_.push_back(k.value);
  args_.resize(static_cast<std::size_t>(metric.dimension()) + constants_.size());
}

double PointExpression::operator()(const Vector& x) const {
  std::copy(x.data(), x.data() + x.size(), args_.begin());
  std::copy(constants_.begin(), constants_.end(), args_.begin() + x.size());
  return expr_(args_);
}

geometry::FiniteDifference read_finite_difference(Config& c, const std::string& prefix, int n) {
  geometry::FiniteDifference fd;
  const std::string method = c.get_choice(
      prefix + ".method", "ridders",
      "ridders: Richardson-extrapolated central differences (~1e-11); central4: one 4th-order "
      "stencil at h = step (spec T9.4)",
      {"ridders", "central4"});
  fd.method = method == "central4" ? geometry::FiniteDifference::Method::central4
                                   : geometry::FiniteDifference::Method::ridders;
  fd.step =
      c.get<double>(prefix + ".step", fd.step,
                    "central4: the step h (times scale[c] for coordinate c)", Range::positive());
  fd.initial_step = c.get<double>(prefix + ".initial_step", fd.initial_step,
                                  "h₀ of the Richardson-extrapolated central differences of g "
                                  "(times scale[c] for coordinate c)",
                                  Range::positive());
  fd.levels = static_cast<int>(c.get<std::int64_t>(
      prefix + ".levels", fd.levels, "Ridders tableau size: steps h_k = h₀/1.4^k, k < levels",
      Range::between(2, 30)));
  fd.scale = c.get_vector(
      prefix + ".scale", std::vector<double>(static_cast<std::size_t>(n), 1.0),
      "per-coordinate step scales (e.g. r for a radius far from the origin)",
      {.size = static_cast<std::size_t>(n), .scalar_broadcast = true, .range = Range::positive()});
  return fd;
}

std::vector<Curvature> curvature_at_config_points(const Config& c, const std::string& key,
                                                  const Metric& metric,
                                                  const std::vector<Vector>& points,
                                                  const geometry::FiniteDifference& fd) {
  std::vector<Curvature> out;
  for (std::size_t i = 0; i < points.size(); ++i) {
    try {
      out.push_back(geometry::curvature(geometry::metric_jet(metric, span_of(points[i]), fd)));
    } catch (const Error& e) {
      const std::string what = "at " + metric.describe_point(span_of(points[i])) + ": " + e.what_;
      if (c.has(key)) throw c.element_error(key, i, -1, what, e.expected);
      throw c.error(key, what, e.expected);
    }
  }
  return out;
}

nlohmann::json matrix_json(const Matrix& m) {
  nlohmann::json rows = nlohmann::json::array();
  for (Eigen::Index a = 0; a < m.rows(); ++a) {
    nlohmann::json row = nlohmann::json::array();
    for (Eigen::Index b = 0; b < m.cols(); ++b) row.push_back(m(a, b));
    rows.push_back(row);
  }
  return rows;
}

// ---- the curvature experiment -----------------------------------------------------------

namespace {

// The three invariants the experiment reports and compares.
enum Quantity { kRicciScalar = 0, kKretschmann = 1, kRicciNorm = 2 };
constexpr const char* kQuantityKey[3] = {"ricci_scalar", "kretschmann", "ricci_norm"};
constexpr const char* kQuantityText[3] = {"R", "R_{αβγδ}R^{αβγδ}", "R_μν R^μν"};

double quantity(const Curvature& k, int q) {
  return q == kRicciScalar ? k.scalar : q == kKretschmann ? k.kretschmann : k.ricci_squared;
}

// The curvature scale s = max |R^{ab}_{cd}| (1/length²). For a diagonal metric these are the
// orthonormal-frame components, unchanged by rescaling any coordinate, so s is the size of the
// curvature whatever the coordinates; R has the units of s, K and R_μν R^μν those of s².
double curvature_scale(const Curvature& k) {
  double s = 0.0;
  for (int a = 0; a < k.n; ++a) {
    for (int b = 0; b < k.n; ++b) {
      for (int cc = 0; cc < k.n; ++cc) {
        for (int d = 0; d < k.n; ++d) {
          double v = 0.0;
          for (int e = 0; e < k.n; ++e) v += k.g_inv(b, e) * k.riemann(a, e, cc, d);
          s = std::max(s, std::abs(v));
        }
      }
    }
  }
  return s;
}

// The error of a computed invariant against its expected value e: |v − e| / max(|e|, S) with
// S = s (R) or s² (K, R_μν R^μν), s = curvature_scale. Where |e| ≥ S this is the relative error;
// where e vanishes (R = 0 and R_μν R^μν = 0 of a vacuum, zeros of the Kerr K) a relative error
// is undefined and the finite-difference error of v is proportional to the curvature, not to
// e, so the error is measured in units of the curvature scale. Flat space (S = 0, e = 0): the
// absolute error.
double invariant_error(double v, double e, double s, int q) {
  const double scale = std::max(std::abs(e), q == kRicciScalar ? s : s * s);
  const double d = std::abs(v - e);
  return scale > 0.0 ? d / scale : d;
}

// The T9.4 closed forms of the built-in families (spec §8), as expressions in the coordinates
// and metric_constants (M, a, L); empty when the family has none.
std::optional<std::array<std::string, 3>> builtin_closed_forms(const Metric& m) {
  using F = Metric::Family;
  const int n = m.dimension();
  switch (m.family()) {
    case F::minkowski:
      return std::array<std::string, 3>{"0", "0", "0"};
    case F::schwarzschild:
      return std::array<std::string, 3>{"0", "48*M^2/r^6", "0"};
    case F::kerr:
      // docs/checks/kerr_kretschmann.py (sympy, exact at rational points).
      return std::array<std::string, 3>{
          "0",
          "48*M^2*(r^6 - 15*a^2*r^4*cos(theta)^2 + 15*a^4*r^2*cos(theta)^4 - "
          "a^6*cos(theta)^6)/(r^2 + a^2*cos(theta)^2)^6",
          "0"};
    case F::de_sitter:
      // R_μν = Λg_μν: R = 4Λ, R_μν R^μν = 4Λ²; K = 8Λ²/3.
      return std::array<std::string, 3>{"4*L", "8*L^2/3", "4*L^2"};
    case F::schwarzschild_de_sitter:
      return std::array<std::string, 3>{"4*L", "48*M^2/r^6 + 8*L^2/3", "4*L^2"};
    case F::sphere: {
      // R_abcd = (g_ac g_bd − g_ad g_bc)/a²: R = n(n−1)/a², K = 2n(n−1)/a⁴,
      // R_ab R^ab = n(n−1)²/a⁴.
      const std::string nn1 = std::to_string(n * (n - 1));
      return std::array<std::string, 3>{nn1 + "/a^2", std::to_string(2 * n * (n - 1)) + "/a^4",
                                        std::to_string(n * (n - 1) * (n - 1)) + "/a^4"};
    }
    default:
      return std::nullopt;
  }
}

// One closed form compared at every point.
struct Oracle {
  int quantity = 0;
  std::string id;    // check id: "T9.4/<quantity>" (the spec's) or "user/<quantity>"
  std::string name;  // check name
  std::string text;  // the expression
  double tolerance = 1e-8;
  std::vector<double> expected;  // at each point
};

struct CurvatureMap {
  int ix = 0, iy = 1;
  std::string x_name, y_name;
  double x0 = 0, x1 = 1, y0 = 0, y1 = 1;
  std::int64_t nx = 40, ny = 40;
  Vector at;
};

struct CurvaturePlan final : Plan {
  Metric metric = Metric::minkowski(4);
  geometry::FiniteDifference fd;
  std::vector<Vector> points;
  std::vector<Curvature> curv;
  std::vector<Oracle> oracles;
  std::optional<CurvatureMap> map;

  void execute(RunContext& ctx) override;
};

std::unique_ptr<Plan> configure_curvature(Config& c, const RunOptions& /*options*/) {
  auto plan = std::make_unique<CurvaturePlan>();
  plan->metric = read_metric(c);
  const Metric& metric = plan->metric;
  const int n = metric.dimension();
  const auto constants = metric_constants(c, metric);
  plan->points =
      read_points(c, "curvature.points", metric, {},
                  "points at which the curvature is computed, each a list of the metric's "
                  "coordinates (" +
                      join(metric.coordinates()) + ")");
  if (plan->points.empty()) {
    throw c.error("curvature.points", "no points given",
                  "curvature.points = [[" + join(metric.coordinates()) + "], …]");
  }
  plan->fd = read_finite_difference(c, "curvature.fd", n);
  plan->curv = curvature_at_config_points(c, "curvature.points", metric, plan->points, plan->fd);

  // Closed forms: the spec's for the built-in families, then the user's.
  auto add_oracle = [&](int q, const std::string& key, const std::string& text, std::string name,
                        double tolerance) {
    const PointExpression e(c, key, text, metric, constants);
    Oracle o{q,
             std::string(key == "metric.family" ? "T9.4/" : "user/") + kQuantityKey[q],
             std::move(name),
             text,
             tolerance,
             {}};
    for (const auto& x : plan->points) {
      double v = kNaN;
      try {
        v = e(x);
      } catch (const core::ExpressionError& err) {
        throw c.error(key, "at " + metric.describe_point(span_of(x)) + ": " + err.describe(),
                      "an expression defined at every point");
      }
      if (!std::isfinite(v)) {
        throw c.error(key,
                      "'" + text + "' is " + fmt(v) + " at " + metric.describe_point(span_of(x)),
                      "a finite value at every point");
      }
      o.expected.push_back(v);
    }
    plan->oracles.push_back(std::move(o));
  };
  if (const auto forms = builtin_closed_forms(metric)) {
    for (int q = 0; q < 3; ++q) {
      // spec §8 T9.4: tolerance 1e-8 relative (4th-order stencil at h = 1e-3, r = 5M).
      add_oracle(q, "metric.family", (*forms)[static_cast<std::size_t>(q)],
                 "T9.4 " + std::string(kQuantityText[q]) + " = " +
                     (*forms)[static_cast<std::size_t>(q)] + " (" + metric.name() + ")",
                 1e-8);
    }
  }
  const double tolerance = c.get<double>(
      "curvature.expect.tolerance", 1e-8,
      "largest error of a user closed form: |v − e|/max(|e|, curvature scale) over the points "
      "(spec T9.4: 1e-8)",
      Range::positive());
  for (int q = 0; q < 3; ++q) {
    const std::string key = std::string("curvature.expect.") + kQuantityKey[q];
    const std::string text =
        c.get<std::string>(key, "",
                           std::string("closed form of ") + kQuantityText[q] +
                               " in the coordinates and constants (empty: none)");
    if (!text.empty()) {
      add_oracle(q, key, text, std::string("user closed form ") + kQuantityText[q] + " = " + text,
                 tolerance);
    }
  }

  // ---- the map ----
  if (c.has("curvature.map")) {
    CurvatureMap m;
    const auto& coords = metric.coordinates();
    m.x_name =
        c.get_choice("curvature.map.x", coords[0], "coordinate along the map's columns", coords);
    m.y_name =
        c.get_choice("curvature.map.y", coords[1], "coordinate along the map's rows", coords);
    if (m.x_name == m.y_name) {
      throw c.error("curvature.map.y", "same coordinate as curvature.map.x",
                    "two different coordinates");
    }
    m.ix = static_cast<int>(std::find(coords.begin(), coords.end(), m.x_name) - coords.begin());
    m.iy = static_cast<int>(std::find(coords.begin(), coords.end(), m.y_name) - coords.begin());
    auto range = [&](const std::string& key, double& lo, double& hi) {
      const auto r = c.get_vector(key, {0.0, 1.0}, "[first, last] value of the coordinate",
                                  {.size = 2, .scalar_broadcast = false, .range = Range::any()});
      if (!(r[0] < r[1])) throw c.error(key, "first >= last", "[first, last] with first < last");
      lo = r[0];
      hi = r[1];
    };
    range("curvature.map.x_range", m.x0, m.x1);
    range("curvature.map.y_range", m.y0, m.y1);
    const auto res = c.get_vector(
        "curvature.map.resolution", {40.0, 40.0}, "[columns, rows] of the map (one number: both)",
        {.size = 2, .scalar_broadcast = true, .range = Range::between(2, 400)});
    for (double v : res) {
      if (v != std::floor(v)) {
        throw c.error("curvature.map.resolution", fmt(v) + " is not an integer", "integers");
      }
    }
    m.nx = static_cast<std::int64_t>(res[0]);
    m.ny = static_cast<std::int64_t>(res[1]);
    if (m.nx * m.ny > 40000) {
      throw c.error("curvature.map.resolution", std::to_string(m.nx * m.ny) + " map points",
                    "at most 40000 (about 1 ms each)");
    }
    const auto& p0 = plan->points.front();
    const auto at = c.get_vector(
        "curvature.map.at", std::vector<double>(p0.data(), p0.data() + p0.size()),
        "the full base point (" + join(coords) +
            "): the values of the other coordinates (default: the first point)",
        {.size = static_cast<std::size_t>(n), .scalar_broadcast = false, .range = Range::any()});
    m.at = Vector(n);
    for (int a = 0; a < n; ++a) m.at(a) = at[static_cast<std::size_t>(a)];
    plan->map = std::move(m);
  }
  return plan;
}

void CurvaturePlan::execute(RunContext& ctx) {
  auto& s = ctx.summary();
  const int n = metric.dimension();
  const std::size_t np = points.size();
  s.observable("metric", metric.name());
  s.observable("coordinates", metric.coordinates());

  nlohmann::json pts = nlohmann::json::array();
  std::vector<double> values[3], scale, dg, ddg;
  nlohmann::json einstein = nlohmann::json::array();
  for (std::size_t i = 0; i < np; ++i) {
    pts.push_back(std::vector<double>(points[i].data(), points[i].data() + n));
    const Curvature& k = curv[i];
    for (int q = 0; q < 3; ++q) values[q].push_back(quantity(k, q));
    scale.push_back(curvature_scale(k));
    dg.push_back(k.dg_error);
    ddg.push_back(k.ddg_error);
    einstein.push_back(matrix_json(geometry::raise_first(k.g_inv, k.einstein)));
  }
  s.observable("points", pts);
  for (int q = 0; q < 3; ++q) s.observable(kQuantityKey[q], values[q]);
  s.observable("einstein_tensor", einstein);
  s.observable("curvature_scale", scale);
  s.observable("jet_error.dg", dg);
  s.observable("jet_error.ddg", ddg);

  std::vector<double> index;
  for (std::size_t i = 0; i < np; ++i) index.push_back(static_cast<double>(i));
  ctx.record_array("points/index", index, info("index of the configured point", "point", "none"));
  for (int q = 0; q < 3; ++q) {
    ctx.record_array(std::string("points/") + kQuantityKey[q], values[q],
                     info(std::string(kQuantityText[q]) + " at each point", kQuantityText[q],
                          "none", "points/index"));
  }

  // ---- closed forms ----
  int k = 0;
  for (const Oracle& o : oracles) {
    double worst = 0.0;
    std::size_t at = 0;
    std::vector<double> err;
    for (std::size_t i = 0; i < np; ++i) {
      const double e = invariant_error(values[o.quantity][i], o.expected[i], scale[i], o.quantity);
      err.push_back(e);
      if (!(e <= worst)) {
        worst = e;
        at = i;
      }
    }
    const std::string tag = "oracle" + std::to_string(k++);
    s.observable("closed_form." + tag + ".expression", o.text);
    s.observable("closed_form." + tag + ".quantity", kQuantityKey[o.quantity]);
    s.observable("closed_form." + tag + ".expected", o.expected);
    s.observable("closed_form." + tag + ".error", err);
    ctx.record_array("closed_form/" + tag, err,
                     info("|computed − closed form| / max(|closed form|, curvature scale) of " +
                              std::string(kQuantityText[o.quantity]) + " = " + o.text,
                          "error", "logy", "points/index", "closed_form_errors",
                          std::string(kQuantityText[o.quantity]) + " = " + o.text));
    add_bound_oracle(s, o.id, o.name, "(93), (96)", worst, o.tolerance,
                     "max over " + std::to_string(np) +
                         " points of |v − e|/max(|e|, S), S = s "
                         "(R) or s² (K, R_μν R^μν), s = max|R^ab_cd|; worst at " +
                         metric.describe_point(span_of(points[at])) + ": computed " +
                         fmt(values[o.quantity][at]) + ", expected " + fmt(o.expected[at]));
  }
  if (oracles.empty()) {
    s.add_note("no closed form for " + metric.name() +
               ": set curvature.expect.* to compare with one");
  }

  // ---- the map ----
  if (map) {
    const CurvatureMap& m = *map;
    std::vector<double> xs, ys;
    for (std::int64_t j = 0; j < m.nx; ++j) {
      xs.push_back(m.x0 + (m.x1 - m.x0) * static_cast<double>(j) / static_cast<double>(m.nx - 1));
    }
    for (std::int64_t j = 0; j < m.ny; ++j) {
      ys.push_back(m.y0 + (m.y1 - m.y0) * static_cast<double>(j) / static_cast<double>(m.ny - 1));
    }
    const auto total = static_cast<std::size_t>(m.nx * m.ny);
    std::vector<double> img[3], logk(total, kNaN);
    for (auto& v : img) v.assign(total, kNaN);
    std::int64_t failed = 0;
    auto progress = ctx.progress("curvature map", m.ny);
    Vector x = m.at;
    for (std::int64_t r = 0; r < m.ny; ++r) {
      for (std::int64_t col = 0; col < m.nx; ++col) {
        x(m.ix) = xs[static_cast<std::size_t>(col)];
        x(m.iy) = ys[static_cast<std::size_t>(r)];
        const auto idx = static_cast<std::size_t>(r * m.nx + col);
        try {
          const Curvature kk = geometry::curvature(geometry::metric_jet(metric, span_of(x), fd));
          for (int q = 0; q < 3; ++q) img[q][idx] = quantity(kk, q);
          if (kk.kretschmann != 0.0) logk[idx] = std::log10(std::abs(kk.kretschmann));
        } catch (const Error&) {
          ++failed;  // singular or non-finite g at or near this point: left NaN
        }
      }
      progress->update(r + 1);
    }
    progress->finish();
    ctx.record_array("map/x", xs, info("map columns: " + m.x_name, m.x_name, "none"));
    ctx.record_array("map/y", ys, info("map rows: " + m.y_name, m.y_name, "none"));
    auto image = [&](const std::string& path, const std::vector<double>& v, const std::string& what,
                     const std::string& label) {
      io::DatasetInfo d = info(what + " over (" + m.x_name + ", " + m.y_name + ") at base point " +
                                   metric.describe_point(span_of(m.at)) + " (rows = " + m.y_name +
                                   ", NaN where g is singular)",
                               label, "image", "map/y");
      d.columns = "map/x";
      ctx.record_array(path, m.ny, m.nx, v.data(), d);
    };
    image("map/ricci_scalar", img[kRicciScalar], "Ricci scalar R", "R");
    image("map/kretschmann", img[kKretschmann], "Kretschmann R_{αβγδ}R^{αβγδ}", "K");
    image("map/log10_kretschmann", logk, "log10 |R_{αβγδ}R^{αβγδ}|", "log10 |K|");
    image("map/ricci_norm", img[kRicciNorm], "R_μν R^μν", "R_μν R^μν");
    s.observable("map.points", static_cast<std::int64_t>(total));
    s.observable("map.failed_points", failed);
    if (failed > 0) {
      s.add_note(std::to_string(failed) + " of " + std::to_string(total) +
                 " map points have a singular or non-finite metric within the stencil (NaN)");
    }
  }
}

}  // namespace

ExperimentKind curvature_experiment() {
  return {"curvature",
          "curvature of a metric at points (Sec. 9, Eqs. (93), (96)): R, Kretschmann, R_μν R^μν, "
          "G^μ_ν against T9.4 and user closed forms; maps over a 2-D slice",
          configure_curvature};
}

}  // namespace nnworld::lab
