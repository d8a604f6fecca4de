#include "nnworld/lab/learning_ensemble_experiment.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <memory>
#include <numbers>
#include <string>
#include <vector>

#include "nnworld/core/error.hpp"
#include "nnworld/core/grid.hpp"
#include "nnworld/core/statistics.hpp"
#include "nnworld/lab/experiment_util.hpp"
#include "nnworld/lab/network_config.hpp"
#include "nnworld/trainable/descriptions.hpp"
#include "nnworld/trainable/ensemble_measure.hpp"
#include "nnworld/trainable/interference.hpp"
#include "nnworld/trainable/kramers_moyal.hpp"
#include "nnworld/trainable/network_ensemble.hpp"
#include "nnworld/trainable/network_measures.hpp"
#include "nnworld/trainable/parameters.hpp"

namespace nnworld::lab {

namespace {

using io::Config;
using io::Range;
using trainable::Adaptation;

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// The adaptation of one ensemble (follow-up claim 2: the learning system adjusts its step size,
// its mini-batch size and its number of neurons).
struct ModeSpec {
  std::string name;  // none | step_size | batch_size | neurons | all
  Adaptation adapt = Adaptation::none;
  bool neurons = false;
};

ModeSpec mode_spec(const std::string& name) {
  if (name == "step_size") return {name, Adaptation::step_size, false};
  if (name == "batch_size") return {name, Adaptation::batch_size, false};
  if (name == "neurons") return {name, Adaptation::none, true};
  // "all": B follows the noise, η absorbs B's rounding (Adaptation::both), and N is exchanged.
  if (name == "all") return {name, Adaptation::both, true};
  return {name, Adaptation::none, false};
}

// What one ensemble gave.
struct ModeRun {
  ModeSpec spec;
  std::vector<trainable::ReplicaRecord> records;
  trainable::KramersMoyalResult km;
  std::vector<double> tau_series;  // replicas × steps after burn-in (axis 0 … K−1 stacked)
  std::int64_t tau_replicas = 0, tau_steps = 0;
  std::unique_ptr<trainable::NetworkEnsemble> ensemble;
  std::vector<double> mean_step, mean_batch, mean_neurons, mean_loss;  // per record
};

// The network, its data, its subspace and its learning rule, and the free energy of its hidden
// variables: what both kinds of this file read the same way.
struct NetworkModel {
  trainable::Subspace subspace;
  network::Dataset data;
  trainable::NetworkEnsembleOptions sgd;
  std::int64_t n_hidden = 0;
  trainable::FreeEnergyOptions fe;
  std::int64_t table_points = 81;
};

struct LearningEnsemblePlan final : Plan, NetworkModel {
  std::int64_t initial_hidden = -1;
  // start and run
  std::int64_t replicas = 10000, steps = 200, record_every = 10;
  bool two_packets = false;
  std::vector<double> centre, centre2, width;
  std::vector<ModeSpec> modes;
  std::int64_t fe_replicas = 2000;  // replicas whose own F is computed at every record
  // analysis
  core::Grid grid;
  std::int64_t groups = 32, min_count = 50, km_min_count = 100;
  double mu = -2.0;
  std::int64_t burn_in = 0, tau_replicas = 2000;
  double threshold = 0.1;
  bool descriptions = true;
  bool loops = false;
  double loop_epsilon = 0.05;
  std::int64_t loop_min_length = 3;
  bool oracle_ou = false;

  void execute(RunContext& ctx) override;

