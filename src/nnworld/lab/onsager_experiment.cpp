#include "nnworld/lab/onsager_experiment.hpp"

#include <algorithm>
#include <cmath>
#include <optional>
#include <string>
#include <vector>

#include "nnworld/core/error.hpp"
#include "nnworld/core/expression.hpp"
#include "nnworld/core/fft.hpp"
#include "nnworld/geometry/grid_curvature.hpp"
#include "nnworld/geometry/torus.hpp"
#include "nnworld/lab/experiment_util.hpp"

namespace nnworld::lab {

namespace {

using io::Config;
using io::Range;

// Oracle tolerances (spec §8, T9.2): the identity ∫√gR = ∫√gL_ΓΓ is exact up to the quadrature
// and aliasing error of band-limited products (1e-8); Gauss–Bonnet on T² is an exact cancellation
// of a spectrally differentiated integrand (1e-10 relative to ∫√g|R|); the conformal closed forms
// hold to the trapezoid error of an analytic periodic integrand (1e-9).
constexpr double kIdentityTolerance = 1e-8;
constexpr double kGaussBonnetTolerance = 1e-10;
constexpr double kConformalTolerance = 1e-9;

struct OnsagerPlan final : Plan {
  int n = 3;
  std::int64_t points = 48;
  std::string metric_kind;
  double epsilon = 0.25;
  int modes = 4;
  int k_max = 2;
  std::optional<core::Expression> phi;
  geometry::GridCurvatureOptions options;
  std::int64_t slice = 0;
  std::uint64_t seed = 1;
  // Built (and checked) at configure time: the metric of the run seed, then (random_cosine)
  // those of seed + 1, …, seed + seeds − 1.
  std::optional<geometry::TorusMetric> metric;
  std::vector<geometry::TorusMetric> more_metrics;
  std::vector<double> phi_values;

