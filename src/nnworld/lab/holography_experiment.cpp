#include "nnworld/lab/holography_experiment.hpp"

#include <omp.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <limits>
#include <numbers>
#include <numeric>
#include <string>
#include <vector>

#include "nnworld/core/error.hpp"
#include "nnworld/core/parallel.hpp"
#include "nnworld/core/rng.hpp"
#include "nnworld/holography/chains.hpp"
#include "nnworld/holography/reconnection.hpp"
#include "nnworld/lab/experiment_util.hpp"

namespace nnworld::lab {

namespace {

using holography::BoundaryMap;
using holography::Chain;
using holography::ChainNetwork;
using io::Config;
using io::Range;

constexpr double kUlp = std::numeric_limits<double>::epsilon();
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

struct HolographyPlan final : Plan {
  ChainNetwork net;
  double epsilon = 0.9;
  double rho = 0.0;  // ρ(ŵ)
  std::string source;
  std::int64_t events = 0;
  std::int64_t replicas = 1;
  std::int64_t record_every = 1;
  std::string start;
  double bin_width = 1.0;
  std::int64_t dense_limit = 2000;
  std::uint64_t seed = 1;

  void execute(RunContext& ctx) override;
};

// A permutation network: chain c starts at boundary neuron c mod n_boundary, the heads are a
// seeded random permutation of the starts, the lengths uniform in [lo, hi].
ChainNetwork random_network(std::int64_t nb, std::int64_t n_chains, std::int64_t lo,
                            std::int64_t hi, std::uint64_t seed) {
  const core::RngStream rng(seed, core::StreamTag::init);
  std::vector<std::int64_t> heads(static_cast<std::size_t>(n_chains));
  for (std::int64_t c = 0; c < n_chains; ++c) heads[static_cast<std::size_t>(c)] = c % nb;
  for (std::int64_t c = n_chains - 1; c > 0; --c) {  // Fisher–Yates
    const auto k = static_cast<std::size_t>(
        rng.below(0, static_cast<std::uint64_t>(c), static_cast<std::uint64_t>(c + 1)));
    std::swap(heads[static_cast<std::size_t>(c)], heads[k]);
  }
  ChainNetwork net{nb, {}};
  for (std::int64_t c = 0; c < n_chains; ++c) {
    const auto len =
        lo + static_cast<std::int64_t>(rng.below(1, static_cast<std::uint64_t>(c),
                                                 static_cast<std::uint64_t>(hi - lo + 1)));
    net.chains.push_back({c % nb, heads[static_cast<std::size_t>(c)], len});
  }
  return net;
}

// The start of the reconnection runs: the same endpoints, the bulk neurons shared equally.
ChainNetwork equal_lengths(const ChainNetwork& net) {
  ChainNetwork out = net;
  const auto m = static_cast<std::int64_t>(net.chains.size());
  const std::int64_t total = net.n_bulk();
  for (std::int64_t c = 0; c < m; ++c) {
    out.chains[static_cast<std::size_t>(c)].bulk = total / m + (c < total % m ? 1 : 0);
  }
  return out;
}

std::unique_ptr<Plan> configure_holography(Config& c, const RunOptions& options) {
  auto plan = std::make_unique<HolographyPlan>();
  plan->seed = options.seed;
  auto& net = plan->net;
  net.n_boundary = c.get<std::int64_t>("holography.n_boundary", 32,
                                       "boundary neurons, numbered 0..n_boundary−1 (P̂_∂ of (97))",
                                       Range::between(1, 100000));
  c.require_memory(
      "holography.n_boundary",
      3.0 * static_cast<double>(net.n_boundary) * static_cast<double>(net.n_boundary) * 8.0,
      "the n_boundary × n_boundary boundary map (99) and two work matrices");
  const std::size_t n_given =
      c.table_array_size("holography.chains", "chains {from, to, bulk} between boundary neurons");
  if (n_given > 0) {
    if (c.has("holography.random")) {
      throw c.error("holography.random", "both holography.chains and holography.random are given",
                    "one of them");
    }
    plan->source = "given";
    for (std::size_t i = 0; i < n_given; ++i) {
      const std::string key = "holography.chains[" + std::to_string(i) + "]";
      Chain ch;
      ch.from = c.get<std::int64_t>(key + ".from", 0, "boundary neuron where the chain starts");
      ch.to = c.get<std::int64_t>(key + ".to", 0, "boundary neuron where the chain ends");
      ch.bulk = c.get<std::int64_t>(key + ".bulk", 0, "bulk neurons along the chain (≥ 0)");
      for (const char* end : {"from", "to"}) {
        const std::int64_t v = std::string(end) == "from" ? ch.from : ch.to;
        if (v < 0 || v >= net.n_boundary) {
          throw c.error(key + "." + end, "neuron " + std::to_string(v) + " is not on the boundary",
                        "a boundary neuron 0.." + std::to_string(net.n_boundary - 1));
        }
      }
      if (ch.bulk < 0) {
        throw c.error(key + ".bulk", "negative length " + std::to_string(ch.bulk),
                      "a number of bulk neurons >= 0");
      }
      net.chains.push_back(ch);
    }
  } else {
    plan->source = "random";
    const auto n_chains = c.get<std::int64_t>(
        "holography.random.chains", net.n_boundary,
        "number of chains: chain c starts at boundary neuron c mod n_boundary and the heads are "
        "a seeded random permutation of the starts (every neuron ends as many chains as it "
        "starts)",
        Range::between(1, 1e7));
    const auto lo = c.get<std::int64_t>("holography.random.min_bulk", 2,
                                        "fewest bulk neurons of a chain", Range::between(0, 1e7));
    const auto hi = c.get<std::int64_t>("holography.random.max_bulk", 14,
                                        "most bulk neurons of a chain (lengths uniform)",
                                        Range::between(0, 1e7));
    if (hi < lo) {
      throw c.error(
          "holography.random.max_bulk",
          "max_bulk = " + std::to_string(hi) + " is below min_bulk = " + std::to_string(lo),
          "max_bulk >= min_bulk");
    }
    net = random_network(net.n_boundary, n_chains, lo, hi, options.seed);
  }
  plan->epsilon = c.get<double>("holography.epsilon", 0.9,
                                "ε of (99)–(100): ŵ_∂ = P̂_∂ εŵ(I − εŵ)⁻¹P̂_∂ᵀ needs 0 < ε < 1/ρ(ŵ)",
                                Range::positive());
  plan->events = c.get<std::int64_t>("holography.events", 1500, "reconnection events per replica",
                                     Range::between(0, 1e9));
  plan->replicas = c.get<std::int64_t>(
      "holography.replicas", 48, "independent replicas of the reconnection dynamics (error bars)",
      Range::between(1, 1e6));
  plan->record_every = c.get<std::int64_t>(
      "holography.record_every", 25, "events between recorded entropies", Range::between(1, 1e9));
  plan->start = c.get_choice(
      "holography.start", "equal_lengths",
      "the configuration each replica starts from: equal_lengths (the network's endpoints with "
      "its bulk neurons shared equally among the chains: a low-entropy start) or network (as "
      "built)",
      {"equal_lengths", "network"});
  plan->bin_width = c.get<double>("holography.bin_width", 1.0,
                                  "width of the bins of d(i, j) (100) in the boundary entropy",
                                  Range::positive());
  plan->dense_limit = c.get<std::int64_t>(
      "holography.dense_check_limit", 2000,
      "largest N = n_boundary + bulk neurons for which (99) is also computed by a dense LU of "
      "I − εŵ, as a reference",
      Range::between(0, 20000));
  // ε < 1/ρ(ŵ): checked here, before anything is written.
  plan->rho = holography::spectral_radius(net);
  if (plan->rho > 0.0 && !(plan->epsilon * plan->rho < 1.0)) {
    throw c.error("holography.epsilon",
                  "ε = " + fmt(plan->epsilon) + " is not below 1/ρ(w) = " + fmt(1.0 / plan->rho) +
                      " (ρ(w) = " + fmt(plan->rho) + "): the series Σ εⁿwⁿ of (99) diverges",
                  "0 < ε < " + fmt(1.0 / plan->rho));
  }
  if (plan->start == "equal_lengths") {
    // Shorter cycles can raise ρ: the equal-length start must have a boundary map too.
    const double rho_start = holography::spectral_radius(equal_lengths(net));
    if (rho_start > 0.0 && !(plan->epsilon * rho_start < 1.0)) {
      throw c.error("holography.start",
                    "with equal lengths ρ(w) = " + fmt(rho_start) + " and ε = " +
                        fmt(plan->epsilon) + " is not below 1/ρ(w) = " + fmt(1.0 / rho_start),
                    "start = \"network\" or 0 < ε < " + fmt(1.0 / rho_start));
    }
  }
  return plan;
}

// ---- pieces of the run -----------------------------------------------------------------------

double max_abs(const Eigen::MatrixXd& m) {
  return m.size() ? m.cwiseAbs().maxCoeff() : 0.0;
}

// The effective bulk length of the chains j → i: log_ε Σ ε^{L+1} − 1 (L itself for one chain).
Eigen::MatrixXd effective_lengths(const ChainNetwork& net, double eps) {
  return holography::chain_distance(holography::chain_transfer(net, eps), eps);
}

struct Recovery {
  std::vector<double> truth, recovered, naive;
  double max_error = 0.0;        // |recovered − truth|, max over chains
  double max_naive_error = 0.0;  // |d of (100) on ŵ_∂ − truth|
  double bound = 0.0;            // a priori bound on the round-off of `recovered`
};

// Lengths from boundary data alone: C = ŵ_∂ (I + ŵ_∂)⁻¹, d = log_ε C − 1.
// Round-off: ŵ_∂ and C come from backward-stable LU solves; their entries carry absolute errors
// ≲ nb·u·(1 + ‖ŵ_∂‖₁)²(1 + ‖C‖₁)·max|ŵ_∂| (normwise forward bounds of the two solves), and
// δd = δC / (C |ln ε|): the bound uses the smallest chain entry C_min.
Recovery recover(const ChainNetwork& net, const Eigen::MatrixXd& w_boundary, double eps) {
  Recovery r;
  const Eigen::MatrixXd c = holography::direct_transfer(w_boundary);
  const Eigen::MatrixXd d = holography::chain_distance(c, eps);
  const Eigen::MatrixXd naive = holography::chain_distance(w_boundary, eps);
  const Eigen::MatrixXd truth = effective_lengths(net, eps);
  const Eigen::MatrixXd ct = holography::chain_transfer(net, eps);
  double c_min = std::numeric_limits<double>::infinity();
  for (const Chain& ch : net.chains) {
    const double t = truth(ch.to, ch.from);
    r.truth.push_back(t);
    r.recovered.push_back(d(ch.to, ch.from));
    r.naive.push_back(naive(ch.to, ch.from));
    r.max_error = std::max(r.max_error, std::abs(d(ch.to, ch.from) - t));
    r.max_naive_error = std::max(r.max_naive_error, std::abs(naive(ch.to, ch.from) - t));
    c_min = std::min(c_min, ct(ch.to, ch.from));
  }
  const double nw = w_boundary.cwiseAbs().colwise().sum().maxCoeff();
  const double nc = ct.cwiseAbs().colwise().sum().maxCoeff();
  const auto nb = static_cast<double>(net.n_boundary);
  r.bound = nb * kUlp * (1.0 + nw) * (1.0 + nw) * (1.0 + nc) * max_abs(w_boundary) /
            (c_min * std::abs(std::log(eps)));
  return r;
}

// The chains drawn on a circle: boundary neuron k at angle 2πk/nb; a chain j → i is a
// quadratic Bézier curve whose control point is pulled towards the centre by its length (long
// chains reach deep into the bulk). Curves are separated by NaN.
void chain_graph(const ChainNetwork& net, std::vector<double>& x, std::vector<double>& y) {
  const double tau = 2.0 * std::numbers::pi;
  const auto nb = static_cast<double>(net.n_boundary);
  std::int64_t longest = 1;
  for (const Chain& ch : net.chains) longest = std::max(longest, ch.bulk);
  for (const Chain& ch : net.chains) {
    const double a0 = tau * static_cast<double>(ch.from) / nb;
    const double a1 = tau * static_cast<double>(ch.to) / nb;
    const double x0 = std::cos(a0), y0 = std::sin(a0), x1 = std::cos(a1), y1 = std::sin(a1);
    double cx = 0.5 * (x0 + x1), cy = 0.5 * (y0 + y1);
    const double depth = 0.9 * static_cast<double>(ch.bulk) / static_cast<double>(longest);
    if (ch.from == ch.to) {  // a loop: out towards the centre and back
      cx = x0 * (1.0 - 2.0 * depth);
      cy = y0 * (1.0 - 2.0 * depth);
    } else {
      cx *= 1.0 - depth;
      cy *= 1.0 - depth;
    }
    for (int k = 0; k <= 24; ++k) {
      const double t = k / 24.0;
      const double u = 1.0 - t;
      x.push_back(u * u * x0 + 2.0 * u * t * cx + t * t * x1);
      y.push_back(u * u * y0 + 2.0 * u * t * cy + t * t * y1);
    }
    x.push_back(kNaN);
    y.push_back(kNaN);
  }
}

// An image of ŵ_∂ with the boundary neurons on both axes.
io::DatasetInfo image_info(std::string description) {
  io::DatasetInfo d = info(std::move(description), "log10 ŵ_∂", "image", "w_boundary/to");
  d.columns = "w_boundary/from";
  return d;
}

// log10 ŵ_∂ (NaN where no path), row-major with rows = i (to), columns = j (from).
std::vector<double> log_image(const Eigen::MatrixXd& wb) {
  std::vector<double> v(static_cast<std::size_t>(wb.size()));
  for (Eigen::Index i = 0; i < wb.rows(); ++i) {
    for (Eigen::Index j = 0; j < wb.cols(); ++j) {
      const double e = wb(i, j);
      v[static_cast<std::size_t>(i * wb.cols() + j)] = e > 0.0 ? std::log10(e) : kNaN;
    }
  }
  return v;
}

double pearson(const std::vector<double>& a, const std::vector<double>& b) {
  const auto n = static_cast<double>(a.size());
  if (a.size() < 3) return kNaN;
  const double ma = std::accumulate(a.begin(), a.end(), 0.0) / n;
  const double mb = std::accumulate(b.begin(), b.end(), 0.0) / n;
  double sab = 0.0, saa = 0.0, sbb = 0.0;
  for (std::size_t i = 0; i < a.size(); ++i) {
    sab += (a[i] - ma) * (b[i] - mb);
    saa += (a[i] - ma) * (a[i] - ma);
    sbb += (b[i] - mb) * (b[i] - mb);
  }
  return (saa > 0.0 && sbb > 0.0) ? sab / std::sqrt(saa * sbb) : kNaN;
}

// One replica's reconnection history.
struct ReplicaRun {
  std::vector<double> s_bulk, s_boundary;    // at the recorded events
  std::vector<double> ds_bulk, ds_boundary;  // per accepted event
  std::vector<std::int64_t> event_index;     // the event of each entry of ds_*
  std::vector<std::int64_t> final_lengths;
  std::int64_t accepted = 0;
  std::int64_t refused = 0;  // accepted moves undone: ε ≥ 1/ρ(ŵ) afterwards
  ChainNetwork final_net;
};

// A replica's history as bytes (the doubles' and integers' bits, so the pooled statistics see
// the same numbers on any rank count).
std::string pack(const ReplicaRun& r) {
  core::ByteWriter w;
  w.vector(r.s_bulk);
  w.vector(r.s_boundary);
  w.vector(r.ds_bulk);
  w.vector(r.ds_boundary);
  w.vector(r.event_index);
  w.vector(r.final_lengths);
  w.value(r.accepted);
  w.value(r.refused);
  w.value(r.final_net.n_boundary);
  w.vector(r.final_net.chains);  // Chain: three int64, trivially copyable
  return w.take();
}

ReplicaRun unpack(const std::string& bytes) {
  core::ByteReader in(bytes);
  ReplicaRun r;
  r.s_bulk = in.vector<double>();
  r.s_boundary = in.vector<double>();
  r.ds_bulk = in.vector<double>();
  r.ds_boundary = in.vector<double>();
  r.event_index = in.vector<std::int64_t>();
  r.final_lengths = in.vector<std::int64_t>();
  r.accepted = in.value<std::int64_t>();
  r.refused = in.value<std::int64_t>();
  r.final_net.n_boundary = in.value<std::int64_t>();
  r.final_net.chains = in.vector<Chain>();
  return r;
}

}  // namespace

// ---- execution ----------------------------------------------------------------------------

void HolographyPlan::execute(RunContext& ctx) {
  auto& s = ctx.summary();
  const double eps = epsilon;
  const std::int64_t nb = net.n_boundary;
  const auto m = static_cast<std::int64_t>(net.chains.size());
  s.observable("source", source);
  s.observable("n_boundary", nb);
  s.observable("n_bulk", net.n_bulk());
  s.observable("n", net.n());
  s.observable("n_chains", m);
  s.observable("epsilon", eps);
  s.observable("spectral_radius", rho);

  // ---- oracles T10.1–T10.3 on the spec's networks (ε = 0.1) ----
  {
    const double e = 0.1;
    auto map_of = [e](const ChainNetwork& n) {
      return holography::boundary_map(holography::weight_matrix(n), n.n_boundary, e).w_boundary;
    };
    const ChainNetwork t1{4, {{0, 1, 3}, {2, 3, 7}, {1, 2, 5}}};
    const Eigen::MatrixXd d1 = holography::chain_distance(map_of(t1), e);
    const double err1 = std::max({std::abs(d1(1, 0) - 3.0), std::abs(d1(3, 2) - 7.0),
                                  std::abs(d1(2, 1) - 5.0), std::abs(d1(2, 0) - 9.0)});
    add_fixed_input_oracle(
        s, "T10.1", "T10.1 chain lengths of an acyclic network (100)", "(99)-(100)", err1, 1e-12,
        "chains 0→1 (3 bulk), 2→3 (7), 1→2 (5), ε = 0.1: max |d − (3, 7, 5, 9 for "
        "0→1→2)|");
    const ChainNetwork t2{2, {{0, 1, 3}, {1, 0, 4}}};
    const Eigen::MatrixXd d2 = holography::chain_distance(map_of(t2), e);
    const double corr = std::log(1.0 / (1.0 - std::pow(e, 9))) / std::log(e);
    add_fixed_input_oracle(
        s, "T10.2", "T10.2 cycle correction of (100)", "(100)", std::abs(d2(1, 0) - 3.0 - corr),
        1e-12, "chains 0→1 (3) and 1→0 (4): d(1,0) − 3 = log_ε 1/(1 − ε⁹) = " + fmt(corr));
    const Eigen::MatrixXd wb = map_of(ChainNetwork{4, {{0, 1, 3}, {2, 3, 6}}});
    const Eigen::MatrixXd wa = map_of(ChainNetwork{4, {{0, 3, 4}, {2, 1, 5}}});
    int changed = 0;
    for (Eigen::Index j = 0; j < 4; ++j) {
      for (Eigen::Index i = 0; i < 4; ++i) changed += wb(i, j) != wa(i, j);
    }
    const double err3 = std::abs(wb(1, 0) - std::pow(e, 4)) + std::abs(wb(3, 2) - std::pow(e, 7)) +
                        std::abs(wa(3, 0) - std::pow(e, 5)) + std::abs(wa(1, 2) - std::pow(e, 6)) +
                        std::abs(wa(1, 0)) + std::abs(wa(3, 2));
    add_fixed_input_oracle(
        s, "T10.3", "T10.3 reconnection changes four entries of ŵ_∂", "(99)",
        err3 + (changed == 4 ? 0.0 : 1.0), 1e-18,
        std::to_string(changed) +
            " entries changed (4 expected); Σ|ŵ_∂ − ε^{L+1}| over the old and new "
            "entries, absolute");
  }

  // ---- the boundary map of the network ----
  const auto w = holography::weight_matrix(net);
  const auto t0 = std::chrono::steady_clock::now();
  const BoundaryMap map = holography::boundary_map(w, nb, eps);
  const double map_seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  s.observable("timing.boundary_map_s", map_seconds);
  s.observable("boundary_map.bulk_sweeps", map.bulk_sweeps);
  s.observable("boundary_map.rho_bound", map.rho_bound);
  {
    const Eigen::MatrixXd ct = holography::chain_transfer(net, eps);
    std::int64_t longest = 0;
    for (const Chain& ch : net.chains) longest = std::max(longest, ch.bulk);
    const double rel = max_abs(map.transfer - ct) / std::max(max_abs(ct), 1e-300);
    add_bound_oracle(s, "transfer", "transfer C(ε) of the chains, Schur complement vs closed form",
                     "(99)", rel, 4.0 * static_cast<double>(longest + 2) * kUlp,
                     "max |C − Σ_chains ε^{L+1}| / max C; bound: one rounding per edge, " +
                         std::to_string(longest + 1) + " edges on the longest chain");
  }
  if (net.n() <= dense_limit) {
    const Eigen::MatrixXd dense = holography::boundary_map_dense(Eigen::MatrixXd(w), nb, eps);
    const Eigen::MatrixXd a = Eigen::MatrixXd::Identity(nb, nb) - map.transfer;
    const double rcond = a.partialPivLu().rcond();
    const double tol = std::max(1e-12, 64.0 * kUlp / rcond);
    add_bound_oracle(s, "(99)/dense", "(99) by the Schur complement vs the dense inverse of I − εŵ",
                     "(99)", max_abs(map.w_boundary - dense) / max_abs(dense), tol,
                     "max |Δŵ_∂| / max ŵ_∂ at N = " + std::to_string(net.n()) +
                         "; tolerance max(1e-12, 64 u κ(I − C)), κ ≈ " + fmt(1.0 / rcond));
  } else {
    s.add_note("the dense reference of (99) is skipped: N = " + std::to_string(net.n()) +
               " > holography.dense_check_limit");
  }

  const Recovery rec = recover(net, map.w_boundary, eps);
  s.observable("chain_lengths.true", rec.truth);
  s.observable("chain_lengths.recovered", rec.recovered);
  s.observable("chain_lengths.naive", rec.naive);
  s.observable("max_length_error", rec.max_error);
  s.observable("max_length_error_naive", rec.max_naive_error);
  add_bound_oracle(s, "(100)/recovered", "chain lengths recovered from ŵ_∂ alone", "(100)",
                   rec.max_error, rec.bound,
                   "max |log_ε C_ij − 1 − L| with C = ŵ_∂(I + ŵ_∂)⁻¹; tolerance: the round-off "
                   "bound nb·u·(1+‖ŵ_∂‖₁)²(1+‖C‖₁)·max ŵ_∂ / (C_min |ln ε|)");
  s.add_check(
      {.id = "(100)/printed",
       .name = "(100) as printed gives the chain lengths",
       .kind = "claim",
       .equation = "(100)",
       .comparison = io::Comparison::upper_bound,
       .value = rec.max_naive_error,
       .reference = 0.0,
       .tolerance = std::max(rec.bound, 1e-9),
       .control = io::Control{.label = "lengths from C = ŵ_∂(I + ŵ_∂)⁻¹ (paths of one chain)",
                              .value = rec.max_error},
       .note = "max |log_ε ŵ^∂_ij − 1 − L| over the chains: composite paths and the cycle "
               "correction log_ε 1/(1 − ε^Λ) (spec T10.2) enter every entry of a cyclic "
               "network"});
  {
    std::vector<double> index(rec.truth.size());
    std::iota(index.begin(), index.end(), 0.0);
    ctx.record_array("chains/index", index, info("chain", "chain", "none"));
    ctx.record_array("chains/true", rec.truth,
                     info("bulk neurons of each chain (the network)", "bulk neurons", "line",
                          "chains/index", "chain lengths", "true"));
    ctx.record_array("chains/recovered", rec.recovered,
                     info("from ŵ_∂ alone: log_ε [ŵ_∂(I + ŵ_∂)⁻¹]_ij − 1", "bulk neurons", "line",
                          "chains/index", "chain lengths", "recovered"));
    ctx.record_array("chains/naive", rec.naive,
                     info("log_ε ŵ^∂_ij − 1, without the cycle correction", "bulk neurons", "line",
                          "chains/index", "chain lengths", "(100) as printed"));
    std::vector<double> gx, gy;
    chain_graph(net, gx, gy);
    ctx.record_array("graph/network/x", gx, info("x", "x", "none"));
    ctx.record_array("graph/network/y", gy,
                     info("the chains: boundary neurons on the circle, depth ∝ bulk length", "y",
                          "line", "graph/network/x"));
    std::vector<double> neurons(static_cast<std::size_t>(nb));
    std::iota(neurons.begin(), neurons.end(), 0.0);
    ctx.record_array("w_boundary/to", neurons, info("boundary neuron i", "i (to)", "none"));
    ctx.record_array("w_boundary/from", neurons, info("boundary neuron j", "j (from)", "none"));
    ctx.record_array("w_boundary/network", nb, nb, log_image(map.w_boundary).data(),
                     image_info("log10 ŵ_∂(ε) of the network; blank: no path from j to i"));
  }

  // ---- reconnection dynamics ----
  const ChainNetwork start_net = start == "equal_lengths" ? equal_lengths(net) : net;
  const std::int64_t n_rec = events / record_every + 1;
  std::vector<ReplicaRun> runs(static_cast<std::size_t>(replicas));
  auto progress = ctx.progress("reconnection", replicas);
  std::int64_t done = 0;
  bool failed = false;
  // Replicas are independent: on R MPI ranks each runs its share and then sends its histories
  // to every rank (below), so everything after the loop sees all replicas in replica order.
  const core::Comm& comm = core::current_comm();
  const core::Share mine = comm.share(replicas);
#pragma omp parallel for schedule(dynamic, 1)
  for (std::int64_t r = mine.begin; r < mine.end; ++r) {
    ReplicaRun& run = runs[static_cast<std::size_t>(r)];
    ChainNetwork cur = start_net;
    const core::RngStream rng(seed, core::StreamTag::user, static_cast<std::uint64_t>(r));
    Eigen::MatrixXd wb;
    double rho_b = 0.0;
    if (!holography::boundary_from_transfer(holography::chain_transfer(cur, eps), wb, rho_b)) {
#pragma omp atomic write
      failed = true;
      continue;
    }
    double sb = holography::bulk_entropy(cur);
    double sd = holography::boundary_entropy(wb, eps, bin_width);
    run.s_bulk.push_back(sb);
    run.s_boundary.push_back(sd);
    for (std::int64_t e = 0; e < events; ++e) {
      const std::vector<Chain> saved = cur.chains;
      const auto ev = holography::reconnect(cur, rng, static_cast<std::uint64_t>(e));
      if (ev.accepted) {
        if (holography::boundary_from_transfer(holography::chain_transfer(cur, eps), wb, rho_b)) {
          const double sb1 = holography::bulk_entropy(cur);
          const double sd1 = holography::boundary_entropy(wb, eps, bin_width);
          run.ds_bulk.push_back(sb1 - sb);
          run.ds_boundary.push_back(sd1 - sd);
          run.event_index.push_back(e);
          sb = sb1;
          sd = sd1;
          ++run.accepted;
        } else {
          cur.chains = saved;  // the boundary description would not exist: the move is undone
          ++run.refused;
        }
      }
      if ((e + 1) % record_every == 0) {
        run.s_bulk.push_back(sb);
        run.s_boundary.push_back(sd);
      }
    }
    for (const Chain& ch : cur.chains) run.final_lengths.push_back(ch.bulk);
    run.final_net = std::move(cur);
#pragma omp critical(holography_progress)
    progress->update(++done);
  }
  progress->finish();
  failed = comm.sum(failed ? 1 : 0) > 0;
  if (!failed) {
    comm.share_items(
        replicas, [&](std::int64_t r) { return pack(runs[static_cast<std::size_t>(r)]); },
        [&](std::int64_t r, const std::string& bytes) {
          runs[static_cast<std::size_t>(r)] = unpack(bytes);
        });
  }
  if (failed) {
    throw Error("holography.start", "the start configuration has ε ≥ 1/ρ(w)",
                "a start whose boundary map exists");
  }

  // Entropies: the mean over replicas at each recorded event, with the standard error.
  const auto nr = static_cast<double>(replicas);
  std::vector<double> t_axis(static_cast<std::size_t>(n_rec)), sb_mean(t_axis.size()),
      sd_mean(t_axis.size()), sb_err(t_axis.size()), sd_err(t_axis.size());
  auto mean_curves = [&](const std::vector<std::int64_t>& pick, std::vector<double>& mb,
                         std::vector<double>& md) {
    mb.assign(static_cast<std::size_t>(n_rec), 0.0);
    md.assign(static_cast<std::size_t>(n_rec), 0.0);
    for (std::int64_t r : pick) {
      for (std::int64_t k = 0; k < n_rec; ++k) {
        mb[static_cast<std::size_t>(k)] +=
            runs[static_cast<std::size_t>(r)].s_bulk[static_cast<std::size_t>(k)];
        md[static_cast<std::size_t>(k)] +=
            runs[static_cast<std::size_t>(r)].s_boundary[static_cast<std::size_t>(k)];
      }
    }
    for (std::int64_t k = 0; k < n_rec; ++k) {
      mb[static_cast<std::size_t>(k)] /= static_cast<double>(pick.size());
      md[static_cast<std::size_t>(k)] /= static_cast<double>(pick.size());
    }
  };
  std::vector<std::int64_t> all(static_cast<std::size_t>(replicas));
  std::iota(all.begin(), all.end(), 0);
  mean_curves(all, sb_mean, sd_mean);
  for (std::int64_t k = 0; k < n_rec; ++k) {
    const auto kk = static_cast<std::size_t>(k);
    t_axis[kk] = static_cast<double>(k * record_every);
    double vb = 0.0, vd = 0.0;
    for (const auto& run : runs) {
      vb += (run.s_bulk[kk] - sb_mean[kk]) * (run.s_bulk[kk] - sb_mean[kk]);
      vd += (run.s_boundary[kk] - sd_mean[kk]) * (run.s_boundary[kk] - sd_mean[kk]);
    }
    sb_err[kk] = replicas > 1 ? std::sqrt(vb / (nr - 1.0) / nr) : 0.0;
    sd_err[kk] = replicas > 1 ? std::sqrt(vd / (nr - 1.0) / nr) : 0.0;
  }
  // Entropy production: dS/dt per event, by differences of the mean curves.
  auto production = [&](const std::vector<double>& sv) {
    std::vector<double> p;
    for (std::size_t k = 1; k < sv.size(); ++k) {
      p.push_back((sv[k] - sv[k - 1]) / static_cast<double>(record_every));
    }
    return p;
  };
  const auto pb = production(sb_mean);
  const auto pd = production(sd_mean);
  std::vector<double> p_axis;
  for (std::size_t k = 1; k < t_axis.size(); ++k)
    p_axis.push_back(0.5 * (t_axis[k] + t_axis[k - 1]));
  const double r_series = pearson(pb, pd);
  // Its 95 % interval: delete-one jackknife over replicas, r ± 1.96 se. (A percentile bootstrap
  // is biased here: a resample repeats replicas, its mean curves are noisier than the data's, and
  // its correlations are attenuated; the interval then misses r itself.)
  double r_lo = kNaN, r_hi = kNaN, r_se = kNaN;
  if (replicas > 2 && pb.size() >= 3) {
    std::vector<double> rs;
    std::vector<double> mb, md;
    std::vector<std::int64_t> pick;
    for (std::int64_t left = 0; left < replicas; ++left) {
      pick.clear();
      for (std::int64_t i = 0; i < replicas; ++i) {
        if (i != left) pick.push_back(i);
      }
      mean_curves(pick, mb, md);
      rs.push_back(pearson(production(mb), production(md)));
    }
    const double mean = std::accumulate(rs.begin(), rs.end(), 0.0) / nr;
    double ss = 0.0;
    for (double v : rs) ss += (v - mean) * (v - mean);
    r_se = std::sqrt((nr - 1.0) / nr * ss);
    if (std::isfinite(r_se)) {
      r_lo = r_series - 1.96 * r_se;
      r_hi = r_series + 1.96 * r_se;
    }
  }
  // Event by event: ΔS_bulk against ΔS_∂ over the accepted events of every replica; the second
  // half of the events (near equilibrium) separately; a control pairing each ΔS_bulk with the
  // ΔS_∂ of another event of the same replica.
  std::vector<double> eb, ed, eb2, ed2, cb, cd;
  std::int64_t accepted = 0, refused = 0;
  for (std::size_t r = 0; r < runs.size(); ++r) {
    const auto& run = runs[r];
    accepted += run.accepted;
    refused += run.refused;
    const std::size_t n_ev = run.ds_bulk.size();
    for (std::size_t k = 0; k < n_ev; ++k) {
      eb.push_back(run.ds_bulk[k]);
      ed.push_back(run.ds_boundary[k]);
      if (2 * run.event_index[k] >= events) {
        eb2.push_back(run.ds_bulk[k]);
        ed2.push_back(run.ds_boundary[k]);
      }
      if (n_ev > 1) {
        cb.push_back(run.ds_bulk[k]);
        cd.push_back(run.ds_boundary[(k + n_ev / 2) % n_ev]);
      }
    }
  }
  const double r_event = pearson(eb, ed);
  const double r_event_eq = pearson(eb2, ed2);
  const double r_control = pearson(cb, cd);
  const double se_event =
      eb.size() > 3 ? 1.0 / std::sqrt(static_cast<double>(eb.size()) - 3.0) : kNaN;
  const double se_event_eq =
      eb2.size() > 3 ? 1.0 / std::sqrt(static_cast<double>(eb2.size()) - 3.0) : kNaN;

  s.observable("events", events);
  s.observable("replicas", replicas);
  s.observable("start", start);
  s.observable("acceptance", events > 0 ? static_cast<double>(accepted + refused) /
                                              (nr * static_cast<double>(events))
                                        : 0.0);
  s.observable("refused_events", refused);
  s.observable("bulk_entropy", sb_mean);
  s.observable("boundary_entropy", sd_mean);
  s.observable("bulk_entropy_error", sb_err);
  s.observable("boundary_entropy_error", sd_err);
  s.observable("entropy_production.bulk", pb);
  s.observable("entropy_production.boundary", pd);
  s.observable(
      "entropy_production_correlation",
      nlohmann::json{
          {"value", r_series}, {"jackknife_error", r_se}, {"ci95_lo", r_lo}, {"ci95_hi", r_hi}});
  s.observable("event_correlation", nlohmann::json{{"all", r_event},
                                                   {"all_n", eb.size()},
                                                   {"second_half", r_event_eq},
                                                   {"second_half_n", eb2.size()},
                                                   {"control", r_control}});
  ctx.record_array("entropy/event", t_axis,
                   info("reconnection events per replica", "event", "none"));
  ctx.record_array("entropy/bulk_error", sb_err, info("standard error over replicas", "", "none"));
  ctx.record_array("entropy/boundary_error", sd_err,
                   info("standard error over replicas", "", "none"));
  ctx.record_array(
      "entropy/bulk", sb_mean,
      info("Shannon entropy of the chain-length histogram (mean over replicas)", "entropy", "line",
           "entropy/event", "entropy over time", "bulk S_x", "entropy/bulk_error"));
  ctx.record_array(
      "entropy/boundary", sd_mean,
      info("Shannon entropy of the histogram of d(i,j) = log_ε ŵ^∂_ij − 1", "entropy", "line",
           "entropy/event", "entropy over time", "boundary S_q^∂", "entropy/boundary_error"));
  if (!pb.empty()) {
    ctx.record_array("entropy_production/event", p_axis, info("event", "event", "none"));
    ctx.record_array("entropy_production/bulk", pb,
                     info("dS_x/dt per event (mean curves)", "entropy production", "line",
                          "entropy_production/event", "entropy production", "bulk"));
    ctx.record_array("entropy_production/boundary", pd,
                     info("dS_q^∂/dt per event (mean curves)", "entropy production", "line",
                          "entropy_production/event", "entropy production", "boundary"));
  }
  // (101) is not a computable identity (spec §9b): S_∂ is the entropy of the distances d(i, j)
  // that (100) reads off the same chain configuration as S_x, so a correlation alone is not
  // evidence of a duality. Each row carries a control that breaks the pairing:
  //  * over time: the bulk production of one half of the replicas against the boundary
  //    production of the other half — two independent relaxations — under the same interval
  //    half-width 1.96 se (a row whose control passes too cannot tell duality from a common
  //    relaxation);
  //  * event by event: ΔS_x paired with the ΔS_∂ of another event of the same replica, over the
  //    same σ = 1/√(n − 3).
  if (pb.size() >= 3) {
    double r_cross = kNaN;
    if (replicas >= 2) {
      std::vector<std::int64_t> first, second;
      for (std::int64_t i = 0; i < replicas; ++i) (2 * i < replicas ? first : second).push_back(i);
      std::vector<double> mb1, md1, mb2, md2;
      mean_curves(first, mb1, md1);
      mean_curves(second, mb2, md2);
      r_cross = pearson(production(mb1), production(md2));
    }
    s.observable("entropy_production_correlation_control", r_cross);
    s.add_check({.id = "(101)/series",
                 .name = "(101) bulk and boundary entropy productions correlate over time",
                 .kind = "claim",
                 .equation = "(101)",
                 .comparison = io::Comparison::lower_bound,
                 .value = r_lo,
                 .reference = 0.0,
                 .tolerance = 0.0,
                 .control = io::Control{.label = "bulk of one half of the replicas against the "
                                                 "boundary of the other half",
                                        .value = r_cross - 1.96 * r_se},
                 .note = "lower end of the 95 % interval r ± 1.96 se of the Pearson r of dS_x/dt "
                         "and dS_q^∂/dt along the relaxation (delete-one jackknife over replicas): "
                         "r = " +
                         fmt(r_series) + ", [" + fmt(r_lo) + ", " + fmt(r_hi) +
                         "]; the control's r = " + fmt(r_cross) +
                         " (two independent relaxations)"});
  }
  if (std::isfinite(r_event)) {
    s.add_check({.id = "(101)/events",
                 .name = "(101) bulk and boundary entropy change together, event by event",
                 .kind = "claim",
                 .equation = "(101)",
                 .comparison = io::Comparison::lower_bound,
                 .value = r_event / se_event,
                 .reference = 3.0,
                 .tolerance = 0.0,
                 .control = io::Control{.label = "ΔS_∂ of another event of the same replica",
                                        .value = r_control / se_event},
                 .note = "z = r/σ of the Pearson r = " + fmt(r_event) +
                         " of ΔS_x and ΔS_q^∂ over " + std::to_string(eb.size()) +
                         " accepted events, σ = 1/√(n − 3); z ≥ 3. Second half (near "
                         "equilibrium): r = " +
                         fmt(r_event_eq) + " ± " + fmt(se_event_eq) +
                         "; control (ΔS_∂ of another event): r = " + fmt(r_control)});
  }

  // ---- equilibrium of the chain lengths (closed form) ----
  if (m >= 2 && events > 0) {
    const std::int64_t total = start_net.n_bulk();
    const double mean_len = static_cast<double>(total) / static_cast<double>(m);
    const double var_th = holography::equilibrium_length_variance(total, m);
    std::vector<double> v_r;
    std::vector<double> hist(static_cast<std::size_t>(total + 1), 0.0);
    for (const auto& run : runs) {
      double v = 0.0;
      for (std::int64_t len : run.final_lengths) {
        v += (static_cast<double>(len) - mean_len) * (static_cast<double>(len) - mean_len);
        hist[static_cast<std::size_t>(len)] += 1.0;
      }
      v_r.push_back(v / static_cast<double>(m));
    }
    const double v_mean = std::accumulate(v_r.begin(), v_r.end(), 0.0) / nr;
    double v_var = 0.0;
    for (double v : v_r) v_var += (v - v_mean) * (v - v_mean);
    const double v_se = replicas > 1 ? std::sqrt(v_var / (nr - 1.0) / nr) : kNaN;
    const double z = (v_mean - var_th) / v_se;
    s.observable("equilibrium.length_variance", v_mean);
    s.observable("equilibrium.length_variance_error", v_se);
    s.observable("equilibrium.length_variance_closed_form", var_th);
    const auto pmf = holography::equilibrium_length_pmf(total, m);
    std::vector<double> h_pmf;
    for (double p : pmf) h_pmf.push_back(p);
    s.observable("equilibrium.bulk_entropy_closed_form", holography::histogram_entropy(h_pmf));
    const bool oracle = refused == 0;
    s.add_check({.id = "equilibrium.length_variance",
                 .name = "chain lengths reach the uniform-configuration equilibrium",
                 .kind = oracle ? "oracle" : "claim",
                 .equation = "Section 10",
                 .comparison = io::Comparison::z_score,
                 .value = z,
                 .reference = 0.0,
                 .tolerance = 4.0,
                 .no_control = oracle ? ""
                                      : "some moves were undone: the uniform law is the only one "
                                        "computed, with no alternative beside it",
                 .note = "z of the mean per-replica variance of the final lengths, " + fmt(v_mean) +
                         " ± " + fmt(v_se) +
                         ", against N(m − 1)(m + N)/(m²(m + 1)) = " + fmt(var_th) +
                         " (m = " + std::to_string(m) + ", N = " + std::to_string(total) + "); " +
                         std::to_string(events) + " events per replica" +
                         (oracle ? "" : "; some moves were undone, so the law is not uniform")});
    std::vector<double> k_axis, freq, ref;
    const std::int64_t k_max =
        std::min<std::int64_t>(total, static_cast<std::int64_t>(mean_len * 6.0 + 10.0));
    const double n_samples = nr * static_cast<double>(m);
    for (std::int64_t k = 0; k <= k_max; ++k) {
      k_axis.push_back(static_cast<double>(k));
      freq.push_back(hist[static_cast<std::size_t>(k)] / n_samples);
      ref.push_back(pmf[static_cast<std::size_t>(k)]);
    }
    ctx.record_array("lengths/k", k_axis, info("bulk neurons of a chain", "L", "none"));
    ctx.record_array("lengths/final", freq,
                     info("fraction of chains with L bulk neurons after the events (all replicas)",
                          "P(L)", "line", "lengths/k", "chain lengths at the end", "measured"));
    ctx.record_array(
        "lengths/closed_form", ref,
        info("C(N − L + m − 2, m − 2)/C(N + m − 1, m − 1): uniform configurations", "P(L)", "line",
             "lengths/k", "chain lengths at the end", "equilibrium (closed form)"));
  }

  // ---- replica 0 at the end: the map and the recovery after reconnection ----
  if (events > 0 && !runs.empty()) {
    const ChainNetwork& fin = runs.front().final_net;
    const BoundaryMap fmap = holography::boundary_map(holography::weight_matrix(fin), nb, eps);
    const Recovery frec = recover(fin, fmap.w_boundary, eps);
    s.observable("final.chain_lengths.true", frec.truth);
    s.observable("final.chain_lengths.recovered", frec.recovered);
    s.observable("final.max_length_error", frec.max_error);
    add_bound_oracle(s, "(100)/recovered_after",
                     "chain lengths recovered after reconnection (replica 0)", "(100)",
                     frec.max_error, frec.bound,
                     "as above, on the network after " + std::to_string(events) + " events");
    std::vector<double> gx, gy;
    chain_graph(fin, gx, gy);
    ctx.record_array("graph/final/x", gx, info("x", "x", "none"));
    ctx.record_array(
        "graph/final/y", gy,
        info("the chains of replica 0 after the events", "y", "line", "graph/final/x"));
    ctx.record_array("w_boundary/final", nb, nb, log_image(fmap.w_boundary).data(),
                     image_info("log10 ŵ_∂ of replica 0 after the events; blank: no path"));
  }
}

ExperimentKind holography_experiment() {
  return {"holography",
          "bulk chains of neurons and the boundary weight matrix (99)–(100): chain lengths from "
          "boundary data, reconnection, bulk and boundary entropy production (Section 10)",
          configure_holography};
}

}  // namespace nnworld::lab