 private:
  [[nodiscard]] bool f_is_function_of_q(const ModeSpec& m) const {
    return !sgd.train_all && !m.neurons;
  }
  ModeRun simulate(RunContext& ctx, const ModeSpec& mode,
                   const trainable::FreeEnergyField& field) const;
  void record(ModeRun& run, const trainable::FreeEnergyField& field) const;
  void timescales(RunContext& ctx, const ModeRun& run) const;
  void compare(RunContext& ctx, const ModeRun& run) const;
  [[nodiscard]] trainable::HbarPrimeMap hbar_map(RunContext& ctx, const ModeRun& run) const;
  void constancy(RunContext& ctx, const std::vector<ModeRun>& runs,
                 const std::vector<trainable::HbarPrimeMap>& maps) const;
  void loops_stage(RunContext& ctx, const std::vector<ModeRun>& runs,
                   const std::vector<trainable::HbarPrimeMap>& maps,
                   const trainable::FreeEnergyField& field) const;
  void interference(RunContext& ctx, const ModeRun& run, const trainable::HbarPrimeMap& map,
                    const trainable::FreeEnergyField& field) const;
  void pipeline_oracle(RunContext& ctx, const ModeRun& run) const;
};

// ---- configuration ------------------------------------------------------------------------

// network.*, data.*, subspace.*: the base network θ₀, the dataset and the K directions.
void read_model(Config& c, const RunOptions& options, NetworkModel& p) {
  network::Network net =
      build_layered_network(c, options, {.n_inputs = 4, .n_hidden = 10, .n_outputs = 2}, 200,
                            "the dense parameter vector of every replica (N + N² numbers)");
  p.n_hidden = net.n() - static_cast<std::int64_t>(net.inputs.size() + net.outputs.size());
  const std::string source = c.get<std::string>(
      "data.source", "teacher",
      "dataset: teacher (a random network of the same shape) | gaussian | path of a CSV file");
  const auto samples = c.get<std::int64_t>("data.samples", 256, "samples of a synthetic dataset",
                                           Range::between(1, 1e7));
  const double scale =
      c.get<double>("data.scale", 1.0, "factor of the CSV input columns", Range::positive());
  const auto relax = static_cast<int>(
      c.get<std::int64_t>("sgd.relax_steps", 5, "state-map iterations per sample (x fast, q slow)",
                          Range::between(0, 1000)));
  if (source == "teacher" || source == "gaussian") {
    p.data = network::synthetic_dataset(source, net, samples, options.seed, relax);
  } else {
    p.data =
        read_csv_dataset(c, c.resolve_path(source), static_cast<std::int64_t>(net.inputs.size()),
                         static_cast<std::int64_t>(net.outputs.size()), scale, "teacher, gaussian");
  }
  const auto dims = static_cast<int>(c.get<std::int64_t>(
      "subspace.dims", 1, "K: the dimension of the measured subspace q", Range::between(1, 2)));
  const std::string kind = c.get_choice(
      "subspace.direction", "random",
      "random: K directions with entries weight_scale·N(0,1) (ŵ) and bias_scale·N(0,1) (b); "
      "output_bias: K = 1, the bias of the first output neuron; explicit: subspace.directions",
      {"random", "output_bias", "explicit"});
  const double ws = c.get<double>("subspace.weight_scale", 0.3, "random directions: ŵ entries",
                                  Range::non_negative());
  const double bs = c.get<double>("subspace.bias_scale", 0.3, "random directions: b entries",
                                  Range::non_negative());
  const std::int64_t pn = net.n() + net.n() * net.n();
  std::vector<std::vector<double>> dirs;
  if (kind == "output_bias") {
    if (dims != 1 || net.outputs.empty()) {
      throw c.error("subspace.direction", "output_bias needs K = 1 and an output neuron",
                    "subspace.dims = 1 and network.n_outputs ≥ 1");
    }
    dirs.emplace_back(static_cast<std::size_t>(pn), 0.0);
    dirs.back()[static_cast<std::size_t>(net.outputs.front())] = 1.0;
  } else if (kind == "explicit") {
    const auto rows = c.get_number_rows("subspace.directions", {},
                                        "K directions of N + N² numbers (b, then ŵ row-major)");
    if (static_cast<int>(rows.size()) != dims) {
      throw c.error("subspace.directions", std::to_string(rows.size()) + " directions",
                    std::to_string(dims) + " (subspace.dims)");
    }
    for (std::size_t k = 0; k < rows.size(); ++k) {
      if (static_cast<std::int64_t>(rows[k].size()) != pn) {
        throw c.element_error(
            "subspace.directions", k, -1,
            "a direction of " + std::to_string(rows[k].size()) + " numbers",
            std::to_string(pn) + " numbers (N + N², N = " + std::to_string(net.n()) + ")");
      }
    }
    dirs = rows;
  } else {
    const trainable::ParametrisedNetwork pn_dirs =
        trainable::random_directions(net, dims, ws, bs, options.seed);
    try {
      p.subspace = trainable::orthonormal_subspace(pn_dirs);
    } catch (const Error& e) {
      throw c.error("subspace.weight_scale", e.what_, "non-zero random directions");
    }
  }
  if (!dirs.empty()) {
    try {
      p.subspace = trainable::orthonormal_subspace(net, std::move(dirs));
    } catch (const Error& e) {
      throw c.error(kind == "explicit" ? "subspace.directions" : "subspace.direction", e.what_,
                    e.expected);
    }
  }
  p.sgd.train_all = c.get<bool>("subspace.train_all", false,
                                "false: only q is trained (the rest frozen); true: every parameter "
                                "is trained and q is the projection onto the directions");
  p.sgd.relax_steps = relax;
}

// sgd.*, ensemble.*, adaptation.*, neurons.*
void read_dynamics(Config& c, const RunOptions& options, LearningEnsemblePlan& p) {
  p.sgd.step = c.get<double>("sgd.step", 0.05, "η of mini-batch SGD", Range::positive());
  p.sgd.batch = c.get<std::int64_t>(
      "sgd.batch", 8, "B, the mini-batch size (≥ 2: the gradient noise needs two samples)",
      Range::between(2, 1e6));
  p.sgd.loss =
      c.get_choice("sgd.loss", "bulk", "bulk (3) | boundary (4)", {"bulk", "boundary"}) == "bulk"
          ? network::LossKind::bulk
          : network::LossKind::boundary;
  p.sgd.seed = options.seed;
  p.replicas = c.get<std::int64_t>("ensemble.replicas", 10000, "M, the number of replicas",
                                   Range::between(16, 1e8));
  p.steps = c.get<std::int64_t>("ensemble.steps", 200, "SGD steps of every replica",
                                Range::between(4, 1e8));
  p.record_every = c.get<std::int64_t>("ensemble.record_every", 10,
                                       "steps between the records of p, F", Range::between(1, 1e8));
  if (p.steps / p.record_every < 3) {
    throw c.error("ensemble.record_every", "fewer than 3 records",
                  "steps/record_every ≥ 3 (time differences are central)");
  }
  const auto k = static_cast<std::size_t>(p.subspace.dims());
  {  // Memory per mode: every replica's parameters (N + N², with a gradient and a copy) and its
     // records of q and F.
    const double n = static_cast<double>(p.subspace.n());
    const double records = static_cast<double>(p.steps / p.record_every + 1);
    c.require_memory("ensemble.replicas",
                     static_cast<double>(p.replicas) *
                         (3.0 * (n + n * n) + records * (static_cast<double>(k) + 2.0)) * 8.0,
                     "per replica: 3 × (N + N²) parameters and its records of q and F");
  }
  p.two_packets =
      c.get_choice("ensemble.start", "packet", "packet | two_packets (the interference test)",
                   {"packet", "two_packets"}) == "two_packets";
  const io::VectorSpec spec{.size = k, .scalar_broadcast = true, .range = Range::any()};
  p.centre = c.get_vector("ensemble.centre", std::vector<double>(k, -1.0),
                          "q of the (first) packet's centre", spec);
  p.width = c.get_vector("ensemble.width", std::vector<double>(k, 0.2),
                         "standard deviation of the packets",
                         {.size = k, .scalar_broadcast = true, .range = Range::positive()});
  if (p.two_packets) {
    p.centre2 = c.get_vector("ensemble.centre2", std::vector<double>(k, 1.0),
                             "q of the second packet", spec);
  }
  // Adaptation (ensemble_sgd.hpp): η or B hold θ = D/γ = ηΣ̄/(2B).
  const auto names = c.get_choice_list(
      "adaptation.modes", {"none"},
      "one ensemble per mode: none | step_size | batch_size | neurons (grand-canonical) | all",
      {"none", "step_size", "batch_size", "neurons", "all"});
  for (const auto& n : names) p.modes.push_back(mode_spec(n));
  auto& a = p.sgd.adapt;
  a.target = c.get<double>("adaptation.target", 5e-4, "θ = D/γ held by step_size and batch_size",
                           Range::positive());
  a.smoothing = c.get<double>("adaptation.smoothing", 0.1, "α of the running estimate of Σ_g",
                              Range::between(1e-6, 1));
  a.min_step = c.get<double>("adaptation.min_step", 1e-5, "η range", Range::positive());
  a.max_step = c.get<double>("adaptation.max_step", 1.0, "η range", Range::positive());
  a.min_batch =
      c.get<std::int64_t>("adaptation.min_batch", 2, "B range (≥ 2)", Range::between(2, 1e6));
  a.max_batch =
      c.get<std::int64_t>("adaptation.max_batch", 1024, "B range", Range::between(2, 1e6));
  a.reference_step = p.sgd.step;
  if (a.min_step > a.max_step)
    throw c.error("adaptation.max_step", "below adaptation.min_step", "min_step ≤ max_step");
  if (a.min_batch > a.max_batch)
    throw c.error("adaptation.max_batch", "below adaptation.min_batch", "min_batch ≤ max_batch");
  auto& nx = p.sgd.neurons;
  nx.every = c.get<std::int64_t>("neurons.every", 10, "steps between neuron-exchange proposals",
                                 Range::between(1, 1e8));
  nx.chemical_potential = c.get<double>("neurons.chemical_potential", 0.0,
                                        "μ_N of the reservoir of neurons", Range::any());
  nx.min_active = c.get<std::int64_t>(
      "neurons.min_active", 1, "hidden neurons a replica keeps at least", Range::between(0, 1e6));
  p.initial_hidden = c.get<std::int64_t>("neurons.initial_hidden", p.n_hidden,
                                         "hidden neurons active at the start (the rest are the "
                                         "reservoir's)",
                                         Range::between(0, 1e6));
  if (p.initial_hidden > p.n_hidden) {
    throw c.error("neurons.initial_hidden",
                  std::to_string(p.initial_hidden) + " hidden neurons, the network has " +
                      std::to_string(p.n_hidden),
                  "at most network.n_hidden; N stays at least the inputs plus the outputs");
  }
  if (nx.min_active > p.initial_hidden) {
    throw c.error("neurons.min_active",
                  std::to_string(nx.min_active) + " above the " + std::to_string(p.initial_hidden) +
                      " active at the start",
                  "≤ neurons.initial_hidden");
  }
}

// free_energy.*, analysis.*, loops.*, checks.*
void read_free_energy(Config& c, NetworkModel& p) {
  p.fe.beta = c.get<double>("free_energy.beta", 5.0, "β of the hidden variables' ensemble",
                            Range::positive());
  const auto rows =
      c.get<std::int64_t>("free_energy.rows", 4, "data rows F is averaged over (the first ones)",
                          Range::between(1, 1e6));
  if (rows > p.data.rows.rows()) {
    throw c.error(
        "free_energy.rows",
        std::to_string(rows) + " rows, the data have " + std::to_string(p.data.rows.rows()),
        "at most the number of samples");
  }
  p.fe.rows.clear();
  for (std::int64_t r = 0; r < rows; ++r) p.fe.rows.push_back(static_cast<Eigen::Index>(r));
  p.fe.clamped.samples = c.get<std::int64_t>(
      "free_energy.samples", 0, "> 0: F sampled (importance sampling from the Laplace Gaussian)",
      Range::between(0, 1e7));
  p.table_points =
      c.get<std::int64_t>("free_energy.table_points", 81,
                          "points per axis of the family's F(q) table", Range::between(8, 4096));
}

void read_measurements(Config& c, LearningEnsemblePlan& p) {
  read_free_energy(c, p);
  p.sgd.neurons.free_energy = p.fe;
  p.fe_replicas =
      c.get<std::int64_t>("free_energy.replicas", 2000,
                          "replicas whose own F is computed at every record (when F is not a "
                          "function of q alone)",
                          Range::between(16, 1e8));
  const auto points = c.get<std::int64_t>("analysis.points", 40, "cells per axis of p, F, D, γ",
                                          Range::between(8, 4096));
  const double extent =
      c.get<double>("analysis.extent", 3.0, "the cells cover [−L, L) per axis", Range::positive());
  const int k = p.subspace.dims();
  p.grid = core::make_grid(std::vector<std::int64_t>(static_cast<std::size_t>(k), points),
                           std::vector<double>(static_cast<std::size_t>(k), extent),
                           core::Boundary::box);
  p.groups = c.get<std::int64_t>(
      "analysis.groups", 32, "jackknife groups of replicas (ν = groups − 1 > 4 for the null law)",
      Range::between(6, 1e4));
  p.min_count = c.get<std::int64_t>(
      "analysis.min_count", 50, "replicas a cell needs at every record", Range::between(1, 1e8));
  p.km_min_count = c.get<std::int64_t>(
      "analysis.km_min_count", 100, "Kramers–Moyal samples a cell needs", Range::between(2, 1e9));
  p.mu = c.get<double>(
      "analysis.mu", -2.0,
      "the stated μ of ħ′² = 4D/(γμ) − 1/μ² (learning has γ < 0, so γμ > 0 needs μ < 0)",
      Range::any());
  if (p.mu == 0.0) throw c.error("analysis.mu", "μ = 0", "μ ≠ 0");
  p.burn_in = c.get<std::int64_t>("analysis.burn_in", p.steps / 2, "steps before τ_w's series",
                                  Range::between(0, 1e8));
  if (p.steps - p.burn_in < 8)
    throw c.error("analysis.burn_in", "fewer than 8 steps after it", "burn_in ≤ steps − 8");
  p.tau_replicas = c.get<std::int64_t>("analysis.tau_replicas", 2000, "replicas in τ_w's series",
                                       Range::between(16, 1e8));
  p.threshold =
      c.get<double>("analysis.timescale_threshold", 0.1,
                    "claim 1 holds if τ_x/τ_w ≤ this (docs/physics.md)", Range::positive());
  p.descriptions =
      c.get<bool>("analysis.descriptions", true, "the Fokker–Planck / Madelung residuals");
  p.loops = c.get<bool>("loops.enabled", false, "loop integrals ∮∇F·dq (K = 2)");
  if (p.loops && k != 2) throw c.error("loops.enabled", "loops need K = 2", "subspace.dims = 2");
  p.loop_epsilon =
      c.get<double>("loops.epsilon", 0.05, "a loop closes within this distance", Range::positive());
  p.loop_min_length = c.get<std::int64_t>("loops.min_length", 3, "records a loop spans at least",
                                          Range::between(1, 1e8));
  p.oracle_ou =
      c.get_choice("checks.closed_form", "none",
                   "ornstein_uhlenbeck: the pipeline oracle (a linear output neuron, the boundary "
                   "loss, q = its bias: an exact AR(1))",
                   {"none", "ornstein_uhlenbeck"}) == "ornstein_uhlenbeck";
  if (p.oracle_ou) {
    const auto& b = p.subspace.base;
    if (b.activation != network::ActivationKind::linear ||
        p.sgd.loss != network::LossKind::boundary || p.sgd.train_all || p.subspace.dims() != 1 ||
        p.modes.size() != 1 || p.modes.front().name != "none") {
      throw c.error(
          "checks.closed_form",
          "the Ornstein–Uhlenbeck walk needs a linear network, the boundary loss, only q "
          "trained, K = 1 and no adaptation",
          "network.activation = \"linear\", sgd.loss = \"boundary\", subspace.direction = "
          "\"output_bias\", adaptation.modes = [\"none\"]");
    }
  }
}

std::unique_ptr<Plan> configure_learning_ensemble(Config& c, const RunOptions& options) {
  auto p = std::make_unique<LearningEnsemblePlan>();
  read_model(c, options, *p);
  read_dynamics(c, options, *p);
  read_measurements(c, *p);
  return p;
}

// ---- execution ----------------------------------------------------------------------------

// F(q) of the family θ(q) (every neuron active) on a table over the analysis extent: what the
// replicas' F is when F depends on q alone (frozen, fixed N), and the field of the
// Kramers–Moyal γ regression and of the packets' momenta ∇F otherwise.
trainable::FreeEnergyField family_field(RunContext& ctx, const NetworkModel& model,
                                        const core::Grid& grid, std::int64_t active_hidden = -1) {
  const auto& subspace = model.subspace;
  const int k = subspace.dims();
  // The first `active_hidden` hidden neurons active (the ensemble's start).
  const std::vector<std::uint8_t> mask = subspace.first_hidden_mask(active_hidden);
  const core::Grid table = core::make_grid(
      std::vector<std::int64_t>(static_cast<std::size_t>(k), model.table_points),
      std::vector<double>(grid.extent.begin(), grid.extent.begin() + k), core::Boundary::box);
  std::vector<double> f(static_cast<std::size_t>(table.size()), kNaN);
  auto progress = ctx.progress("F(q) table", table.size());
#pragma omp parallel for schedule(dynamic, 4)
  for (std::int64_t i = 0; i < table.size(); ++i) {
    const trainable::Point q = table.point(i);
    const auto theta = subspace.theta_at(std::span<const double>(q.data(), 3));
    f[static_cast<std::size_t>(i)] =
        trainable::data_free_energy(subspace.network_of(theta, mask), model.data, model.fe);
  }
  progress->finish();
  for (std::size_t i = 0; i < f.size(); ++i) {
    if (!std::isfinite(f[i])) {
      throw Error("free_energy",
                  "F has no Laplace minimum at q = " +
                      fmt(table.point(static_cast<std::int64_t>(i))[0]) + " of the family",
                  "a network whose clamped hidden variables have a minimum over the analysis "
                  "extent (lower free_energy.beta or analysis.extent)");
    }
  }
  return trainable::make_field(table, std::move(f), trainable::GradientMethod::fd4);
}

// A record: every replica's q and, where it can be had, its F.
void LearningEnsemblePlan::record(ModeRun& run, const trainable::FreeEnergyField& field) const {
  const trainable::NetworkEnsemble& e = *run.ensemble;
  trainable::ReplicaRecord rec;
  const trainable::Ensemble pos = e.positions();
  rec.time = static_cast<double>(e.steps_done());
  rec.q = pos.q;
  const auto m = e.replicas();
  if (f_is_function_of_q(run.spec)) {
    rec.f.resize(static_cast<std::size_t>(m));
    for (std::int64_t r = 0; r < m; ++r) {
      rec.f[static_cast<std::size_t>(r)] =
          field.value_at(pos.position(r), trainable::Interpolation::cubic);
    }
  } else {
    rec.f = trainable::replica_free_energies(e, data, fe, fe_replicas);
    rec.f.resize(static_cast<std::size_t>(m), kNaN);
  }
  if (run.spec.neurons) {
    rec.neurons.resize(static_cast<std::size_t>(m));
    for (std::int64_t r = 0; r < m; ++r)
      rec.neurons[static_cast<std::size_t>(r)] = static_cast<std::int32_t>(e.active_hidden(r));
  }
  auto mean = [](const auto& v) {
    double s = 0.0;
    for (auto x : v) s += static_cast<double>(x);
    return v.empty() ? kNaN : s / static_cast<double>(v.size());
  };
  run.mean_step.push_back(mean(e.step_size()));
  run.mean_batch.push_back(mean(e.batch()));
  run.mean_loss.push_back(mean(e.batch_loss()));
  run.mean_neurons.push_back(rec.neurons.empty() ? static_cast<double>(n_hidden)
                                                 : mean(rec.neurons));
  run.records.push_back(std::move(rec));
}

ModeRun LearningEnsemblePlan::simulate(RunContext& ctx, const ModeSpec& mode,
                                       const trainable::FreeEnergyField& field) const {
  ModeRun run;
  run.spec = mode;
  trainable::NetworkEnsembleOptions o = sgd;
  o.adapt.mode = mode.adapt;
  o.neurons.enabled = mode.neurons;
  const int k = subspace.dims();
  trainable::Point c1{0, 0, 0}, c2{0, 0, 0}, sd{0, 0, 0};
  for (int a = 0; a < k; ++a) {
    c1[a] = centre[static_cast<std::size_t>(a)];
    sd[a] = width[static_cast<std::size_t>(a)];
    if (two_packets) c2[a] = centre2[static_cast<std::size_t>(a)];
  }
  const std::uint64_t start_seed =
      core::RngStream(ctx.seed(), core::StreamTag::start, 17).raw(0, 0)[0];
  const trainable::Ensemble start =
      two_packets ? trainable::two_packet_ensemble(k, replicas, c1, c2, sd, start_seed)
                  : trainable::gaussian_ensemble(k, replicas, c1, sd, start_seed);
  run.ensemble = std::make_unique<trainable::NetworkEnsemble>(subspace, start, o, initial_hidden);
  trainable::KramersMoyal km(grid, 1.0);
  run.tau_replicas = std::min(tau_replicas, replicas);
  run.tau_steps = steps - burn_in;
  run.tau_series.assign(static_cast<std::size_t>(k * run.tau_replicas * run.tau_steps), kNaN);
  auto progress = ctx.progress("SGD ensemble (" + mode.name + ")", steps);
  record(run, field);
  for (std::int64_t s = 0; s < steps; ++s) {
    const trainable::Ensemble before = run.ensemble->positions();
    run.ensemble->step(data);
    const trainable::Ensemble after = run.ensemble->positions();
    km.add(before, after, field);
    // The one-step tests compare each record with the positions one step later.
    if (run.records.back().q_next.empty() && run.records.back().time == static_cast<double>(s)) {
      run.records.back().q_next = after.q;
    }
    if (s >= burn_in) {
      const std::int64_t t = s - burn_in;
      for (std::int64_t r = 0; r < run.tau_replicas; ++r) {
        for (int a = 0; a < k; ++a) {
          run.tau_series[static_cast<std::size_t>((a * run.tau_replicas + r) * run.tau_steps + t)] =
              after.q[static_cast<std::size_t>(r * k + a)];
        }
      }
    }
    if ((s + 1) % record_every == 0) record(run, field);
    progress->update(s + 1);
  }
  progress->finish();
  run.km = km.result();
  return run;
}

// Claim 1 (spec §10): the hidden variables relax much faster than the trainable ones move.
//   τ_w: the integrated autocorrelation time of q (each axis; the largest) over the steps after
//        the burn-in, fluctuations about the ensemble mean, jackknife over replica groups, in SGD
//        steps; one step of every replica relaxes its states by relax_steps iterations of (1), so
//        in the hidden variables' own time τ_w·relax_steps iterations (INTERPRETATION);
//   τ_x: (1 + ρ)/(1 − ρ) iterations, ρ = ρ(Ĵ_ff) at the relaxed states (network_measures.hpp).
// The claim holds if the upper end of the 95 % interval of τ_x/(τ_w·relax_steps) is at most the
// threshold (analysis.timescale_threshold, docs/physics.md); the control is the opposite ordering
// (x slow, q fast), whose value is the reciprocal ratio's upper end.
void LearningEnsemblePlan::timescales(RunContext& ctx, const ModeRun& run) const {
  auto& s = ctx.summary();
  const std::string pre = "timescales." + run.spec.name + ".";
  const int k = subspace.dims();
  core::AutocorrelationTime slow;
  for (int a = 0; a < k; ++a) {
    const std::span<const double> series(
        run.tau_series.data() + a * run.tau_replicas * run.tau_steps,
        static_cast<std::size_t>(run.tau_replicas * run.tau_steps));
    const auto t =
        core::integrated_autocorrelation_time(series, run.tau_replicas, run.tau_steps, groups);
    if (a == 0 || t.tau > slow.tau) slow = t;
  }
  const auto rows = std::min<Eigen::Index>(4, data.rows.rows());
  std::vector<Eigen::Index> probe(static_cast<std::size_t>(rows));
  for (Eigen::Index r = 0; r < rows; ++r) probe[static_cast<std::size_t>(r)] = r;
  const trainable::HiddenRelaxation fast = trainable::hidden_relaxation_time(
      *run.ensemble, data, probe, std::min<std::int64_t>(500, replicas));
  const double iters = std::max(1, sgd.relax_steps);
  const double tau_w = slow.tau * iters, tau_w_se = slow.se * iters;
  const double ratio = fast.tau.mean / tau_w;
  const double ratio_se = ratio * std::hypot(fast.tau.se / fast.tau.mean, tau_w_se / tau_w);
  const double inverse = tau_w / fast.tau.mean;
  s.observable(pre + "tau_w_steps", slow.tau);
  s.observable(pre + "tau_w_steps_se", slow.se);
  s.observable(pre + "tau_w_window", slow.window);
  s.observable(pre + "tau_w_converged", slow.converged);
  s.observable(pre + "tau_x_iterations", fast.tau.mean);
  s.observable(pre + "tau_x_iterations_se", fast.tau.se);
  s.observable(pre + "rho_max", fast.rho_max);
  s.observable(pre + "not_contracting", fast.not_contracting);
  s.observable(pre + "ratio", ratio);
  s.observable(pre + "ratio_se", ratio_se);
  ctx.record_array("timescales/" + run.spec.name + "/rho", slow.rho,
                   info("autocorrelation ρ(k) of q (the slowest axis) under SGD", "ρ(k)", "line"));
  s.add_check({.id = "claim1/" + run.spec.name,
               .name = "two time scales: τ_x/τ_w ≪ 1 (" + run.spec.name + ")",
               .kind = "claim",
               .equation = "follow-up claim 1",
               .comparison = io::Comparison::upper_bound,
               .value = ratio + 1.96 * ratio_se,
               .reference = threshold,
               .tolerance = 0.0,
               .control = io::Control{.label = "the opposite ordering (x slow, q fast): τ_w/τ_x",
                                      .value = inverse + 1.96 * inverse * ratio_se / ratio},
               .note = "upper end of the 95 % interval of τ_x/τ_w = " + fmt(ratio) + " ± " +
                       fmt(ratio_se) + ": τ_x = " + fmt(fast.tau.mean) + " ± " + fmt(fast.tau.se) +
                       " iterations of (1) (ρ(Ĵ_ff) ≤ " + fmt(fast.rho_max) +
                       "), τ_w = " + fmt(slow.tau) + " ± " + fmt(slow.se) + " SGD steps × " +
                       fmt(iters) + " iterations per step (window " + std::to_string(slow.window) +
                       (slow.converged ? "" : ", not converged") + "); threshold " +
                       fmt(threshold)});
}

// bridges.md §3: which description do the replicas obey? The Fokker–Planck (20) and Madelung
// continuity (32) residuals are each other's controls; the Hamilton–Jacobi equation with the
// Bohm term (μ fitted) has the constraint (25) without it as its control. Comparison: χ²/dof
// against its null law (descriptions.hpp: null_law), the expected value plus 3 standard
// deviations.
void LearningEnsemblePlan::compare(RunContext& ctx, const ModeRun& run) const {
  auto& s = ctx.summary();
  trainable::DescriptionOptions o;
  o.grid = grid;
  o.groups = groups;
  o.min_count = min_count;
  o.km_min_count = km_min_count;
  const trainable::DescriptionResult d = trainable::compare_descriptions(run.records, run.km, o);
  const std::string pre = "descriptions." + run.spec.name + ".";
  // A value that is not measured (no cell qualifies: dof = 0) is null, not NaN: NaN is kept for
  // a divergence.
  const auto measured = [](double v) {
    return std::isfinite(v) ? nlohmann::json(v) : nlohmann::json();
  };
  auto put = [&](const std::string& name, const trainable::ResidualSummary& r) {
    s.observable(pre + name + ".chi2_per_dof",
                 r.dof > 0 ? measured(r.per_dof()) : nlohmann::json());
    s.observable(pre + name + ".dof", r.dof);
    s.observable(pre + name + ".z", r.dof > 0 ? measured(r.z()) : nlohmann::json());
  };
  put("fokker_planck", d.fokker_planck);
  put("madelung_continuity", d.continuity);
  put("constraint_25", d.constraint);
  put("hamilton_jacobi", d.hamilton_jacobi);
  s.observable(pre + "inverse_mu",
               d.fokker_planck.dof > 0 ? measured(d.inverse_mu) : nlohmann::json());
  s.observable(pre + "inverse_mu_se",
               d.fokker_planck.dof > 0 ? measured(d.inverse_mu_se) : nlohmann::json());
  s.observable(pre + "cells", d.cells);
  if (d.fokker_planck.dof == 0) {
    s.add_note(run.spec.name + ": no cell holds " + std::to_string(min_count) +
               " replicas at every record away from the support's edge: the residuals are not "
               "measured (more replicas, fewer cells or a wider start)");
  }
  const std::string fig = "descriptions/" + run.spec.name + "/";
  const auto& ax = grid;
  if (ax.dims == 1) {
    std::vector<double> qv;
    for (std::int64_t i = 0; i < ax.size(); ++i) qv.push_back(ax.coordinate(0, i));
    ctx.record_array(fig + "q", qv, info("cell centres q", "q", "none"));
    for (const auto& [name, v, label] : {std::tuple{"z_fokker_planck", &d.z_fp, "R_FP/se"},
                                         std::tuple{"z_madelung", &d.z_m1, "R_M1/se"},
                                         std::tuple{"z_hamilton_jacobi", &d.z_m2, "R_M2/se"}}) {
      ctx.record_array(fig + name, *v,
                       info(std::string("residual over its jackknife error at t = ") + fmt(d.time),
                            label, "line", fig + "q", "residuals (" + run.spec.name + ")", label));
    }
    ctx.record_array(fig + "p", d.p,
                     info("p(t, q) (kernel density) at the middle record", "p", "line", fig + "q"));
    ctx.record_array(fig + "F", d.f,
                     info("F(t, q): the cell mean of the replicas' F", "F", "line", fig + "q"));
    ctx.record_array(fig + "D", d.diffusion, info("Kramers–Moyal D(q)", "D", "line", fig + "q"));
    ctx.record_array(fig + "gamma", d.gamma, info("γ(q) = a·∇F/|∇F|²", "γ", "line", fig + "q"));
  }
  const trainable::NullLaw step_law =
      trainable::null_law(d.jackknife_dof, d.fokker_planck.dof, d.step_correlation);
  const trainable::NullLaw field_law =
      trainable::null_law(d.jackknife_dof, d.hamilton_jacobi.dof, d.field_correlation);
  s.observable(pre + "null_expected", step_law.expected);
  s.observable(pre + "step_correlation", d.step_correlation);
  s.observable(pre + "field_correlation", d.field_correlation);
  // The verdict of the run: which description the replicas obey (the rows below: χ²/dof within
  // 3 σ of the null law), and how many σ of the null law each χ²/dof lies above its mean.
  const double sigma = step_law.tolerance / 3.0;
  const double fp_sigmas = (d.fokker_planck.per_dof() - step_law.expected) / sigma;
  const double m_sigmas = (d.continuity.per_dof() - step_law.expected) / sigma;
  s.observable(pre + "fokker_planck.sigmas", measured(fp_sigmas));
  s.observable(pre + "madelung_continuity.sigmas", measured(m_sigmas));
  const bool fp_ok = fp_sigmas <= 3.0, m_ok = m_sigmas <= 3.0;
  s.observable(pre + "obeyed", !std::isfinite(fp_sigmas) || !std::isfinite(m_sigmas)
                                   ? "not measured"
                               : fp_ok && m_ok ? "both (not resolved)"
                               : fp_ok         ? "Fokker–Planck"
                               : m_ok          ? "Madelung"
                                               : "neither");
  const std::string law = "; null law: χ²/dof = ν/(ν − 2) = " + fmt(step_law.expected) +
                          " (ν = " + std::to_string(d.jackknife_dof) +
                          " jackknife degrees of freedom), 3σ = √(Var[t²]·c/dof) with c = ";
  const std::string verdict =
      "χ²/dof: Fokker–Planck " + fmt(d.fokker_planck.per_dof()) + " (" + fmt(fp_sigmas) +
      " σ of the null law above its mean), Madelung continuity " + fmt(d.continuity.per_dof()) +
      " (" + fmt(m_sigmas) + " σ) over " + std::to_string(d.fokker_planck.dof) +
      " (step, cell) terms" + law + fmt(d.step_correlation) + " correlated cells";
  s.add_check({.id = "(20)/replicas/" + run.spec.name,
               .name = "the network replicas obey Fokker–Planck (20) (" + run.spec.name + ")",
               .kind = "claim",
               .equation = "(20)",
               .comparison = io::Comparison::upper_bound,
               .value = d.fokker_planck.per_dof(),
               .reference = step_law.expected,
               .tolerance = step_law.tolerance,
               .control = io::Control{.label = "the Madelung continuity (32) on the same data",
                                      .value = d.continuity.per_dof()},
               .note = verdict});
  s.add_check(
      {.id = "(32)/replicas/" + run.spec.name,
       .name = "the network replicas obey the Madelung continuity (32) (" + run.spec.name + ")",
       .kind = "claim",
       .equation = "(32)",
       .comparison = io::Comparison::upper_bound,
       .value = d.continuity.per_dof(),
       .reference = step_law.expected,
       .tolerance = step_law.tolerance,
       .control = io::Control{.label = "Fokker–Planck (20) on the same data",
                              .value = d.fokker_planck.per_dof()},
       .note = verdict});
  s.add_check(
      {.id = "(33)/replicas/" + run.spec.name,
       .name = "F obeys Hamilton–Jacobi with the Bohm term, μ fitted (" + run.spec.name + ")",
       .kind = "claim",
       .equation = "(30), (33)",
       .comparison = io::Comparison::upper_bound,
       .value = d.hamilton_jacobi.per_dof(),
       .reference = field_law.expected,
       .tolerance = field_law.tolerance,
       .control = io::Control{.label = "the constraint (25) without the Bohm term",
                              .value = d.constraint.per_dof()},
       .note = "χ²/dof of R_M2 = ∂_tF + γ|∇F|² + V − (4D/μ)Q over " +
               std::to_string(d.hamilton_jacobi.dof) + " (record, cell) terms with 1/μ = " +
               fmt(d.inverse_mu) + " ± " + fmt(d.inverse_mu_se) +
               " fitted; without the Bohm term " + fmt(d.constraint.per_dof()) + law +
               fmt(d.field_correlation) + " (the central differences' stencil)"});
}

trainable::HbarPrimeMap LearningEnsemblePlan::hbar_map(RunContext& ctx, const ModeRun& run) const {
  const trainable::HbarPrimeMap h = trainable::hbar_prime_map(run.km, mu, km_min_count);
  const std::string pre = "hbar_prime." + run.spec.name + ".";
  auto& s = ctx.summary();
  s.observable(pre + "mean_ratio", h.mean_ratio);
  s.observable(pre + "mean_ratio_se", h.mean_ratio_se);
  s.observable(pre + "hbar_prime_squared", h.mean_hbar_prime_squared);
  s.observable(pre + "chi2", h.chi2);
  s.observable(pre + "dof", h.dof);
  s.observable(pre + "p_value", h.p_value);
  // The regime as in learning_phase: ħ′² beyond 2 standard errors (se of ħ′² = 4 se of D/(γμ)).
  const double h2_se = 4.0 * h.mean_ratio_se;
  s.observable(pre + "hbar_prime_squared_se", h2_se);
  s.observable(pre + "regime", h.mean_hbar_prime_squared > 2.0 * h2_se    ? "quantum"
                               : h.mean_hbar_prime_squared < -2.0 * h2_se ? "euclidean"
                                                                          : "classical");
  std::vector<double> q, ratio, se;
  for (const auto& b : h.bins) {
    q.push_back(b.mean_q[0]);
    ratio.push_back(b.ratio);
    se.push_back(b.ratio_se);
  }
  const std::string fig = "hbar_prime/" + run.spec.name + "/";
  ctx.record_array(fig + "q", q, info("mean q of the Kramers–Moyal cell", "q", "none"));
  ctx.record_array(fig + "ratio_se", se, info("standard error of D/(γμ)", "se", "none"));
  ctx.record_array(fig + "ratio", ratio,
                   info("D/(γμ) per cell (Kramers–Moyal)", "D/(γμ)", "line", fig + "q",
                        "D/(γμ) over q", run.spec.name, fig + "ratio_se"));
  return h;
}

// Follow-up claim 2, test 1 (spec §10): with adaptation D/(γμ) is constant over q within its
// confidence interval (p of the χ² of constancy ≥ 0.01); the control is the same test on the
// ensemble with η, B and N fixed.
void LearningEnsemblePlan::constancy(RunContext& ctx, const std::vector<ModeRun>& runs,
                                     const std::vector<trainable::HbarPrimeMap>& maps) const {
  double p_fixed = kNaN;
  for (std::size_t i = 0; i < runs.size(); ++i) {
    if (runs[i].spec.name == "none") p_fixed = maps[i].p_value;
  }
  for (std::size_t i = 0; i < runs.size(); ++i) {
    const auto& r = runs[i];
    if (r.spec.name == "none") continue;
    const auto& h = maps[i];
    const bool have = std::any_of(runs.begin(), runs.end(),
                                  [](const ModeRun& x) { return x.spec.name == "none"; });
    ctx.summary().add_check(
        {.id = "claim2/constancy/" + r.spec.name,
         .name = "D/(γμ) constant over q under adaptive learning (" + r.spec.name + ")",
         .kind = "claim",
         .equation = "follow-up claim 2; spec §10 test 1",
         .comparison = io::Comparison::lower_bound,
         .value = h.dof > 0 ? h.p_value : kNaN,
         .reference = 0.01,
         .tolerance = 0.0,
         .control = have ? std::optional<io::Control>(
                               io::Control{.label = "η, B and N fixed (none)", .value = p_fixed})
                         : std::nullopt,
         .no_control =
             have ? "" : "the fixed ensemble (adaptation.modes without \"none\") was not run",
         .note = "value: p of χ² = " + fmt(h.chi2) + " / " + std::to_string(h.dof) +
                 " for a constant D/(γμ) = " + fmt(h.mean_ratio) + " ± " + fmt(h.mean_ratio_se) +
                 " (μ = " + fmt(mu) + "); ħ′² = " + fmt(h.mean_hbar_prime_squared)});
  }
}

// Follow-up claim 2, test 4 (spec §10): loop integrals ∮∇F·dq along the replicas' paths in the
// K = 2 subspace, in units of 2πħ′. With N fixed, F is single-valued and every loop integral is
// F(q_j) − F(q_i) with |q_j − q_i| < ε: at most ε·max|∇F| (an oracle of the measurement). With N
// exchanged, F jumps by a neuron's share where N changes: the claim is that the integrals over
// loops with a change are integer multiples of 2πħ′, measured by R = ⟨cos 2πx⟩ (x = ∮/(2πħ′);
// R = 1 for integers, ≈ 0 for phases uniform on [0, 1)); it holds if R ≥ ½. The control shifts
// every x by an independent uniform phase (a shuffled input), which must fail.
void LearningEnsemblePlan::loops_stage(RunContext& ctx, const std::vector<ModeRun>& runs,
                                       const std::vector<trainable::HbarPrimeMap>& maps,
                                       const trainable::FreeEnergyField& field) const {
  auto& s = ctx.summary();
  double grad_max = 0.0;
  for (std::int64_t i = 0; i < field.grid.size(); ++i) {
    double g2 = 0.0;
    for (int a = 0; a < field.grid.dims; ++a)
      g2 += field.gradient[static_cast<std::size_t>(a)][static_cast<std::size_t>(i)] *
            field.gradient[static_cast<std::size_t>(a)][static_cast<std::size_t>(i)];
    grad_max = std::max(grad_max, std::sqrt(g2));
  }
  for (std::size_t m = 0; m < runs.size(); ++m) {
    const ModeRun& run = runs[m];
    const auto loops = trainable::loop_integrals(run.records, loop_epsilon, loop_min_length);
    const std::string pre = "loops." + run.spec.name + ".";
    s.observable(pre + "count", static_cast<std::int64_t>(loops.size()));
    if (!run.spec.neurons) {
      if (!f_is_function_of_q(run.spec)) continue;
      double worst = 0.0;
      for (const auto& l : loops) worst = std::max(worst, std::abs(l.integral));
      s.observable(pre + "max_abs", worst);
      if (!loops.empty()) {
        add_bound_oracle(s, "loops.single_valued/" + run.spec.name,
                         "fixed N: every loop integral ≤ ε max|∇F| (single-valued F)", "(25)",
                         worst, loop_epsilon * grad_max * (1.0 + 1e-9) + 1e-12,
                         std::to_string(loops.size()) +
                             " loops closing within ε = " + fmt(loop_epsilon) +
                             "; max|∇F| = " + fmt(grad_max) + " on the family's table");
      }
      continue;
    }
    const double h2 = maps[m].mean_hbar_prime_squared;
    const double unit = h2 > 0.0 ? 2.0 * std::numbers::pi * std::sqrt(h2) : kNaN;
    std::vector<double> x, shuffled;
    const core::RngStream rng(ctx.seed(), core::StreamTag::user, 301);
    for (const auto& l : loops) {
      if (l.neuron_changes == 0) continue;
      x.push_back(l.integral / unit);
      shuffled.push_back(x.back() + rng.uniform(static_cast<std::uint64_t>(m), x.size()));
    }
    s.observable(pre + "with_neuron_changes", static_cast<std::int64_t>(x.size()));
    s.observable(pre + "unit_2pi_hbar_prime", unit);
    const core::MeanError r = trainable::integer_phase(x);
    const core::MeanError rc = trainable::integer_phase(shuffled);
    if (!x.empty()) {
      const std::string fig = "loops/" + run.spec.name + "/";
      ctx.record_array(fig + "x", x,
                       info("∮∇F·dq / (2πħ′) over loops with a change of N", "∮/(2πħ′)", "none"));
      // The histogram of x − round(x) ∈ [−½, ½) in 20 bins: integers pile up in the middle bins,
      // phases uniform on [0, 1) give a flat histogram; the shuffled control beside it.
      constexpr int bins = 20;
      std::vector<double> centre(bins), hx(bins, 0.0), hc(bins, 0.0);
      for (int b = 0; b < bins; ++b) centre[static_cast<std::size_t>(b)] = -0.5 + (b + 0.5) / bins;
      auto bin_of = [](double v) {
        const double f = v - std::round(v);  // [−½, ½]
        return std::clamp(static_cast<int>(std::floor((f + 0.5) * bins)), 0, bins - 1);
      };
      for (std::size_t i = 0; i < x.size(); ++i) {
        hx[static_cast<std::size_t>(bin_of(x[i]))] += 1.0;
        hc[static_cast<std::size_t>(bin_of(shuffled[i]))] += 1.0;
      }
      ctx.record_array(fig + "phase", centre, info("x − round(x)", "x − round(x)", "none"));
      ctx.record_array(
          fig + "histogram", hx,
          info("loops per bin of x − round(x), x = ∮∇F·dq/(2πħ′)", "loops", "line", fig + "phase",
               "loop integrals in units of 2πħ′ (" + run.spec.name + ")", "network replicas"));
      ctx.record_array(
          fig + "histogram_shuffled", hc,
          info("the same with uniformly shuffled phases (control)", "loops", "line", fig + "phase",
               "loop integrals in units of 2πħ′ (" + run.spec.name + ")", "shuffled control"));
    }
    s.add_check(
        {.id = "claim2/loops/" + run.spec.name,
         .name = "loop integrals ∮∇F·dq ∈ 2πħ′ℤ (" + run.spec.name + ")",
         .kind = "claim",
         .equation = "follow-up claim 2; spec §10 test 4",
         .comparison = io::Comparison::lower_bound,
         .value = x.size() >= 2 ? r.mean : kNaN,
         .reference = 0.5,
         .tolerance = 0.0,
         .control = io::Control{.label = "the same integrals with uniformly shuffled phases",
                                .value = x.size() >= 2 ? rc.mean : kNaN},
         .note = "R = ⟨cos 2πx⟩ = " + fmt(r.mean) + " ± " + fmt(r.se) + " over " +
                 std::to_string(x.size()) + " loops with a change of N (of " +
                 std::to_string(loops.size()) + "), x = ∮/(2πħ′), 2πħ′ = " + fmt(unit) +
                 (h2 > 0.0 ? "" : " (ħ′² ≤ 0: no ħ′, not measurable as posed)")});
  }
}

// Follow-up claim 2, test 3 (spec §10): two packets of network replicas meet; a wave with ħ′
// would show fringes of wavenumber k_f = |ΔP|/ħ′, ΔP = ∇F(c₁) − ∇F(c₂) of the family's F. The
// detector (interference.hpp) at the record of largest overlap; the claim holds if z ≥ 5. The
// control is the classical stand-in: Langevin particles on the same F with the measured D and γ
// (no phase, no fringes by construction), read by the same detector.
void LearningEnsemblePlan::interference(RunContext& ctx, const ModeRun& run,
                                        const trainable::HbarPrimeMap& map,
                                        const trainable::FreeEnergyField& field) const {
  auto& s = ctx.summary();
  const std::string pre = "interference." + run.spec.name + ".";
  const double h2 = map.mean_hbar_prime_squared;
  const trainable::Point c1{centre[0], 0.0, 0.0}, c2{centre2[0], 0.0, 0.0};
  const double dp = field.gradient_at(c1)[0] - field.gradient_at(c2)[0];
  s.observable(pre + "delta_p", dp);
  s.observable(pre + "hbar_prime_squared", h2);
  if (!(h2 > 0.0) || dp == 0.0) {
    s.add_check({.id = "claim2/interference/" + run.spec.name,
                 .name = "network replicas show fringes at 2πħ′/|ΔP| (" + run.spec.name + ")",
                 .kind = "claim",
                 .equation = "follow-up claim 2; spec §10 test 3",
                 .comparison = io::Comparison::lower_bound,
                 .value = kNaN,
                 .reference = 5.0,
                 .tolerance = 0.0,
                 .no_control = "no fringe wavenumber: ħ′² = " + fmt(h2) + " ≤ 0 or ΔP = 0",
                 .note = "not measurable as posed: the replicas are not in the quantum regime"});
    return;
  }
  const double kf = std::abs(dp) / std::sqrt(h2);
  const trainable::Ensemble tags = run.ensemble->positions();
  trainable::FringeRecord best;
  std::vector<double> t, z, overlap;
  for (const auto& rec : run.records) {
    trainable::Ensemble e = tags;
    e.q = rec.q;
    e.time = rec.time;
    const trainable::FringeRecord f = trainable::measure_fringes(e, 0, kf);
    t.push_back(f.time);
    z.push_back(f.z);
    overlap.push_back(f.overlap);
    if (f.overlap > best.overlap) best = f;
  }
  const std::string fig = "interference/" + run.spec.name + "/";
  ctx.record_array(fig + "time", t, info("SGD steps", "t", "none"));
  ctx.record_array(
      fig + "z", z,
      info("|φ̂(k_f) − φ_env(k_f)|/noise of the network replicas", "z", "line", fig + "time"));
  ctx.record_array(fig + "overlap", overlap,
                   info("overlap B of the two packets", "B", "line", fig + "time"));
  // The classical stand-in with the measured constants (γ from D/(γμ) and the mean D).
  double dsum = 0.0, gsum = 0.0, n = 0.0;
  for (const auto& b : map.bins) {
    dsum += b.diffusion * static_cast<double>(b.count);
    gsum += b.gamma * static_cast<double>(b.count);
    n += static_cast<double>(b.count);
  }
  trainable::InterferenceOptions o;
  o.centre1 = c1;
  o.centre2 = c2;
  o.sd = {width[0], width[0], width[0]};
  o.replicas = replicas;
  o.constants = {dsum / n, gsum / n, mu};
  o.dt = 1.0;
  o.steps = steps;
  o.record_every = record_every;
  o.seed = core::RngStream(ctx.seed(), core::StreamTag::user, 302).raw(0, 0)[0];
  o.interpolation = trainable::Interpolation::cubic;
  double z_classical = kNaN;
  try {
    const trainable::InterferenceResult c = trainable::two_packet_interference(field, o);
    z_classical = c.z[c.best_overlap];
  } catch (const Error& e) {
    s.add_note("interference (" + run.spec.name +
               "): the Langevin control did not run: " + e.message());
  }
  s.observable(pre + "z", best.z);
  s.observable(pre + "z_langevin", z_classical);
  s.add_check(
      {.id = "claim2/interference/" + run.spec.name,
       .name = "network replicas show fringes at 2πħ′/|ΔP| (" + run.spec.name + ")",
       .kind = "claim",
       .equation = "follow-up claim 2; spec §10 test 3",
       .comparison = io::Comparison::lower_bound,
       .value = best.z,
       .reference = 5.0,
       .tolerance = 0.0,
       .control = io::Control{.label = "Langevin particles on the same F (classical, no phase)",
                              .value = z_classical},
       .note = "z at the largest overlap B = " + fmt(best.overlap) + " (t = " + fmt(best.time) +
               "): |φ̂(k_f)| = " + fmt(best.amplitude) + ", noise " + fmt(best.noise) +
               ", k_f = " + fmt(kf) + " (spacing " + fmt(2.0 * std::numbers::pi / kf) +
               "); a wave with ħ′ would add ≈ B/2 = " + fmt(best.quantum_amplitude) +
               "; max z over the scan " + fmt(best.scan_max_z)});
}

// The pipeline oracle (bridges.md §1): q = b_o of a linear output neuron under the boundary
// loss performs the AR(1) q ← (1 − η)q + η z̄_B exactly, so
//   * the replicas' histogram, at every record, is within 3× its statistical floor of the
//     Fokker–Planck (Ornstein–Uhlenbeck) solution: the Gaussian of mean μ_z + (1 − η)^t(q₀ − μ_z)
//     and variance (1 − η)^{2t}w₀² + ησ_z²(1 − (1 − η)^{2t})/(B(2 − η)) (the continuum OU with
//     γ_eff = −ln(1 − η), D_eff = γ_eff ησ_z²/(B(2 − η)), which is exact at whole steps; the
//     continuum D = η²σ_z²/(2B) would miss the step's factor 2/(2 − η));
//   * Kramers–Moyal recovers, in every cell, the drift field's γ = η (F = −½(q − μ_z)²) and
//     D = η²σ_z²/(2B) within 5 standard errors.
void LearningEnsemblePlan::pipeline_oracle(RunContext& ctx, const ModeRun& run) const {
  auto& s = ctx.summary();
  const auto walk = trainable::OutputBiasWalk::of(subspace, data, sgd.step, sgd.batch);
  s.observable("oracle.mu_z", walk.mu_z);
  s.observable("oracle.sigma_z_squared", walk.sigma_z_squared);
  double worst = 0.0, worst_l1 = 0.0, worst_floor = 1.0, worst_t = 0.0;
  for (const auto& rec : run.records) {
    const std::vector<double> ref = walk.cell_density(grid, rec.time, centre[0], width[0]);
    trainable::Ensemble e;
    e.dims = 1;
    e.replicas = replicas;
    e.q = rec.q;
    const auto p = trainable::histogram_density(grid, e).p;
    const double l1 = trainable::l1_distance(grid, p, ref);
    const auto floor = trainable::statistical_floor(grid, ref, replicas);
    if (l1 / floor.expected > worst) {
      worst = l1 / floor.expected;
      worst_l1 = l1;
      worst_floor = floor.expected;
      worst_t = rec.time;
    }
  }
  s.add_check(
      {.id = "pipeline.ornstein_uhlenbeck",
       .name = "pipeline: the network ensemble within 3× its statistical floor of the "
               "Ornstein–Uhlenbeck (Fokker–Planck) solution",
       .kind = "oracle",
       .equation = "(18)–(20); bridges §1",
       .comparison = io::Comparison::ratio_to_floor,
       .value = worst_l1,
       .reference = worst_floor,
       .tolerance = 3.0,
       .note = "histogram L1 (value) against its floor for M = " + std::to_string(replicas) +
               " exact samples (reference) at the worst record, t = " + fmt(worst_t) +
               " steps; μ_z = " + fmt(walk.mu_z) + ", σ_z² = " + fmt(walk.sigma_z_squared)});
  const double eta = sgd.step, d_exact = walk.diffusion();
  double zd = 0.0, zg = 0.0;
  std::int64_t cells = 0;
  for (const auto& bin : run.km.bin) {
    if (bin.count < km_min_count || !std::isfinite(bin.gamma_se) || !(bin.gamma_se > 0.0)) continue;
    ++cells;
    zd = std::max(zd, std::abs(bin.diffusion_residual[0] - d_exact) / bin.diffusion_residual_se[0]);
    zg = std::max(zg, std::abs(bin.gamma - eta) / bin.gamma_se);
  }
  s.observable("oracle.km_cells", cells);
  s.add_check(
      {.id = "pipeline.km_diffusion",
       .name = "pipeline: Kramers–Moyal D = η²σ_z²/(2B) in every cell",
       .kind = "oracle",
       .equation = "bridges §1",
       .comparison = io::Comparison::upper_bound,
       .value = cells > 0 ? zd : kNaN,
       .reference = 0.0,
       .tolerance = 5.0,
       .note = "max over " + std::to_string(cells) + " cells of |D − " + fmt(d_exact) + "|/se"});
  s.add_check(
      {.id = "pipeline.km_gamma",
       .name = "pipeline: Kramers–Moyal γ = η in every cell (F = −½(q − μ_z)²)",
       .kind = "oracle",
       .equation = "(19); bridges §1",
       .comparison = io::Comparison::upper_bound,
       .value = cells > 0 ? zg : kNaN,
       .reference = 0.0,
       .tolerance = 5.0,
       .note = "max over " + std::to_string(cells) + " cells of |γ − η|/se, η = " + fmt(eta)});
}

void LearningEnsemblePlan::execute(RunContext& ctx) {
  auto& s = ctx.summary();
  const int k = subspace.dims();
  s.observable("n", subspace.n());
  s.observable("n_hidden", n_hidden);
  s.observable("dims", k);
  s.observable("replicas", replicas);
  s.observable("steps", steps);
  s.observable("train_all", sgd.train_all);
  trainable::FreeEnergyField field;
  if (oracle_ou) {
    // F = −½(q − μ_z)², the walk's free energy (OutputBiasWalk, bridges.md §1).
    const double mz = trainable::OutputBiasWalk::of(subspace, data, sgd.step, sgd.batch).mu_z;
    const core::Grid table = core::make_grid({table_points}, {grid.extent[0]}, core::Boundary::box);
    std::vector<double> f;
    for (std::int64_t i = 0; i < table.size(); ++i) {
      const double q = table.coordinate(0, i);
      f.push_back(-0.5 * (q - mz) * (q - mz));
    }
    field = trainable::make_field(table, std::move(f), trainable::GradientMethod::fd4);
  } else {
    field = family_field(ctx, *this, grid);
  }
  if (k == 1) {
    std::vector<double> q;
    for (std::int64_t i = 0; i < field.grid.size(); ++i) q.push_back(field.grid.coordinate(0, i));
    ctx.record_array("family/q", q, info("q", "q", "none"));
    ctx.record_array(
        "family/F", field.value,
        info(oracle_ou ? "F = −½(q − μ_z)² (the oracle's drift field)"
                       : "F(q) of the family θ(q): the clamped hidden variables' free energy",
             "F", "line", "family/q"));
  }
  std::vector<ModeRun> runs;
  for (const auto& m : modes) {
    runs.push_back(simulate(ctx, m, field));
    ModeRun& run = runs.back();
    const std::string fig = "ensemble/" + m.name + "/";
    std::vector<double> t;
    for (const auto& r : run.records) t.push_back(r.time);
    ctx.record_array(fig + "time", t, info("SGD steps", "t", "none"));
    ctx.record_array(fig + "mean_step", run.mean_step,
                     info("mean η over the replicas", "η", "line", fig + "time"));
    ctx.record_array(fig + "mean_batch", run.mean_batch,
                     info("mean B over the replicas", "B", "line", fig + "time"));
    ctx.record_array(fig + "mean_hidden", run.mean_neurons,
                     info("mean number of active hidden neurons", "N_h", "line", fig + "time"));
    ctx.record_array(fig + "mean_loss", run.mean_loss,
                     info("mean mini-batch loss over the replicas", "⟨H⟩_B", "logy", fig + "time"));
    s.observable("ensemble." + m.name + ".neurons_added", run.ensemble->neurons_added());
    s.observable("ensemble." + m.name + ".neurons_removed", run.ensemble->neurons_removed());
    s.observable("ensemble." + m.name + ".state_bytes",
                 static_cast<std::int64_t>(run.ensemble->state_bytes()));
    if (k == 1) {
      // p(t, q) and F(t, q) over (record, cell): the histogram, and the mean of the replicas' F
      // in each cell holding ≥ min_count of them (NaN elsewhere).
      std::vector<double> img, fimg, qv;
      for (std::int64_t i = 0; i < grid.size(); ++i) qv.push_back(grid.coordinate(0, i));
      for (const auto& r : run.records) {
        trainable::Ensemble e;
        e.dims = 1;
        e.replicas = replicas;
        e.q = r.q;
        const auto p = trainable::histogram_density(grid, e).p;
        img.insert(img.end(), p.begin(), p.end());
        const auto f = trainable::cell_means(grid, e, r.f, min_count);
        fimg.insert(fimg.end(), f.begin(), f.end());
      }
      ctx.record_array(fig + "q", qv, info("cell centres q", "q", "none"));
      const auto rows = static_cast<std::int64_t>(run.records.size());
      io::DatasetInfo d =
          info("p(t, q): histogram of the replicas (rows = records)", "p", "image", fig + "time");
      d.columns = fig + "q";
      ctx.record_array(fig + "p", rows, grid.size(), img.data(), d);
      io::DatasetInfo df =
          info("F(t, q): mean of the replicas' F per cell (≥ analysis.min_count of them)", "F",
               "image", fig + "time");
      df.columns = fig + "q";
      ctx.record_array(fig + "F", rows, grid.size(), fimg.data(), df);
    }
    timescales(ctx, run);
    if (descriptions) compare(ctx, run);
  }
  std::vector<trainable::HbarPrimeMap> maps;
  for (const auto& r : runs) maps.push_back(hbar_map(ctx, r));
  constancy(ctx, runs, maps);
  if (loops) loops_stage(ctx, runs, maps, field);
  if (two_packets && k == 1) {
    for (std::size_t i = 0; i < runs.size(); ++i) interference(ctx, runs[i], maps[i], field);
  }
  if (oracle_ou) pipeline_oracle(ctx, runs.front());
}

// ---- the phase diagram (kind learning_phase) -------------------------------------------------

// ħ′² = 4D/(γμ) − 1/μ² (spec §10 claim 2; the Madelung pair's ħ′, (34)) measured on ensembles of
// the network over a grid of (η, B, N) at the stated μ: one ensemble per point, every replica
// trained by mini-batch SGD from the configured packet, Kramers–Moyal D and γ (the regression of
// the drift on ∇F of the family's F at that N) over all its steps, ħ′² the weighted mean over the
// cells (kramers_moyal.hpp: hbar_prime_map). The regime of a point: quantum if ħ′² > 2 se,
// Euclidean if ħ′² < −2 se, classical (ħ′² = 0 within 2 se) otherwise.
struct LearningPhasePlan final : Plan, NetworkModel {
  std::vector<double> steps;
  std::vector<std::int64_t> batches, hidden;
  std::int64_t replicas = 2000, sgd_steps = 60, km_min_count = 100;
  std::vector<double> centre, width;
  core::Grid grid;
  double mu = -2.0;

