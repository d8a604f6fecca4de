#include "nnworld/lab/complexity_experiment.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <limits>
#include <numeric>

#include "nnworld/core/error.hpp"
#include "nnworld/core/rng.hpp"
#include "nnworld/hidden/complexity.hpp"
#include "nnworld/hidden/permutation.hpp"
#include "nnworld/lab/experiment_util.hpp"
#include "nnworld/lab/network_config.hpp"
#include "nnworld/network/learning.hpp"
#include "nnworld/network/network.hpp"

namespace nnworld::lab {

namespace {

using io::Config;
using io::Range;
using network::Matrix;
using network::Network;
using network::Vector;

constexpr double kNan = std::numeric_limits<double>::quiet_NaN();
// Above this N the O(N³) assignment after every segment is refused.
constexpr std::int64_t kAssignmentLimit = 1000;

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

Matrix dense_weights(const Network& net) {
  return Matrix(network::to_dense(net.w));
}

// Per-segment measurements (index 0: before training).
struct Series {
  std::vector<double> step, loss, distance, plain_distance, entropy_mean, weight_norm, diagonal;
  std::vector<double> cycles, largest_cycle, fixed_points, fixed_inputs, teacher_match;
  std::vector<double> complexity, fixed_point_count;
  std::vector<double> entropy_rows;  // (segments + 1) × N, row-major
};

// Mean per-segment change of a series with a 95 % percentile-bootstrap CI of that mean
// (resampling the changes; draw (b, i) of a counter-based stream).
struct Trend {
  std::size_t windows = 0;
  double mean = kNan, lo = kNan, hi = kNan, fraction_down = kNan;
};

Trend trend(const std::vector<double>& v, std::int64_t bootstrap, std::uint64_t seed,
            std::uint64_t tag) {
  std::vector<double> d;
  for (std::size_t k = 1; k < v.size(); ++k) {
    const double x = v[k] - v[k - 1];
    if (std::isfinite(x)) d.push_back(x);
  }
  Trend t;
  t.windows = d.size();
  if (d.size() < 2) return t;
  const auto m = d.size();
  t.mean = std::accumulate(d.begin(), d.end(), 0.0) / static_cast<double>(m);
  t.fraction_down =
      static_cast<double>(std::count_if(d.begin(), d.end(), [](double x) { return x < 0; })) /
      static_cast<double>(m);
  const MeanInterval ci =
      bootstrap_mean_ci(d, bootstrap, core::RngStream(seed, core::StreamTag::user, tag));
  t.lo = ci.lo;
  t.hi = ci.hi;
  return t;
}

struct ComplexityPlan final : Plan {
  Network net;
  network::Dataset data;
  std::string data_kind;  // "permutation" | "teacher" | "gaussian" | "csv"
  // Permutation teacher: w_T = teacher_scale · π_T, b = 0 (source[i] = σ_T(i)).
  hidden::Permutation teacher;
  double teacher_scale = 1.0;
  std::int64_t n_in = 0, n_out = 0;
  network::SgdOptions sgd;
  std::int64_t segments = 0;
  std::int64_t segment_steps = 0;
  bool fixed_point_c = true;
  network::NewtonOptions newton;
  std::int64_t bootstrap = 2000;
  std::int64_t bins = 20;

  void execute(RunContext& ctx) override;

