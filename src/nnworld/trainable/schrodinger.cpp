#include "nnworld/trainable/schrodinger.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <numbers>
#include <stdexcept>

#include "nnworld/core/error.hpp"

namespace nnworld::trainable {

namespace {

constexpr std::int64_t kParallel = 65536;  // grid size from which pointwise loops use threads

// (21): S_q = −∫ p log p (0 log 0 = 0).
double entropy_of(const core::Grid& g, std::span<const double> p) {
  double s = 0.0;
  for (double v : p) {
    if (v > 0.0) s -= v * std::log(v);
  }
  return s * g.cell_volume();
}

std::string num(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%g", v);
  return buf;
}

// ∂_aΨ by FFT (the Nyquist mode of an even axis dropped, as in core::spectral_derivative).
std::vector<Complex> spectral_derivative_complex(const core::Fft& fft, std::span<const Complex> psi,
                                                 int axis) {
  const core::Grid& g = fft.grid();
  std::vector<Complex> d(psi.begin(), psi.end());
  fft.forward(d);
  const std::int64_t n = g.points[axis];
  const std::int64_t s = g.stride(axis);
  const auto& k = fft.k(axis);
  for (std::int64_t i = 0; i < g.size(); ++i) {
    const std::int64_t m = (i / s) % n;
    const double f = (n % 2 == 0 && m == n / 2) ? 0.0 : k[m];
    d[i] *= Complex(0.0, f);
  }
  fft.backward(d);
  return d;
}

}  // namespace

const char* form_name(Form f) {
  return f == Form::corrected ? "corrected" : "paper";
}

QuantumMap quantum_map(const Constants& c, Form form, bool boxed) {
  // Spec §0 corrections 3 and 4: ħ = √(4D/(γμ)), ħ_paper = √(4D/γ), ħ′² = 4D/(γμ) − 1/μ²,
  // M = 1/(2γ); F = ħ arg Ψ (+ log p/(2μ) with the boxed terms).
  const std::string where = "quantum_map";
  if (!(c.diffusion > 0.0)) {
    throw Error(where, "diffusion D = " + num(c.diffusion) + " leaves no quantum limit",
                "D > 0 (ħ² = 4D/(γμ))");
  }
  QuantumMap m;
  m.form = form;
  m.boxed = boxed;
  m.regime = regime(c);
  if (c.gamma == 0.0) {
    throw Error(where, "γ = 0: the mass M = 1/(2γ) is infinite", "γ ≠ 0");
  }
  m.mass = mass(c);
  if (form == Form::paper) {
    if (boxed) {
      throw Error(where, "the printed (34)–(36) have no form with the boxed terms",
                  "form = corrected with the boxed terms (ħ′, spec §0 correction 4)");
    }
    if (!(c.gamma > 0.0)) {
      throw Error(where, "γ = " + num(c.gamma) + ": the printed ħ = √(4D/γ) is not real",
                  "γ > 0 for the printed form");
    }
    m.hbar = hbar_paper(c);
    return m;
  }
  if (!(c.gamma * c.mu_lagrange > 0.0)) {
    throw Error(where, "γμ = " + num(c.gamma * c.mu_lagrange) + ": ħ² = 4D/(γμ) is not positive",
                "γμ > 0 (spec §4 existence condition)");
  }
  if (!boxed) {
    m.hbar = hbar(c);
    return m;
  }
  if (m.regime != Regime::quantum) {
    const double a = c.gamma / c.mu_lagrange;
    throw Error(where,
                std::string("the full system (32)–(33) is ") + regime_name(m.regime) +
                    " for γ/μ = " + num(a) + ", 4D = " + num(4.0 * c.diffusion) +
                    " (ħ′² = " + num(hbar_prime_squared(c)) + "): no unitary evolution",
                "0 < γ/μ < 4D (the Euclidean regime is solved as a two-point problem)");
  }
  m.hbar = std::sqrt(hbar_prime_squared(c));
  m.osmotic = 1.0 / (2.0 * c.mu_lagrange);
  return m;
}

std::vector<Complex> gaussian_packet(const core::Grid& g, const QuantumMap& m,
                                     std::span<const double> centre, std::span<const double> width,
                                     std::span<const double> momentum) {
  const auto k = static_cast<std::size_t>(g.dims);
  if (centre.size() != k || width.size() != k || momentum.size() != k) {
    throw std::invalid_argument("gaussian_packet: centre, width and momentum need K values");
  }
  // p = Π_a N(q_a; c_a, σ_a²); Ψ = √p e^{iF̃/ħ} with F̃ = P·q (q measured from the centre, which
  // only changes a constant phase).
  std::vector<Complex> psi(static_cast<std::size_t>(g.size()));
  for (std::int64_t i = 0; i < g.size(); ++i) {
    const core::Point q = g.point(i);
    double log_amp = 0.0, phase = 0.0;
    for (std::size_t a = 0; a < k; ++a) {
      if (!(width[a] > 0.0)) throw std::invalid_argument("gaussian_packet: width must be > 0");
      const double x = q[a] - centre[a];
      log_amp += -x * x / (4.0 * width[a] * width[a]) -
                 0.25 * std::log(2.0 * std::numbers::pi * width[a] * width[a]);
      phase += momentum[a] * x / m.hbar;
    }
    psi[i] = std::polar(std::exp(log_amp), phase);
  }
  return psi;
}

std::vector<double> density(std::span<const Complex> psi) {
  std::vector<double> p(psi.size());
  for (std::size_t i = 0; i < psi.size(); ++i) p[i] = std::norm(psi[i]);
  return p;
}

Schrodinger::Schrodinger(const core::Grid& grid, double hbar, double mass,
                         std::vector<double> potential)
    : fft_(grid), hbar_(hbar), mass_(mass), potential_(std::move(potential)) {
  if (!(hbar > 0.0) || !std::isfinite(hbar)) {
    throw std::invalid_argument("Schrodinger: ħ must be finite and > 0");
  }
  if (mass == 0.0 || !std::isfinite(mass)) {
    throw std::invalid_argument("Schrodinger: M must be finite and non-zero");
  }
  if (potential_.empty()) potential_.assign(static_cast<std::size_t>(grid.size()), 0.0);
  if (static_cast<std::int64_t>(potential_.size()) != grid.size()) {
    throw std::invalid_argument("Schrodinger: the potential has " +
                                std::to_string(potential_.size()) + " values for a grid of " +
                                std::to_string(grid.size()));
  }
  for (double v : potential_) {
    if (!std::isfinite(v)) throw std::invalid_argument("Schrodinger: non-finite potential");
  }
  grad_v_ = core::spectral_gradient(fft_, potential_);
}

void Schrodinger::evolve(std::span<Complex> psi, double dt, std::int64_t steps) const {
  // (34), corrected: iħ∂_tΨ = −(ħ²/2M)∇²Ψ + VΨ; Strang: half potential, full kinetic (exact in
  // Fourier space), half potential. Consecutive half potential steps are merged.
  if (steps <= 0) return;
  const std::int64_t n = grid().size();
  if (static_cast<std::int64_t>(psi.size()) != n) {
    throw std::invalid_argument("Schrodinger::evolve: Ψ has the wrong size");
  }
  // The phase tables depend on dt only: kept between calls (one step per call is common).
  const std::lock_guard<std::mutex> lock(phases_mutex_);
  if (phases_.half.size() != static_cast<std::size_t>(n) || phases_.dt != dt) {
    phases_.half.resize(static_cast<std::size_t>(n));
    phases_.full.resize(static_cast<std::size_t>(n));
    phases_.kinetic.resize(static_cast<std::size_t>(n));
    const auto& k2 = fft_.k_squared();
#pragma omp parallel for schedule(static) if (n >= kParallel)
    for (std::int64_t i = 0; i < n; ++i) {
      phases_.half[i] = std::polar(1.0, -potential_[i] * dt / (2.0 * hbar_));
      phases_.full[i] = std::polar(1.0, -potential_[i] * dt / hbar_);
      phases_.kinetic[i] = std::polar(1.0, -hbar_ * k2[i] * dt / (2.0 * mass_));
    }
    phases_.dt = dt;
  }
  const std::vector<Complex>& half = phases_.half;
  const std::vector<Complex>& full = phases_.full;
  const std::vector<Complex>& kin = phases_.kinetic;
  Complex* p = psi.data();
#pragma omp parallel for schedule(static) if (n >= kParallel)
  for (std::int64_t i = 0; i < n; ++i) p[i] *= half[i];
  for (std::int64_t s = 0; s < steps; ++s) {
    fft_.forward(psi);
#pragma omp parallel for schedule(static) if (n >= kParallel)
    for (std::int64_t i = 0; i < n; ++i) p[i] *= kin[i];
    fft_.backward(psi);
    const Complex* f = (s + 1 == steps) ? half.data() : full.data();
#pragma omp parallel for schedule(static) if (n >= kParallel)
    for (std::int64_t i = 0; i < n; ++i) p[i] *= f[i];
  }
}

Schrodinger::GroundState Schrodinger::ground_state(std::vector<Complex> psi, double dtau,
                                                   double tolerance, std::int64_t max_steps,
                                                   std::int64_t check_every) const {
  // Imaginary time t = −iτ in (34): ħ∂_τΨ = (ħ²/2M)∇²Ψ − VΨ, Strang-split, renormalised.
  if (!(mass_ > 0.0)) {
    throw std::invalid_argument("ground_state: imaginary time needs M > 0 (γ > 0)");
  }
  if (!(dtau > 0.0)) throw std::invalid_argument("ground_state: dτ must be > 0");
  const std::int64_t n = grid().size();
  if (static_cast<std::int64_t>(psi.size()) != n) {
    throw std::invalid_argument("ground_state: Ψ has the wrong size");
  }
  check_every = std::max<std::int64_t>(1, check_every);
  std::vector<double> half(static_cast<std::size_t>(n)), kin(static_cast<std::size_t>(n));
  const auto& k2 = fft_.k_squared();
  // Shifting V by its minimum only rescales Ψ (removed by the renormalisation) and keeps the
  // factors ≤ 1.
  const double vmin = *std::min_element(potential_.begin(), potential_.end());
  for (std::int64_t i = 0; i < n; ++i) {
    half[i] = std::exp(-(potential_[i] - vmin) * dtau / (2.0 * hbar_));
    kin[i] = std::exp(-hbar_ * k2[i] * dtau / (2.0 * mass_));
  }
  auto renormalise = [&] {
    const double nm = norm(psi);
    if (!(nm > 0.0) || !std::isfinite(nm)) throw Divergence(0, "imaginary-time Ψ");
    const double s = 1.0 / std::sqrt(nm);
    for (auto& v : psi) v *= s;
  };
  renormalise();
  GroundState out;
  double e_prev = energy(psi);
  for (std::int64_t step = 1; step <= max_steps; ++step) {
    Complex* p = psi.data();
#pragma omp parallel for schedule(static) if (n >= kParallel)
    for (std::int64_t i = 0; i < n; ++i) p[i] *= half[i];
    fft_.forward(psi);
#pragma omp parallel for schedule(static) if (n >= kParallel)
    for (std::int64_t i = 0; i < n; ++i) p[i] *= kin[i];
    fft_.backward(psi);
#pragma omp parallel for schedule(static) if (n >= kParallel)
    for (std::int64_t i = 0; i < n; ++i) p[i] *= half[i];
    renormalise();
    out.steps = step;
    if (step % check_every == 0) {
      const double e = energy(psi);
      if (!std::isfinite(e)) throw Divergence(step, "imaginary-time energy");
      if (std::abs(e - e_prev) < tolerance) {
        out.converged = true;
        break;
      }
      e_prev = e;
    }
  }
  out.energy = energy(psi);
  out.psi = std::move(psi);
  return out;
}

double Schrodinger::norm(std::span<const Complex> psi) const {
  double s = 0.0;
  for (const Complex& v : psi) s += std::norm(v);
  return s * grid().cell_volume();
}

double Schrodinger::energy(std::span<const Complex> psi) const {
  // ⟨Ĥ⟩/⟨Ψ|Ψ⟩ with the kinetic part (ħ²k²/2M) in Fourier space (Parseval).
  const std::int64_t n = grid().size();
  std::vector<Complex> hat(psi.begin(), psi.end());
  fft_.forward(hat);
  const auto& k2 = fft_.k_squared();
  double kin = 0.0, pot = 0.0, nrm = 0.0;
  for (std::int64_t i = 0; i < n; ++i) {
    kin += k2[i] * std::norm(hat[i]);
    const double p = std::norm(psi[i]);
    pot += potential_[i] * p;
    nrm += p;
  }
  kin *= hbar_ * hbar_ / (2.0 * mass_) / static_cast<double>(n);
  return (kin + pot) / nrm;
}

PsiObservables Schrodinger::measure(std::span<const Complex> psi) const {
  const core::Grid& g = grid();
  const std::int64_t n = g.size();
  if (static_cast<std::int64_t>(psi.size()) != n) {
    throw std::invalid_argument("Schrodinger::measure: Ψ has the wrong size");
  }
  PsiObservables o;
  const double dv = g.cell_volume();
  // Σ_j |Ψ_j|² = (1/n) Σ_k |Ψ̂_k|² (Parseval for the unnormalised forward transform).
  std::vector<Complex> hat(psi.begin(), psi.end());
  fft_.forward(hat);
  const auto& k2 = fft_.k_squared();
  double kin = 0.0, pot = 0.0, mass_sum = 0.0;
  for (std::int64_t i = 0; i < n; ++i) kin += k2[i] * std::norm(hat[i]);
  kin *= hbar_ * hbar_ / (2.0 * mass_) / static_cast<double>(n);
  std::array<double, 3> m1{0, 0, 0}, m2{0, 0, 0};
  for (std::int64_t i = 0; i < n; ++i) {
    const double p = std::norm(psi[i]);
    mass_sum += p;
    pot += potential_[i] * p;
    const core::Point q = g.point(i);
    for (int a = 0; a < g.dims; ++a) m1[a] += q[a] * p;
  }
  o.norm = mass_sum * dv;
  o.kinetic = kin / mass_sum;
  o.potential = pot / mass_sum;
  o.energy = o.kinetic + o.potential;
  for (int a = 0; a < g.dims; ++a) o.mean[a] = m1[a] / mass_sum;
  for (std::int64_t i = 0; i < n; ++i) {
    const double p = std::norm(psi[i]);
    const core::Point q = g.point(i);
    for (int a = 0; a < g.dims; ++a) m2[a] += (q[a] - o.mean[a]) * (q[a] - o.mean[a]) * p;
  }
  for (int a = 0; a < g.dims; ++a) o.variance[a] = m2[a] / mass_sum;
  o.entropy = entropy_of(g, density(psi));
  // Spec §4: dS_q/dt = 2γ⟨∇²F̃⟩_p = −2γ∫∇p·∇F̃ (periodic), ∇p = 2 Re(Ψ*∇Ψ),
  // ∇F̃ = ħ Im(Ψ*∇Ψ)/|Ψ|², 2γ = 1/M: dS_q/dt = −(ħ/M) ∫ Σ_a Im((Ψ*∂_aΨ)²)/|Ψ|².
  double prod = 0.0;
  for (int a = 0; a < g.dims; ++a) {
    const auto d = spectral_derivative_complex(fft_, psi, a);
    for (std::int64_t i = 0; i < n; ++i) {
      const double p = std::norm(psi[i]);
      if (p <= 0.0) continue;
      const Complex z = std::conj(psi[i]) * d[i];
      prod += (z * z).imag() / p;
    }
  }
  o.entropy_production = -(hbar_ / mass_) * prod * dv;
  return o;
}

double Schrodinger::splitting_commutator(std::span<const Complex> psi) const {
  // X = (1/12)[T,[T,V]] − (1/24)[V,[V,T]], with [V,[V,T]] = −(ħ²/M)|∇V|² (a multiplication):
  // ⟨X⟩ = (1/12)(2 Re⟨T²Ψ|VΨ⟩ − 2⟨TΨ|V|TΨ⟩) + (ħ²/24M)⟨|∇V|²⟩.
  const core::Grid& g = grid();
  const std::int64_t n = g.size();
  std::vector<Complex> t1(psi.begin(), psi.end());
  fft_.forward(t1);
  std::vector<Complex> t2 = t1;
  const auto& k2 = fft_.k_squared();
  const double c = hbar_ * hbar_ / (2.0 * mass_);
  for (std::int64_t i = 0; i < n; ++i) {
    t1[i] *= c * k2[i];
    t2[i] *= c * c * k2[i] * k2[i];
  }
  fft_.backward(t1);
  fft_.backward(t2);
  double a = 0.0, b = 0.0, gv = 0.0, nrm = 0.0;
  for (std::int64_t i = 0; i < n; ++i) {
    const double v = potential_[i];
    a += (std::conj(t2[i]) * (v * psi[i])).real();
    b += v * std::norm(t1[i]);
    double g2 = 0.0;
    for (int ax = 0; ax < g.dims; ++ax) g2 += grad_v_[ax][i] * grad_v_[ax][i];
    gv += g2 * std::norm(psi[i]);
    nrm += std::norm(psi[i]);
  }
  return ((2.0 * a - 2.0 * b) / 12.0 + hbar_ * hbar_ / (24.0 * mass_) * gv) / nrm;
}

TwoPackets schrodinger_two_packets(const core::Grid& g, const QuantumMap& m, double separation,
                                   double width, double momentum, std::vector<double> potential) {
  if (g.dims != 1) throw std::invalid_argument("schrodinger_two_packets: needs a 1-D grid");
  if (!(separation > 0.0) || !(width > 0.0) || !(momentum > 0.0)) {
    throw std::invalid_argument("schrodinger_two_packets: separation, width, P must be > 0");
  }
  if (!(m.mass > 0.0)) {
    throw std::invalid_argument("schrodinger_two_packets: the packets meet only for M > 0");
  }
  const double d = separation / 2.0;
  const std::array<double, 1> w{width};
  const std::array<double, 1> cl{-d}, cr{d}, pl{momentum}, pr{-momentum};
  auto left = gaussian_packet(g, m, cl, w, pl);
  const auto right = gaussian_packet(g, m, cr, w, pr);
  for (std::size_t i = 0; i < left.size(); ++i) left[i] += right[i];
  Schrodinger s(g, m.hbar, m.mass, std::move(potential));
  const double nm = s.norm(left);
  for (auto& v : left) v /= std::sqrt(nm);
  TwoPackets out;
  // Velocity u = 2γP = P/M (the current of (32)); the centres meet at T = d/u.
  out.time = d * m.mass / momentum;
  out.fringe_spacing = 2.0 * std::numbers::pi * m.hbar / (2.0 * momentum);
  const bool free =
      std::all_of(s.potential().begin(), s.potential().end(), [](double v) { return v == 0.0; });
  if (free) {
    s.evolve(left, out.time, 1);  // exact for V = 0
  } else {
    const auto steps = static_cast<std::int64_t>(std::ceil(out.time / 1e-3));
    s.evolve(left, out.time / static_cast<double>(steps), steps);
  }
  out.density = density(left);
  return out;
}

double dominant_period(const core::Grid& g, std::span<const double> rho) {
  if (g.dims != 1) throw std::invalid_argument("dominant_period: needs a 1-D grid");
  const core::Fft fft(g);
  std::vector<Complex> h(rho.begin(), rho.end());
  fft.forward(h);
  const std::int64_t n = g.points[0];
  std::vector<double> a(static_cast<std::size_t>(n / 2 + 1));
  for (std::int64_t m = 0; m <= n / 2; ++m) a[m] = std::abs(h[m]);
  std::int64_t best = -1;
  for (std::int64_t m = 1; m + 1 <= n / 2; ++m) {
    if (a[m] > a[m - 1] && a[m] >= a[m + 1] && (best < 0 || a[m] > a[best])) best = m;
  }
  if (best < 0) throw std::runtime_error("dominant_period: no spectral peak away from k = 0");
  const double lm = std::log(a[best - 1]), l0 = std::log(a[best]), lp = std::log(a[best + 1]);
  const double shift = 0.5 * (lm - lp) / (lm - 2.0 * l0 + lp);
  const double k = (static_cast<double>(best) + shift) * std::numbers::pi / g.extent[0];
  return 2.0 * std::numbers::pi / k;
}

}  // namespace nnworld::trainable
