#include "nnworld/lab/einstein_experiment.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numbers>
#include <numeric>
#include <optional>
#include <string>
#include <vector>

#include "nnworld/core/error.hpp"
#include "nnworld/lab/curvature_experiment.hpp"
#include "nnworld/lab/experiment_util.hpp"
#include "nnworld/lab/metric_config.hpp"

namespace nnworld::lab {

namespace {

using geometry::Constant;
using geometry::Curvature;
using geometry::Matrix;
using geometry::Metric;
using geometry::Vector;
using io::Config;
using io::Range;

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

std::span<const double> span_of(const Vector& x) {
  return {x.data(), static_cast<std::size_t>(x.size())};
}

// f'(x) by Ridders' method: central differences at h_k = h₀/1.4^k extrapolated to h → 0 by
// Richardson's tableau (each column removes one more power of h²); the element with the
// smallest error estimate is kept and the tableau stops once the estimate grows (round-off).
// Error ~ 1e-13 relative for smooth f.
template <class F>
double ridders_derivative(F&& f, double x, double h0) {
  constexpr int kTable = 12;
  constexpr double kShrink = 1.4, kShrink2 = kShrink * kShrink;
  double a[kTable][kTable];
  double h = h0, best = kNaN, err = std::numeric_limits<double>::infinity();
  a[0][0] = (f(x + h) - f(x - h)) / (2.0 * h);
  for (int i = 1; i < kTable; ++i) {
    h /= kShrink;
    a[0][i] = (f(x + h) - f(x - h)) / (2.0 * h);
    double fac = kShrink2;
    for (int j = 1; j <= i; ++j) {
      a[j][i] = (a[j - 1][i] * fac - a[j - 1][i - 1]) / (fac - 1.0);
      fac *= kShrink2;
      const double e =
          std::max(std::abs(a[j][i] - a[j - 1][i]), std::abs(a[j][i] - a[j - 1][i - 1]));
      if (e <= err) {
        err = e;
        best = a[j][i];
      }
    }
    if (std::abs(a[i][i] - a[i - 1][i - 1]) >= 2.0 * err) break;
  }
  return best;
}

struct Friedmann {
  std::vector<double> t, hubble;  // H = ȧ/a at each point's t
};

struct EinsteinPlan final : Plan {
  Metric metric = Metric::minkowski(4);
  std::vector<Vector> points;
  std::vector<Curvature> curv;
  std::vector<Matrix> t_lower;  // T_μν (paper normalisation) at each point
  std::vector<double> rho;      // ρ at each point (0 for vacuum)
  double lambda = 0.0, kappa = 16.0 * std::numbers::pi;
  std::string matter = "vacuum";
  bool fit = false;
  bool solution = true;
  double tolerance = 1e-8;
  std::optional<Friedmann> friedmann;

