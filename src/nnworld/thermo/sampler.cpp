#include "nnworld/thermo/sampler.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <string>

#include "nnworld/core/error.hpp"
#include "nnworld/core/parallel.hpp"
#include "nnworld/core/rng.hpp"
#include "nnworld/network/activation.hpp"
#include "nnworld/thermo/hmc_kernel.hpp"

namespace nnworld::thermo {

namespace {

std::string str(double v) {
  return std::to_string(v);
}

void require(bool ok, const char* key, const std::string& got, const std::string& expected) {
  if (!ok) throw Error(std::string("hmc_sample: option '") + key + "'", "got " + got, expected);
}

double mean_of(const std::vector<double>& v, std::size_t begin, std::size_t end) {
  double s = 0.0;
  for (std::size_t i = begin; i < end; ++i) s += v[i];
  return s / static_cast<double>(end - begin);
}

double var_of(const std::vector<double>& v, std::size_t begin, std::size_t end, double mean) {
  double s = 0.0;
  for (std::size_t i = begin; i < end; ++i) s += (v[i] - mean) * (v[i] - mean);
  return s / static_cast<double>(end - begin - 1);
}

// A chain as bytes (the doubles' bits, so a chain crosses ranks unchanged).
std::string pack(const HmcChain& c) {
  core::ByteWriter w;
  w.vector(c.h);
  w.value<std::int64_t>(c.x.rows());
  w.value<std::int64_t>(c.x.cols());
  w.put(c.x.data(), static_cast<std::size_t>(c.x.size()));
  w.value<std::int64_t>(c.sum_x.size());
  w.put(c.sum_x.data(), static_cast<std::size_t>(c.sum_x.size()));
  w.value(c.acceptance);
  w.value(c.step_size);
  w.value(c.divergences);
  return w.take();
}

HmcChain unpack(const std::string& bytes) {
  core::ByteReader r(bytes);
  HmcChain c;
  c.h = r.vector<double>();
  const auto rows = r.value<std::int64_t>();
  c.x.resize(rows, r.value<std::int64_t>());
  r.get(c.x.data(), static_cast<std::size_t>(c.x.size()));
  c.sum_x.resize(r.value<std::int64_t>());
  r.get(c.sum_x.data(), static_cast<std::size_t>(c.sum_x.size()));
  c.acceptance = r.value<double>();
  c.step_size = r.value<double>();
  c.divergences = r.value<long>();
  return c;
}

}  // namespace

void HmcOptions::validate(std::int64_t n) const {
  require(std::isfinite(beta) && beta > 0.0, "beta", str(beta), "a finite number > 0");
  require(std::isfinite(step_size) && step_size > 0.0, "step_size", str(step_size),
          "a finite number > 0");
  require(leapfrog_steps >= 1, "leapfrog_steps", std::to_string(leapfrog_steps), "an integer >= 1");
  require(step_jitter >= 0.0 && step_jitter < 1.0, "step_jitter", str(step_jitter),
          "a number in [0, 1)");
  require(warmup >= 0, "warmup", std::to_string(warmup), "an integer >= 0");
  require(samples >= 4, "samples", std::to_string(samples), "an integer >= 4");
  require(chains >= 1, "chains", std::to_string(chains), "an integer >= 1");
  require(target_acceptance > 0.0 && target_acceptance < 1.0, "target_acceptance",
          str(target_acceptance), "a number in (0, 1)");
  require(std::isfinite(start_scale) && start_scale >= 0.0, "start_scale", str(start_scale),
          "a finite number >= 0");
  require(starts.empty() || static_cast<int>(starts.size()) == chains, "starts",
          std::to_string(starts.size()) + " vectors", "none, or one per chain");
  for (const Vector& s : starts) {
    require(s.size() == n, "starts", "a vector of size " + std::to_string(s.size()),
            "vectors of size N = " + std::to_string(n));
    require(s.allFinite(), "starts", "a non-finite entry", "finite starting points");
  }
}

// Gradient of the bulk loss (3), as coded:
//   y = ŵx + b,  r = x − f(y),  H = ½|r|² − (m/2)|x|²,  ∂H/∂x = r − ŵᵀ(f′(y) ⊙ r) − m x.
double bulk_loss_and_gradient(const network::Network& net, const Vector& x, Vector& grad) {
  Vector y = network::preactivation(net, x);
  const std::int64_t n = y.size();
  Vector df(n);
  network::activation_derivative(net.activation, y.data(), df.data(), n);
  network::apply_activation(net.activation, y.data(), n);  // y ← f(y)
  const Vector r = x - y;
  grad = r - network::transpose_times(net.w, r.cwiseProduct(df)) - net.mass * x;
  return 0.5 * r.squaredNorm() - 0.5 * net.mass * x.squaredNorm();
}

// Geyer's initial positive sequence (Geyer 1992), as coded:
//   ρ_k = Σ_{t<n−k} (h_t − h̄)(h_{t+k} − h̄) / Σ_t (h_t − h̄)²,
//   Γ_j = ρ_{2j} + ρ_{2j+1} while Γ_j > 0, made non-increasing,
//   τ = −1 + 2 Σ_j Γ_j,  ESS = n / τ (capped at n log₁₀ n to guard against antithetic chains).
double effective_sample_size(const std::vector<double>& chain) {
  const std::size_t n = chain.size();
  if (n < 4)
    throw Error("effective_sample_size", "chain of length " + std::to_string(n),
                "at least 4 values");
  const double mean = mean_of(chain, 0, n);
  std::vector<double> d(n);
  for (std::size_t t = 0; t < n; ++t) d[t] = chain[t] - mean;
  double c0 = 0.0;
  for (double v : d) c0 += v * v;
  if (!(c0 > 0.0)) return static_cast<double>(n);  // constant chain: no autocorrelation info
  auto rho = [&](std::size_t k) {
    double s = 0.0;
    for (std::size_t t = 0; t + k < n; ++t) s += d[t] * d[t + k];
    return s / c0;
  };
  double sum = 0.0;
  double prev = std::numeric_limits<double>::infinity();
  for (std::size_t k = 0; k + 1 < n; k += 2) {
    double gamma = rho(k) + rho(k + 1);
    if (gamma <= 0.0) break;
    gamma = std::min(gamma, prev);
    prev = gamma;
    sum += gamma;
  }
  const double tau = std::max(-1.0 + 2.0 * sum, 1.0 / std::log10(static_cast<double>(n)));
  return static_cast<double>(n) / tau;
}

// Split R̂ as coded: halves h^{(j)} of length n; W = mean_j s_j², B/n = var_j(h̄^{(j)}),
// R̂ = √(((n−1)/n · W + B/n) / W).
double split_r_hat(const std::vector<std::vector<double>>& chains) {
  if (chains.empty()) throw Error("split_r_hat", "no chains", "at least one chain");
  const std::size_t len = chains.front().size();
  for (const auto& c : chains) {
    if (c.size() != len || len < 4) {
      throw Error("split_r_hat", "chains of unequal or too short length",
                  "chains of one length >= 4");
    }
  }
  const std::size_t n = len / 2;
  std::vector<double> means;
  std::vector<double> vars;
  for (const auto& c : chains) {
    for (std::size_t half = 0; half < 2; ++half) {
      const std::size_t b = half == 0 ? 0 : len - n;  // drop the middle value if len is odd
      const double m = mean_of(c, b, b + n);
      means.push_back(m);
      vars.push_back(var_of(c, b, b + n, m));
    }
  }
  const double w =
      std::accumulate(vars.begin(), vars.end(), 0.0) / static_cast<double>(vars.size());
  const double grand = mean_of(means, 0, means.size());
  const double b_over_n = var_of(means, 0, means.size(), grand);
  const double nn = static_cast<double>(n);
  if (!(w > 0.0)) return b_over_n > 0.0 ? std::numeric_limits<double>::infinity() : 1.0;
  return std::sqrt(((nn - 1.0) / nn * w + b_over_n) / w);
}

// Eq. (5): samples p(x) ∝ e^{−βH(x)}; HMC with E(x) = βH(x), ∇E = β ∂H/∂x.
// Dual averaging during warm-up (m = 1..warmup, δ = target acceptance, α_m = acceptance
// probability, μ = log 10ε₀, γ = 0.05, t₀ = 10, κ = 0.75):
//   H̄_m = (1 − 1/(m+t₀)) H̄_{m−1} + (δ − α_m)/(m+t₀),  log ε_m = μ − √m H̄_m / γ,
//   log ε̄_m = m^{−κ} log ε_m + (1 − m^{−κ}) log ε̄_{m−1};  sampling uses ε̄_warmup.
// Outputs (10) U = ⟨H⟩ ± √(Var H / ESS), C = β² Var(H).
HmcResult hmc_sample(const network::Network& net, const HmcOptions& options) {
  net.validate();
  const std::int64_t n = net.n();
  options.validate(n);
  const double beta = options.beta;
  const int chains = options.chains;
  HmcResult result;
  result.beta = beta;
  result.chains.resize(static_cast<std::size_t>(chains));

  // Chains are independent: on R MPI ranks each runs its share and then sends its chains to
  // every rank (below), so the pooled statistics see the same chains in the same order.
  const core::Comm& comm = core::current_comm();
  const core::Share mine = comm.share(chains);
#pragma omp parallel for schedule(static, 1)
  for (int c = static_cast<int>(mine.begin); c < static_cast<int>(mine.end); ++c) {
    const core::RngStream rng(options.seed, core::StreamTag::start, static_cast<std::uint64_t>(c));
    auto energy = [&](const Vector& x, Vector& grad) {
      const double h = bulk_loss_and_gradient(net, x, grad);
      grad *= beta;
      return beta * h;
    };
    detail::HmcState s;
    if (options.starts.empty()) {
      s.x.resize(n);
      for (std::int64_t i = 0; i < n; ++i) {
        s.x[i] = options.start_scale * rng.normal(0, static_cast<std::uint64_t>(i));
      }
    } else {
      s.x = options.starts[static_cast<std::size_t>(c)];
    }
    s.energy = energy(s.x, s.grad);
    double eps = options.step_size;
    // Dual-averaging state.
    const double mu = std::log(10.0 * options.step_size);
    double h_bar = 0.0;
    double log_eps_bar = 0.0;
    const long total = options.warmup + options.samples;
    HmcChain& out = result.chains[static_cast<std::size_t>(c)];
    out.h.reserve(static_cast<std::size_t>(options.samples));
    out.sum_x = Vector::Zero(n);
    if (options.record_x) out.x.resize(n, options.samples);
    long accepted = 0;
    for (long it = 0; it < total; ++it) {
      const std::uint64_t step = static_cast<std::uint64_t>(it) + 1;
      const bool warm = it < options.warmup;
      const double jitter =
          1.0 +
          options.step_jitter * (2.0 * rng.uniform(step, static_cast<std::uint64_t>(n) + 1) - 1.0);
      const detail::HmcOutcome o =
          detail::hmc_transition(energy, s, eps * jitter, options.leapfrog_steps, rng, step);
      if (warm && options.adapt_step_size) {
        const double m = static_cast<double>(it + 1);
        const double t0 = 10.0;
        h_bar = (1.0 - 1.0 / (m + t0)) * h_bar +
                (options.target_acceptance - o.accept_probability) / (m + t0);
        const double log_eps = mu - std::sqrt(m) / 0.05 * h_bar;
        const double w = std::pow(m, -0.75);
        log_eps_bar = w * log_eps + (1.0 - w) * log_eps_bar;
        eps = std::exp(log_eps);
        if (it + 1 == options.warmup) eps = std::exp(log_eps_bar);
      }
      if (warm) continue;
      if (o.accepted) ++accepted;
      if (o.divergent) ++out.divergences;
      const long k = it - options.warmup;
      out.h.push_back(s.energy / beta);
      out.sum_x += s.x;
      if (options.record_x) out.x.col(k) = s.x;
    }
    out.acceptance = static_cast<double>(accepted) / static_cast<double>(options.samples);
    out.step_size = eps;
  }

  comm.share_items(
      chains, [&](std::int64_t c) { return pack(result.chains[static_cast<std::size_t>(c)]); },
      [&](std::int64_t c, const std::string& bytes) {
        result.chains[static_cast<std::size_t>(c)] = unpack(bytes);
      });

  // Pooled statistics (fixed order: independent of the thread and rank count).
  std::vector<double> all;
  std::vector<std::vector<double>> hs;
  result.mean_x = Vector::Zero(n);
  for (const HmcChain& ch : result.chains) {
    all.insert(all.end(), ch.h.begin(), ch.h.end());
    hs.push_back(ch.h);
    result.mean_x += ch.sum_x;
    result.acceptance += ch.acceptance / chains;
    result.ess_h += effective_sample_size(ch.h);
  }
  const double total = static_cast<double>(all.size());
  result.mean_x /= total;
  result.mean_h = mean_of(all, 0, all.size());
  result.var_h = var_of(all, 0, all.size(), result.mean_h);
  result.mean_h_stderr = std::sqrt(result.var_h / result.ess_h);
  result.heat_capacity = beta * beta * result.var_h;
  // Standard error of Var(H) from the series (H − Ū)², with its own ESS.
  double ess_sq = 0.0;
  std::vector<double> sq_all;
  for (const HmcChain& ch : result.chains) {
    std::vector<double> sq(ch.h.size());
    for (std::size_t t = 0; t < sq.size(); ++t) {
      sq[t] = (ch.h[t] - result.mean_h) * (ch.h[t] - result.mean_h);
    }
    ess_sq += effective_sample_size(sq);
    sq_all.insert(sq_all.end(), sq.begin(), sq.end());
  }
  const double sq_mean = mean_of(sq_all, 0, sq_all.size());
  result.heat_capacity_stderr =
      beta * beta * std::sqrt(var_of(sq_all, 0, sq_all.size(), sq_mean) / ess_sq);
  result.r_hat_h = split_r_hat(hs);
  if (options.record_x) {
    result.cov_x = Matrix::Zero(n, n);
    for (const HmcChain& ch : result.chains) {
      const Matrix d = ch.x.colwise() - result.mean_x;
      result.cov_x.noalias() += d * d.transpose();
    }
    result.cov_x /= total - 1.0;
    result.r_hat_x.resize(n);
    for (std::int64_t i = 0; i < n; ++i) {
      std::vector<std::vector<double>> xs;
      for (const HmcChain& ch : result.chains) {
        xs.emplace_back(static_cast<std::size_t>(ch.x.cols()));
        for (Eigen::Index t = 0; t < ch.x.cols(); ++t) xs.back()[t] = ch.x(i, t);
      }
      result.r_hat_x[i] = split_r_hat(xs);
    }
  }
  return result;
}

}  // namespace nnworld::thermo
