#include "nnworld/lab/learning_experiment.hpp"
#include "nnworld/lab/experiment_util.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <limits>
#include <numeric>

#include "nnworld/core/error.hpp"
#include "nnworld/core/rng.hpp"
#include "nnworld/lab/network_config.hpp"
#include "nnworld/network/learning.hpp"
#include "nnworld/network/network.hpp"
#include "nnworld/thermo/annealed.hpp"
#include "nnworld/thermo/partition.hpp"

namespace nnworld::lab {

namespace {

using io::Config;
using io::Range;
using network::Matrix;
using network::Network;
using network::Vector;

// Where Debian's python3-sklearn installs the handwritten digits (8×8 pixels 0..16 + label).
constexpr const char* kDigitsPath =
    "/usr/lib/python3/dist-packages/sklearn/datasets/data/digits.csv.gz";
// N up to which the first law is also checked against the exact ensemble (cubature of (5)).
constexpr std::int64_t kQuadratureLimit = 3;
// Largest N for which the per-segment Laplace analysis (O(N³) per Newton step) is allowed.
constexpr std::int64_t kLaplaceLimit = 2000;
constexpr double kNan = std::numeric_limits<double>::quiet_NaN();

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

// Per-segment thermodynamics of the x ensemble at the fixed β.
struct Series {
  std::vector<double> step, loss;
  // Laplace form (spec §0 item 1): S_x (13), S₀ (14), C (12), U (10), F (6).
  std::vector<double> s_x, s0, complexity, u, f;
  std::vector<int> minima;
  bool laplace_unavailable = false;  // a note was added
  // AIS, at the sampled segments only.
  std::vector<double> sampled_step, ss_x, ss_x_err, su, su_err, sf, sf_err, ess;
};

struct LearningPlan final : Plan {
  Network net;
  network::Dataset data;
  std::string data_note;  // why the configured data source was replaced (empty: it was not)
  network::SgdOptions sgd;
  std::int64_t segments = 0;
  std::int64_t segment_steps = 0;
  double beta = 1.0;
  thermo::GaussianOptions gauss;
  bool sampling = true;
  std::int64_t sample_every = 1;
  thermo::AisOptions ais;
  double delta = 0.05;
  int first_law_particles = 64;
  std::int64_t bootstrap = 2000;

  void execute(RunContext& ctx) override;

