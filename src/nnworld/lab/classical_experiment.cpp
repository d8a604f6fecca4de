#include "nnworld/lab/classical_experiment.hpp"
#include "nnworld/lab/experiment_util.hpp"

#include <Eigen/Dense>
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>
#include <memory>
#include <numbers>
#include <optional>

#include "nnworld/core/error.hpp"
#include "nnworld/core/expression.hpp"
#include "nnworld/core/fft.hpp"
#include "nnworld/core/grid.hpp"
#include "nnworld/core/rng.hpp"
#include "nnworld/trainable/hamilton_jacobi.hpp"

namespace nnworld::lab {

namespace {

using io::Config;
using io::Range;
using trainable::Form;

constexpr double kEps = std::numeric_limits<double>::epsilon();
// RK4 is stable for the linear oscillator q̈ = −ω²q while ω dt ≤ 2√2 (|R(iωdt)| ≤ 1).
const double kRk4Limit = 2.0 * std::numbers::sqrt2;
// F of the Cole–Hopf solve is compared where φ/max φ exceeds this (below, F carries the
// rounding of φ divided by φ).
constexpr double kResolvedPhi = 1e-4;

// A formula in q1..qK from the config; a parse error becomes a located config error.
core::Expression parse_formula(Config& c, const std::string& key, const std::string& text,
                               int dims) {
  try {
    return core::Expression(text, variable_names(dims));
  } catch (const core::ExpressionError& e) {
    throw c.error(key, e.describe(),
                  "a muParser formula in " + std::string(dims == 1   ? "q1"
                                                         : dims == 2 ? "q1, q2"
                                                                     : "q1, q2, q3"));
  }
}

double eval(const core::Expression& e, const core::Point& q, int dims) {
  return e(std::span<const double>(q.data(), static_cast<std::size_t>(dims)));
}

// Points at which a declared closed form (harmonic V, quadratic F(T)) is verified.
std::vector<core::Point> probe_points(const std::vector<double>& centre, int dims) {
  std::vector<core::Point> pts;
  core::Point c0{0.0, 0.0, 0.0};
  for (int a = 0; a < dims; ++a) c0[a] = centre[a];
  pts.push_back(c0);
  pts.push_back({0.0, 0.0, 0.0});
  pts.push_back({0.37, -1.1, 0.6});
  for (int a = 0; a < dims; ++a) {
    core::Point p = c0;
    p[a] += 0.5;
    pts.push_back(p);
    p[a] -= 1.7;
    pts.push_back(p);
  }
  for (auto& p : pts) {
    for (int a = dims; a < 3; ++a) p[a] = 0.0;
  }
  return pts;
}

struct ClassicalPlan final : Plan {
  trainable::Constants constants;
  int dims = 1;
  std::unique_ptr<core::Expression> potential;
  std::vector<Form> forms;
  std::int64_t particles = 64;
  std::vector<double> centre, width, momentum;
  double curvature = 0.0;
  std::unique_ptr<core::Expression> initial_free_energy;  // null: packet (momentum, curvature)
  double dt = 1e-3;
  double t_end = 1.0;
  std::int64_t every = 10;
  // Cole–Hopf field solve
  bool field = true;
  core::Grid grid;
  std::unique_ptr<core::Expression> terminal;
  // checks
  double harmonic_omega = 0.0;  // > 0: V = ω²|q|²/(4γ) was declared (and verified)
  std::optional<double> terminal_curvature;
  double energy_tolerance = 0.0;  // 0: automatic
  double field_tolerance = 1e-5;

