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

FringeRecord measure_fringes(const Ensemble& en, int axis, double k_f, int scan_points,
                             double scan_factor) {
  const double m_total = static_cast<double>(en.replicas);
  const Moments a = moments(en, 0);
  const Moments b = moments(en, 1);
  const double m[2] = {a.mean[axis], b.mean[axis]};
  const double v[2] = {a.covariance[axis][axis], b.covariance[axis][axis]};
  FringeRecord r;
  r.time = en.time;
  r.separation = std::abs(m[0] - m[1]);
  r.overlap = std::sqrt(2.0 * std::sqrt(v[0] * v[1]) / (v[0] + v[1])) *
              std::exp(-r.separation * r.separation / (4.0 * (v[0] + v[1])));
  auto z_at = [&](double k, std::complex<double>* phi_out, std::complex<double>* env_out) {
    const std::complex<double> phi = characteristic_function(en, axis, k);
    const std::complex<double> env = envelope_at(k, m, v);
    if (phi_out) *phi_out = phi;
    if (env_out) *env_out = env;
    const double noise = std::sqrt(std::max(1e-300, 1.0 - std::norm(env)) / m_total);
    return std::abs(phi - env) / noise;
  };
  std::complex<double> phi, env;
  r.z = z_at(k_f, &phi, &env);
  r.scan_max_z = -1.0;
  for (int j = 1; j <= scan_points; ++j) {
    const double k = j * scan_factor * k_f / scan_points;
    const double zj = z_at(k, nullptr, nullptr);
    if (zj > r.scan_max_z) {
      r.scan_max_z = zj;
      r.scan_k_at_max = k;
    }
  }
  r.amplitude = std::abs(phi);
  r.envelope = std::abs(env);
  r.noise = std::sqrt(std::max(1e-300, 1.0 - std::norm(env)) / m_total);
  r.quantum_amplitude = 0.5 * r.overlap;
  return r;
}

void append(InterferenceResult& out, const FringeRecord& r) {
  out.time.push_back(r.time);
  out.separation.push_back(r.separation);
  out.overlap.push_back(r.overlap);
  out.amplitude.push_back(r.amplitude);
  out.envelope.push_back(r.envelope);
  out.noise.push_back(r.noise);
  out.z.push_back(r.z);
  out.quantum_amplitude.push_back(r.quantum_amplitude);
  out.scan_max_z.push_back(r.scan_max_z);
  out.scan_k_at_max.push_back(r.scan_k_at_max);
  if (out.overlap.size() > 1 && r.overlap > out.overlap[out.best_overlap]) {
    out.best_overlap = out.overlap.size() - 1;
  }
}

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
  simulate_langevin(e, field, lp, o.steps, o.record_every, [&](const Ensemble& en) {
    append(out, measure_fringes(en, o.axis, out.fringe_wavenumber, o.scan_points, o.scan_factor));
  });
  return out;
}

}  // namespace nnworld::trainable