 private:
  void measure(RunContext& ctx, Series& s, std::int64_t segment, double loss, double& t_laplace,
               double& t_sampling) const;
  void second_law(RunContext& ctx, const Series& s) const;
  void first_law_of_learning(RunContext& ctx, const Series& s) const;
  void decomposition(RunContext& ctx, const Series& s) const;
  void first_law(RunContext& ctx) const;
};

// ---- configuration ------------------------------------------------------------------------

std::unique_ptr<Plan> configure_learning(Config& c, const RunOptions& options) {
  auto plan = std::make_unique<LearningPlan>();
  Network& net = plan->net;

  // ---- [network]: inputs 0..n_in−1, then hidden neurons, then outputs (the last n_out) ----
  net = build_layered_network(c, options, {.n_inputs = 64, .n_hidden = 16, .n_outputs = 10},
                              kLaplaceLimit, "a Laplace analysis after every segment");
  const auto n_in = static_cast<std::int64_t>(net.inputs.size());
  const auto n_out = static_cast<std::int64_t>(net.outputs.size());

  // ---- [training] ----
  plan->segments = c.get<std::int64_t>("training.segments", 40,
                                       "number of training segments (a measurement after each)",
                                       Range::between(1, 1e6));
  plan->segment_steps = c.get<std::int64_t>("training.segment_steps", 50,
                                            "SGD updates per segment (K)", Range::between(1, 1e9));
  plan->sgd = read_segment_sgd(c, options, plan->segment_steps, 1e-5);
  const auto& s = plan->sgd;

  // ---- [ensemble], [sampling], [first_law], [second_law] ----
  plan->beta =
      c.get<double>("ensemble.beta", 10.0, "inverse temperature β of the ensemble of states x",
                    Range::positive());
  plan->gauss.newton.starts = static_cast<int>(
      c.get<std::int64_t>("ensemble.newton_starts", 8,
                          "Newton starts of the fixed-point search (Laplace expansion points)",
                          Range::between(1, 1e4)));
  plan->gauss.newton.seed = options.seed;
  plan->sampling = c.get<bool>("sampling.enabled", true,
                               "also estimate log Z, U, S_x by annealed importance sampling");
  plan->sample_every = c.get<std::int64_t>(
      "sampling.every", 10, "sample after every M-th segment (and before training and at the end)",
      Range::at_least(1));
  auto& a = plan->ais;
  a.particles = static_cast<int>(
      c.get<std::int64_t>("sampling.particles", 64, "AIS particles", Range::between(2, 1e7)));
  a.temperatures = static_cast<int>(c.get<std::int64_t>(
      "sampling.temperatures", 20, "AIS annealing steps K", Range::between(1, 1e6)));
  a.leapfrog_steps = static_cast<int>(c.get<std::int64_t>(
      "sampling.leapfrog_steps", 5, "HMC leapfrog steps per trajectory", Range::between(1, 1e4)));
  a.step_scale = c.get<double>("sampling.step_scale", 0.5, "HMC step ε_k = step_scale/√κ_k",
                               Range::positive());
  a.newton = plan->gauss.newton;
  a.seed = options.seed;
  plan->delta =
      c.get<double>("first_law.delta", 0.05,
                    "β₁,₂ = β(1 ∓ δ) for the identity dU = T dS_x along β at the trained network",
                    Range::between(1e-6, 0.5));
  plan->first_law_particles = static_cast<int>(c.get<std::int64_t>(
      "first_law.particles", a.particles,
      "AIS particles of the two estimates at β₁,₂ (their standard error sets the check's power)",
      Range::between(2, 1e7)));
  plan->bootstrap = c.get<std::int64_t>("second_law.bootstrap", 2000,
                                        "bootstrap resamples of the per-window slopes dS_x/dt",
                                        Range::between(10, 1e7));

  // ---- [data] ----
  const std::string source = c.get<std::string>(
      "data.source", "digits",
      "dataset: digits (python3-sklearn's handwritten digits) | teacher | gaussian | path of a "
      "CSV file (relative to this config)");
  const auto samples = c.get<std::int64_t>("data.samples", 512, "samples of a synthetic dataset",
                                           Range::between(1, 1e9));
  const double data_scale =
      c.get<double>("data.scale", source == "digits" ? 1.0 / 16.0 : 1.0,
                    "factor applied to the input columns of a CSV (digits: 1/16, pixels → [0, 1])",
                    Range::positive());
  std::string synthetic = source;
  std::filesystem::path path;
  if (source == "digits") {
    std::error_code ec;
    if (std::filesystem::is_regular_file(kDigitsPath, ec)) {
      path = kDigitsPath;
    } else {
      synthetic = "teacher";
      plan->data_note = std::string("data.source = \"digits\": ") + kDigitsPath +
                        " not found (Debian package python3-sklearn); the synthetic teacher "
                        "dataset was used instead";
    }
  } else if (source != "teacher" && source != "gaussian") {
    path = c.resolve_path(source);
  }
  if (path.empty()) {
    plan->data = network::synthetic_dataset(synthetic, net, samples, options.seed, s.relax_steps);
    return plan;
  }
  plan->data = read_csv_dataset(c, path, n_in, n_out, data_scale, "digits, teacher, gaussian");
  return plan;
}

// ---- execution ----------------------------------------------------------------------------

// One measurement after a segment (segment 0: before training). Laplace form of (5)–(14):
//   log Z_L = log Σ_k e^{−βH(x*_k)} (2π)^{N/2} det[β(Ĝ(x*_k) − mI)]^{−1/2},
//   F = −log Z/β (6), U = −∂_β log Z (10), S_x = β(U − F) (13), S₀ = (N/2)(1 + log(2π/β)) (14),
//   C = S_x − S₀ (= −½ log det Ĝ for one minimum, (12)).
// Sampled: the same F, U, S_x by AIS (thermo::ais_log_z) with their standard errors.
void LearningPlan::measure(RunContext& ctx, Series& s, std::int64_t segment, double loss,
                           double& t_laplace, double& t_sampling) const {
  s.step.push_back(static_cast<double>(segment * segment_steps));
  s.loss.push_back(loss);
  auto t0 = std::chrono::steady_clock::now();
  thermo::PartitionEstimate e;
  try {
    e = thermo::laplace(net, beta, gauss);
  } catch (const Error& err) {  // no fixed point found: no expansion point
    e.status = "no_minimum";
    e.entropy_s0 = 0.5 * static_cast<double>(net.n()) * (1.0 + std::log(2.0 * M_PI / beta));
  }
  t_laplace += seconds_since(t0);
  const bool ok = e.status == "ok";
  s.s_x.push_back(ok ? e.entropy : kNan);
  s.s0.push_back(e.entropy_s0);
  s.complexity.push_back(ok ? e.complexity : kNan);
  s.u.push_back(ok ? e.mean_loss : kNan);
  s.f.push_back(ok ? e.free_energy : kNan);
  s.minima.push_back(static_cast<int>(e.minima.size()));
  if (!ok && !s.laplace_unavailable) {
    s.laplace_unavailable = true;
    ctx.summary().add_note("Laplace form not available (" + e.status +
                           ": no fixed point found, or a zero mode of Ĝ − mI) at some segments; "
                           "S_x, C, U, F are NaN there");
  }
  if (!sampling || (segment % sample_every != 0 && segment != segments)) return;
  t0 = std::chrono::steady_clock::now();
  thermo::AisOptions o = ais;
  o.beta = beta;
  const thermo::AisResult r = thermo::ais_log_z(net, o);
  t_sampling += seconds_since(t0);
  s.sampled_step.push_back(static_cast<double>(segment * segment_steps));
  s.ss_x.push_back(r.entropy);
  s.ss_x_err.push_back(r.entropy_stderr);
  s.su.push_back(r.mean_h);
  s.su_err.push_back(r.mean_h_stderr);
  s.sf.push_back(r.free_energy);
  s.sf_err.push_back(r.free_energy_stderr);
  s.ess.push_back(r.weight_ess);
}

void LearningPlan::execute(RunContext& ctx) {
  auto& sum = ctx.summary();
  const auto n = net.n();
  sum.observable("n", n);
  sum.observable("activation", std::string(network::activation_name(net.activation)));
  sum.observable("beta", beta);
  sum.observable("data.source", data.source);
  sum.observable("data.samples", static_cast<std::int64_t>(data.rows.rows()));
  sum.observable("data.columns", static_cast<std::int64_t>(data.rows.cols()));
  if (!data_note.empty()) sum.add_note(data_note);
  sum.observable("training.segments", segments);
  sum.observable("training.segment_steps", segment_steps);

  Series s;
  double t_train = 0.0, t_laplace = 0.0, t_sampling = 0.0;
  auto t0 = std::chrono::steady_clock::now();
  network::SgdOptions opts = sgd;
  opts.threads = ctx.threads();
  measure(ctx, s, 0, network::dataset_loss(net, data, opts), t_laplace, t_sampling);
  t_train += seconds_since(t0);

  auto flush = [&] {
    const std::string ax = "learning/step";
    ctx.record_array(ax, s.step, info("SGD steps done", "step", "none"));
    ctx.record_array("learning/loss", s.loss,
                     info("dataset mean of H after each segment", "⟨H⟩ data", "logy", ax));
    const std::string lap = " (Laplace form) at the fixed β";
    ctx.record_array("learning/laplace/S_x", s.s_x,
                     info("total entropy S_x = β(U − F) (13)" + lap, "S_x", "line", ax, "entropy",
                          "S_x (Laplace)"));
    ctx.record_array("learning/laplace/S0", s.s0,
                     info("thermodynamic entropy S₀ = (N/2)(1 + log(2π/β)) (14)", "S₀", "line", ax,
                          "entropy", "S₀ (Laplace)"));
    ctx.record_array(
        "learning/laplace/C", s.complexity,
        info("complexity C = S_x − S₀ (12)" + lap, "C", "line", ax, "entropy", "C (Laplace)"));
    ctx.record_array(
        "learning/laplace/U", s.u,
        info("average loss U = ⟨H⟩ (10)" + lap, "U", "line", ax, "energy", "U (Laplace)"));
    ctx.record_array(
        "learning/laplace/F", s.f,
        info("free energy F = −log Z/β (6)" + lap, "F", "line", ax, "energy", "F (Laplace)"));
    std::vector<double> minima(s.minima.begin(), s.minima.end());
    ctx.record_array(
        "learning/laplace/minima", minima,
        info("number of minima of H (Laplace expansion points)", "minima", "none", ax));
    if (s.sampled_step.empty()) return;
    const std::string sax = "learning/sampled/step";
    ctx.record_array(sax, s.sampled_step,
                     info("SGD steps done at the AIS estimates", "step", "none"));
    ctx.record_array("learning/sampled/S_x", s.ss_x,
                     info("total entropy S_x = βU + log Z (13), AIS", "S_x", "line", sax, "entropy",
                          "S_x (AIS)", "learning/sampled/S_x_stderr"));
    ctx.record_array("learning/sampled/S_x_stderr", s.ss_x_err,
                     info("standard error of the AIS S_x", "stderr", "none", sax));
    ctx.record_array("learning/sampled/U", s.su,
                     info("average loss U = ⟨H⟩ (10), AIS", "U", "line", sax, "energy", "U (AIS)",
                          "learning/sampled/U_stderr"));
    ctx.record_array("learning/sampled/U_stderr", s.su_err,
                     info("standard error of the AIS U", "stderr", "none", sax));
    ctx.record_array("learning/sampled/F", s.sf,
                     info("free energy F (6), AIS", "F", "line", sax, "energy", "F (AIS)",
                          "learning/sampled/F_stderr"));
    ctx.record_array("learning/sampled/F_stderr", s.sf_err,
                     info("standard error of the AIS F", "stderr", "none", sax));
    ctx.record_array("learning/sampled/ess", s.ess,
                     info("effective sample size of the AIS weights", "ESS", "none", sax));
  };

  auto progress = ctx.progress("learning", segments);
  const core::RngStream seeds(ctx.seed(), core::StreamTag::minibatch, 0x6c6561726eULL);
  for (std::int64_t k = 1; k <= segments; ++k) {
    // Segment k trains with its own seed, a pure function of (run seed, k).
    opts.seed = seeds.raw(static_cast<std::uint64_t>(k), 0)[0];
    t0 = std::chrono::steady_clock::now();
    network::TrainingResult r;
    try {
      r = network::train_sgd(net, data, opts);
    } catch (const Divergence& e) {
      progress->finish();
      flush();
      throw Divergence((k - 1) * segment_steps + e.step, "training " + e.quantity);
    }
    t_train += seconds_since(t0);
    measure(ctx, s, k, r.final_loss, t_laplace, t_sampling);
    progress->update(k);
  }
  progress->finish();
  flush();

  sum.observable("training.loss_initial", s.loss.front());
  sum.observable("training.loss_final", s.loss.back());
  sum.observable("laplace.S_x_initial", s.s_x.front());
  sum.observable("laplace.S_x_final", s.s_x.back());
  sum.observable("laplace.C_initial", s.complexity.front());
  sum.observable("laplace.C_final", s.complexity.back());
  sum.observable("laplace.S0", s.s0.back());
  sum.observable("laplace.U_final", s.u.back());
  sum.observable("laplace.F_final", s.f.back());
  sum.observable("laplace.minima_final", static_cast<std::int64_t>(s.minima.back()));
  if (!s.sampled_step.empty()) {
    sum.observable("sampled.S_x_final", s.ss_x.back());
    sum.observable("sampled.S_x_final_stderr", s.ss_x_err.back());
    sum.observable("sampled.U_final", s.su.back());
    sum.observable("sampled.U_final_stderr", s.su_err.back());
    sum.observable("sampled.F_final", s.sf.back());
    sum.observable("sampled.F_final_stderr", s.sf_err.back());
  }
  add_training_check(sum, sgd.loss == network::LossKind::bulk ? "(3)" : "(4)", s.loss.front(),
                     s.loss.back());

  second_law(ctx, s);
  first_law_of_learning(ctx, s);
  decomposition(ctx, s);
  t0 = std::chrono::steady_clock::now();
  first_law(ctx);
  sum.observable("timing.training_s", t_train);
  sum.observable("timing.laplace_s", t_laplace);
  sum.observable("timing.sampling_s", t_sampling);
  sum.observable("timing.first_law_s", seconds_since(t0));
}

// Second law (15), spec T3.3 (a monitor: no closed form). Windows = consecutive segments;
// slope_k = (S_x(k) − S_x(k−1)) / K per SGD step (Laplace S_x). Reported: the fraction of
// windows with slope > 0 and the mean slope with a 95 % percentile-bootstrap CI [lo, hi]
// (resampling the slopes; draw (b, i) of a counter-based stream). The claim dS_x/dt ≤ 0 holds
// iff hi ≤ 0 (upper_bound). The control is the opposite law dS_x/dt ≥ 0, i.e. the same test on
// the time-reversed series, whose CI is [−hi, −lo]: its value −lo. Both pass only for a series
// that does not change, both fail when the CI straddles 0.
void LearningPlan::second_law(RunContext& ctx, const Series& s) const {
  auto& sum = ctx.summary();
  std::vector<double> slopes;
  for (std::size_t k = 1; k < s.s_x.size(); ++k) {
    const double d = (s.s_x[k] - s.s_x[k - 1]) / static_cast<double>(segment_steps);
    if (std::isfinite(d)) slopes.push_back(d);
  }
  sum.observable("second_law.windows", static_cast<std::int64_t>(slopes.size()));
  if (slopes.size() < 2) {
    sum.add_note("second law (15) not measured: fewer than 2 windows with a finite S_x");
    return;
  }
  const auto m = slopes.size();
  const double mean = std::accumulate(slopes.begin(), slopes.end(), 0.0) / static_cast<double>(m);
  const double positive = static_cast<double>(std::count_if(slopes.begin(), slopes.end(),
                                                            [](double v) { return v > 0; })) /
                          static_cast<double>(m);
  const MeanInterval ci =
      bootstrap_mean_ci(slopes, bootstrap, core::RngStream(ctx.seed(), core::StreamTag::user, 15));
  const double lo = ci.lo, hi = ci.hi;
  sum.observable("second_law.slopes", slopes);
  sum.observable("second_law.fraction_positive", positive);
  sum.observable("second_law.mean_slope", mean);
  sum.observable("second_law.ci95", std::vector<double>{lo, hi});
  char note[360];
  std::snprintf(note, sizeof note,
                "upper end of the bootstrap 95%% CI [%.4g, %.4g] (%lld resamples) of the mean "
                "dS_x/dt per SGD step (%.4g) over %zu windows of %lld steps (Laplace S_x at "
                "β = %g); fraction of windows with dS_x/dt > 0: %.3f",
                lo, hi, static_cast<long long>(bootstrap), mean, m,
                static_cast<long long>(segment_steps), beta, positive);
  sum.add_check(
      {.id = "(15)/second_law",
       .name = "second law of learning dS_x/dt ≤ 0",
       .kind = "claim",
       .equation = "(15)",
       .comparison = io::Comparison::upper_bound,
       .value = hi,
       .reference = 0.0,
       .tolerance = 0.0,
       .control = io::Control{.label = "the opposite law dS_x/dt ≥ 0 (time-reversed series)",
                              .value = -lo},
       .note = note});
}

// First law of learning (16)–(17): between learning equilibria at constant T, dF = 0, so
// dU = T dS_x = T dS₀ + T dC. Measured on the AIS estimates along the training (constant β):
// the change of F from the first to the last sampled segment, z = ΔF / √(se₁² + se₂²) (errors
// of the two estimates independent), against z* = 3. The control is the law without the
// complexity term, dU = T dS₀: at constant β S₀ does not change, so it says ΔU = 0, tested with
// the same z* on z = ΔU / √(se₁² + se₂²). The Laplace series is reported beside: with m = 0 its
// U = N/(2β) + H(x*) does not change, so it predicts ΔF = −T ΔC.
void LearningPlan::first_law_of_learning(RunContext& ctx, const Series& s) const {
  auto& sum = ctx.summary();
  const std::size_t last = s.sampled_step.size();
  if (last < 2) {
    sum.add_note(
        "first law of learning (16)–(17) not measured: fewer than two AIS estimates "
        "during training (sampling.enabled, sampling.every)");
    return;
  }
  const std::size_t a = 0, b = last - 1;
  const double df = s.sf[b] - s.sf[a];
  const double du = s.su[b] - s.su[a];
  const double se_f = std::hypot(s.sf_err[a], s.sf_err[b]);
  const double se_u = std::hypot(s.su_err[a], s.su_err[b]);
  const double t = 1.0 / beta;
  const double tds = t * (s.ss_x[b] - s.ss_x[a]);
  sum.observable("first_law_of_learning.delta_f", df);
  sum.observable("first_law_of_learning.delta_f_stderr", se_f);
  sum.observable("first_law_of_learning.delta_u", du);
  sum.observable("first_law_of_learning.delta_u_stderr", se_u);
  sum.observable("first_law_of_learning.t_delta_s", tds);
  double df_laplace = kNan;
  for (std::size_t k = s.f.size(); k-- > 0;) {
    if (std::isfinite(s.f[k]) && std::isfinite(s.f.front())) {
      df_laplace = s.f[k] - s.f.front();
      break;
    }
  }
  sum.observable("first_law_of_learning.delta_f_laplace", df_laplace);
  char note[400];
  std::snprintf(note, sizeof note,
                "AIS at β = %g, steps %g → %g: ΔF = %.4g ± %.3g (value: z = ΔF/se), ΔU = %.4g ± "
                "%.3g, TΔS_x = %.4g; |z| ≤ 3. Laplace series: ΔF_L = %.4g over the run (ΔU_L = "
                "0 for m = 0)",
                beta, s.sampled_step[a], s.sampled_step[b], df, se_f, du, se_u, tds, df_laplace);
  sum.add_check({.id = "(17)/first_law_of_learning",
                 .name = "first law of learning dU = T dS_x during training at constant T (dF = 0)",
                 .kind = "claim",
                 .equation = "(16)–(17)",
                 .comparison = io::Comparison::z_score,
                 .value = df / se_f,
                 .reference = 0.0,
                 .tolerance = 3.0,
                 .control = io::Control{.label = "dU = T dS₀ without the complexity term (ΔU = 0)",
                                        .value = du / se_u},
                 .note = note});
}

// Decomposition (13)–(14) for a single Laplace minimum: S_x = β(U − F) computed from log Z
// against S₀ + C with C = −½ log det(Ĝ − mI) computed from the eigenvalues alone. Both sides
// are sums of O(N) logarithms of magnitude ≤ |S₀| + |C| + N; rounding is a few ulp of that,
// hence 1e-12 relative to it. (F = U − T S_x itself is how S_x is defined in the code, so it is
// not checked: it could not fail.)
void LearningPlan::decomposition(RunContext& ctx, const Series& s) const {
  double worst = 0.0;
  int used = 0;
  for (std::size_t k = 0; k < s.s_x.size(); ++k) {
    if (s.minima[k] != 1 || !std::isfinite(s.s_x[k])) continue;
    const double scale =
        std::abs(s.s0[k]) + std::abs(s.complexity[k]) + static_cast<double>(net.n());
    worst = std::max(worst, std::abs(s.s_x[k] - (s.s0[k] + s.complexity[k])) / scale);
    ++used;
  }
  if (used == 0) {
    ctx.summary().add_note("S_x = S₀ + C not checked: no segment with a single Laplace minimum");
    return;
  }
  ctx.summary().add_check(
      {.id = "(13)/laplace",
       .name = "S_x = S₀ + C (Laplace)",
       .kind = "oracle",
       .equation = "(13)",
       .comparison = io::Comparison::upper_bound,
       .value = worst,
       .reference = 0.0,
       .tolerance = 1e-12,
       .note = "max over " + std::to_string(used) +
               " segments of |β(U − F) − (S₀ − ½ log det Ĝ)| / (|S₀| + |C| + N)"});
}

// dU = T dS_x along β with the trained network fixed — an identity of the canonical ensemble
// (U = F + TS_x and dF = −S_x dT), not the first law of learning (that one is measured during
// training above): it checks that the estimators of U and S_x are consistent. Between the
// equilibria at β₁ = β(1 − δ) and β₂ = β(1 + δ): ΔU = U(β₂) − U(β₁) vs T̄ ΔS_x, T̄ = (T₁ + T₂)/2.
// The finite difference errs by ∫(T − T̄) S_x′(T) dT ≈ S_x″ ΔT³/12, relative
// (T S_x″/S_x′)(ΔT/T)²/12 with ΔT/T ≈ 2δ. For the Laplace form with m = 0 (U = N/(2β) + H(x*),
// S_x = S₀ + C) T S″/S′ = −1 and the relative error is exactly 1 − atanh(δ)/δ ≈ −δ²/3; the
// tolerance δ²·|T̄ΔS_x| allows |T S″/S′| ≤ 3. AIS: a z-test of ΔU − T̄ΔS_x against its standard
// error (z* = 3; the δ² part is far below it), with the control ΔU = 0 (no entropy term) on the
// same error: a row whose control passes too has no power at this number of particles.
void LearningPlan::first_law(RunContext& ctx) const {
  auto& sum = ctx.summary();
  const double b1 = beta * (1.0 - delta), b2 = beta * (1.0 + delta);
  const double t_mid = 0.5 * (1.0 / b1 + 1.0 / b2);
  sum.observable("first_law.beta", std::vector<double>{b1, b2});
  sum.observable("first_law.t_mid", t_mid);
  char note[320];
  auto add = [&](const std::string& method, double u1, double u2, double s1, double s2,
                 double extra, const std::string& why) {
    const double du = u2 - u1, tds = t_mid * (s2 - s1);
    const double tol = delta * delta * std::abs(tds) + extra;
    sum.observable("first_law." + method + ".delta_u", du);
    sum.observable("first_law." + method + ".t_delta_s", tds);
    std::snprintf(note, sizeof note,
                  "ΔU (value) vs T̄ΔS_x (reference) between β₁ = %.6g and β₂ = %.6g, T̄ = %.6g; "
                  "tolerance δ²|T̄ΔS_x| (midpoint rule, δ = %g)%s",
                  b1, b2, t_mid, delta, why.c_str());
    sum.add_check({.id = "dU=TdS/beta/" + method,
                   .name = "dU = T dS_x along β at the trained network (" + method + ")",
                   .kind = "oracle",
                   .equation = "(10), (13)",
                   .comparison = io::Comparison::absolute,
                   .value = du,
                   .reference = tds,
                   .tolerance = tol,
                   .note = note});
  };

  thermo::PartitionEstimate l1, l2;
  try {
    l1 = thermo::laplace(net, b1, gauss);
    l2 = thermo::laplace(net, b2, gauss);
  } catch (const Error&) {
    l1.status = "no_minimum";
  }
  if (l1.status == "ok" && l2.status == "ok") {
    // Rounding: U and S_x are O(N) sums; 1e-12·(|U| + T̄|S_x|) covers them.
    const double round = 1e-12 * (std::abs(l1.mean_loss) + std::abs(l2.mean_loss) +
                                  t_mid * (std::abs(l1.entropy) + std::abs(l2.entropy)));
    add("laplace", l1.mean_loss, l2.mean_loss, l1.entropy, l2.entropy, round, " + 1e-12 rounding");
  } else {
    sum.add_note(
        "dU = T dS_x along β (Laplace) not checked: no fixed point found, or a zero mode "
        "of Ĝ");
  }
  if (net.n() <= kQuadratureLimit) {
    const auto q1 = thermo::quadrature(net, b1), q2 = thermo::quadrature(net, b2);
    // Cubature errors: |Δ log Z| errors propagate into S_x = βU + log Z and U alike; allow
    // 1e-9·(|U| + T̄|S_x|) + the estimated log Z errors (times T̄ for S_x).
    const double err = 1e-9 * (std::abs(q1.mean_loss) + std::abs(q2.mean_loss) +
                               t_mid * (std::abs(q1.entropy) + std::abs(q2.entropy))) +
                       t_mid * (q1.error_estimate + q2.error_estimate);
    add("quadrature", q1.mean_loss, q2.mean_loss, q1.entropy, q2.entropy, err,
        " + cubature error (exact ensemble, N ≤ 3)");
  }
  if (sampling) {
    thermo::AisOptions o = ais;
    o.particles = first_law_particles;
    o.beta = b1;
    const auto a1 = thermo::ais_log_z(net, o);
    o.beta = b2;  // same seed: common random numbers for the two temperatures
    const auto a2 = thermo::ais_log_z(net, o);
    const double se = std::sqrt(
        a1.mean_h_stderr * a1.mean_h_stderr + a2.mean_h_stderr * a2.mean_h_stderr +
        t_mid * t_mid *
            (a1.entropy_stderr * a1.entropy_stderr + a2.entropy_stderr * a2.entropy_stderr));
    const double du = a2.mean_h - a1.mean_h, tds = t_mid * (a2.entropy - a1.entropy);
    sum.observable("first_law.sampled.delta_u", du);
    sum.observable("first_law.sampled.t_delta_s", tds);
    sum.observable("first_law.sampled.stderr", se);
    std::snprintf(note, sizeof note,
                  "z = (ΔU − T̄ΔS_x)/se between β₁ = %.6g and β₂ = %.6g: ΔU = %.4g, T̄ΔS_x = "
                  "%.4g, se = %.3g (AIS, errors treated as independent); |z| ≤ 3",
                  b1, b2, du, tds, se);
    sum.add_check({.id = "dU=TdS/beta/sampled",
                   .name = "dU = T dS_x along β at the trained network (sampled)",
                   .kind = "oracle",
                   .equation = "(10), (13)",
                   .comparison = io::Comparison::z_score,
                   .value = (du - tds) / se,
                   .reference = 0.0,
                   .tolerance = 3.0,
                   .control = io::Control{.label = "no entropy term: ΔU = 0", .value = du / se},
                   .note = note});
  }
}

}  // namespace

ExperimentKind learning_experiment() {
  return {"learning",
          "thermodynamics of learning (Sec. 3): S_x, S₀, C, U, F during SGD; laws (15)–(17)",
          configure_learning};
}

}  // namespace nnworld::lab