  void execute(RunContext& ctx) override;
};

std::unique_ptr<Plan> configure_einstein(Config& c, const RunOptions& /*options*/) {
  auto plan = std::make_unique<EinsteinPlan>();
  plan->metric = read_metric(c);
  const Metric& metric = plan->metric;
  const int n = metric.dimension();
  const auto constants = metric_constants(c, metric);
  std::string coords;
  for (const auto& x : metric.coordinates()) coords += (coords.empty() ? "" : ", ") + x;
  plan->points = read_points(c, "einstein.points", metric, {},
                             "points at which (95) is evaluated, each a list of the metric's "
                             "coordinates (" +
                                 coords + ")");
  if (plan->points.empty()) {
    throw c.error("einstein.points", "no points given", "einstein.points = [[" + coords + "], …]");
  }
  const auto fd = read_finite_difference(c, "einstein.fd", n);
  plan->curv = curvature_at_config_points(c, "einstein.points", metric, plan->points, fd);

  plan->lambda = c.get<double>("einstein.lambda", 0.0, "Λ of (95) G_μν + Λg_μν = κT_μν");
  plan->kappa = c.get<double>(
      "einstein.kappa", 16.0 * std::numbers::pi,
      "κ of (95) in the paper's normalisation T = ½T_std: κ = 16πG (G = 1: 16π), spec §8 (85)",
      Range::non_negative());
  plan->matter = c.get_choice("einstein.matter", "vacuum",
                              "vacuum: T = 0; perfect_fluid: T_μν = (ρ + p)u_μu_ν + p g_μν",
                              {"vacuum", "perfect_fluid"});
  const std::string rho_text = c.get<std::string>(
      "einstein.rho", "0",
      "perfect fluid: energy density ρ in the paper's normalisation (½ρ_std), an expression in "
      "the coordinates and constants");
  const std::string p_text = c.get<std::string>(
      "einstein.pressure", "0",
      "perfect fluid: pressure p in the paper's normalisation (½p_std), an expression");
  std::vector<std::string> u_default(static_cast<std::size_t>(n), "0");
  u_default[0] = "1";
  const auto u_text = c.get_string_list(
      "einstein.velocity", u_default,
      "perfect fluid: u^μ, one expression per coordinate (normalised to g(u,u) = −1)");
  if (static_cast<int>(u_text.size()) != n) {
    throw c.error("einstein.velocity",
                  std::to_string(u_text.size()) + " expressions for " + std::to_string(n) +
                      " coordinates (" + coords + ")",
                  std::to_string(n) + " expressions, one per coordinate");
  }
  const PointExpression rho_e(c, "einstein.rho", rho_text, metric, constants);
  const PointExpression p_e(c, "einstein.pressure", p_text, metric, constants);
  std::vector<PointExpression> u_e;
  for (const auto& t : u_text) u_e.emplace_back(c, "einstein.velocity", t, metric, constants);
  const bool fluid = plan->matter == "perfect_fluid";
  for (std::size_t i = 0; i < plan->points.size(); ++i) {
    const Vector& x = plan->points[i];
    const std::string at = metric.describe_point(span_of(x));
    if (!fluid) {
      plan->t_lower.push_back(Matrix::Zero(n, n));
      plan->rho.push_back(0.0);
      continue;
    }
    auto eval = [&](const PointExpression& e, const std::string& key) {
      double v = kNaN;
      try {
        v = e(x);
      } catch (const core::ExpressionError& err) {
        throw c.error(key, "at " + at + ": " + err.describe(), "a finite value");
      }
      if (!std::isfinite(v)) {
        throw c.error(key, "'" + e.text() + "' is " + fmt(v) + " at " + at, "a finite value");
      }
      return v;
    };
    const double rho = eval(rho_e, "einstein.rho");
    const double p = eval(p_e, "einstein.pressure");
    Vector u(n);
    for (int a = 0; a < n; ++a) u(a) = eval(u_e[static_cast<std::size_t>(a)], "einstein.velocity");
    try {
      plan->t_lower.push_back(geometry::perfect_fluid(plan->curv[i].g, rho, p, u));
    } catch (const Error& e) {
      throw c.error("einstein.velocity", "at " + at + ": " + e.what_, e.expected);
    }
    plan->rho.push_back(rho);
  }
  plan->fit = c.get<bool>("einstein.fit", false,
                          "least-squares fit of κ and Λ to G^μ_ν + Λδ^μ_ν − κT^μ_ν = 0 over the "
                          "points (Λ only for vacuum)");
  plan->solution =
      c.get<bool>("einstein.solution", true,
                  "true: metric and matter are a known exact solution, the (95) checks are oracles "
                  "(failure = bug); false: they are measured claims");
  plan->tolerance = c.get<double>("einstein.tolerance", 1e-8,
                                  "largest relative residual of (95) and of the Friedmann "
                                  "equation (spec T9.4: 1e-8)",
                                  Range::positive());

  // ---- flat FLRW: H = ȧ/a from the scale factor ----
  if (metric.family() == Metric::Family::flrw) {
    const nlohmann::json all = c.resolved();
    const std::string text = all.at("metric").at("scale_factor").get<std::string>();
    std::vector<std::string> vars = {"t"};
    std::vector<double> args = {0.0};
    for (const auto& k : constants) {
      vars.push_back(k.name);
      args.push_back(k.value);
    }
    const core::Expression a(text, vars);  // parsed by read_metric already
    auto af = [&](double t) {
      args[0] = t;
      return a(args);
    };
    Friedmann f;
    for (const auto& x : plan->points) {
      const double t = x(0);
      double h = kNaN;
      try {
        // h₀ = 0.1 (or 0.25|t| near t = 0, so that a(t ± h) stays on the same branch).
        const double h0 = t != 0.0 ? std::min(0.1, 0.25 * std::abs(t)) : 0.1;
        h = ridders_derivative(af, t, h0) / af(t);
      } catch (const core::ExpressionError& err) {
        throw c.error("metric.scale_factor", "at t = " + fmt(t) + ": " + err.describe(),
                      "a(t) defined near every point");
      }
      if (!std::isfinite(h)) {
        throw c.error("metric.scale_factor",
                      "ȧ/a is " + fmt(h) + " at t = " + fmt(t) + " ('" + text + "')",
                      "a(t) > 0 and smooth near every point");
      }
      f.t.push_back(t);
      f.hubble.push_back(h);
    }
    plan->friedmann = std::move(f);
  }
  return plan;
}

void EinsteinPlan::execute(RunContext& ctx) {
  auto& s = ctx.summary();
  const std::size_t np = points.size();
  const int n = metric.dimension();
  const std::string kind = solution ? "oracle" : "claim";
  // einstein.solution = false: the configured metric and matter are measured against (95); no
  // alternative field equation is evaluated beside them.
  const std::string no_control =
      "a configured metric and matter measured against (95) (einstein.solution = false): no "
      "alternative field equation is evaluated beside it";
  s.observable("metric", metric.name());
  s.observable("coordinates", metric.coordinates());
  s.observable("lambda", lambda);
  s.observable("kappa", kappa);
  s.observable("matter", matter);

  // ---- (95) at each point ----
  std::vector<double> rel, abs_max, index;
  nlohmann::json pts = nlohmann::json::array(), mixed = nlohmann::json::array();
  double worst = 0.0;
  std::size_t worst_at = 0;
  for (std::size_t i = 0; i < np; ++i) {
    const auto r = geometry::einstein_residual(curv[i], lambda, kappa, t_lower[i]);
    rel.push_back(r.relative);
    abs_max.push_back(r.max_abs);
    index.push_back(static_cast<double>(i));
    pts.push_back(std::vector<double>(points[i].data(), points[i].data() + n));
    mixed.push_back(matrix_json(geometry::raise_first(curv[i].g_inv, r.residual)));
    if (!(r.relative <= worst)) {
      worst = r.relative;
      worst_at = i;
    }
  }
  s.observable("points", pts);
  s.observable("einstein_residual", worst);
  s.observable("einstein_residual_points", rel);
  s.observable("einstein_residual_abs", abs_max);
  s.observable("residual_tensor", mixed);
  ctx.record_array("residual/point", index, info("index of the configured point", "point", "none"));
  ctx.record_array(
      "residual/relative", rel,
      info("max|E^μ_ν| / max(max|G^μ_ν|, |Λ|, κ max|T^μ_ν|), E = G + Λg − κT (95)",
           "relative residual", "logy", "residual/point", "residual", "configured κ, Λ"));
  // The printed sign of Λ (spec §0 item 9): (87), A = (2/κ)∫√−g Λ, put into (84) gives
  // R + 2Λ, i.e. G_μν − Λg_μν = κT_μν; (88)'s R − 2Λ and (95) need A = −(2/κ)∫√−g Λ. The
  // residual of the printed sign on the same points is the row's control (it tells the two
  // apart only where Λ ≠ 0).
  std::optional<io::Control> printed_sign;
  if (lambda != 0.0) {
    double worst_printed = 0.0;
    for (std::size_t i = 0; i < np; ++i) {
      worst_printed = std::max(
          worst_printed, geometry::einstein_residual(curv[i], -lambda, kappa, t_lower[i]).relative);
    }
    s.observable("einstein_residual_printed_lambda_sign", worst_printed);
    printed_sign =
        io::Control{.label = "printed (87): G_μν − Λg_μν = κT_μν (R + 2Λ)", .value = worst_printed};
  }
  s.add_check({.id = "(95)/residual",
               .name = "(95) G_μν + Λg_μν − κT_μν = 0 at every point",
               .kind = kind,
               .equation = "(95)",
               .comparison = io::Comparison::upper_bound,
               .value = worst,
               .reference = 0.0,
               .tolerance = tolerance,
               .control = printed_sign,
               .no_control = kind == "claim" && !printed_sign
                                 ? no_control + "; Λ = 0, so the printed sign of (87) gives the "
                                                "same equations"
                                 : "",
               .note = "max over " + std::to_string(np) +
                       " points of max|E^μ_ν| / max(max|G^μ_ν|, |Λ|, κ max|T^μ_ν|); worst at " +
                       metric.describe_point(span_of(points[worst_at])) +
                       " (spec T9.4: 1e-8 for a 4th-order stencil; Richardson jets reach ~1e-11)"});

  // ---- least-squares κ, Λ ----
  if (fit) {
    // Mixed components: E^μ_ν = G^μ_ν + Λδ^μ_ν − κT^μ_ν is linear in (Λ, κ); minimise
    // Σ_points Σ_μν (E^μ_ν)².
    const auto rows = static_cast<Eigen::Index>(np) * n * n;
    Eigen::MatrixXd a(rows, 2);
    Eigen::VectorXd b(rows);
    Eigen::Index r = 0;
    double tmax = 0.0;
    for (std::size_t i = 0; i < np; ++i) {
      const Matrix g = geometry::raise_first(curv[i].g_inv, curv[i].einstein);
      const Matrix t = geometry::raise_first(curv[i].g_inv, t_lower[i]);
      tmax = std::max(tmax, t.cwiseAbs().maxCoeff());
      for (int mu = 0; mu < n; ++mu) {
        for (int nu = 0; nu < n; ++nu, ++r) {
          a(r, 0) = mu == nu ? 1.0 : 0.0;
          a(r, 1) = -t(mu, nu);
          b(r) = -g(mu, nu);
        }
      }
    }
    double lf = lambda, kf = kappa;
    bool kappa_fitted = false;
    if (tmax > 0.0) {
      Eigen::ColPivHouseholderQR<Eigen::MatrixXd> qr(a);
      if (qr.rank() == 2) {
        const Eigen::VectorXd sol = qr.solve(b);
        lf = sol(0);
        kf = sol(1);
        kappa_fitted = true;
      }
    }
    if (!kappa_fitted) {
      // T = 0 (or T ∝ δ): only Λ is determined (κ stays as configured).
      const Eigen::VectorXd col = a.col(0);
      lf = col.dot(b - kf * a.col(1)) / col.squaredNorm();
    }
    std::vector<double> rel_fit;
    double worst_fit = 0.0;
    for (std::size_t i = 0; i < np; ++i) {
      const double v = geometry::einstein_residual(curv[i], lf, kf, t_lower[i]).relative;
      rel_fit.push_back(v);
      worst_fit = std::max(worst_fit, v);
    }
    s.observable("fit.lambda", lf);
    s.observable("fit.kappa", kf);
    s.observable("fit.kappa_fitted", kappa_fitted);
    s.observable("fit.residual", worst_fit);
    s.observable("fit.residual_points", rel_fit);
    ctx.record_array("residual/relative_fit", rel_fit,
                     info("relative residual of (95) with the fitted κ, Λ", "relative residual",
                          "logy", "residual/point", "residual", "fitted κ, Λ"));
    // The fit's error is the residual (≤ 1e-8 relative for a solution) amplified by the
    // conditioning of the 2-column least-squares problem (≲ 1e2 for the shipped configs):
    // tolerance 1e-6 relative to the configured value (to max|G^μ_ν| for Λ = 0).
    double gmax = 0.0;
    for (const auto& k : curv) {
      gmax = std::max(gmax, geometry::raise_first(k.g_inv, k.einstein).cwiseAbs().maxCoeff());
    }
    const double el = std::abs(lf - lambda) / std::max(std::abs(lambda), gmax);
    add_bound_check(s, kind, "(95)/fit_lambda", "fitted Λ = configured Λ", "(95)", el, 1e-6,
                    "|Λ_fit − Λ|/max(|Λ|, max|G^μ_ν|); Λ_fit = " + fmt(lf) +
                        ", residual after the fit " + fmt(worst_fit),
                    no_control);
    if (kappa_fitted) {
      const double ek = std::abs(kf - kappa) / std::max(kappa, 1e-300);
      add_bound_check(
          s, kind, "(95)/fit_kappa", "fitted κ = configured κ", "(95)", ek, 1e-6,
          "|κ_fit − κ|/κ; κ_fit = " + fmt(kf) + " (16π = " + fmt(16.0 * std::numbers::pi) + ")",
          no_control);
    } else {
      s.add_note("fit: T = 0 or T ∝ g at every point, so κ is not determined; Λ alone was fitted");
    }
  }

  // ---- flat FLRW: Friedmann ----
  if (friedmann) {
    const Friedmann& f = *friedmann;
    std::vector<std::size_t> order(np);
    std::iota(order.begin(), order.end(), std::size_t{0});
    std::stable_sort(order.begin(), order.end(),
                     [&](std::size_t i, std::size_t j) { return f.t[i] < f.t[j]; });
    std::vector<double> ts, h2, rhs, res, g00;
    double worst_f = 0.0, worst_g = 0.0;
    for (std::size_t i : order) {
      const double three_h2 = 3.0 * f.hubble[i] * f.hubble[i];
      const double right = kappa * rho[i] + lambda;
      ts.push_back(f.t[i]);
      h2.push_back(three_h2);
      rhs.push_back(right);
      // 3H² − κρ − Λ relative to the largest of its terms.
      const double sc = std::max({three_h2, std::abs(kappa * rho[i]), std::abs(lambda)});
      const double rf = sc > 0.0 ? std::abs(three_h2 - right) / sc : std::abs(three_h2 - right);
      res.push_back(three_h2 - right);
      worst_f = std::max(worst_f, rf);
      // T9.4: G₀₀ = 3(ȧ/a)², i.e. G^0_0 = −3H² (g^00 = −1).
      const double g0 = geometry::raise_first(curv[i].g_inv, curv[i].einstein)(0, 0);
      g00.push_back(g0);
      const double eg = three_h2 > 0.0 ? std::abs(g0 + three_h2) / three_h2 : std::abs(g0);
      worst_g = std::max(worst_g, eg);
    }
    s.observable("friedmann.t", ts);
    s.observable("friedmann.three_H_squared", h2);
    s.observable("friedmann.kappa_rho_plus_lambda", rhs);
    s.observable("friedmann_residual", res);
    s.observable("friedmann.max_relative", worst_f);
    s.observable("friedmann.G00_mixed", g00);
    ctx.record_array("friedmann/t", ts, info("t of the points (sorted)", "t", "none"));
    ctx.record_array("friedmann/three_H_squared", h2,
                     info("3H², H = ȧ/a from a(t) by Ridders' differences", "3H²", "line",
                          "friedmann/t", "friedmann", "3H²"));
    ctx.record_array("friedmann/kappa_rho_plus_lambda", rhs,
                     info("κρ + Λ (paper normalisation)", "κρ + Λ", "line", "friedmann/t",
                          "friedmann", "κρ + Λ"));
    add_bound_check(s, kind, "friedmann", "Friedmann 3(ȧ/a)² = κρ + Λ (paper normalisation)",
                    "(95), spec §10.5", worst_f, tolerance,
                    "max over t of |3H² − κρ − Λ| / max(3H², κ|ρ|, |Λ|); H by Ridders (~1e-13)",
                    no_control);
    add_bound_oracle(s, "T9.4/flrw_G00", "T9.4 flat FLRW G₀₀ = 3(ȧ/a)² (G^0_0 = −3H²)",
                     "(93), (96)", worst_g, 1e-8,
                     "max over t of |G^0_0 + 3H²|/3H²: curvature engine vs the a(t) expression "
                     "(spec T9.4: 1e-8)");
  }
}

}  // namespace

ExperimentKind einstein_experiment() {
  return {"einstein",
          "Einstein equations (95) G + Λg = κT at points (Sec. 9; paper normalisation κ = 16πG): "
          "vacuum or perfect fluid, fitted κ and Λ, Friedmann for flat FLRW",
          configure_einstein};
}

}  // namespace nnworld::lab