 private:
  void measure(Series& s, std::int64_t segment, double loss) const;
  void oracles(RunContext& ctx) const;
};

// ---- configuration ------------------------------------------------------------------------

std::unique_ptr<Plan> configure_complexity(Config& c, const RunOptions& options) {
  auto plan = std::make_unique<ComplexityPlan>();
  Network& net = plan->net;

  // ---- [network]: inputs 0..n_in−1, then hidden neurons, then outputs (the last n_out) ----
  net = build_layered_network(c, options, {.n_inputs = 16, .n_hidden = 0, .n_outputs = 16},
                              kAssignmentLimit, "an O(N³) assignment after every segment");
  const auto n_in = static_cast<std::int64_t>(net.inputs.size());
  const auto n_out = static_cast<std::int64_t>(net.outputs.size());
  const std::int64_t n = net.n();
  plan->n_in = n_in;
  plan->n_out = n_out;

  // ---- [complexity] ----
  plan->segments = c.get<std::int64_t>("complexity.segments", 30,
                                       "training segments (the measures are taken after each)",
                                       Range::between(1, 1e6));
  plan->segment_steps = c.get<std::int64_t>("complexity.segment_steps", 100,
                                            "SGD updates per segment", Range::between(1, 1e9));
  plan->fixed_point_c = c.get<bool>(
      "complexity.fixed_point_complexity", true,
      "also compute C = −log|det(I − f̂′ŵ)| (spec §2) at the fixed points after every segment");
  plan->newton.starts = static_cast<int>(
      c.get<std::int64_t>("complexity.newton_starts", 8,
                          "Newton starts of the fixed-point search for C", Range::between(1, 1e4)));
  plan->newton.seed = options.seed;
  plan->bootstrap =
      c.get<std::int64_t>("complexity.bootstrap", 2000,
                          "bootstrap resamples of the per-segment changes (CI of the mean change)",
                          Range::between(10, 1e7));
  plan->bins =
      c.get<std::int64_t>("complexity.histogram_bins", 20,
                          "bins of the row-entropy histogram on [0, 1]", Range::between(1, 1e4));

  // ---- [training] ----
  plan->sgd = read_segment_sgd(c, options, plan->segment_steps, 0.0);
  const auto& s = plan->sgd;

  // ---- [data] ----
  const std::string source = c.get<std::string>(
      "data.source", "permutation",
      "dataset: permutation (teacher ŵ = scale·π, π a random permutation in which every output "
      "reads a distinct input) | teacher (random dense teacher) | gaussian | path of a CSV file "
      "(relative to this config)");
  const auto samples = c.get<std::int64_t>("data.samples", 512, "samples of a synthetic dataset",
                                           Range::between(1, 1e9));
  plan->teacher_scale = c.get<double>(
      "data.teacher_scale", 1.0,
      "permutation teacher: the value of every non-zero weight, ŵ_T = scale·π", Range::positive());
  const double data_scale = c.get<double>(
      "data.scale", 1.0, "factor applied to the input columns of a CSV file", Range::positive());
  if (source == "permutation") {
    if (n_out < 1 || n_out > n_in) {
      throw c.error("data.source",
                    "a permutation teacher needs 1 <= n_outputs <= n_inputs (got n_inputs = " +
                        std::to_string(n_in) + ", n_outputs = " + std::to_string(n_out) + ")",
                    "n_outputs between 1 and n_inputs, or another data source");
    }
    plan->data_kind = "permutation";
    // π_T: output k (neuron n − n_out + k) reads input ρ(k), ρ = the first n_out entries of a
    // random permutation of the inputs; the other rows (inputs, hidden) take the remaining
    // columns in the order of a second random permutation. Stream: dataset tag, replica 1 and 2.
    const auto seed_a = core::RngStream(options.seed, core::StreamTag::dataset, 1).raw(0, 0)[0];
    const auto seed_b = core::RngStream(options.seed, core::StreamTag::dataset, 2).raw(0, 0)[0];
    const hidden::Permutation rho = hidden::random_permutation(n_in, seed_a);
    std::vector<std::int32_t> source_of(static_cast<std::size_t>(n), -1);
    std::vector<char> taken(static_cast<std::size_t>(n), 0);
    for (std::int64_t k = 0; k < n_out; ++k) {
      const auto col = rho.source[static_cast<std::size_t>(k)];
      source_of[static_cast<std::size_t>(n - n_out + k)] = col;
      taken[static_cast<std::size_t>(col)] = 1;
    }
    std::vector<std::int32_t> rest;
    for (std::int64_t j = 0; j < n; ++j) {
      if (!taken[static_cast<std::size_t>(j)]) rest.push_back(static_cast<std::int32_t>(j));
    }
    const hidden::Permutation shuffle =
        hidden::random_permutation(static_cast<std::int64_t>(rest.size()), seed_b);
    std::size_t r = 0;
    for (std::int64_t i = 0; i < n - n_out; ++i) {
      source_of[static_cast<std::size_t>(i)] = rest[static_cast<std::size_t>(shuffle.source[r++])];
    }
    plan->teacher.source = std::move(source_of);
    // Inputs u ∈ (−1, 1) (draw (0, s·n_in + k) of the dataset stream, as network::
    // synthetic_dataset); targets = the teacher's outputs after ≥ 1 step of (1) with the inputs
    // clamped and b = 0: y_k = f(scale · u_{ρ(k)}).
    const core::RngStream data_rng(options.seed, core::StreamTag::dataset);
    auto& d = plan->data;
    d.rows.resize(samples, n_in + n_out);
    for (std::int64_t smp = 0; smp < samples; ++smp) {
      for (std::int64_t k = 0; k < n_in; ++k) {
        d.rows(smp, k) =
            2.0 * data_rng.uniform(0, static_cast<std::uint64_t>(smp * n_in + k)) - 1.0;
      }
      for (std::int64_t k = 0; k < n_out; ++k) {
        const double u = d.rows(smp, rho.source[static_cast<std::size_t>(k)]);
        d.rows(smp, n_in + k) = network::activation_f(net.activation, plan->teacher_scale * u);
      }
    }
    d.source = "permutation teacher (seed " + std::to_string(options.seed) + ")";
    return plan;
  }
  if (source == "teacher" || source == "gaussian") {
    plan->data_kind = source;
    plan->data = network::synthetic_dataset(source, net, samples, options.seed, s.relax_steps);
    return plan;
  }
  plan->data_kind = "csv";
  plan->data = read_csv_dataset(c, c.resolve_path(source), n_in, n_out, data_scale,
                                "permutation, teacher, gaussian");
  return plan;
}

// ---- execution ----------------------------------------------------------------------------

void ComplexityPlan::measure(Series& s, std::int64_t segment, double loss) const {
  const Matrix w = dense_weights(net);
  const hidden::PermutationMeasures m = hidden::permutation_measures(w);
  s.step.push_back(static_cast<double>(segment * segment_steps));
  s.loss.push_back(loss);
  s.distance.push_back(m.permutation_distance);
  s.plain_distance.push_back(m.plain_distance);
  s.entropy_mean.push_back(m.mean_row_entropy);
  s.weight_norm.push_back(std::sqrt(m.frobenius_squared));
  s.diagonal.push_back(m.diagonal_fraction);
  s.cycles.push_back(static_cast<double>(m.cycles));
  s.largest_cycle.push_back(static_cast<double>(m.largest_cycle));
  s.fixed_points.push_back(static_cast<double>(m.fixed_points));
  double fixed_in = 0.0;
  for (std::int64_t i = 0; i < n_in; ++i) fixed_in += m.nearest.source[i] == i;
  s.fixed_inputs.push_back(fixed_in);
  if (!teacher.source.empty()) {
    double match = 0.0;
    const std::int64_t n = net.n();
    for (std::int64_t i = n - n_out; i < n; ++i) {
      match += m.nearest.source[static_cast<std::size_t>(i)] ==
               teacher.source[static_cast<std::size_t>(i)];
    }
    s.teacher_match.push_back(match / static_cast<double>(n_out));
  }
  s.entropy_rows.insert(s.entropy_rows.end(), m.row_entropy.begin(), m.row_entropy.end());
  if (fixed_point_c) {
    const auto fps = hidden::fixed_point_complexity(net, newton);
    s.complexity.push_back(fps.empty() ? kNan : fps.front().complexity);
    s.fixed_point_count.push_back(static_cast<double>(fps.size()));
  }
}

// Closed-form checks of the measures on matrices built here (failures are bugs).
void ComplexityPlan::oracles(RunContext& ctx) const {
  auto& sum = ctx.summary();
  const std::int64_t n = net.n();
  const core::RngStream rng(ctx.seed(), core::StreamTag::user, 0x636f6d70ULL);
  const hidden::Permutation planted = hidden::random_permutation(n, rng.raw(0, 0)[0]);
  // Planted: entries ±[1, 2] at (i, σ(i)), noise in [−0.1, 0.1] elsewhere. Any σ′ ≠ σ loses
  // ≥ 1 − 0.01 of Σ w² per displaced row, so σ is the unique optimum.
  Matrix w(n, n), g = Matrix::Zero(n, n);
  for (std::int64_t i = 0; i < n; ++i) {
    for (std::int64_t j = 0; j < n; ++j) w(i, j) = 0.2 * rng.uniform(1 + i, j) - 0.1;
    const auto j = planted.source[static_cast<std::size_t>(i)];
    const double sign = rng.uniform(2, i) < 0.5 ? -1.0 : 1.0;
    w(i, j) = sign * (1.0 + rng.uniform(3, i));
    g(i, j) = sign * (0.1 + 3.0 * rng.uniform(4, i));  // generalised permutation
  }
  const auto m = hidden::permutation_measures(w);
  std::int64_t wrong = 0;
  for (std::int64_t i = 0; i < n; ++i) {
    wrong += m.nearest.source[static_cast<std::size_t>(i)] !=
             planted.source[static_cast<std::size_t>(i)];
  }
  sum.add_check({.id = "assignment.planted",
                 .name = "assignment recovers a planted permutation",
                 .kind = "oracle",
                 .equation = "(59)",
                 .comparison = io::Comparison::upper_bound,
                 .value = static_cast<double>(wrong),
                 .reference = 0.0,
                 .tolerance = 0.0,
                 .note = "rows (of N = " + std::to_string(n) +
                         ") whose nearest-permutation column differs from the planted σ; "
                         "planted |w| ∈ [1, 2], noise |w| ≤ 0.1"});
  const double dg = hidden::permutation_measures(g).permutation_distance;
  add_bound_oracle(sum, "distance.generalised_permutation",
                   "permutation_distance of a generalised permutation = 0", "(59)", std::abs(dg),
                   1e-15,
                   "random signs and scales in [0.1, 3.1] on a random permutation; the two sums "
                   "are taken in the same order, so the distance is exactly 0");
  if (!teacher.source.empty()) {
    const Matrix t = network::to_dense(hidden::to_weights(teacher, teacher_scale));
    add_bound_oracle(sum, "distance.teacher", "permutation_distance of the teacher's ŵ = 0", "(59)",
                     std::abs(hidden::permutation_measures(t).permutation_distance), 1e-15,
                     "ŵ_T = scale·π_T of the permutation teacher");
  }
  // All |w_ij| equal: every σ captures N c² of N² c², distance 1 − 1/N; tolerance 1e-15 (a few
  // ulp of a value < 1 from exact-in-binary sums).
  const double du = hidden::permutation_measures(Matrix::Constant(n, n, 0.75)).permutation_distance;
  const double ref = 1.0 - 1.0 / static_cast<double>(n);
  sum.add_check({.id = "distance.uniform",
                 .name = "permutation_distance of a uniform matrix = 1 − 1/N",
                 .kind = "oracle",
                 .equation = "(59)",
                 .comparison = io::Comparison::absolute,
                 .value = du,
                 .reference = ref,
                 .tolerance = 1e-15,
                 .note = "w_ij = 0.75 for all i, j"});
}

void ComplexityPlan::execute(RunContext& ctx) {
  auto& sum = ctx.summary();
  const auto n = net.n();
  sum.observable("n", n);
  sum.observable("activation", std::string(network::activation_name(net.activation)));
  sum.observable("data.source", data.source);
  sum.observable("data.kind", data_kind);
  sum.observable("data.samples", static_cast<std::int64_t>(data.rows.rows()));
  sum.observable("complexity.segments", segments);
  sum.observable("complexity.segment_steps", segment_steps);
  oracles(ctx);

  Series s;
  network::SgdOptions opts = sgd;
  opts.threads = ctx.threads();
  const auto t0 = std::chrono::steady_clock::now();
  double t_measure = 0.0;
  const Matrix w_initial = dense_weights(net).cwiseAbs();
  auto tm = std::chrono::steady_clock::now();
  measure(s, 0, network::dataset_loss(net, data, opts));
  t_measure += seconds_since(tm);

  const std::string ax = "complexity/step";
  auto flush = [&] {
    ctx.record_array(ax, s.step, info("SGD steps done", "step", "none"));
    ctx.record_array("complexity/loss", s.loss,
                     info("dataset mean of H after each segment", "⟨H⟩ data", "logy", ax));
    ctx.record_array("complexity/permutation_distance", s.distance,
                     info("1 − Σ_i w²_iσ(i) / ‖w‖²_F (σ: nearest generalised permutation)",
                          "distance / entropy", "line", ax, "measures", "permutation distance"));
    ctx.record_array("complexity/row_entropy_mean", s.entropy_mean,
                     info("mean row entropy H_i / log N, p_ij = |w_ij| / Σ_j |w_ij|",
                          "distance / entropy", "line", ax, "measures", "mean row entropy"));
    ctx.record_array("complexity/diagonal_fraction", s.diagonal,
                     info("Σ_i w²_ii / ‖w‖²_F (weight on the diagonal: 1 for a diagonal w)",
                          "distance / entropy", "line", ax, "measures", "diagonal fraction"));
    ctx.record_array("complexity/plain_distance", s.plain_distance,
                     info("‖w − π_σ₀‖_F / √N, σ₀ maximising Σ_i w_iσ₀(i) (0/1 permutation)",
                          "‖w − π‖_F/√N", "line", ax));
    ctx.record_array("complexity/weight_norm", s.weight_norm,
                     info("Frobenius norm of w", "‖w‖_F", "line", ax));
    ctx.record_array("complexity/cycles", s.cycles,
                     info("number of cycles of the nearest permutation σ", "count", "line", ax,
                          "cycles", "cycles"));
    ctx.record_array(
        "complexity/largest_cycle", s.largest_cycle,
        info("length of the longest cycle of σ", "count", "line", ax, "cycles", "largest cycle"));
    ctx.record_array("complexity/fixed_points", s.fixed_points,
                     info("fixed points σ(i) = i (cycles of length 1)", "count", "line", ax,
                          "cycles", "fixed points"));
    ctx.record_array("complexity/fixed_inputs", s.fixed_inputs,
                     info("fixed points of σ among the input neurons", "count", "line", ax,
                          "cycles", "fixed points (inputs)"));
    if (!s.teacher_match.empty()) {
      ctx.record_array(
          "complexity/teacher_match", s.teacher_match,
          info("fraction of output rows with σ(i) = the teacher's source", "fraction", "line", ax));
    }
    if (!s.complexity.empty()) {
      ctx.record_array("complexity/fixed_point_C", s.complexity,
                       info("C = −log|det(I − f̂′ŵ)| (spec §2, (12)) at the lowest-loss fixed point",
                            "C", "line", ax));
      ctx.record_array("complexity/fixed_point_count", s.fixed_point_count,
                       info("fixed points of (1) found by Newton", "count", "none", ax));
    }
    const auto rows = static_cast<std::int64_t>(s.step.size());
    io::DatasetInfo d = info("row entropies H_i / log N (rows = segments, columns = neurons i)",
                             "H_i / log N", "image", "complexity/step");
    d.columns = "complexity/row";
    ctx.record_array("complexity/row_entropy", rows, n, s.entropy_rows.data(), d);
  };

  auto progress = ctx.progress("complexity", segments);
  const core::RngStream seeds(ctx.seed(), core::StreamTag::minibatch, 0x636f6d706cULL);
  double t_train = 0.0;
  for (std::int64_t k = 1; k <= segments; ++k) {
    opts.seed = seeds.raw(static_cast<std::uint64_t>(k), 0)[0];
    tm = std::chrono::steady_clock::now();
    network::TrainingResult r;
    try {
      r = network::train_sgd(net, data, opts);
    } catch (const Divergence& e) {
      progress->finish();
      flush();
      throw Divergence((k - 1) * segment_steps + e.step, "training " + e.quantity);
    }
    t_train += seconds_since(tm);
    tm = std::chrono::steady_clock::now();
    measure(s, k, r.final_loss);
    t_measure += seconds_since(tm);
    progress->update(k);
  }
  progress->finish();
  flush();

  // |w| at the start and the end, and the histograms of the row entropies.
  {
    std::vector<double> index(static_cast<std::size_t>(n));
    for (std::int64_t i = 0; i < n; ++i)
      index[static_cast<std::size_t>(i)] = static_cast<double>(i);
    ctx.record_array("complexity/row", index, info("row i of ŵ (receiving neuron)", "i", "none"));
    ctx.record_array("complexity/column", index,
                     info("column j of ŵ (sending neuron)", "j", "none"));
    io::DatasetInfo d =
        info("|w_ij| before training (rows i, columns j)", "|w|", "image", "complexity/row");
    d.columns = "complexity/column";
    ctx.record_array("complexity/w_abs_initial", w_initial, d);
    d.description = "|w_ij| after training (rows i, columns j)";
    ctx.record_array("complexity/w_abs_final", Matrix(dense_weights(net).cwiseAbs()), d);
  }
  std::vector<double> centres(static_cast<std::size_t>(bins));
  for (std::int64_t b = 0; b < bins; ++b) {
    centres[static_cast<std::size_t>(b)] =
        (static_cast<double>(b) + 0.5) / static_cast<double>(bins);
  }
  auto histogram = [&](std::size_t row) {
    std::vector<double> h(static_cast<std::size_t>(bins), 0.0);
    for (std::int64_t i = 0; i < n; ++i) {
      const double v =
          s.entropy_rows[row * static_cast<std::size_t>(n) + static_cast<std::size_t>(i)];
      if (!std::isfinite(v)) continue;
      const auto b = std::clamp<std::int64_t>(
          static_cast<std::int64_t>(std::floor(v * static_cast<double>(bins))), 0, bins - 1);
      h[static_cast<std::size_t>(b)] += 1.0;
    }
    return h;
  };
  const std::string hax = "complexity/histogram/bin_centre";
  ctx.record_array(hax, centres, info("row-entropy bin centres", "H_i / log N", "none"));
  ctx.record_array("complexity/histogram/initial", histogram(0),
                   info("rows per row-entropy bin before training", "rows", "line", hax,
                        "row entropy histogram", "before"));
  ctx.record_array("complexity/histogram/final", histogram(s.step.size() - 1),
                   info("rows per row-entropy bin after training", "rows", "line", hax,
                        "row entropy histogram", "after"));

  // ---- summary and claims ----
  const double d0 = s.distance.front(), d1 = s.distance.back();
  const double h0 = s.entropy_mean.front(), h1 = s.entropy_mean.back();
  sum.observable("loss_initial", s.loss.front());
  sum.observable("loss_final", s.loss.back());
  sum.observable("permutation_distance_initial", d0);
  sum.observable("permutation_distance_final", d1);
  sum.observable("plain_distance_initial", s.plain_distance.front());
  sum.observable("plain_distance_final", s.plain_distance.back());
  sum.observable("row_entropy_initial", h0);
  sum.observable("row_entropy_final", h1);
  sum.observable("diagonal_fraction_initial", s.diagonal.front());
  sum.observable("diagonal_fraction_final", s.diagonal.back());
  sum.observable("weight_norm_initial", s.weight_norm.front());
  sum.observable("weight_norm_final", s.weight_norm.back());
  sum.observable("cycles_initial", static_cast<std::int64_t>(s.cycles.front()));
  sum.observable("cycles_final", static_cast<std::int64_t>(s.cycles.back()));
  sum.observable("largest_cycle_final", static_cast<std::int64_t>(s.largest_cycle.back()));
  sum.observable("fixed_points_initial", static_cast<std::int64_t>(s.fixed_points.front()));
  sum.observable("fixed_points_final", static_cast<std::int64_t>(s.fixed_points.back()));
  sum.observable("fixed_inputs_final", static_cast<std::int64_t>(s.fixed_inputs.back()));
  const Matrix w_end = dense_weights(net);
  const auto m_end = hidden::permutation_measures(w_end);
  sum.observable("cycle_lengths_final", m_end.cycle_lengths);
  if (!s.teacher_match.empty()) {
    sum.observable("teacher_match_initial", s.teacher_match.front());
    sum.observable("teacher_match_final", s.teacher_match.back());
  }
  if (!s.complexity.empty()) {
    sum.observable("fixed_point_C_initial", s.complexity.front());
    sum.observable("fixed_point_C_final", s.complexity.back());
  }
  sum.observable("timing.training_s", t_train);
  sum.observable("timing.measures_s", t_measure);
  sum.observable("timing.total_s", seconds_since(t0));

  add_training_check(sum, sgd.loss == network::LossKind::bulk ? "(3)" : "(4)", s.loss.front(),
                     s.loss.back());

  // A trend claim: the mean change per segment falls, i.e. the upper end hi of its bootstrap
  // 95 % CI [lo, hi] is ≤ 0 (upper_bound). The control is the opposite trend (the time-reversed
  // series, CI [−hi, −lo]): its value −lo.
  auto trend_claim = [&](const std::string& id, const std::string& name, const std::string& what,
                         const std::vector<double>& v, std::uint64_t tag,
                         const std::string& extra = {}) {
    const Trend t = trend(v, bootstrap, ctx.seed(), tag);
    const double start = v.front(), end = v.back();
    char note[480];
    std::snprintf(note, sizeof note,
                  "%s: %.6g before training, %.6g after %lld segments of %lld steps; mean change "
                  "per segment %.4g, bootstrap 95%% CI [%.4g, %.4g] (%lld resamples; value: its "
                  "upper end), fraction of segments where it fell %.3f",
                  what.c_str(), start, end, static_cast<long long>(segments),
                  static_cast<long long>(segment_steps), t.mean, t.lo, t.hi,
                  static_cast<long long>(bootstrap), t.fraction_down);
    sum.add_check({.id = id,
                   .name = name,
                   .kind = "claim",
                   .equation = "Sec. 8, before (59)",
                   .comparison = io::Comparison::upper_bound,
                   .value = t.hi,
                   .reference = 0.0,
                   .tolerance = 0.0,
                   .control = io::Control{.label = "the opposite trend (time-reversed series)",
                                          .value = -t.lo},
                   .note = note + extra});
  };
  trend_claim("trend.permutation_distance", "training lowers permutation_distance",
              "permutation_distance", s.distance, 1,
              "; of the captured fraction 1 − distance = " + fmt(1.0 - d1) +
                  " after training, the diagonal holds Σ w²_ii/‖w‖²_F = " + fmt(s.diagonal.back()) +
                  " (before: " + fmt(1.0 - d0) + " and " + fmt(s.diagonal.front()) + ")");
  trend_claim("trend.row_entropy", "training lowers the mean row entropy",
              "mean row entropy H_i / log N", s.entropy_mean, 2);
  if (!s.complexity.empty()) {
    if (std::isfinite(s.complexity.front()) && std::isfinite(s.complexity.back())) {
      trend_claim("trend.complexity", "training lowers the complexity C at the fixed point",
                  "C = −log|det(I − f̂′ŵ)| at the lowest-loss fixed point", s.complexity, 3);
    } else {
      sum.add_note(
          "complexity C (spec §2) not compared: no fixed point found, or C = ±∞, "
          "before or after training");
    }
  }
  const auto fixed_end = static_cast<std::int64_t>(s.fixed_points.back());
  const auto inputs_end = static_cast<std::int64_t>(s.fixed_inputs.back());
  std::string lengths;
  for (std::size_t k = 0; k < m_end.cycle_lengths.size() && k < 12; ++k) {
    lengths += (k ? ", " : "") + std::to_string(m_end.cycle_lengths[k]);
  }
  if (m_end.cycle_lengths.size() > 12) lengths += ", …";
  sum.add_check(
      {.id = "nearest_permutation.not_identity",
       .name = "nearest permutation after training is not the identity",
       .kind = "claim",
       .equation = "(59)",
       .comparison = io::Comparison::upper_bound,
       .value = static_cast<double>(fixed_end),
       .reference = static_cast<double>(n - 1),
       .tolerance = 0.0,
       .control = io::Control{.label = "the identity ŵ = I (N fixed points)",
                              .value = static_cast<double>(n)},
       .note = "fixed points σ(i) = i of the nearest permutation after training (value), at most "
               "N − 1 (reference); " +
               std::to_string(inputs_end) +
               " of them are input neurons (the bulk loss ½|x − f(ŵx + b)|², taken at a state "
               "whose inputs and outputs are the data, is lowered by copying a neuron onto "
               "itself, ŵ_ii ≠ 0); Σ w²_ii/‖w‖²_F = " +
               fmt(s.diagonal.back()) + " (before training " + fmt(s.diagonal.front()) + "); " +
               std::to_string(m_end.cycles) + " cycles, lengths " + lengths +
               (s.teacher_match.empty() ? std::string()
                                        : "; output rows matching the permutation teacher: " +
                                              fmt(s.teacher_match.back()))});
}

}  // namespace

ExperimentKind complexity_experiment() {
  return {"complexity",
          "second law of learning (Secs. 1, 8, 11): distance of ŵ to a permutation during SGD",
          configure_complexity};
}

}  // namespace nnworld::lab
