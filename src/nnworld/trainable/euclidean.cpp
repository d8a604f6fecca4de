#include "nnworld/trainable/euclidean.hpp"

#include <cmath>
#include <cstdio>
#include <limits>
#include <stdexcept>
#include <string>

#include "nnworld/core/error.hpp"

namespace nnworld::trainable {

namespace {

std::string num(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%g", v);
  return buf;
}

}  // namespace

EuclideanConstants euclidean_constants(const Constants& c) {
  // ħ_E² = −ħ′² = 1/μ² − 4D/(γμ) (spec §0 correction 4 continued to ħ′² < 0).
  if (regime(c) != Regime::euclidean) {
    throw Error("euclidean_constants",
                std::string("the full system is ") + regime_name(regime(c)) + " for γ/μ = " +
                    num(c.gamma / c.mu_lagrange) + ", 4D = " + num(4.0 * c.diffusion),
                "γ/μ > 4D or γ/μ < 0 (the Euclidean regime)");
  }
  const double h2 = -hbar_prime_squared(c);
  if (!(h2 > 0.0) || !std::isfinite(h2)) {
    throw Error("euclidean_constants", "ħ_E² = " + num(h2) + " is not positive",
                "γμ ≠ 0 and D ≥ 0");
  }
  EuclideanConstants e;
  e.hbar_e = (c.gamma > 0.0 ? 1.0 : -1.0) * std::sqrt(h2);
  e.kappa = c.gamma * e.hbar_e;
  return e;
}

HeatFlow::HeatFlow(const core::Grid& g, const EuclideanConstants& e, std::vector<double> potential)
    : fft_(g), e_(e), v_(std::move(potential)) {
  if (!(e.kappa > 0.0)) throw std::invalid_argument("HeatFlow: κ must be > 0");
  if (v_.empty()) v_.assign(static_cast<std::size_t>(g.size()), 0.0);
  if (static_cast<std::int64_t>(v_.size()) != g.size()) {
    throw std::invalid_argument("HeatFlow: potential size does not match the grid");
  }
}

void HeatFlow::advance(std::span<double> f, double ds, std::int64_t steps) const {
  // ∂_s f = κ∇²f + (V/ħ_E) f: e^{V ds/2ħ_E} F⁻¹ e^{−κk² ds} F e^{V ds/2ħ_E}.
  const std::int64_t n = grid().size();
  if (static_cast<std::int64_t>(f.size()) != n) {
    throw std::invalid_argument("HeatFlow::advance: field size does not match the grid");
  }
  std::vector<double> half(static_cast<std::size_t>(n)), kin(static_cast<std::size_t>(n));
  const auto& k2 = fft_.k_squared();
  for (std::int64_t i = 0; i < n; ++i) {
    half[i] = std::exp(v_[i] * ds / (2.0 * e_.hbar_e));
    kin[i] = std::exp(-e_.kappa * k2[i] * ds);
  }
  std::vector<core::Complex> w(static_cast<std::size_t>(n));
  for (std::int64_t s = 0; s < steps; ++s) {
    for (std::int64_t i = 0; i < n; ++i) w[i] = core::Complex(f[i] * half[i], 0.0);
    fft_.forward(w);
    for (std::int64_t i = 0; i < n; ++i) w[i] *= kin[i];
    fft_.backward(w);
    for (std::int64_t i = 0; i < n; ++i) {
      f[i] = w[i].real() * half[i];
      if (!std::isfinite(f[i])) throw Divergence(static_cast<long>(s + 1), "the heat flow");
    }
  }
}

Bridge solve_bridge(const core::Grid& g, const Constants& c, std::vector<double> potential,
                    std::vector<double> phi_hat0, std::vector<double> phi_T, double T, double dt,
                    std::int64_t frames) {
  // Cole–Hopf pair (see the header): φ̂ forward from 0, φ backward from T.
  if (!(T > 0.0) || !(dt > 0.0) || frames < 1) {
    throw std::invalid_argument("solve_bridge: T > 0, dt > 0 and frames >= 1 needed");
  }
  const std::int64_t n = g.size();
  if (static_cast<std::int64_t>(phi_hat0.size()) != n ||
      static_cast<std::int64_t>(phi_T.size()) != n) {
    throw std::invalid_argument("solve_bridge: boundary data size does not match the grid");
  }
  for (std::int64_t i = 0; i < n; ++i) {
    if (!(phi_hat0[i] >= 0.0) || !(phi_T[i] >= 0.0)) {
      throw std::invalid_argument("solve_bridge: φ̂(0) and φ(T) must be finite and >= 0");
    }
  }
  Bridge b;
  b.constants = euclidean_constants(c);
  const HeatFlow flow(g, b.constants, std::move(potential));
  const double frame = T / static_cast<double>(frames);
  const auto per = std::max<std::int64_t>(1, static_cast<std::int64_t>(std::ceil(frame / dt)));
  const double ds = frame / static_cast<double>(per);
  b.times.resize(static_cast<std::size_t>(frames + 1));
  b.phi.resize(b.times.size());
  b.phi_hat.resize(b.times.size());
  for (std::int64_t j = 0; j <= frames; ++j) b.times[j] = frame * static_cast<double>(j);
  b.times.back() = T;
  b.phi_hat[0] = std::move(phi_hat0);
  for (std::int64_t j = 1; j <= frames; ++j) {
    b.phi_hat[j] = b.phi_hat[j - 1];
    flow.advance(b.phi_hat[j], ds, per);
  }
  b.phi[frames] = std::move(phi_T);
  for (std::int64_t j = frames - 1; j >= 0; --j) {
    b.phi[j] = b.phi[j + 1];
    flow.advance(b.phi[j], ds, per);
  }
  return b;
}

BridgeFields bridge_fields(const Constants& c, std::span<const double> phi,
                           std::span<const double> phi_hat) {
  if (phi.size() != phi_hat.size()) throw std::invalid_argument("bridge_fields: sizes differ");
  const EuclideanConstants e = euclidean_constants(c);
  BridgeFields out;
  out.p.resize(phi.size());
  out.F.resize(phi.size());
  for (std::size_t i = 0; i < phi.size(); ++i) {
    const double p = phi[i] * phi_hat[i];
    out.p[i] = p;
    out.F[i] = p > 0.0 ? 0.5 * e.hbar_e * std::log(phi[i] / phi_hat[i]) +
                             std::log(p) / (2.0 * c.mu_lagrange)
                       : std::numeric_limits<double>::quiet_NaN();
  }
  return out;
}

}  // namespace nnworld::trainable
