#include "nnworld/lab/partition_experiment.hpp"
#include "nnworld/lab/experiment_util.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>
#include <map>
#include <optional>

#include "nnworld/core/error.hpp"
#include "nnworld/lab/network_config.hpp"
#include "nnworld/network/network.hpp"
#include "nnworld/thermo/annealed.hpp"
#include "nnworld/thermo/existence.hpp"
#include "nnworld/thermo/partition.hpp"
#include "nnworld/thermo/sampler.hpp"

namespace nnworld::lab {

namespace {

using io::Config;
using io::Range;
using network::Network;
using network::Vector;

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
const std::vector<std::string> kMethods = {"laplace", "paper_eq7", "quadrature", "sampling"};

// A configured reference value of log Z (e.g. a column of spec T2.4).
struct Reference {
  std::string label;
  std::string method;
  double beta = 0.0;
  double log_z = 0.0;
  double tolerance = 0.0;
};

// Thermodynamic quantities of one method on the β grid (NaN where unavailable).
struct Series {
  std::vector<double> log_z, free_energy, mean_loss, entropy, heat_capacity;
  // sampling: standard errors; laplace: complexity and S₀.
  std::vector<double> log_z_stderr, mean_loss_stderr, entropy_stderr, heat_capacity_stderr;
  std::vector<double> complexity, s0;
  int zero_modes = 0;
  explicit Series(std::size_t n)
      : log_z(n, kNaN),
        free_energy(n, kNaN),
        mean_loss(n, kNaN),
        entropy(n, kNaN),
        heat_capacity(n, kNaN),
        log_z_stderr(n, kNaN),
        mean_loss_stderr(n, kNaN),
        entropy_stderr(n, kNaN),
        heat_capacity_stderr(n, kNaN),
        complexity(n, kNaN),
        s0(n, kNaN) {}
};

struct PartitionPlan final : Plan {
  Network net;
  std::string init;
  std::vector<double> beta;
  std::vector<std::string> methods;
  std::vector<Reference> references;
  double derivative_beta = 0.0;
  double fd_q_step = 1e-3;  // step k of the weight scale q in the finite-difference (12)
  double sampling_q_step = 0.1;
  thermo::GaussianOptions gaussian;
  thermo::QuadratureOptions quad;
  thermo::AisOptions ais;
  thermo::HmcOptions hmc;

  void execute(RunContext& ctx) override;
  void decomposition_checks(RunContext& ctx) const;