  void execute(RunContext& ctx) override;
};

std::unique_ptr<Plan> configure_learning_phase(Config& c, const RunOptions& options) {
  auto p = std::make_unique<LearningPhasePlan>();
  read_model(c, options, *p);
  p->sgd.loss =
      c.get_choice("sgd.loss", "bulk", "bulk (3) | boundary (4)", {"bulk", "boundary"}) == "bulk"
          ? network::LossKind::bulk
          : network::LossKind::boundary;
  p->sgd.seed = options.seed;
  read_free_energy(c, *p);
  const auto k = static_cast<std::size_t>(p->subspace.dims());
  p->replicas = c.get<std::int64_t>("ensemble.replicas", 2000, "M, replicas per point of the grid",
                                    Range::between(16, 1e8));
  p->sgd_steps = c.get<std::int64_t>(
      "ensemble.steps", 60, "SGD steps of every replica at every point", Range::between(1, 1e8));
  p->centre =
      c.get_vector("ensemble.centre", std::vector<double>(k, -1.0), "q of the packet's centre",
                   {.size = k, .scalar_broadcast = true, .range = Range::any()});
  p->width = c.get_vector("ensemble.width", std::vector<double>(k, 0.2),
                          "standard deviation of the packet",
                          {.size = k, .scalar_broadcast = true, .range = Range::positive()});
  const auto points = c.get<std::int64_t>("analysis.points", 40, "Kramers–Moyal cells per axis",
                                          Range::between(8, 4096));
  const double extent =
      c.get<double>("analysis.extent", 3.0, "the cells cover [−L, L) per axis", Range::positive());
  p->grid = core::make_grid(std::vector<std::int64_t>(k, points), std::vector<double>(k, extent),
                            core::Boundary::box);
  p->km_min_count = c.get<std::int64_t>(
      "analysis.km_min_count", 100, "Kramers–Moyal samples a cell needs", Range::between(2, 1e9));
  p->mu = c.get<double>(
      "analysis.mu", -2.0,
      "the stated μ of ħ′² = 4D/(γμ) − 1/μ² (learning has γ < 0, so γμ > 0 needs μ < 0)",
      Range::any());
  if (p->mu == 0.0) throw c.error("analysis.mu", "μ = 0", "μ ≠ 0");
  p->steps =
      c.get_vector("phase.steps", {0.02, 0.05, 0.1, 0.2, 0.4}, "the η of the grid (columns)",
                   {.size = std::nullopt, .scalar_broadcast = false, .range = Range::positive()});
  const std::vector<double> b = c.get_vector(
      "phase.batches", {2, 4, 8, 16, 32}, "the B of the grid (rows), each ≥ 2",
      {.size = std::nullopt, .scalar_broadcast = false, .range = Range::between(2, 1e6)});
  const std::vector<double> h = c.get_vector(
      "phase.hidden", {static_cast<double>(p->n_hidden)},
      "the numbers of active hidden neurons of the grid (≤ network.n_hidden: N ≥ inputs + outputs)",
      {.size = std::nullopt,
       .scalar_broadcast = false,
       .range = Range::between(0, static_cast<double>(p->n_hidden))});
  for (const auto* v : {&b, &h}) {
    for (std::size_t i = 0; i < v->size(); ++i) {
      if ((*v)[i] != std::floor((*v)[i])) {
        throw c.element_error(
            v == &b ? "phase.batches" : "phase.hidden", i, -1,
            "element " + std::to_string(i) + " is not an integer: " + fmt((*v)[i]),
            "whole numbers");
      }
    }
  }
  for (double x : b) p->batches.push_back(static_cast<std::int64_t>(x));
  for (double x : h) p->hidden.push_back(static_cast<std::int64_t>(x));
  return p;
}

void LearningPhasePlan::execute(RunContext& ctx) {
  auto& s = ctx.summary();
  const auto ns = static_cast<std::int64_t>(steps.size()),
             nb = static_cast<std::int64_t>(batches.size());
  const int k = subspace.dims();
  s.observable("n", subspace.n());
  s.observable("dims", k);
  s.observable("replicas", replicas);
  s.observable("steps", sgd_steps);
  s.observable("mu", mu);
  std::vector<double> log_step, batch_values;
  for (double e : steps) log_step.push_back(std::log10(e));
  for (auto x : batches) batch_values.push_back(std::log2(static_cast<double>(x)));
  ctx.record_array("phase/log10_step", log_step, info("log₁₀ η (columns)", "log₁₀ η", "none"));
  ctx.record_array("phase/log2_batch", batch_values, info("log₂ B (rows)", "log₂ B", "none"));
  trainable::Point c1{0, 0, 0}, sd{0, 0, 0};
  for (int a = 0; a < k; ++a) {
    c1[a] = centre[static_cast<std::size_t>(a)];
    sd[a] = width[static_cast<std::size_t>(a)];
  }
  const std::uint64_t start_seed =
      core::RngStream(ctx.seed(), core::StreamTag::start, 17).raw(0, 0)[0];
  const trainable::Ensemble start = trainable::gaussian_ensemble(k, replicas, c1, sd, start_seed);
  std::int64_t quantum = 0, classical = 0, euclidean = 0, unmeasured = 0;
  auto progress = ctx.progress("phase grid", static_cast<std::int64_t>(hidden.size()) * nb * ns);
  std::int64_t done = 0;
  for (const std::int64_t nh : hidden) {
    const trainable::FreeEnergyField field = family_field(ctx, *this, grid, nh);
    std::vector<double> h2(static_cast<std::size_t>(nb * ns), kNaN), se = h2, regime = h2;
    std::vector<double> ratio = h2;
    for (std::int64_t i = 0; i < nb; ++i) {
      for (std::int64_t j = 0; j < ns; ++j) {
        trainable::NetworkEnsembleOptions o = sgd;
        o.step = steps[static_cast<std::size_t>(j)];
        o.batch = batches[static_cast<std::size_t>(i)];
        o.adapt.mode = Adaptation::none;
        o.neurons.enabled = false;
        trainable::NetworkEnsemble e(subspace, start, o, nh);
        trainable::KramersMoyal km(grid, 1.0);
        const auto cell = static_cast<std::size_t>(i * ns + j);
        try {
          for (std::int64_t t = 0; t < sgd_steps; ++t) {
            const trainable::Ensemble before = e.positions();
            e.step(data);
            km.add(before, e.positions(), field);
          }
        } catch (const Divergence& d) {
          s.add_note("phase: η = " + fmt(o.step) + ", B = " + std::to_string(o.batch) + ", " +
                     std::to_string(nh) + " hidden neurons diverged at step " +
                     std::to_string(d.step) + " (" + d.quantity + "): not measured");
          ++unmeasured;
          progress->update(++done);
          continue;
        }
        const trainable::HbarPrimeMap m = trainable::hbar_prime_map(km.result(), mu, km_min_count);
        if (m.dof < 0 || !std::isfinite(m.mean_hbar_prime_squared)) {
          ++unmeasured;
        } else {
          h2[cell] = m.mean_hbar_prime_squared;
          se[cell] = 4.0 * m.mean_ratio_se;
          ratio[cell] = m.mean_ratio;
          regime[cell] = h2[cell] > 2.0 * se[cell] ? 1.0 : h2[cell] < -2.0 * se[cell] ? -1.0 : 0.0;
          (regime[cell] > 0 ? quantum : regime[cell] < 0 ? euclidean : classical) += 1;
        }
        progress->update(++done);
      }
    }
    // The regime boundary per row: log₁₀ η where ħ′² crosses 0 (linear in log η between the
    // neighbouring columns of the first crossing), NaN where it does not cross.
    std::vector<double> boundary(static_cast<std::size_t>(nb), kNaN);
    for (std::int64_t i = 0; i < nb; ++i) {
      for (std::int64_t j = 0; j + 1 < ns; ++j) {
        const double a = h2[static_cast<std::size_t>(i * ns + j)],
                     c = h2[static_cast<std::size_t>(i * ns + j + 1)];
        if (std::isfinite(a) && std::isfinite(c) && (a < 0.0) != (c < 0.0)) {
          const double t = a / (a - c);
          boundary[static_cast<std::size_t>(i)] = log_step[static_cast<std::size_t>(j)] +
                                                  t * (log_step[static_cast<std::size_t>(j + 1)] -
                                                       log_step[static_cast<std::size_t>(j)]);
          break;
        }
      }
    }
    const std::string fig = "phase/hidden_" + std::to_string(nh) + "/";
    const std::string n_text = "N = " + std::to_string(subspace.n() - n_hidden + nh);
    io::DatasetInfo d = info("ħ′² = 4D/(γμ) − 1/μ² over (B, η), " + n_text + ", μ = " + fmt(mu) +
                                 " (> 0 quantum, < 0 Euclidean; black: the boundary ħ′² = 0)",
                             "ħ′²", "image", "phase/log2_batch");
    d.columns = "phase/log10_step";
    d.contours = "0";
    ctx.record_array(fig + "hbar_prime_squared", nb, ns, h2.data(), d);
    io::DatasetInfo de = info("standard error of ħ′² (4 se of D/(γμ))", "se", "none");
    ctx.record_array(fig + "hbar_prime_squared_se", nb, ns, se.data(), de);
    io::DatasetInfo dr =
        info("regime: +1 quantum (ħ′² > 2 se), 0 classical, −1 Euclidean (ħ′² < −2 se), " + n_text,
             "regime", "image", "phase/log2_batch");
    dr.columns = "phase/log10_step";
    ctx.record_array(fig + "regime", nb, ns, regime.data(), dr);
    io::DatasetInfo dq =
        info("D/(γμ) (Kramers–Moyal, weighted mean over the cells)", "D/(γμ)", "none");
    ctx.record_array(fig + "ratio", nb, ns, ratio.data(), dq);
    ctx.record_array(
        fig + "boundary", boundary,
        info("the regime boundary: log₁₀ η where ħ′² = 0, per B (" + n_text + ")", "log₁₀ η*",
             "line", "phase/log2_batch", "the regime boundary ħ′² = 0", n_text));
  }
  progress->finish();
  s.observable("points.quantum", quantum);
  s.observable("points.classical", classical);
  s.observable("points.euclidean", euclidean);
  s.observable("points.not_measured", unmeasured);
}

}  // namespace

ExperimentKind learning_phase_experiment() {
  return {"learning_phase",
          "ħ′² of ensembles of learning networks over a grid of (η, B, N) at a stated μ: the "
          "quantum, classical and Euclidean regions (follow-up claim 2)",
          configure_learning_phase};
}

ExperimentKind learning_ensemble_experiment() {
  return {"learning_ensemble",
          "ensembles of learning networks (Secs. 4–5, follow-up claims 1–2): two time scales, "
          "Fokker–Planck vs Madelung on the replicas, adaptive η, B, N, loops, interference",
          configure_learning_ensemble};
}

}  // namespace nnworld::lab
