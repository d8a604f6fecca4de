#include "nnworld/lab/network_experiment.hpp"
#include "nnworld/lab/experiment_util.hpp"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <limits>
#include <set>

#include "nnworld/core/error.hpp"
#include "nnworld/core/rng.hpp"
#include "nnworld/lab/network_config.hpp"
#include "nnworld/network/learning.hpp"
#include "nnworld/network/network.hpp"

namespace nnworld::lab {

namespace {

using io::Config;
using io::Range;
using network::Network;
using network::Vector;

// Series longer than this go to data.h5 only, not into summary.json.
constexpr std::int64_t kSummarySeriesLimit = 1000;
// Largest recorded trajectory, in numbers (400 MB of float64).
constexpr double kTrajectoryLimit = 5e7;

std::vector<double> to_std(const Vector& v) {
  return {v.data(), v.data() + v.size()};
}

// ---- weight helpers -----------------------------------------------------------------------

std::string layout_name(const network::Weights& w) {
  switch (w.index()) {
    case 0:
      return "dense";
    case 1:
      return "sparse";
    default:
      return "permutation";
  }
}

// The weights as a permutation layout, if every row holds exactly one non-zero entry and the
// columns of those entries are distinct.
double max_abs_weight(const network::Weights& w) {
  if (const auto* d = std::get_if<network::DenseWeights>(&w)) {
    return d->size() ? d->cwiseAbs().maxCoeff() : 0.0;
  }
  if (const auto* s = std::get_if<network::SparseWeights>(&w)) {
    double m = 0.0;
    for (std::int64_t k = 0; k < s->nonZeros(); ++k) m = std::max(m, std::abs(s->valuePtr()[k]));
    return m;
  }
  const auto& p = std::get<network::PermutationWeights>(w);
  return p.value.size() ? p.value.cwiseAbs().maxCoeff() : 0.0;
}

// ‖ŵ‖₂, the largest singular value; nullopt when too costly (N > kAnalysisLimit).
std::optional<double> spectral_norm(const network::Weights& w, std::int64_t n) {
  if (const auto* p = std::get_if<network::PermutationWeights>(&w)) {
    return p->value.size() ? p->value.cwiseAbs().maxCoeff() : 0.0;
  }
  if (n > kAnalysisLimit) return std::nullopt;
  const Eigen::MatrixXd dense = network::to_dense(w);
  if (dense.size() == 0) return 0.0;
  Eigen::BDCSVD<Eigen::MatrixXd> svd(dense);
  return svd.singularValues()(0);
}

// ---- the plan -----------------------------------------------------------------------------

struct NetworkPlan final : Plan {
  Network net;
  std::string init;
  // [dynamics]
  std::int64_t steps = 0;
  Vector x0;
  bool record = true;
  // [fixed_point]
  bool fp_enabled = true;
  network::NewtonOptions newton;
  std::vector<double> fp_reference;  // a published x* to compare with (empty: none)
  double fp_reference_tolerance = 0.0;
  // [training]
  bool train = false;
  network::SgdOptions sgd;
  network::Dataset data;

  void execute(RunContext& ctx) override;

