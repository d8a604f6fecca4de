// The two-packet interference test on the replica ensemble (see interference.hpp).
#include "nnworld/trainable/interference.hpp"

#include <cmath>
#include <numbers>
#include <string>

#include "nnworld/core/error.hpp"
#include "nnworld/trainable/ensemble_measure.hpp"

namespace nnworld::trainable {

// φ̂(k) = (1/M) Σ_r e^{i k q_r} over the selected replicas.
std::complex<double> characteristic_function(const Ensemble& ensemble, int axis, double k,
                                             std::int32_t which) {
  if (axis < 0 || axis >= ensemble.dims)
    throw Error("characteristic_function", "axis " + std::to_string(axis), "an axis < K");
  const bool select = which >= 0;
  if (select && ensemble.tag.size() != static_cast<std::size_t>(ensemble.replicas))
    throw Error("characteristic_function", "an ensemble without tags", "tagged replicas");
  double re = 0.0, im = 0.0, n = 0.0;
  const int dims = ensemble.dims;
  for (std::int64_t r = 0; r < ensemble.replicas; ++r) {
    if (select && ensemble.tag[static_cast<std::size_t>(r)] != which) continue;
    const double x = k * ensemble.q[static_cast<std::size_t>(r * dims + axis)];
    re += std::cos(x);
    im += std::sin(x);
    n += 1.0;
  }
  if (n == 0.0) return {0.0, 0.0};
  return {re / n, im / n};
}

namespace {

// Two-Gaussian envelope ½ Σ_j exp(i k m_j − k² v_j/2) of the tagged packets.
std::complex<double> envelope_at(double k, const double m[2], const double v[2]) {
  std::complex<double> s{0.0, 0.0};
  for (int j = 0; j < 2; ++j) s += std::exp(std::complex<double>(-0.5 * k * k * v[j], k * m[j]));
  return 0.5 * s;
}

}  // namespace

InterferenceResult two_packet_interference(const FreeEnergyField& field,
                                           const InterferenceOptions& o) {
  const int dims = field.grid.dims;
  if (o.axis < 0 || o.axis >= dims)
    throw Error("two_packet_interference", "axis " + std::to_string(o.axis), "an axis < K");
  if (o.replicas < 4 || o.steps < 0 || o.record_every < 1 || o.scan_points < 1)
    throw Error("two_packet_interference", "replicas, steps, record_every or scan_points",
                "replicas >= 4, steps >= 0, record_every >= 1, scan_points >= 1");
  const double h2 = hbar_prime_squared(o.constants);
  if (!(h2 > 0.0))
    throw Error("two_packet_interference",
                "ħ′² = 4D/(γμ) − 1/μ² = " + std::to_string(h2) + " (regime " +
                    regime_name(regime(o.constants)) + ")",
                "ħ′² > 0 (the quantum regime 0 < γ/μ < 4D)");
  InterferenceResult out;
  out.hbar_prime = std::sqrt(h2);
  out.delta_p = field.gradient_at(o.centre1, o.interpolation)[o.axis] -
                field.gradient_at(o.centre2, o.interpolation)[o.axis];
  if (!(std::abs(out.delta_p) > 0.0))
    throw Error("two_packet_interference", "ΔP = 0 (equal ∂F/∂q at the two centres)",
                "packets with different momenta ∇F");
  out.fringe_wavenumber = std::abs(out.delta_p) / out.hbar_prime;
  out.fringe_spacing = 2.0 * std::numbers::pi / out.fringe_wavenumber;

  Ensemble e = two_packet_ensemble(dims, o.replicas, o.centre1, o.centre2, o.sd, o.seed);
  confine(e, field.grid);
  const LangevinParameters lp{o.constants.diffusion, o.constants.gamma, o.dt, o.seed,
                              o.interpolation};
  const double m_total = static_cast<double>(o.replicas);
  auto record = [&](const Ensemble& en) {
    const Moments a = moments(en, 0);
    const Moments b = moments(en, 1);
    const double m[2] = {a.mean[o.axis], b.mean[o.axis]};
    const double v[2] = {a.covariance[o.axis][o.axis], b.covariance[o.axis][o.axis]};
    const double sep = std::abs(m[0] - m[1]);
    const double overlap = std::sqrt(2.0 * std::sqrt(v[0] * v[1]) / (v[0] + v[1])) *
                           std::exp(-sep * sep / (4.0 * (v[0] + v[1])));
    auto z_at = [&](double k, std::complex<double>* phi_out, std::complex<double>* env_out) {
      const std::complex<double> phi = characteristic_function(en, o.axis, k);
      const std::complex<double> env = envelope_at(k, m, v);
      if (phi_out) *phi_out = phi;
      if (env_out) *env_out = env;
      const double noise = std::sqrt(std::max(1e-300, 1.0 - std::norm(env)) / m_total);
      return std::abs(phi - env) / noise;
    };
    std::complex<double> phi, env;
    const double z = z_at(out.fringe_wavenumber, &phi, &env);
    double best = -1.0, best_k = 0.0;
    for (int j = 1; j <= o.scan_points; ++j) {
      const double k = j * o.scan_factor * out.fringe_wavenumber / o.scan_points;
      const double zj = z_at(k, nullptr, nullptr);
      if (zj > best) {
        best = zj;
        best_k = k;
      }
    }
    out.time.push_back(en.time);
    out.separation.push_back(sep);
    out.overlap.push_back(overlap);
    out.amplitude.push_back(std::abs(phi));
    out.envelope.push_back(std::abs(env));
    out.noise.push_back(std::sqrt(std::max(1e-300, 1.0 - std::norm(env)) / m_total));
    out.z.push_back(z);
    out.quantum_amplitude.push_back(0.5 * overlap);
    out.scan_max_z.push_back(best);
    out.scan_k_at_max.push_back(best_k);
  };
  simulate_langevin(e, field, lp, o.steps, o.record_every, record);
  for (std::size_t i = 1; i < out.overlap.size(); ++i) {
    if (out.overlap[i] > out.overlap[out.best_overlap]) out.best_overlap = i;
  }
  return out;
}

}  // namespace nnworld::trainable