  [[nodiscard]] bool uses(const std::string& m) const {
    return std::find(methods.begin(), methods.end(), m) != methods.end();
  }
  [[nodiscard]] thermo::AisOptions ais_at(double b) const {
    thermo::AisOptions o = ais;
    o.beta = b;
    return o;
  }
};

std::unique_ptr<Plan> configure_partition(Config& c, const RunOptions& options) {
  auto plan = std::make_unique<PartitionPlan>();
  {
    BuiltNetwork built = build_network(c, options);
    plan->net = std::move(built.net);
    plan->init = std::move(built.init);
  }
  const Network& net = plan->net;
  const auto n = net.n();

  // ---- [ensemble] ----
  plan->beta =
      c.get_vector("ensemble.beta", {1.0, 3.0, 10.0, 30.0, 100.0},
                   "inverse temperatures β of the canonical ensemble (5)",
                   {.size = std::nullopt, .scalar_broadcast = false, .range = Range::positive()});
  if (plan->beta.empty()) {
    throw c.error("ensemble.beta", "empty array", "at least one β > 0");
  }
  plan->methods = c.get_choice_list(
      "ensemble.methods", {"laplace", "paper_eq7", "sampling"},
      "how Z is computed: laplace (corrected (7)), paper_eq7 ((7) as printed), quadrature "
      "(N <= 3), sampling (annealed importance sampling)",
      kMethods);
  const bool bounded = net.activation == network::ActivationKind::tanh ||
                       net.activation == network::ActivationKind::logistic;
  if (bounded && net.mass >= 1.0) {
    throw c.error("network.mass",
                  "Z diverges: m = " + fmt(net.mass) + " >= 1 with a bounded activation (" +
                      std::string(network::activation_name(net.activation)) + ")",
                  "m < 1 for tanh and logistic (spec §1a)");
  }
  if (plan->uses("quadrature") && n > 3) {
    throw c.error("ensemble.methods", "quadrature needs N <= 3 (N = " + std::to_string(n) + ")",
                  "N <= 3, or methods without \"quadrature\"");
  }
  if ((plan->uses("laplace") || plan->uses("paper_eq7")) && n > kAnalysisLimit) {
    throw c.error("ensemble.methods",
                  "laplace and paper_eq7 need Ĝ (O(N³)) for N = " + std::to_string(n),
                  "N <= " + std::to_string(kAnalysisLimit) + ", or methods = [\"sampling\"]");
  }
  if (net.activation == network::ActivationKind::linear) {
    // Linear f: Z < ∞ iff Ĝ − mI ≻ 0 (spec §1a); a zero mode only breaks the quadrature.
    try {
      (void)thermo::detail::check_existence(net, "network",
                                            plan->uses("quadrature") || plan->uses("sampling"),
                                            plan->gaussian.zero_mode_tolerance);
    } catch (const Error& e) {
      throw c.error(c.has("network.weights") ? "network.weights" : "network.init", e.what_,
                    e.expected);
    }
  }

  // ---- [checks] ----
  plan->derivative_beta = c.get<double>(
      "checks.derivative_beta", plan->beta.front(),
      "β of the T3.1 identity U = −∂β log Z and of the finite-difference mixed derivatives of "
      "(12) (quadrature, sampling)",
      Range::positive());
  plan->sampling_q_step =
      c.get<double>("checks.sampling_q_step", 0.1,
                    "sampling: step k of the weight scale q in ∂q U = ∂β∂q(βF)", Range::positive());

  // ---- [sampling] ----
  auto& a = plan->ais;
  a.particles = static_cast<int>(
      c.get<std::int64_t>("sampling.particles", 256, "AIS particles", Range::between(2, 1e7)));
  a.temperatures = static_cast<int>(c.get<std::int64_t>(
      "sampling.temperatures", 100, "AIS annealing steps K", Range::between(1, 1e6)));
  a.schedule_power = c.get<double>("sampling.schedule_power", 1.0, "AIS schedule t_k = (k/K)^p",
                                   Range::positive());
  a.transitions = static_cast<int>(c.get<std::int64_t>(
      "sampling.transitions", 1, "HMC trajectories per AIS temperature", Range::between(1, 1e4)));
  a.leapfrog_steps = static_cast<int>(c.get<std::int64_t>(
      "sampling.leapfrog_steps", 5, "leapfrog steps per AIS trajectory", Range::between(1, 1e4)));
  a.step_scale = c.get<double>("sampling.step_scale", 0.5,
                               "AIS leapfrog step ε_k = step_scale / √κ_k", Range::positive());
  a.seed = options.seed;
  auto& h = plan->hmc;
  h.chains = static_cast<int>(c.get<std::int64_t>("sampling.hmc_chains", 4,
                                                  "HMC chains for the heat capacity β² Var(H)",
                                                  Range::between(1, 1e4)));
  h.warmup = c.get<std::int64_t>("sampling.hmc_warmup", 200,
                                 "HMC warm-up trajectories per chain (step size adapted)",
                                 Range::between(0, 1e8));
  h.samples = c.get<std::int64_t>("sampling.hmc_samples", 1000,
                                  "HMC recorded trajectories per chain", Range::between(4, 1e8));
  h.leapfrog_steps = static_cast<int>(c.get<std::int64_t>("sampling.hmc_leapfrog_steps", 10,
                                                          "HMC leapfrog steps per trajectory",
                                                          Range::between(1, 1e4)));
  h.seed = options.seed;
  try {
    a.validate();
    h.validate(n);
  } catch (const Error& e) {
    throw c.error("sampling", e.what_, e.expected);
  }

  // ---- [[reference]] ----
  const std::size_t nref = c.table_array_size(
      "reference", "published log Z values to check: [[reference]] label, method, beta, log_z");
  for (std::size_t i = 0; i < nref; ++i) {
    const std::string key = "reference[" + std::to_string(i) + "]";
    Reference r;
    r.label = c.get<std::string>(key + ".label", "reference", "name prefix of the check");
    r.method =
        c.get_choice(key + ".method", "quadrature",
                     "method the value is compared with (quadrature for exact values)", kMethods);
    r.beta = c.get<double>(key + ".beta", 1.0, "β of the value (one of ensemble.beta)",
                           Range::positive());
    if (!c.has(key + ".log_z")) {
      (void)c.get_required_string(key + ".log_z", "the reference value of log Z");
    }
    r.log_z = c.get<double>(key + ".log_z", 0.0, "the reference value of log Z");
    r.tolerance =
        c.get<double>(key + ".tolerance", 1e-9, "allowed |log Z − reference|", Range::positive());
    if (!plan->uses(r.method)) {
      throw c.error(key + ".method", "method '" + r.method + "' is not in ensemble.methods",
                    "a method listed in ensemble.methods");
    }
    if (std::find(plan->beta.begin(), plan->beta.end(), r.beta) == plan->beta.end()) {
      throw c.error(key + ".beta", "β = " + fmt(r.beta) + " is not in ensemble.beta",
                    "one of the values of ensemble.beta");
    }
    plan->references.push_back(r);
  }
  return plan;
}

// ---- execution ----------------------------------------------------------------------------

void PartitionPlan::execute(RunContext& ctx) {
  auto& s = ctx.summary();
  const auto n = net.n();
  const std::size_t nb = beta.size();
  s.observable("n", n);
  s.observable("activation", std::string(network::activation_name(net.activation)));
  s.observable("init", init);
  s.observable("beta", beta);
  ctx.record_array("beta", beta, info("inverse temperature β", "β", "none"));

  // Spectrum of Ĝ (8) at the lowest-loss fixed point of (1): the Gaussian forms' input.
  Vector lambda;
  if (n <= kAnalysisLimit) {
    network::NewtonOptions newton = gaussian.newton;
    newton.seed = ctx.seed();
    const auto fps = network::fixed_points(net, newton);
    if (!fps.empty()) {
      const network::Matrix g = network::g_matrix(net, fps.front().x);
      Eigen::SelfAdjointEigenSolver<network::Matrix> es(g, Eigen::EigenvaluesOnly);
      lambda = es.eigenvalues();
      const std::vector<double> eig(lambda.data(), lambda.data() + lambda.size());
      if (n <= 1000) s.observable("g_eigenvalues", eig);
      ctx.record_array(
          "g_eigenvalues", eig,
          info("eigenvalues of Ĝ = (I − f̂′ŵ)ᵀ(I − f̂′ŵ) at x*, ascending", "λ(Ĝ)", "line"));
      const double top = lambda.cwiseAbs().maxCoeff();
      int zm = 0;
      for (Eigen::Index i = 0; i < lambda.size(); ++i) {
        zm += std::abs(lambda[i] - net.mass) <= gaussian.zero_mode_tolerance * std::max(1.0, top);
      }
      s.observable("zero_modes", zm);
    } else {
      s.add_note("no fixed point of (1) found: no spectrum of Ĝ");
    }
  }

  std::map<std::string, Series> out;
  for (const auto& m : methods) out.emplace(m, Series(nb));
  auto progress = ctx.progress("partition", static_cast<std::int64_t>(nb * methods.size()));
  std::int64_t done = 0;
  for (const auto& m : methods) {
    Series& r = out.at(m);
    for (std::size_t k = 0; k < nb; ++k) {
      const double b = beta[k];
      try {
        if (m == "sampling") {
          const thermo::AisResult a = thermo::ais_log_z(net, ais_at(b));
          r.log_z[k] = a.log_z;
          r.log_z_stderr[k] = a.log_z_stderr;
          r.free_energy[k] = a.free_energy;
          r.mean_loss[k] = a.mean_h;
          r.mean_loss_stderr[k] = a.mean_h_stderr;
          r.entropy[k] = a.entropy;
          r.entropy_stderr[k] = a.entropy_stderr;
          thermo::HmcOptions ho = hmc;
          ho.beta = b;
          ho.seed = ctx.seed();
          const thermo::HmcResult hr = thermo::hmc_sample(net, ho);
          r.heat_capacity[k] = hr.heat_capacity;
          r.heat_capacity_stderr[k] = hr.heat_capacity_stderr;
        } else {
          thermo::PartitionEstimate e;
          if (m == "laplace") {
            e = thermo::laplace(net, b, gaussian);
          } else if (m == "paper_eq7") {
            e = thermo::paper_eq7(net, b, gaussian);
          } else {
            e = thermo::quadrature(net, b, quad);
          }
          r.zero_modes = std::max(r.zero_modes, e.zero_modes);
          if (e.status != "ok") {
            s.add_note(m + " at β = " + fmt(b) + ": " + e.status + " (" +
                       std::to_string(e.zero_modes) +
                       " zero modes of Ĝ − mI): the Gaussian integral does not exist; recorded "
                       "as null");
            ++done;
            progress->update(done);
            continue;
          }
          r.log_z[k] = e.log_z;
          r.free_energy[k] = e.free_energy;
          r.mean_loss[k] = e.mean_loss;
          r.entropy[k] = e.entropy;
          r.heat_capacity[k] = e.heat_capacity;
          r.complexity[k] = e.complexity;
          r.s0[k] = e.entropy_s0;
        }
      } catch (const Divergence&) {
        throw;
      } catch (const Error& e) {
        s.add_note(m + " at β = " + fmt(b) + " failed: " + e.message() + "; recorded as null");
      }
      ++done;
      progress->update(done);
    }
  }
  progress->finish();

  // Observables (null in summary.json where not finite) and arrays (NaN there); one figure per
  // quantity with every method in it (attribute "figure"), sampling with error bars ("errors").
  for (const auto& m : methods) {
    const Series& r = out.at(m);
    const bool sampled = m == "sampling";
    bool non_finite = false;
    auto put = [&](const std::string& name, const std::vector<double>& v,
                   const std::string& description, const std::string& label,
                   const std::vector<double>* err) {
      for (double x : v) non_finite = non_finite || !std::isfinite(x);
      s.observable(name + "." + m, v);
      std::string errors;
      if (err) {
        s.observable(name + "_stderr." + m, *err);
        errors = name + "_stderr/" + m;
        ctx.record_array(errors, *err,
                         info("standard error of " + label + " (" + m + ")", "σ(" + label + ")",
                              "none", "beta"));
      }
      io::DatasetInfo d = info(description + ", " + m, label, "line", "beta");
      d.errors = errors;
      d.figure = name;  // one figure per quantity, every method in it
      d.legend = m;
      ctx.record_array(name + "/" + m, v, d);
    };
    put("log_z", r.log_z, "log Z(β) of (5)", "log Z", sampled ? &r.log_z_stderr : nullptr);
    put("free_energy", r.free_energy, "F = −log Z / β (6)", "F", nullptr);
    put("mean_loss", r.mean_loss, "U = ⟨H⟩ = −∂β log Z (10)", "U",
        sampled ? &r.mean_loss_stderr : nullptr);
    put("entropy", r.entropy, "S_x = β(U − F) (13)", "S_x", sampled ? &r.entropy_stderr : nullptr);
    put("heat_capacity", r.heat_capacity, "C_β = β² Var(H)", "C_β",
        sampled ? &r.heat_capacity_stderr : nullptr);
    if (m == "laplace") {
      put("complexity", r.complexity, "complexity C = −½ log det(Ĝ − mI) (12)", "C", nullptr);
      put("s0", r.s0, "S₀ = (N/2)(1 + log(2π/β)) (14)", "S₀", nullptr);
      s.observable("zero_modes_laplace", r.zero_modes);
    }
    if (non_finite) {
      s.add_note(m + ": some values are not finite (null in summary.json, NaN in data.h5)");
    }
  }

  // ---- checks ----
  auto index_of = [&](double b) {
    return static_cast<std::size_t>(std::find(beta.begin(), beta.end(), b) - beta.begin());
  };
  for (const auto& ref : references) {
    const double v = out.at(ref.method).log_z[index_of(ref.beta)];
    s.add_check({.id = ref.label + "/" + ref.method + "/beta=" + fmt(ref.beta),
                 .name = ref.label + " log Z " + ref.method + " β=" + fmt(ref.beta),
                 .kind = "oracle",
                 .equation = ref.method == "paper_eq7" ? "(7)" : "(5)",
                 .comparison = io::Comparison::absolute,
                 .value = v,
                 .reference = ref.log_z,
                 .tolerance = ref.tolerance,
                 .note = "|log Z − reference| = " + fmt(std::abs(v - ref.log_z)) +
                         " (reference from the config)"});
  }

  if (uses("sampling") && uses("quadrature")) {
    // AIS is unbiased in Z; its log Z carries the delta-method standard error σ. z* = 5 makes a
    // false alarm over a few β negligible (p ≈ 6e-7 each for Gaussian errors).
    const Series& smp = out.at("sampling");
    const Series& qd = out.at("quadrature");
    for (std::size_t k = 0; k < nb; ++k) {
      const double z = (smp.log_z[k] - qd.log_z[k]) / smp.log_z_stderr[k];
      s.add_check({.id = "sampling_vs_quadrature/beta=" + fmt(beta[k]),
                   .name = "sampling vs quadrature log Z β=" + fmt(beta[k]),
                   .kind = "oracle",
                   .equation = "(5)",
                   .comparison = io::Comparison::z_score,
                   .value = z,
                   .reference = 0.0,
                   .tolerance = 5.0,
                   .note = "z = (log Z_AIS − log Z_quadrature)/σ_AIS, σ_AIS = " +
                           fmt(smp.log_z_stderr[k]) + "; |z| ≤ 5"});
    }
  }

  const double bd = derivative_beta;
  if (uses("quadrature")) {
    // T3.1: U = ⟨H⟩ (cubature of H e^{−βH}) against −∂β log Z by a central difference with
    // h = 1e-3 β: truncation h²/6 |∂³ log Z| ≈ 1e-7 relative, rounding 1e-13/h; tolerance 1e-5.
    try {
      const double hb = 1e-3 * bd;
      const auto e0 = thermo::quadrature(net, bd, quad);
      const double lp = thermo::quadrature(net, bd + hb, quad).log_z;
      const double lm = thermo::quadrature(net, bd - hb, quad).log_z;
      const double u_fd = -(lp - lm) / (2.0 * hb);
      s.add_check({.id = "T3.1",
                   .name = "T3.1 U = −∂β log Z",
                   .kind = "oracle",
                   .equation = "(10)",
                   .comparison = io::Comparison::relative,
                   .value = e0.mean_loss,
                   .reference = u_fd,
                   .tolerance = 1e-5,
                   .note = "β = " + fmt(bd) +
                           ": U = ⟨H⟩ by cubature (value) against the central "
                           "difference −∂β log Z (reference, h = 1e-3 β)"});
    } catch (const Divergence&) {
      throw;
    } catch (const Error& e) {
      s.add_note("T3.1 by quadrature not checked: " + e.message());
    }
  }
  decomposition_checks(ctx);
}

// (11)–(12): ∂β∂q(βF) = 0, q the scale of ŵ (ŵ → qŵ at q = 1), at β = checks.derivative_beta.
//  * the exact Z (quadrature, N ≤ 3): the paper's claim, measured; control: the printed (7)
//    under the same difference and tolerance;
//  * the Laplace form (m = 0): an identity of the form, βF_L = A(β) + B(q) (spec T3.2), so the
//    difference must vanish to its rounding bound; control: the printed (7), which does not
//    decompose (spec §2b);
//  * sampling: ∂β∂q(βF) = ∂q U with U from AIS at q = 1 ± k (same seed); a z-test of D = 0 with
//    the printed (7)'s D as the control: it tells whether sampling resolves a violation of the
//    size (7) predicts.
void PartitionPlan::decomposition_checks(RunContext& ctx) const {
  auto& s = ctx.summary();
  const double bd = derivative_beta;
  const double beta_step = 1e-3;
  auto gaussian_log_z = [&](bool lap) {
    return [this, lap](const Network& nw, double b) {
      const thermo::PartitionEstimate e =
          lap ? thermo::laplace(nw, b, gaussian) : thermo::paper_eq7(nw, b, gaussian);
      if (e.status != "ok") {
        throw Error("decomposition (12)",
                    "the Gaussian integral does not exist (" + e.status + ") at β = " + fmt(b));
      }
      return e.log_z;
    };
  };
  // The printed (7)'s difference: the control of every row (N ≤ kAnalysisLimit).
  std::optional<thermo::MixedDerivative> eq7;
  std::string eq7_missing;
  if (net.n() <= kAnalysisLimit) {
    try {
      eq7 = thermo::mixed_derivative(net, bd, beta_step, fd_q_step, gaussian_log_z(false));
      s.observable("decomposition.paper_eq7", eq7->value);
    } catch (const Error& e) {
      eq7_missing = "the printed (7) could not be evaluated: " + e.message();
    }
  } else {
    eq7_missing = "the printed (7) needs Ĝ (O(N³)), N = " + std::to_string(net.n());
  }
  auto control = [&](double value) -> std::optional<io::Control> {
    if (!eq7) return std::nullopt;
    return io::Control{.label = "printed (7) by the same difference", .value = value};
  };

  if (uses("quadrature")) {
    try {
      // Resolution: truncation O(h² + k²) ≈ 1e-6 (h = 1e-3 β, k = 1e-3, third derivatives of
      // βF of order 1), rounding ≈ 1e-13/(hk) ≈ 1e-7 for cubature accurate to 1e-13.
      const auto d = thermo::mixed_derivative(
          net, bd, beta_step, fd_q_step,
          [this](const Network& nw, double b) { return thermo::quadrature(nw, b, quad).log_z; });
      s.observable("decomposition.quadrature", d.value);
      s.add_check({.id = "(12)/quadrature",
                   .name = "decomposition (12): ∂β∂q(βF) = 0 for the exact Z (quadrature)",
                   .kind = "claim",
                   .equation = "(12)",
                   .comparison = io::Comparison::absolute,
                   .value = d.value,
                   .reference = 0.0,
                   .tolerance = 1e-6,
                   .control = control(eq7 ? eq7->value : 0.0),
                   .no_control = eq7 ? "" : eq7_missing,
                   .note = "exact Z at β = " + fmt(bd) +
                           ", q = scale of ŵ, 4-point finite difference (h = 1e-3 β, k = " +
                           fmt(fd_q_step) + "; resolution 1e-6)"});
    } catch (const Divergence&) {
      throw;
    } catch (const Error& e) {
      s.add_note("(12) by quadrature not checked: " + e.message());
    }
  }
  if (uses("laplace") && net.n() <= kAnalysisLimit) {
    if (net.mass != 0.0) {
      s.add_note(
          "(12) for the Laplace form not checked: with m ≠ 0, H(x*) = −(m/2)|x*|² "
          "depends on q and the form does not decompose (spec §2a)");
    } else {
      try {
        const auto d =
            thermo::mixed_derivative(net, bd, beta_step, fd_q_step, gaussian_log_z(true));
        s.observable("decomposition.laplace", d.value);
        s.add_check({.id = "T3.2/laplace",
                     .name = "T3.2 the Laplace form decomposes: ∂β∂q(βF_L) = 0",
                     .kind = "oracle",
                     .equation = "(12)",
                     .comparison = io::Comparison::absolute,
                     .value = d.value,
                     .reference = 0.0,
                     .tolerance = d.rounding,
                     .control = control(eq7 ? eq7->value : 0.0),
                     .note = "βF_L = (N/2) log(β/2π) + ½ log det Ĝ(q) (m = 0) is A(β) + B(q): "
                             "the 4-point difference at β = " +
                             fmt(bd) + " vanishes up to its rounding bound δ/(hk) (tolerance)"});
      } catch (const Divergence&) {
        throw;
      } catch (const Error& e) {
        s.add_note("(12) for the Laplace form not checked: " + e.message());
      }
    }
  }
  if (uses("sampling")) {
    try {
      const double k = sampling_q_step;
      const auto up = thermo::ais_log_z(network::scale_weights(net, 1.0 + k), ais_at(bd));
      const auto um = thermo::ais_log_z(network::scale_weights(net, 1.0 - k), ais_at(bd));
      const double d = (up.mean_h - um.mean_h) / (2.0 * k);
      // The two estimates are treated as independent (conservative).
      const double se = std::hypot(up.mean_h_stderr, um.mean_h_stderr) / (2.0 * k);
      std::optional<thermo::MixedDerivative> eq7k;
      if (eq7) {
        eq7k = thermo::mixed_derivative(net, bd, beta_step, k, gaussian_log_z(false));
      }
      s.observable("decomposition.sampling", d);
      s.observable("decomposition.sampling_stderr", se);
      s.add_check({.id = "(12)/sampling",
                   .name = "decomposition (12): ∂β∂q(βF) = ∂q U = 0 (sampling)",
                   .kind = "claim",
                   .equation = "(12)",
                   .comparison = io::Comparison::z_score,
                   .value = d / se,
                   .reference = 0.0,
                   .tolerance = 3.0,
                   .control = control(eq7k ? eq7k->value / se : 0.0),
                   .no_control = eq7 ? "" : eq7_missing,
                   .note = "z = ∂q U / se, ∂q U = " + fmt(d) + " ± " + fmt(se) +
                           " at β = " + fmt(bd) + " by a central difference (k = " + fmt(k) +
                           ") of AIS ⟨H⟩; |z| ≤ 3; the control is the printed (7)'s ∂β∂q(βF_7) "
                           "over the same se"});
    } catch (const Divergence&) {
      throw;
    } catch (const Error& e) {
      s.add_note("(12) by sampling not checked: " + e.message());
    }
  }
}

}  // namespace

ExperimentKind partition_experiment() {
  return {"partition",
          "the canonical ensemble of the hidden variables: Z (5), F (6), U (10), S_x (13), C "
          "(12) by Laplace, Eq. (7), quadrature and sampling",
          configure_partition};
}

}  // namespace nnworld::lab