 private:
  std::optional<network::FixedPoint> analyse_fixed_points(RunContext& ctx);
  void run_dynamics(RunContext& ctx, const std::optional<network::FixedPoint>& xstar,
                    std::optional<double> wnorm);
  void run_training(RunContext& ctx);
};

std::unique_ptr<Plan> configure_network(Config& c, const RunOptions& options) {
  auto plan = std::make_unique<NetworkPlan>();
  {
    BuiltNetwork built = build_network(c, options);
    plan->net = std::move(built.net);
    plan->init = std::move(built.init);
  }
  const Network& net = plan->net;
  const auto n = net.n();

  // ---- [dynamics] ----
  plan->steps = c.get<std::int64_t>("dynamics.steps", 100, "iterations t of the state map (1)",
                                    Range::between(0, 1e9));
  const double x0_scale = c.get<double>(
      "dynamics.x0_scale", 1.0, "random x(0): uniform in [−x0_scale, x0_scale]", Range::positive());
  if (c.kind("dynamics.x0") == io::NodeKind::array) {
    const auto x0 = c.get_vector("dynamics.x0", {}, "x(0): N numbers, or \"random\" | \"zero\"",
                                 {.size = static_cast<std::size_t>(n)});
    plan->x0 = Eigen::Map<const Vector>(x0.data(), n);
  } else {
    const std::string x0 = c.get_choice(
        "dynamics.x0", "random", "x(0): N numbers, or \"random\" | \"zero\"", {"random", "zero"});
    plan->x0 = Vector::Zero(n);
    if (x0 == "random") {
      const core::RngStream xrng(options.seed, core::StreamTag::start, 1);
      for (std::int64_t i = 0; i < n; ++i) {
        plan->x0[i] = x0_scale * (2.0 * xrng.uniform(0, static_cast<std::uint64_t>(i)) - 1.0);
      }
    }
  }
  plan->record = c.get<bool>("dynamics.record", true, "write the trajectory x(t) to data.h5");
  if (plan->record &&
      static_cast<double>(plan->steps + 1) * static_cast<double>(n) > kTrajectoryLimit) {
    throw c.error("dynamics.record",
                  "the trajectory would hold " + std::to_string((plan->steps + 1) * n) + " numbers",
                  "dynamics.record = false, or (steps + 1)·N <= 5e7");
  }

  // ---- [fixed_point] ----
  plan->fp_enabled = c.get<bool>("fixed_point.enabled", true,
                                 "search fixed points x* = f(w x* + b) by Newton's method");
  plan->newton.starts = static_cast<int>(c.get<std::int64_t>(
      "fixed_point.starts", 8, "Newton starts: x = 0, then random", Range::between(1, 1e6)));
  plan->newton.tolerance =
      c.get<double>("fixed_point.tolerance", 1e-12,
                    "convergence: max_i |x_i − f(w x + b)_i| <= tolerance", Range::positive());
  plan->newton.max_iterations = static_cast<int>(c.get<std::int64_t>(
      "fixed_point.max_iterations", 100, "Newton iterations per start", Range::between(1, 1e6)));
  plan->newton.start_scale =
      c.get<double>("fixed_point.start_scale", 2.0, "random starts uniform in [−scale, scale]^N",
                    Range::positive());
  plan->newton.seed = options.seed;
  plan->fp_reference =
      c.get_vector("fixed_point.reference", {},
                   "a known fixed point x* (N numbers, e.g. from spec.md) to check against");
  if (!plan->fp_reference.empty() && static_cast<std::int64_t>(plan->fp_reference.size()) != n) {
    throw c.error("fixed_point.reference",
                  "has " + std::to_string(plan->fp_reference.size()) + " numbers",
                  std::to_string(n) + " numbers (one per neuron)");
  }
  plan->fp_reference_tolerance =
      c.get<double>("fixed_point.reference_tolerance", 1e-12, "max_i |x*_i − reference_i| allowed",
                    Range::positive());

  // ---- [training] and [data] ----
  plan->train =
      c.get<bool>("training.enabled", false, "train b and w by SGD on the dataset average ⟨H⟩");
  plan->sgd = read_sgd_options(c, options, 0.0);
  auto& s = plan->sgd;
  s.steps =
      c.get<std::int64_t>("training.steps", 1000, "number of SGD updates", Range::between(0, 1e12));
  s.record_every =
      c.get<std::int64_t>("training.record_every", 1,
                          "record the mini-batch loss every this many steps", Range::at_least(1));
  s.seed = options.seed;
  const std::string source = c.get<std::string>(
      "data.source", "teacher",
      "dataset: teacher | gaussian | path of a CSV file (relative to this config)");
  const auto samples = c.get<std::int64_t>("data.samples", 256, "samples of a synthetic dataset",
                                           Range::between(1, 1e9));
  if (plan->train) {
    if (net.inputs.empty()) {
      throw c.error("network.inputs", "training needs input neurons",
                    "a non-empty list of input neurons");
    }
    if (source == "teacher" || source == "gaussian") {
      plan->data = network::synthetic_dataset(source, net, samples, options.seed, s.relax_steps);
    } else {
      const auto path = c.resolve_path(source);
      std::error_code ec;
      if (!std::filesystem::is_regular_file(path, ec)) {
        throw c.error("data.source", "cannot open '" + path.string() + "'",
                      "teacher, gaussian or the path of a CSV file relative to the config");
      }
      plan->data = network::load_csv(path.string());
      const auto cols = plan->data.rows.cols();
      const auto n_in = static_cast<std::int64_t>(net.inputs.size());
      const auto n_out = static_cast<std::int64_t>(net.outputs.size());
      if (cols != n_in + n_out && cols != n_in) {
        throw c.error("data.source",
                      "'" + path.string() + "' has " + std::to_string(cols) + " columns",
                      std::to_string(n_in + n_out) + " (inputs + outputs) or " +
                          std::to_string(n_in) + " (inputs only)");
      }
    }
  }
  return plan;
}

// ---- execution ----------------------------------------------------------------------------

void NetworkPlan::execute(RunContext& ctx) {
  auto& s = ctx.summary();
  const auto n = net.n();
  s.observable("n", n);
  s.observable("activation", std::string(network::activation_name(net.activation)));
  s.observable("layout", layout_name(net.w));
  s.observable("init", init);

  // Training first: the fixed points and the dynamics are those of the network as it ends up
  // (the configured one when training is off).
  if (train) run_training(ctx);

  const std::optional<double> wnorm = spectral_norm(net.w, n);
  if (wnorm) s.observable("weight_norm_2", *wnorm);

  std::optional<network::FixedPoint> xstar;
  if (fp_enabled) {
    if (n > kAnalysisLimit) {
      s.add_note("N = " + std::to_string(n) + " > " + std::to_string(kAnalysisLimit) +
                 ": fixed points, Ĝ and the Hessian (O(N³)) were not computed");
    } else {
      xstar = analyse_fixed_points(ctx);
    }
  }
  run_dynamics(ctx, xstar, wnorm);
}

// Fixed points of (1) by Newton's method; at the lowest-loss one: ρ(Ĵ), eig Ĝ (8) and the
// identity ∇²H(x*) = Ĝ(x*) − m I (spec §1a: the r-dependent Hessian term vanishes at r = 0).
std::optional<network::FixedPoint> NetworkPlan::analyse_fixed_points(RunContext& ctx) {
  auto& s = ctx.summary();
  const auto fps = network::fixed_points(net, newton);
  s.observable("n_fixed_points", static_cast<std::int64_t>(fps.size()));
  // Residual recomputed independently of the Newton loop: |x* − f(w x* + b)|∞.
  double max_residual = 0.0;
  for (const auto& fp : fps) {
    max_residual = std::max(max_residual, network::residual(net, fp.x).lpNorm<Eigen::Infinity>());
  }
  s.add_check({.id = "fixed_point.residual",
               .name = "fixed-point residual",
               .kind = "oracle",
               .equation = "(1)",
               .comparison = io::Comparison::upper_bound,
               .value = fps.empty() ? std::numeric_limits<double>::quiet_NaN() : max_residual,
               .reference = 0.0,
               .tolerance = newton.tolerance,
               .note = fps.empty() ? "no Newton start converged" : ""});
  if (fps.empty()) return std::nullopt;

  const auto& fp = fps.front();
  const auto n = net.n();
  if (!fp_reference.empty()) {
    // The lowest-loss x* against a value published elsewhere (spec.md T2.2 for the shipped
    // contraction config); the reference is given to 12 digits, hence the default 1e-12.
    const Vector ref = Eigen::Map<const Vector>(fp_reference.data(), n);
    const double err = (fp.x - ref).lpNorm<Eigen::Infinity>();
    s.add_check({.id = "fixed_point.reference",
                 .name = "fixed point x* vs reference",
                 .kind = "oracle",
                 .equation = "(1)",
                 .comparison = io::Comparison::upper_bound,
                 .value = err,
                 .reference = 0.0,
                 .tolerance = fp_reference_tolerance,
                 .note = "max_i |x*_i − reference_i| (fixed_point.reference)"});
  }
  s.observable("fixed_point_residual", max_residual);
  s.observable("spectral_radius", fp.spectral_radius);
  s.observable("fixed_point.loss", fp.loss);
  s.observable("fixed_point.newton_iterations", fp.iterations);
  if (n <= kSummarySeriesLimit) s.observable("fixed_point.x", to_std(fp.x));
  ctx.record_array("fixed_point/x", to_std(fp.x),
                   info("lowest-loss fixed point x* = f(w x* + b)", "x*_i", "line"));

  const network::Matrix g = network::g_matrix(net, fp.x);
  Eigen::SelfAdjointEigenSolver<network::Matrix> es(g, Eigen::EigenvaluesOnly);
  const Vector eig = es.eigenvalues();  // ascending
  if (n <= kSummarySeriesLimit) s.observable("g_eigenvalues", to_std(eig));
  ctx.record_array("fixed_point/g_eigenvalues", to_std(eig),
                   info("eigenvalues of Ĝ = (I − f̂′ŵ)ᵀ(I − f̂′ŵ) at x*, ascending", "λ(Ĝ)", "line"));

  // ∇²H(x*) vs Ĝ − m I. Both are sums of O(N) products of entries of Ĵ; rounding is
  // ~N·u·max|Ĝ| ≤ 2000·1.1e-16·max|Ĝ| < 1e-12·max|Ĝ|, so 1e-10·max(1, max|Ĝ|) only fails
  // if the Hessian or Ĝ is wrong, or x* is not a fixed point (r ≠ 0 adds Σ r_i f″ w_i⊗w_i).
  const network::Matrix h = network::hessian(net, fp.x);
  const network::Matrix expected = g - net.mass * network::Matrix::Identity(n, n);
  const double diff = (h - expected).cwiseAbs().maxCoeff();
  const double gmax = std::max(1.0, g.cwiseAbs().maxCoeff());
  s.add_check({.id = "hessian",
               .name = "Hessian = Ĝ − mI at x*",
               .kind = "oracle",
               .equation = "(8)",
               .comparison = io::Comparison::upper_bound,
               .value = diff,
               .reference = 0.0,
               .tolerance = 1e-10 * gmax,
               .note = "max |∇²H − (Ĝ − mI)| at the lowest-loss fixed point"});
  return fp;
}

// Iterates x(t+1) = f(w x(t) + b)   (1)   for t = 0..steps and checks, where they apply,
//   T2.2: ‖x(t) − x*‖₂ ≤ ‖ŵ‖₂^t ‖x(0) − x*‖₂   (tanh, ‖ŵ‖₂ < 1: |tanh′| ≤ 1 makes (1) a
//         contraction with constant ‖ŵ‖₂);
//   T2.1: x(t) = π^t x(0) exactly (linear f, b = 0, ŵ = π a signed permutation).
void NetworkPlan::run_dynamics(RunContext& ctx, const std::optional<network::FixedPoint>& xstar,
                               std::optional<double> wnorm) {
  auto& s = ctx.summary();
  const auto n = net.n();
  std::vector<double> traj;
  if (record) traj.reserve(static_cast<std::size_t>((steps + 1) * n));
  std::vector<double> residual(static_cast<std::size_t>(steps + 1), 0.0);
  std::vector<double> time(static_cast<std::size_t>(steps + 1));

  // T2.2 applicability.
  const bool contraction = net.activation == network::ActivationKind::tanh && wnorm &&
                           *wnorm < 1.0 && xstar.has_value() && steps >= 1;
  std::vector<double> dist;
  double xmax = 0.0;
  // T2.1 applicability: a signed permutation (entries ±1), linear f, b = 0 exactly.
  std::optional<network::PermutationWeights> perm;
  if (net.activation == network::ActivationKind::linear && (net.b.array() == 0.0).all()) {
    perm = as_permutation(net.w);
    if (perm && !(perm->value.array().abs() == 1.0).all()) perm.reset();
  }
  std::vector<std::int32_t> chain_src;
  std::vector<double> chain_sign;
  double perm_diff = 0.0;
  bool cyclic = false;
  double period_diff = -1.0;
  if (perm) {
    chain_src.resize(static_cast<std::size_t>(n));
    chain_sign.assign(static_cast<std::size_t>(n), 1.0);
    cyclic = true;
    for (std::int64_t i = 0; i < n; ++i) {
      chain_src[static_cast<std::size_t>(i)] = static_cast<std::int32_t>(i);
      cyclic = cyclic && perm->source[static_cast<std::size_t>(i)] == (i + n - 1) % n &&
               perm->value[i] == 1.0;
    }
  }

  Vector x = x0;
  Vector next(n);
  auto progress = ctx.progress("dynamics", steps);
  auto flush = [&](std::int64_t rows) {
    if (rows <= 0) return;
    time.resize(static_cast<std::size_t>(rows));
    residual.resize(static_cast<std::size_t>(rows));
    ctx.record_array("dynamics/time", time, info("iteration t", "t", "none"));
    if (record) {
      ctx.record_array("dynamics/x", rows, n, traj.data(),
                       info("states x(t) of the map (1); rows = t, columns = neurons", "x_i(t)",
                            n <= 16 ? "line" : "image", "dynamics/time"));
    }
    ctx.record_array("dynamics/residual", residual,
                     info("|x(t) − f(w x(t) + b)|∞", "residual", "logy", "dynamics/time"));
  };
  for (std::int64_t t = 0; t <= steps; ++t) {
    if (!x.allFinite()) {
      flush(t);
      throw Divergence(t, "dynamics.x");
    }
    network::state_map(net, x, next);
    const auto ti = static_cast<std::size_t>(t);
    residual[ti] = (x - next).lpNorm<Eigen::Infinity>();  // r(t) = x(t) − f(w x(t) + b)
    time[ti] = static_cast<double>(t);
    if (record) traj.insert(traj.end(), x.data(), x.data() + n);
    if (contraction) {
      dist.push_back((x - xstar->x).norm());
      xmax = std::max(xmax, x.lpNorm<Eigen::Infinity>());
    }
    if (perm) {
      for (std::int64_t i = 0; i < n; ++i) {
        const auto ii = static_cast<std::size_t>(i);
        const double ref = chain_sign[ii] * x0[chain_src[ii]];
        perm_diff = std::max(perm_diff, std::abs(x[i] - ref));
        if (std::isnan(x[i])) perm_diff = std::numeric_limits<double>::infinity();
      }
      if (cyclic && t == n) period_diff = (x - x0).lpNorm<Eigen::Infinity>();
      // x_i(t+1) = v_i x_{σ(i)}(t) = v_i s_{σ(i)}(t) x0[src_{σ(i)}(t)].
      std::vector<std::int32_t> src2(chain_src.size());
      std::vector<double> sign2(chain_sign.size());
      for (std::size_t i = 0; i < src2.size(); ++i) {
        const auto from = static_cast<std::size_t>(perm->source[i]);
        src2[i] = chain_src[from];
        sign2[i] = perm->value[static_cast<Eigen::Index>(i)] * chain_sign[from];
      }
      chain_src.swap(src2);
      chain_sign.swap(sign2);
    }
    if (t == steps) break;
    x.swap(next);
    progress->update(t + 1);
  }
  progress->finish();
  flush(steps + 1);
  s.observable("dynamics.steps", steps);
  s.observable("dynamics.final_residual", residual.back());
  if (n <= kSummarySeriesLimit) s.observable("dynamics.x_final", to_std(x));

  if (contraction) {
    // Rounding allowance δ: each evaluation of the map errs by at most
    // ε = 8u√N(N max|w_ij| ‖x‖∞ + ‖b‖∞ + 1) (matrix-vector product, bias, tanh a few ulp), and
    // a contraction with constant L keeps accumulated errors below ε/(1 − L); the numerical x*
    // is off by at most (‖r(x*)‖₂ + ε)/(1 − L). So δ = (‖r(x*)‖₂ + 2ε)/(1 − L).
    const double L = *wnorm;
    const double u = std::numeric_limits<double>::epsilon();
    const double nd = static_cast<double>(n);
    const double eps =
        8.0 * u * std::sqrt(nd) *
        (nd * max_abs_weight(net.w) * std::max(1.0, xmax) + net.b.lpNorm<Eigen::Infinity>() + 1.0);
    const double delta = (network::residual(net, xstar->x).norm() + 2.0 * eps) / (1.0 - L);
    const double e0 = dist.front();
    double ratio = 0.0;
    for (std::size_t t = 1; t < dist.size(); ++t) {  // t = 0 is an identity
      const double bound = std::pow(L, static_cast<double>(t)) * e0 * (1.0 + 1e-12) + delta;
      ratio = std::max(ratio, dist[t] / bound);
    }
    char note[256];
    std::snprintf(note, sizeof note,
                  "max over t >= 1 of ‖x(t)−x*‖₂ / (‖ŵ‖₂^t ‖x(0)−x*‖₂(1+1e-12) + δ), ‖ŵ‖₂ = %.6f, "
                  "δ = %.2e (rounding of the map and of x*)",
                  L, delta);
    s.add_check({.id = "T2.2/contraction",
                 .name = "T2.2 contraction bound",
                 .kind = "oracle",
                 .equation = "(1)",
                 .comparison = io::Comparison::upper_bound,
                 .value = ratio,
                 .reference = 1.0,
                 .tolerance = 0.0,
                 .note = note});
  } else if (net.activation == network::ActivationKind::tanh && wnorm && *wnorm < 1.0) {
    s.add_note("T2.2 contraction bound not checked: no fixed point x* (fixed_point.enabled?)");
  }
  if (perm) {
    s.add_check({.id = "T2.1/shift",
                 .name = "T2.1 permutation shift",
                 .kind = "oracle",
                 .equation = "(1)",
                 .comparison = io::Comparison::upper_bound,
                 .value = perm_diff,
                 .reference = 0.0,
                 .tolerance = 0.0,
                 .note = "max over t, i of |x_i(t) − (π^t x(0))_i|; exact: the map only copies "
                         "and negates numbers"});
    if (period_diff >= 0.0) {
      s.add_check({.id = "T2.1/period",
                   .name = "T2.1 π^N = I",
                   .kind = "oracle",
                   .equation = "(1)",
                   .comparison = io::Comparison::upper_bound,
                   .value = period_diff,
                   .reference = 0.0,
                   .tolerance = 0.0,
                   .note = "max_i |x_i(N) − x_i(0)| for the cyclic shift"});
    }
  }
}

// SGD with optional Langevin noise on (b, w) (learning.hpp):
//   q ← q − η(∇_q⟨H⟩_batch + λq) + √(2ηT) ξ,  H the bulk loss (3) or the boundary loss (4).
void NetworkPlan::run_training(RunContext& ctx) {
  auto& s = ctx.summary();
  network::SgdOptions opts = sgd;
  opts.seed = ctx.seed();
  opts.threads = ctx.threads();
  const std::string eq = opts.loss == network::LossKind::bulk ? "(3)" : "(4)";
  s.observable("training.samples", static_cast<std::int64_t>(data.rows.rows()));
  s.observable("training.data_source", data.source);
  const double initial = network::dataset_loss(net, data, opts);
  s.observable("training.dataset_loss_initial", initial);
  auto progress = ctx.progress("training", opts.steps);
  network::TrainingResult result;
  try {
    result = network::train_sgd(net, data, opts,
                                [&](std::int64_t done, std::int64_t) { progress->update(done); });
  } catch (const Divergence& e) {
    progress->finish();
    throw Divergence(e.step, "training " + e.quantity);
  }
  progress->finish();
  std::vector<double> step(result.step.begin(), result.step.end());
  ctx.record_array("training/step", step, info("SGD step", "step", "none"));
  ctx.record_array("training/loss", result.loss,
                   info("mini-batch mean of H " + eq + " before each update", "⟨H⟩ batch", "logy",
                        "training/step"));
  if (!result.loss.empty()) {
    s.observable("training.loss_first", result.loss.front());
    s.observable("training.loss_last", result.loss.back());
  }
  s.observable("training.dataset_loss_final", result.final_loss);
  add_training_check(s, eq, initial, result.final_loss);
}

}  // namespace

ExperimentKind network_experiment() {
  return {"network",
          "the network of Sec. 2: state map (1), fixed points, Ĝ (8), learning on a dataset",
          configure_network};
}

}  // namespace nnworld::lab