  void execute(RunContext& ctx) override;
  [[nodiscard]] std::vector<trainable::CharacteristicState> initial_states(
      std::uint64_t seed) const;
  void run_field(RunContext& ctx) const;
};

std::unique_ptr<Plan> configure_classical(Config& c, const RunOptions& /*options*/) {
  auto plan = std::make_unique<ClassicalPlan>();
  auto& k = plan->constants;

  // ---- [trainable] ----
  k.diffusion =
      c.get<double>("trainable.diffusion", 0.0,
                    "D: the classical limit is D → 0 (a non-zero value is recorded, not used)",
                    Range::non_negative());
  k.gamma = c.get<double>("trainable.gamma", 0.5,
                          "γ of (19); the characteristics have mass M = 1/(2γ) (spec §0 item 5)");
  if (!(k.gamma > 0.0)) {
    throw c.error("trainable.gamma",
                  "γ = " + fmt(k.gamma) +
                      ": the characteristics Mq̈ = −∇V need the mass M = 1/(2γ), which requires "
                      "γ > 0",
                  "γ > 0");
  }
  k.mu_lagrange = c.get<double>("trainable.mu_lagrange", 2.0,
                                "μ, the Lagrange multiplier of (25); Cole–Hopf φ = e^{μF}");
  if (!(k.mu_lagrange > 0.0)) {
    throw c.error("trainable.mu_lagrange",
                  "μ = " + fmt(k.mu_lagrange) +
                      ": Cole–Hopf (φ = e^{μF}, backward heat equation with diffusivity γ/μ) "
                      "needs γμ > 0",
                  "μ > 0");
  }

  // ---- [initial] (K from the centre) ----
  plan->centre = c.get_vector("initial.centre", {1.0},
                              "centre of the initial packet of characteristics; its length is "
                              "the number K of trainable variables q (1..3)");
  if (plan->centre.empty() || plan->centre.size() > 3) {
    throw c.error("initial.centre", std::to_string(plan->centre.size()) + " coordinates",
                  "1, 2 or 3 coordinates (K = 1..3)");
  }
  const int dims = static_cast<int>(plan->centre.size());
  plan->dims = dims;
  const auto kd = static_cast<std::size_t>(dims);
  const std::string potential_text = c.get<std::string>(
      "trainable.potential", "0",
      "V(q) = −⟨dF/dt⟩ of (24): a muParser formula in q1..qK (e.g. \"0.5*q1^2\")");
  plan->potential = std::make_unique<core::Expression>(
      parse_formula(c, "trainable.potential", potential_text, dims));

  const std::string form =
      c.get_choice("classical.form", "both",
                   "corrected: q̇ = 2γ∇F (spec §0 item 5); paper: the printed (40) q̇ = γ∇F; both",
                   {"corrected", "paper", "both"});
  if (form != "paper") plan->forms.push_back(Form::corrected);
  if (form != "corrected") plan->forms.push_back(Form::paper);
  plan->particles = c.get<std::int64_t>("classical.particles", 64,
                                        "number of characteristics drawn from the packet",
                                        Range::between(1, 100000));

  plan->width =
      c.get_vector("initial.width", {0.1},
                   "standard deviation of the packet's positions per axis (one number for all)",
                   {.size = kd, .scalar_broadcast = true, .range = Range::non_negative()});
  const bool packet_keys = c.has("initial.momentum") || c.has("initial.curvature");
  plan->momentum = c.get_vector("initial.momentum", {0.0},
                                "∇F(0) at the centre: F(0, q) = P₀·(q − c) + (κ/2)|q − c|²",
                                {.size = kd, .scalar_broadcast = true, .range = Range::any()});
  plan->curvature =
      c.get<double>("initial.curvature", 0.0, "κ: ∇∇F(0) = κI of the packet's free energy F(0, q)");
  const std::string f0 = c.get<std::string>(
      "initial.free_energy", "",
      "F(0, q) as a formula in q1..qK (replaces initial.momentum and initial.curvature); "
      "P = ∇F(0) and ∇∇F(0) by finite differences");
  if (!f0.empty()) {
    if (packet_keys) {
      throw c.error("initial.free_energy",
                    "given together with initial.momentum or initial.curvature",
                    "either initial.free_energy or initial.momentum and initial.curvature");
    }
    plan->initial_free_energy =
        std::make_unique<core::Expression>(parse_formula(c, "initial.free_energy", f0, dims));
  }

  // ---- [time] ----
  plan->dt = c.get<double>("time.step", 1e-3,
                           "RK4 step of the characteristics and Strang step "
                           "of the Cole–Hopf solve",
                           Range::positive());
  plan->t_end = c.get<double>("time.end", 1.0,
                              "T: characteristics on [0, T]; the field solve "
                              "runs from F(T) back to t = 0",
                              Range::positive());
  const double steps = std::round(plan->t_end / plan->dt);
  if (steps > 1e7) {
    throw c.error("time.step",
                  fmt(steps) + " steps of " + fmt(plan->dt) + " up to T = " + fmt(plan->t_end),
                  "at most 1e7 steps");
  }
  plan->every =
      c.get<std::int64_t>("output.every", 10, "record every n-th step (data.h5 and summary.json)",
                          Range::between(1, 1e9));
  const double records = std::floor(steps / static_cast<double>(plan->every)) + 2.0;
  const double values = records * static_cast<double>(plan->particles) *
                        static_cast<double>(2 * dims + dims * dims + 2) *
                        static_cast<double>(plan->forms.size());
  if (values > 5e7) {
    throw c.error("classical.particles",
                  fmt(values) + " recorded values (" + std::to_string(plan->particles) +
                      " particles × " + fmt(records) + " records)",
                  "at most 5e7: fewer particles or a larger output.every");
  }

  // ---- [checks] harmonic case ----
  plan->harmonic_omega = c.get<double>(
      "checks.harmonic_omega", 0.0,
      "ω > 0 declares V = ω²|q|²/(4γ) (= ½Mω²|q|²) and enables the T6.2 closed-form oracles; "
      "0: a general potential",
      Range::non_negative());
  const auto probes = probe_points(plan->centre, dims);
  for (const auto& q : probes) {
    double v = 0.0;
    try {
      v = eval(*plan->potential, q, dims);
    } catch (const core::ExpressionError& e) {
      throw c.error("trainable.potential", e.describe(), "a formula defined for all q");
    }
    if (!std::isfinite(v)) {
      throw c.error(
          "trainable.potential",
          "V is not finite at q = (" + fmt(q[0]) + ", " + fmt(q[1]) + ", " + fmt(q[2]) + ")",
          "a finite potential");
    }
    if (plan->harmonic_omega > 0.0) {
      const double r2 = q[0] * q[0] + q[1] * q[1] + q[2] * q[2];
      const double want = plan->harmonic_omega * plan->harmonic_omega * r2 / (4.0 * k.gamma);
      if (std::abs(v - want) > 1e-12 * (1.0 + std::abs(want))) {
        throw c.error("trainable.potential",
                      "checks.harmonic_omega = " + fmt(plan->harmonic_omega) +
                          " declares V = ω²|q|²/(4γ), but V = " + fmt(v) + " ≠ " + fmt(want) +
                          " at q = (" + fmt(q[0]) + ", " + fmt(q[1]) + ", " + fmt(q[2]) + ")",
                      "V = ω²|q|²/(4γ), or checks.harmonic_omega = 0");
      }
    }
  }
  // The RK4 stability limit for the harmonic frequency: the declared ω, else the local one at
  // the centre, ω² = 2γ λ_max(∇∇V) (the linearisation q̈ = −2γ∇∇V δq).
  double omega = plan->harmonic_omega;
  std::string omega_source = "checks.harmonic_omega";
  if (omega == 0.0) {
    core::Point q0{0.0, 0.0, 0.0};
    for (int a = 0; a < dims; ++a) q0[a] = plan->centre[a];
    const auto jet = trainable::expression_potential_fn(*plan->potential, dims)(q0, 2);
    Eigen::Matrix3d h = Eigen::Matrix3d::Zero();
    for (int a = 0; a < dims; ++a) {
      for (int b = 0; b < dims; ++b) h(a, b) = jet.hessian[a * 3 + b];
    }
    const double top = Eigen::SelfAdjointEigenSolver<Eigen::Matrix3d>(h).eigenvalues().maxCoeff();
    if (std::isfinite(top) && top > 0.0) omega = std::sqrt(2.0 * k.gamma * top);
    omega_source = "√(2γ λ_max(∇∇V)) at the packet centre";
  }
  if (omega > 0.0 && omega * plan->dt > kRk4Limit) {
    throw c.error("time.step",
                  "dt = " + fmt(plan->dt) +
                      " exceeds the RK4 stability limit 2√2/ω = " + fmt(kRk4Limit / omega) +
                      " for the harmonic frequency ω = " + fmt(omega) + " (" + omega_source + ")",
                  "time.step <= " + fmt(kRk4Limit / omega));
  }

  // ---- [field] and [grid]: (38) with (γ/μ)∇²F by Cole–Hopf ----
  plan->field = c.get<bool>("field.solve", true,
                            "solve (38) with the (γ/μ)∇²F term backward from F(T) by Cole–Hopf");
  const auto points = c.get_vector(
      "grid.points", {64.0}, "grid points per axis of the Cole–Hopf solve (even, >= 8)",
      {.size = kd, .scalar_broadcast = true, .range = Range::between(8, 4096)});
  const auto extent =
      c.get_vector("grid.extent", {8.0}, "L: axis a covers [−L_a, L_a), periodic",
                   {.size = kd, .scalar_broadcast = true, .range = Range::positive()});
  const std::string terminal =
      c.get<std::string>("field.terminal", "0", "F(T, q): terminal data, a formula in q1..qK");
  if (c.has("checks.terminal_curvature")) {
    plan->terminal_curvature =
        c.get<double>("checks.terminal_curvature", 0.0,
                      "a_T: declares F(T) = a_T|q|²/2 + F(T, 0); with checks.harmonic_omega "
                      "enables the closed-form oracle of the Cole–Hopf solve");
  }
  plan->field_tolerance =
      c.get<double>("checks.field_tolerance", 1e-6,
                    "allowed |F − closed form| of the Cole–Hopf solve (Strang splitting: the "
                    "error is O(dt²), ~1e-7 at dt = 1e-3 in the shipped harmonic case)",
                    Range::positive());
  plan->energy_tolerance = c.get<double>(
      "checks.energy_tolerance", 0.0,
      "allowed relative drift of H = V + γ|P|² (0: automatic, 10 T ω (ω dt)⁴ + 1e-12)",
      Range::non_negative());
  if (plan->field) {
    std::vector<std::int64_t> n;
    for (double p : points) {
      if (p != std::floor(p) || static_cast<std::int64_t>(p) % 2 != 0) {
        throw c.error("grid.points", "grid.points = " + fmt(p), "even integers >= 8");
      }
      n.push_back(static_cast<std::int64_t>(p));
    }
    double total = 1.0;
    for (auto x : n) total *= static_cast<double>(x);
    if (total > 16777216.0) {
      throw c.error("grid.points", fmt(total) + " grid points", "at most 2^24 points in all");
    }
    plan->grid = core::make_grid(n, extent, core::Boundary::periodic);
    plan->terminal =
        std::make_unique<core::Expression>(parse_formula(c, "field.terminal", terminal, dims));
    if (plan->terminal_curvature) {
      const double at = *plan->terminal_curvature;
      const double f0t = eval(*plan->terminal, {0.0, 0.0, 0.0}, dims);
      for (const auto& q : probes) {
        const double r2 = q[0] * q[0] + q[1] * q[1] + q[2] * q[2];
        const double got = eval(*plan->terminal, q, dims), want = 0.5 * at * r2 + f0t;
        if (std::abs(got - want) > 1e-12 * (1.0 + std::abs(want))) {
          throw c.error("field.terminal",
                        "checks.terminal_curvature = " + fmt(at) +
                            " declares F(T) = a_T|q|²/2 + F(T, 0), but F(T) = " + fmt(got) + " ≠ " +
                            fmt(want) + " at q = (" + fmt(q[0]) + ", " + fmt(q[1]) + ", " +
                            fmt(q[2]) + ")",
                        "F(T) = a_T|q|²/2 + const, or no checks.terminal_curvature");
        }
      }
    }
  }
  return plan;
}

// ---- execution
// ------------------------------------------------------------------------------------

std::vector<trainable::CharacteristicState> ClassicalPlan::initial_states(
    std::uint64_t seed) const {
  const core::RngStream rng(seed, core::StreamTag::start);
  std::vector<trainable::CharacteristicState> s(static_cast<std::size_t>(particles));
  std::optional<trainable::PotentialFn> f0;
  if (initial_free_energy) f0 = trainable::expression_potential_fn(*initial_free_energy, dims);
  for (std::size_t i = 0; i < s.size(); ++i) {
    auto& x = s[i];
    for (int a = 0; a < dims; ++a) {
      x.q[a] = centre[a] + width[a] * rng.normal(0, i * 3 + static_cast<std::size_t>(a));
    }
    if (f0) {
      // F(0) from its formula: S = F, P = ∇F, A = ∇∇F (4th-order differences).
      const auto jet = (*f0)(x.q, 2);
      x.free_energy = jet.value;
      x.p = jet.gradient;
      x.hessian = jet.hessian;
    } else {
      double f = 0.0;
      for (int a = 0; a < dims; ++a) {
        const double d = x.q[a] - centre[a];
        x.p[a] = momentum[a] + curvature * d;
        x.hessian[a * 3 + a] = curvature;
        f += momentum[a] * d + 0.5 * curvature * d * d;
      }
      x.free_energy = f;
    }
  }
  return s;
}

void ClassicalPlan::run_field(RunContext& ctx) const {
  auto& s = ctx.summary();
  const core::Fft fft(grid);
  std::vector<double> v(static_cast<std::size_t>(grid.size())), ft(v.size());
  grid.for_each([&](std::int64_t i, const core::Point& q) {
    v[static_cast<std::size_t>(i)] = eval(*potential, q, dims);
    ft[static_cast<std::size_t>(i)] = eval(*terminal, q, dims);
  });
  for (std::size_t i = 0; i < v.size(); ++i) {
    if (!std::isfinite(v[i]) || !std::isfinite(ft[i])) {
      throw Error("field", "V or F(T) is not finite on the grid " + grid.describe(),
                  "finite trainable.potential and field.terminal on the grid");
    }
  }
  const double amp = trainable::cole_hopf_amplification(v, constants.mu_lagrange, t_end);
  s.observable("field.amplification", amp);
  if (amp > 30.0) {
    s.add_note("field: μ(V_max − V_min)T = " + fmt(amp) +
               " > 30: rounding at the grid's high-V edges grows by up to e^" + fmt(amp) +
               " in the backward solve (a smaller grid.extent or T keeps it conditioned)");
  }
  const trainable::ColeHopfSolution sol = trainable::solve_hj_backward(
      fft, v, ft, constants, {.t_end = t_end, .dt = dt, .record_every = every});

  // The slice along q1 through the grid point nearest the origin of the other axes.
  std::int64_t base = 0;
  for (int a = 1; a < dims; ++a) {
    const std::int64_t i0 = std::clamp<std::int64_t>(std::llround(grid.extent[a] / grid.spacing(a)),
                                                     0, grid.points[a] - 1);
    base += i0 * grid.stride(a);
  }
  const std::int64_t n1 = grid.points[0];
  const std::int64_t s1 = grid.stride(0);
  const std::int64_t i_origin =
      base +
      std::clamp<std::int64_t>(std::llround(grid.extent[0] / grid.spacing(0)), 0, n1 - 1) * s1;
  std::vector<double> q1(static_cast<std::size_t>(n1)), slice, phi_slice, f_origin;
  for (std::int64_t j = 0; j < n1; ++j) q1[static_cast<std::size_t>(j)] = grid.coordinate(0, j);
  for (std::size_t r = 0; r < sol.time.size(); ++r) {
    for (std::int64_t j = 0; j < n1; ++j) {
      slice.push_back(sol.free_energy[r][static_cast<std::size_t>(base + j * s1)]);
      phi_slice.push_back(sol.phi_relative[r][static_cast<std::size_t>(base + j * s1)]);
    }
    f_origin.push_back(sol.free_energy[r][static_cast<std::size_t>(i_origin)]);
  }
  const auto nr = static_cast<std::int64_t>(sol.time.size());
  ctx.record_array("field/time", sol.time, info("times of the field snapshots", "t", "none"));
  ctx.record_array("field/q1", q1, info("q1 coordinates of the field slice", "q1", "none"));
  ctx.record_array("field/free_energy", nr, n1, slice.data(),
                   info("F(t, q1) of (38) with (γ/μ)∇²F by Cole–Hopf, slice through the "
                        "origin of the other axes (rows = time)",
                        "F", "image", "field/q1"));
  ctx.record_array("field/phi_relative", nr, n1, phi_slice.data(),
                   info("φ/max φ on the slice (F is resolved where this is > 1e-4)", "φ/max φ",
                        "none", "field/q1"));
  ctx.record_array("field/free_energy_origin", f_origin,
                   info("F(t, 0) of the Cole–Hopf solve", "F(t, 0)", "line", "field/time"));
  s.observable("field.time", sol.time);
  s.observable("field.free_energy_origin", f_origin);
  s.observable("field.grid", grid.describe());
  s.observable("field.steps", sol.steps);

  if (harmonic_omega > 0.0 && terminal_curvature) {
    // (38) keeps F quadratic: F = a(t)|q|²/2 + c(t), c′ = −(γK/μ)a (the ∇²F term).
    const double c_t = eval(*terminal, {0.0, 0.0, 0.0}, dims);
    double err = 0.0, err_classical = 0.0, noise = 0.0;
    bool pole = false;
    std::vector<double> exact(static_cast<std::size_t>(grid.size())), r2(exact.size());
    grid.for_each([&](std::int64_t i, const core::Point& q) {
      r2[static_cast<std::size_t>(i)] = q[0] * q[0] + q[1] * q[1] + q[2] * q[2];
    });
    for (std::size_t r = 0; r < sol.time.size(); ++r) {
      const auto x = trainable::harmonic_backward_free_energy(
          *terminal_curvature, c_t, t_end, harmonic_omega, dims, constants, sol.time[r]);
      pole = pole || !std::isfinite(x.curvature) || !std::isfinite(x.offset);
      double top = -std::numeric_limits<double>::infinity();
      for (std::size_t i = 0; i < exact.size(); ++i) {
        exact[i] = 0.5 * x.curvature * r2[i] + x.offset;
        top = std::max(top, exact[i]);
      }
      // Compared where the exact φ/max φ exceeds 1e-4 (elsewhere F is rounding-dominated).
      for (std::size_t i = 0; i < exact.size(); ++i) {
        const double phi_exact = std::exp(constants.mu_lagrange * (exact[i] - top));
        noise = std::max(noise, std::abs(sol.phi_relative[r][i] - phi_exact));
        if (phi_exact < kResolvedPhi) continue;
        err = std::max(err, std::abs(sol.free_energy[r][i] - exact[i]));
        err_classical = std::max(
            err_classical, std::abs(sol.free_energy[r][i] - (0.5 * x.curvature * r2[i] + c_t)));
      }
    }
    s.observable("field.phi_error", noise);
    if (pole) {
      s.add_note("field: the closed form a(t) has a pole in [0, T]; Cole–Hopf oracle skipped");
    } else {
      s.add_check({.id = "(38)/cole_hopf",
                   .name = "Cole–Hopf (38) vs closed form a(t)|q|²/2 + c(t)",
                   .kind = "oracle",
                   .equation = "(38)",
                   .comparison = io::Comparison::upper_bound,
                   .value = err,
                   .reference = 0.0,
                   .tolerance = field_tolerance,
                   .note = "max |F − F_exact| where φ/max φ > 1e-4, over all snapshots; "
                           "c(t) = c_T − (K/2μ) log[cos(ωt + c_a)/cos(ωT + c_a)] from the "
                           "(γ/μ)∇²F term (without it the gap is " +
                           fmt(err_classical) + "); Strang splitting, error O(dt²)"});
      s.observable("field.error_closed_form", err);
      s.observable("field.error_without_laplacian_term", err_classical);
    }
  }
}

void ClassicalPlan::execute(RunContext& ctx) {
  auto& s = ctx.summary();
  s.observable("dims", dims);
  s.observable("mass", trainable::mass(constants));
  if (constants.diffusion != 0.0) {
    s.add_note("trainable.diffusion = " + fmt(constants.diffusion) +
               " is not used: this is the D → 0 limit of (32)–(33)");
  }
  const trainable::PotentialFn v =
      harmonic_omega > 0.0 ? trainable::harmonic_potential_fn(harmonic_omega, constants.gamma)
                           : trainable::expression_potential_fn(*potential, dims);
  const auto start = initial_states(ctx.seed());
  const bool quadratic_field = harmonic_omega > 0.0 && !initial_free_energy;
  auto progress =
      ctx.progress("classical", static_cast<std::int64_t>(forms.size()) + (field ? 1 : 0));
  std::int64_t done = 0;
  const auto k = static_cast<std::size_t>(dims);

  // The corrected law's residual along the corrected characteristics: the control of the
  // printed (42) claim (integrated for it when the corrected form is not among `forms`).
  std::optional<double> corrected_residual;
  for (const Form form : forms) {
    const std::string name = form == Form::corrected ? "corrected" : "paper";
    const trainable::Characteristics ch = trainable::integrate_characteristics(
        v, start, dims, constants, {.form = form, .dt = dt, .t_end = t_end, .record_every = every});
    const std::size_t nr = ch.records();
    const auto np = static_cast<std::size_t>(ch.particles);
    if (form == forms.front()) {
      s.observable("time", ch.time);
      ctx.record_array("time", ch.time, info("recorded times", "t", "none"));
      s.observable("steps", ch.steps);
      s.observable("dt", ch.dt);
    }

    // Cloud statistics per record.
    std::vector<std::vector<double>> mean(nr, std::vector<double>(k, 0.0));
    std::vector<double> variance(nr, 0.0), e_mean(nr, 0.0), s_mean(nr, 0.0);
    double drift = 0.0, h_scale = 0.0, q_scale = 0.0;
    for (std::size_t i = 0; i < np; ++i) h_scale = std::max(h_scale, std::abs(ch.h(0, i)));
    if (h_scale == 0.0) h_scale = 1.0;
    for (std::size_t r = 0; r < nr; ++r) {
      for (std::size_t i = 0; i < np; ++i) {
        for (std::size_t a = 0; a < k; ++a) {
          mean[r][a] += ch.q(r, i, a) / static_cast<double>(np);
          q_scale = std::max(q_scale, std::abs(ch.q(r, i, a)));
        }
        e_mean[r] += ch.h(r, i) / static_cast<double>(np);
        s_mean[r] += ch.s(r, i) / static_cast<double>(np);
        drift = std::max(drift, std::abs(ch.h(r, i) - ch.h(0, i)) / h_scale);
      }
      for (std::size_t i = 0; i < np; ++i) {
        for (std::size_t a = 0; a < k; ++a) {
          const double d = ch.q(r, i, a) - mean[r][a];
          variance[r] += d * d / static_cast<double>(np);
        }
      }
    }
    s.observable("mean." + name, mean);
    s.observable("variance." + name, variance);
    s.observable("energy." + name, e_mean);
    s.observable("energy_drift." + name, drift);
    s.observable("free_energy." + name, s_mean);
    s.observable("newton_residual." + name + ".corrected_law", ch.newton_residual_corrected);
    s.observable("newton_residual." + name + ".paper_law", ch.newton_residual_paper);
    if (std::isfinite(ch.caustic_time)) {
      s.observable("caustic_time." + name, ch.caustic_time);
      s.add_note(name + ": ∇∇F along a characteristic blew up at t = " + fmt(ch.caustic_time) +
                 " (a caustic: characteristics cross); q, P, F stay valid, ∇∇F is NaN after");
    }
    for (std::size_t a = 0; a < k; ++a) {
      std::vector<double> m(nr);
      for (std::size_t r = 0; r < nr; ++r) m[r] = mean[r][a];
      const std::string q = "q" + std::to_string(a + 1);
      ctx.record_array(name + "/mean_" + q, m,
                       info("mean of " + q + " over the characteristics (" + name + ")",
                            "⟨" + q + "⟩", "line", "time", "mean_" + q, name));
    }
    ctx.record_array(name + "/variance", variance,
                     info("Σ_a Var(q_a) of the cloud (" + name + ")", "variance", "line", "time",
                          "variance", name));
    ctx.record_array(name + "/energy_mean", e_mean,
                     info("mean H = V + γ|P|² over the cloud (" + name + ")", "⟨H⟩", "line", "time",
                          "energy", name));
    ctx.record_array(name + "/free_energy_mean", s_mean,
                     info("mean principal function F(t, q(t)) (" + name + ")", "⟨F⟩", "line",
                          "time", "free_energy", name));
    const auto nri = static_cast<std::int64_t>(nr);
    const auto cols = static_cast<std::int64_t>(np * k);
    ctx.record_array(
        name + "/trajectories", nri, cols, ch.position.data(),
        info("q(t): rows = time, columns = particle-major (q1..qK per particle)", "q", "none"));
    ctx.record_array(name + "/momentum", nri, cols, ch.momentum.data(),
                     info("P = ∇F along the paths (rows = time)", "P", "none"));
    ctx.record_array(
        name + "/free_energy", nri, ch.particles, ch.free_energy.data(),
        info("F along each path (rows = time, columns = particles): " +
                 std::string(form == Form::corrected ? "dF/dt = γ|P|² − V" : "dF/dt = −V (41)"),
             "F", "image"));
    ctx.record_array(name + "/energy", nri, ch.particles, ch.energy.data(),
                     info("H = V + γ|P|² along each path (rows = time)", "H", "none"));

    // ---- checks ----
    // The largest harmonic frequency met, ω² = 2γ λ_max(∇∇V) over the recorded states, sets
    // the RK4 and second-difference error scales.
    double omega = harmonic_omega;
    if (omega == 0.0) {
      for (std::size_t r = 0; r < nr; ++r) {
        for (std::size_t i = 0; i < np; ++i) {
          core::Point q{0.0, 0.0, 0.0};
          for (std::size_t a = 0; a < k; ++a) q[a] = ch.q(r, i, a);
          const auto jet = v(q, 2);
          Eigen::Matrix3d h = Eigen::Matrix3d::Zero();
          for (int a = 0; a < dims; ++a) {
            for (int b = 0; b < dims; ++b) h(a, b) = jet.hessian[a * 3 + b];
          }
          const double top =
              Eigen::SelfAdjointEigenSolver<Eigen::Matrix3d>(h).eigenvalues().maxCoeff();
          if (top > 0.0) omega = std::max(omega, std::sqrt(2.0 * constants.gamma * top));
        }
      }
    }
    const double wdt = omega * ch.dt;
    // Second differences: truncation dt²|q⁗|/12 ≈ dt²ω⁴|q|/12 (10× margin) plus rounding
    // 4ε|q|/dt² (4× margin).
    const double q_ref = std::max(q_scale, 1e-300);
    const double newton_tol = 10.0 * ch.dt * ch.dt * std::pow(omega, 4) * q_ref / 12.0 +
                              16.0 * kEps * q_ref / (ch.dt * ch.dt);
    if (form == Form::corrected) {
      // Energy: RK4's global error is O(T ω (ω dt)⁴) (10× margin) plus rounding.
      const double e_tol = energy_tolerance > 0.0 ? energy_tolerance
                                                  : 10.0 * t_end * omega * std::pow(wdt, 4) + 1e-12;
      s.add_check({.id = "energy_conservation",
                   .name = "energy conservation H = V + γ|P|² (corrected)",
                   .kind = "oracle",
                   .equation = "(39)",
                   .comparison = io::Comparison::upper_bound,
                   .value = drift,
                   .reference = 0.0,
                   .tolerance = e_tol,
                   .note = "max over paths and times of |H(t) − H(0)| / max|H(0)|; RK4 bound "
                           "10 T ω (ω dt)⁴ + 1e-12 with ω = " +
                           fmt(omega)});
      corrected_residual = ch.newton_residual_corrected;
      s.add_check({.id = "(42)/corrected",
                   .name = "Newton's law q̈ = −2γ∇V along q̇ = 2γ∇F (corrected)",
                   .kind = "oracle",
                   .equation = "(42) corrected",
                   .comparison = io::Comparison::upper_bound,
                   .value = ch.newton_residual_corrected,
                   .reference = 0.0,
                   .tolerance = newton_tol,
                   .note = "max |(q_{n+1} − 2q_n + q_{n−1})/dt² + 2γ∇V(q_n)| (spec §0 item 5); "
                           "tolerance: second-difference error 10 dt²ω⁴|q|/12 + 16ε|q|/dt²"});
    } else {
      std::string note =
          "max |(q_{n+1} − 2q_n + q_{n−1})/dt² + γ∇V(q_n)| along q̇ = γ∇F; the exact "
          "acceleration is −γ∇V − γ²(∇∇F)∇F (spec §5b), so the printed (42) fails unless "
          "(∇∇F)∇F = 0";
      if (!quadratic_field) {
        note += "; F is not quadratic here: ∇∇F along the path neglects −γ(P·∇)∇∇F";
      }
      if (!corrected_residual) {
        corrected_residual =
            trainable::integrate_characteristics(
                v, start, dims, constants,
                {.form = Form::corrected, .dt = dt, .t_end = t_end, .record_every = every})
                .newton_residual_corrected;
      }
      s.add_check({.id = "(42)/paper",
                   .name = "(40)–(42): q̇ = γ∇F obeys q̈ = −γ∇V (paper)",
                   .kind = "claim",
                   .equation = "(42)",
                   .comparison = io::Comparison::upper_bound,
                   .value = ch.newton_residual_paper,
                   .reference = 0.0,
                   .tolerance = newton_tol,
                   .control = io::Control{.label = "corrected q̇ = 2γ∇F, q̈ = −2γ∇V (spec §0 item 5)",
                                          .value = *corrected_residual},
                   .note = note});
    }

    if (harmonic_omega > 0.0) {
      // ---- T6.2 closed forms ----
      const double w = harmonic_omega, g = constants.gamma;
      double amp = 1.0;
      for (const auto& x : start) {
        for (int a = 0; a < dims; ++a) {
          amp = std::max({amp, std::abs(x.q[a]), 2.0 * g * std::abs(x.p[a]) / w});
        }
      }
      // RK4 on a linear system: global error ≲ T ω (ω dt)⁴ |state| (10× margin) + rounding.
      const double rk_tol = amp * (1e-10 + 10.0 * t_end * w * std::pow(w * ch.dt, 4));
      // The Riccati curvature's pole ωt + c = π/2 (c = atan(−2γκ/ω)).
      const double c_phase = std::atan(-2.0 * g * curvature / w);
      const bool pole =
          !initial_free_energy && w * t_end + c_phase >= 0.5 * std::numbers::pi - 1e-3;
      if (form == Form::corrected) {
        double err = 0.0, err_s = 0.0, err_a = 0.0;
        for (std::size_t r = 0; r < nr; ++r) {
          for (std::size_t i = 0; i < np; ++i) {
            const auto y = trainable::harmonic_characteristic(start[i], dims, w, g, ch.time[r]);
            for (std::size_t a = 0; a < k; ++a) {
              err = std::max({err, std::abs(ch.q(r, i, a) - y.q[a]),
                              std::abs(ch.p(r, i, a) - y.p[a]) * 2.0 * g / w});
              if (!initial_free_energy && !pole) {
                for (std::size_t b = 0; b < k; ++b) {
                  const double want =
                      a == b ? trainable::riccati_curvature(curvature, w, g, ch.time[r]) : 0.0;
                  err_a = std::max(
                      err_a, std::abs(ch.a(r, i, static_cast<int>(a), static_cast<int>(b)) - want));
                }
              }
            }
            err_s = std::max(err_s, std::abs(ch.s(r, i) - y.free_energy));
          }
        }
        s.add_check({.id = "T6.2/characteristics",
                     .name = "T6.2 characteristics closed form (corrected)",
                     .kind = "oracle",
                     .equation = "(40) corrected",
                     .comparison = io::Comparison::upper_bound,
                     .value = err,
                     .reference = 0.0,
                     .tolerance = rk_tol,
                     .note = "max |q − q_exact|, (2γ/ω)|P − P_exact| with q = q₀ cos ωt + "
                             "(2γP₀/ω) sin ωt; RK4 bound |q|(1e-10 + 10 T ω (ω dt)⁴)"});
        const double s_tol = rk_tol * amp * (1.0 / (2.0 * g) * w + 1.0);
        s.add_check({.id = "T6.2/principal_function",
                     .name = "T6.2 principal function F = F₀ + ½(q·P − q₀·P₀) (corrected)",
                     .kind = "oracle",
                     .equation = "(41) corrected",
                     .comparison = io::Comparison::upper_bound,
                     .value = err_s,
                     .reference = 0.0,
                     .tolerance = s_tol,
                     .note = "dF/dt = γ|P|² − V (the Lagrangian) integrates to ½[q·P]"});
        if (!initial_free_energy && !pole) {
          const double a_tol = 1e-10 * std::max(1.0, std::abs(curvature)) +
                               10.0 * t_end * w * std::pow(w * ch.dt, 4) * (w / (2.0 * g));
          s.add_check({.id = "T6.2/riccati",
                       .name = "T6.2 Riccati a(t) = −(ω/2γ) tan(ωt + c)",
                       .kind = "oracle",
                       .equation = "(38)",
                       .comparison = io::Comparison::upper_bound,
                       .value = err_a,
                       .reference = 0.0,
                       .tolerance = a_tol,
                       .note = "∇∇F along the characteristics against the Riccati solution, "
                               "tan c = −2γa(0)/ω"});
        }
      } else if (!initial_free_energy && !pole) {
        bool centred = true;  // b₀ = P₀ − κc = 0: F(0) = κ|q|²/2 + const
        for (int a = 0; a < dims; ++a) {
          centred = centred && momentum[a] - curvature * centre[a] == 0.0;
        }
        if (centred) {
          double err = 0.0;
          for (std::size_t r = 0; r < nr; ++r) {
            for (std::size_t i = 0; i < np; ++i) {
              for (std::size_t a = 0; a < k; ++a) {
                err = std::max(
                    err, std::abs(ch.q(r, i, a) - trainable::paper_harmonic_position(
                                                      start[i].q[a], curvature, w, g, ch.time[r])));
              }
            }
          }
          s.add_check({.id = "T6.2/paper_path",
                       .name = "T6.2 printed q̇ = γaq closed form (paper)",
                       .kind = "oracle",
                       .equation = "(40)",
                       .comparison = io::Comparison::upper_bound,
                       .value = err,
                       .reference = 0.0,
                       .tolerance = rk_tol,
                       .note = "q(t) = q₀[cos(ωt + c)/cos c]^{1/2}: the paper's path is "
                               "integrated correctly (it is not a solution of q̈ = −γ∇V)"});
        } else {
          s.add_note(
              "paper: P₀ ≠ κ·centre, so F(0) has a linear part and the paper path has "
              "no elementary closed form; only the (42) claim is measured");
        }
      }
      if (pole) {
        s.add_note(
            "a(t) reaches its pole ωt + c = π/2 within [0, T]: the Riccati oracle is "
            "skipped");
      }
    }
    progress->update(++done);
  }
  if (field) {
    run_field(ctx);
    progress->update(++done);
  }
  progress->finish();
}

}  // namespace

ExperimentKind classical_experiment() {
  return {"classical",
          "the Hamilton–Jacobi limit of the trainable variables: characteristics q̇ = 2γ∇F "
          "(and the printed γ∇F), energy, principal function, Cole–Hopf solve of (38)",
          configure_classical};
}

}  // namespace nnworld::lab