  void execute(RunContext& ctx) override;
};

std::unique_ptr<Plan> configure_onsager(Config& c, const RunOptions& options) {
  auto plan = std::make_unique<OnsagerPlan>();
  auto& p = *plan;
  p.n = static_cast<int>(c.get<std::int64_t>(
      "onsager.dimension", 3, "n: the torus T^n = [0, 2π)^n (2 or 3)", Range::between(2, 3)));
  p.points = c.get<std::int64_t>("onsager.points", 48,
                                 "grid points per axis (spectral derivatives; T9.2 holds its 1e-8 "
                                 "identity tolerance from 48 on for ε = 0.25)",
                                 Range::between(8, 256));
  p.metric_kind = c.get_choice("onsager.metric", "random_cosine",
                               "random_cosine: g = δ + εh, h_ab = ½Σ c_i cos(k_i·x + φ_i) (spec "
                               "T9.2, seeded by the run seed); conformal: g = e^{2φ}δ",
                               {"random_cosine", "conformal"});
  p.epsilon = c.get<double>("onsager.epsilon", 0.25, "random_cosine: ε, the perturbation size",
                            Range::non_negative());
  p.modes = static_cast<int>(c.get<std::int64_t>(
      "onsager.modes", 4, "random_cosine: cosines per component h_ab", Range::between(1, 64)));
  p.k_max = static_cast<int>(
      c.get<std::int64_t>("onsager.k_max", 2,
                          "random_cosine: integer wave-vector components uniform in [−k_max, "
                          "k_max]",
                          Range::between(0, 64)));
  const std::string phi_text = c.get<std::string>(
      "onsager.phi", "0.3*sin(x)*cos(y) + 0.2*cos(z - x)",
      "conformal: φ as a formula in x, y (and z for dimension 3), each in [0, 2π)");
  const std::string route = c.get_choice(
      "onsager.route", "metric_jet",
      "metric_jet: FFT ∂g, ∂²g, R pointwise from the 2-jet; christoffel: Γ pointwise, ∂Γ by FFT "
      "(spec §12 item 6)",
      {"metric_jet", "christoffel"});
  p.options.route =
      route == "christoffel" ? geometry::GridRoute::christoffel : geometry::GridRoute::metric_jet;
  p.options.dealias = c.get<bool>(
      "onsager.dealias", false,
      "christoffel route: 2/3 rule (zero modes |m| > N/3 of Γ before differentiating it)");
  p.options.tensors = false;
  p.slice = c.get<std::int64_t>("onsager.slice", 0,
                                "dimension 3: z index of the x–y slice shown in the images",
                                Range::between(0, 1 << 20));
  const std::int64_t seeds = c.get<std::int64_t>(
      "onsager.seeds", 1,
      "random_cosine: metrics drawn with the run seed, seed + 1, …, seed + seeds − 1 (the checks "
      "use the first; the identity is also checked for every seed)",
      Range::between(1, 64));
  p.seed = options.seed;
  if (p.n == 3 && p.points > 128) {
    throw c.error("onsager.points", std::to_string(p.points) + "³ points is too large",
                  "≤ 128 per axis for dimension 3 (memory grows as 10·points³ doubles per "
                  "component)");
  }
  if (p.n == 3 && p.slice >= p.points) {
    throw c.error("onsager.slice", "slice " + std::to_string(p.slice) + " is outside the grid",
                  "0 ≤ slice < onsager.points = " + std::to_string(p.points));
  }
  if (p.k_max >= p.points / 3) {
    throw c.error("onsager.k_max", "k_max " + std::to_string(p.k_max) + " is not resolved",
                  "k_max < onsager.points / 3 (the products in R need modes up to 3 k_max)");
  }

  // The metric, built here so that bad input stops before any run directory exists.
  const core::Grid grid = geometry::make_torus_grid(p.n, p.points);
  if (p.metric_kind == "random_cosine") {
    try {
      p.metric = geometry::random_cosine_metric(grid, p.epsilon, options.seed, p.modes, p.k_max);
      for (std::int64_t k = 1; k < seeds; ++k) {
        p.more_metrics.push_back(geometry::random_cosine_metric(
            grid, p.epsilon, options.seed + static_cast<std::uint64_t>(k), p.modes, p.k_max));
      }
    } catch (const Error& e) {
      throw c.error("onsager.epsilon", e.what_, e.expected);
    }
  } else {
    std::vector<std::string> vars{"x", "y"};
    if (p.n == 3) vars.push_back("z");
    try {
      p.phi.emplace(phi_text, vars);
    } catch (const core::ExpressionError& e) {
      throw c.error("onsager.phi", e.describe(),
                    std::string("a muParser formula in ") + (p.n == 3 ? "x, y, z" : "x, y"));
    }
    p.phi_values.resize(static_cast<std::size_t>(grid.size()));
    for (std::int64_t i = 0; i < grid.size(); ++i) {
      const core::Point x = geometry::torus_point(grid, i);
      const double v = (*p.phi)(std::span<const double>(x.data(), static_cast<std::size_t>(p.n)));
      if (!std::isfinite(v)) {
        throw c.error("onsager.phi",
                      "φ is not finite at x = (" + fmt(x[0]) + ", " + fmt(x[1]) +
                          (p.n == 3 ? ", " + fmt(x[2]) : std::string()) + ")",
                      "a finite φ on the torus");
      }
      p.phi_values[static_cast<std::size_t>(i)] = v;
    }
    p.metric = geometry::conformal_metric(grid, p.phi_values);
  }
  return plan;
}

// A 2-D slice (x index = row, y index = column; z index `slice` in 3-D) of a grid field.
std::vector<double> slice_of(const core::Grid& grid, const std::vector<double>& f,
                             std::int64_t slice) {
  const std::int64_t nx = grid.points[0], ny = grid.points[1];
  std::vector<double> out(static_cast<std::size_t>(nx * ny));
  for (std::int64_t i = 0; i < nx; ++i)
    for (std::int64_t j = 0; j < ny; ++j) {
      const std::int64_t flat = grid.dims == 3 ? (i * ny + j) * grid.points[2] + slice : i * ny + j;
      out[static_cast<std::size_t>(i * ny + j)] = f[static_cast<std::size_t>(flat)];
    }
  return out;
}

void OnsagerPlan::execute(RunContext& ctx) {
  io::Summary& s = ctx.summary();
  const geometry::TorusMetric& tm = *metric;
  const core::Grid& grid = tm.grid;
  const core::Fft fft(grid);
  const geometry::GridCurvature c =
      geometry::grid_curvature(geometry::grid_metric(tm), fft, options);
  const geometry::GridIntegrals& a = c.integrals;
  const double min_eig = geometry::min_metric_eigenvalue(tm);

  s.observable("dimension", static_cast<std::int64_t>(n));
  s.observable("points", points);
  s.observable("metric", metric_kind);
  s.observable("min_metric_eigenvalue", min_eig);
  s.observable("integral.einstein_hilbert", a.sqrt_g_r);
  s.observable("integral.gamma_gamma", a.sqrt_g_l_gamma_gamma);
  s.observable("integral.paper_eq91", a.sqrt_g_l_onsager_printed);
  s.observable("integral.volume", a.volume);

  // Absolute integrals ∫√g|·|: the size of what cancels.
  auto abs_integral = [&](const std::vector<double>& f) {
    std::vector<double> w(f.size());
    for (std::size_t i = 0; i < f.size(); ++i) w[i] = c.sqrt_g[i] * std::abs(f[i]);
    return core::integrate(grid, w);
  };
  const double abs_r = abs_integral(c.ricci_scalar);
  const double abs_gg = abs_integral(c.l_gamma_gamma);
  s.observable("integral.abs_einstein_hilbert", abs_r);
  s.observable("integral.abs_gamma_gamma", abs_gg);
  // Scale of the identity: |∫√gL_ΓΓ| in 3-D; in 2-D both sides vanish (Gauss–Bonnet), so the
  // scale is the size of the integrands, ∫√g(|R| + |L_ΓΓ|) (L_ΓΓ ≡ 0 for a conformal T² metric).
  const double scale = n == 3 ? std::abs(a.sqrt_g_l_gamma_gamma) : abs_r + abs_gg;
  const double d_r_gg = a.sqrt_g_r - a.sqrt_g_l_gamma_gamma;
  const double d_91_r = a.sqrt_g_l_onsager_printed - a.sqrt_g_r;
  const double rel_r_gg = std::abs(d_r_gg) / scale;
  const double rel_91_r = std::abs(d_91_r) / scale;
  s.observable("difference.einstein_hilbert_minus_gamma_gamma", d_r_gg);
  s.observable("difference.paper_eq91_minus_einstein_hilbert", d_91_r);
  s.observable("relative.einstein_hilbert_vs_gamma_gamma", rel_r_gg);
  s.observable("relative.paper_eq91_vs_einstein_hilbert", rel_91_r);
  const std::string scale_name = n == 3 ? "|∫√gL_ΓΓ|" : "∫√g(|R| + |L_ΓΓ|)";

  add_bound_oracle(s, "T9.2/identity", "∫√gR = ∫√gL_ΓΓ on the torus (corrected (92), T9.2)",
                   "(89)–(92), spec §8", rel_r_gg, kIdentityTolerance,
                   "|∫√gR − ∫√gL_ΓΓ| / " + scale_name + " with ∫√gR = " + fmt(a.sqrt_g_r) +
                       ", ∫√gL_ΓΓ = " + fmt(a.sqrt_g_l_gamma_gamma) + " on " +
                       std::to_string(points) + "^" + std::to_string(n) + " points over [0, 2π)^" +
                       std::to_string(n));
  if (n == 2) {
    add_bound_oracle(s, "T9.2/gauss_bonnet", "Gauss–Bonnet ∫√gR = 0 on T²", "T9.2",
                     std::abs(a.sqrt_g_r) / abs_r, kGaussBonnetTolerance,
                     "|∫√gR| / ∫√g|R| with ∫√gR = " + fmt(a.sqrt_g_r) + ", ∫√g|R| = " + fmt(abs_r));
  }
  if (metric_kind == "conformal") {
    // J = ∫e^{(n−2)φ}|∇φ|² with the spectral gradient of the sampled φ.
    const auto grad = core::spectral_gradient(fft, phi_values);
    std::vector<double> f(phi_values.size());
    for (std::size_t i = 0; i < f.size(); ++i) {
      double g2 = 0.0;
      for (const auto& ga : grad) g2 += ga[i] * ga[i];
      f[i] = std::exp((n - 2) * phi_values[i]) * g2;
    }
    const double j = core::integrate(grid, f);
    s.observable("conformal.j", j);
    const double cr = (n - 1) * (n - 2), c91 = -(n - 1) * (n + 2);
    const std::string nn = std::to_string(n);
    if (n == 3) {
      add_bound_oracle(s, "T9.2/conformal_R", "conformal ∫√gR = 2∫e^φ|∇φ|²", "spec §8 closed form",
                       std::abs(a.sqrt_g_r / (cr * j) - 1.0), kConformalTolerance,
                       "∫√gR = " + fmt(a.sqrt_g_r) + ", 2J = " + fmt(cr * j));
    }
    add_bound_oracle(s, "T9.2/conformal_L91",
                     "conformal ∫√gL_(91) = " + fmt(c91) + (n == 3 ? "∫e^φ|∇φ|²" : "∫|∇φ|²"),
                     "spec §8 closed form", std::abs(a.sqrt_g_l_onsager_printed / (c91 * j) - 1.0),
                     kConformalTolerance,
                     "n = " + nn + ": ∫√gL_(91) = " + fmt(a.sqrt_g_l_onsager_printed) + ", " +
                         fmt(c91) + "J = " + fmt(c91 * j));
  }
  s.add_check({.id = "(91)/paper",
               .name = "(91) reproduces ∫√gR (paper Eq. (91)–(92))",
               .kind = "claim",
               .equation = "(91)–(92)",
               .comparison = io::Comparison::upper_bound,
               .value = rel_91_r,
               .reference = 0.0,
               .tolerance = kIdentityTolerance,
               .control = io::Control{.label = "corrected L_ΓΓ = ¼(2I₄ − I₁ + I₂ − 2I₃) (spec §0 "
                                               "item 10)",
                                      .value = rel_r_gg},
               .note = "|∫√gL_(91) − ∫√gR| / " + scale_name +
                       ": ∫√gL_(91) = " + fmt(a.sqrt_g_l_onsager_printed) +
                       " vs ∫√gR = " + fmt(a.sqrt_g_r) + " (difference " + fmt(d_91_r) +
                       "); spec §0 item 10: the printed form differs from L_ΓΓ by ½(I₂ − I₃), not "
                       "a null Lagrangian"});

  // ---- images of the integrands on the x–y slice ----
  const std::int64_t nx = grid.points[0], ny = grid.points[1];
  std::vector<double> xs(static_cast<std::size_t>(nx)), ys(static_cast<std::size_t>(ny));
  for (std::int64_t i = 0; i < nx; ++i)
    xs[static_cast<std::size_t>(i)] = grid.coordinate(0, i) + grid.extent[0];
  for (std::int64_t i = 0; i < ny; ++i)
    ys[static_cast<std::size_t>(i)] = grid.coordinate(1, i) + grid.extent[1];
  ctx.record_array("slice/x", xs, info("x of the image rows", "x", "none"));
  ctx.record_array("slice/y", ys, info("y of the image columns", "y", "none"));
  const std::size_t size = c.sqrt_g.size();
  std::vector<double> eh(size), gg(size), p91(size), div(size), d91(size);
  for (std::size_t i = 0; i < size; ++i) {
    eh[i] = c.sqrt_g[i] * c.ricci_scalar[i];
    gg[i] = c.sqrt_g[i] * c.l_gamma_gamma[i];
    p91[i] = c.sqrt_g[i] * c.l_onsager_printed[i];
    div[i] = eh[i] - gg[i];
    d91[i] = p91[i] - eh[i];
  }
  const std::string where =
      n == 3 ? " on the slice z = " + fmt(grid.coordinate(2, slice) + grid.extent[2]) : "";
  auto image = [&](const std::string& path, const std::vector<double>& f, const std::string& what,
                   const std::string& label) {
    io::DatasetInfo d = info(what + where + " (rows x, columns y)", label, "image", "slice/x");
    d.columns = "slice/y";
    const auto sl = slice_of(grid, f, slice);
    ctx.record_array(path, nx, ny, sl.data(), d);
  };
  image("integrand/einstein_hilbert", eh, "√g R, (96)", "√g R");
  image("integrand/gamma_gamma", gg, "√g L_ΓΓ = √g g^{μν}(Γ^α_{μβ}Γ^β_{να} − Γ^α_{μν}Γ^β_{αβ})",
        "√g L_ΓΓ");
  image("integrand/paper_eq91", p91, "√g L_(91) = ¼√g(2I₄ − I₁ − I₂), paper (91)", "√g L_(91)");
  image("integrand/einstein_hilbert_minus_gamma_gamma", div,
        "√g R − √g L_ΓΓ = ∂_μ(√g w^μ) (integrates to 0)", "∂_μ(√g w^μ)");
  image("integrand/paper_eq91_minus_einstein_hilbert", d91,
        "√g L_(91) − √g R (does not integrate to 0)", "√g (L_(91) − R)");

  // ---- further seeds (random_cosine): the integrals per seed ----
  if (more_metrics.empty()) return;
  std::vector<double> seed_axis{static_cast<double>(seed)}, r{a.sqrt_g_r},
      ggs{a.sqrt_g_l_gamma_gamma}, p91s{a.sqrt_g_l_onsager_printed};
  double worst = rel_r_gg, least_91 = rel_91_r;
  auto progress = ctx.progress("seeds", static_cast<std::int64_t>(more_metrics.size()));
  for (std::size_t k = 0; k < more_metrics.size(); ++k) {
    const geometry::GridIntegrals b =
        geometry::grid_curvature(geometry::grid_metric(more_metrics[k]), fft, options).integrals;
    seed_axis.push_back(static_cast<double>(seed + k + 1));
    r.push_back(b.sqrt_g_r);
    ggs.push_back(b.sqrt_g_l_gamma_gamma);
    p91s.push_back(b.sqrt_g_l_onsager_printed);
    // 3-D scale |∫√gL_ΓΓ|; 2-D: ∫√g(|R| + |L_ΓΓ|) needs the fields, so |∫√gR − ∫√gL_ΓΓ| is
    // compared with the first seed's scale.
    const double sc = n == 3 ? std::abs(b.sqrt_g_l_gamma_gamma) : scale;
    worst = std::max(worst, std::abs(b.sqrt_g_r - b.sqrt_g_l_gamma_gamma) / sc);
    least_91 = std::min(least_91, std::abs(b.sqrt_g_l_onsager_printed - b.sqrt_g_r) / sc);
    progress->update(static_cast<std::int64_t>(k + 1));
  }
  progress->finish();
  s.observable("seeds.worst_relative_einstein_hilbert_vs_gamma_gamma", worst);
  s.observable("seeds.least_relative_paper_eq91_vs_einstein_hilbert", least_91);
  ctx.record_array("seeds/seed", seed_axis, info("run seed of each metric", "seed", "none"));
  ctx.record_array(
      "seeds/einstein_hilbert", r,
      info("∫√gR per seed", "integral", "line", "seeds/seed", "integrals per seed", "∫√gR"));
  ctx.record_array(
      "seeds/gamma_gamma", ggs,
      info("∫√gL_ΓΓ per seed", "integral", "line", "seeds/seed", "integrals per seed", "∫√gL_ΓΓ"));
  ctx.record_array("seeds/paper_eq91", p91s,
                   info("∫√gL_(91) per seed", "integral", "line", "seeds/seed",
                        "integrals per seed", "∫√gL_(91)"));
  add_bound_oracle(
      s, "T9.2/identity/seeds", "∫√gR = ∫√gL_ΓΓ for every seed", "(89)–(92), T9.2", worst,
      kIdentityTolerance,
      "largest relative difference over " + std::to_string(seed_axis.size()) + " seeds");
}

}  // namespace

ExperimentKind onsager_experiment() {
  return {"onsager",
          "Onsager form of the entropy production on T²/T³ (Sec. 9, (89)–(92)): ∫√gR, ∫√gL_ΓΓ, "
          "the printed (91) by spectral curvature",
          configure_onsager};
}

}  // namespace nnworld::lab
