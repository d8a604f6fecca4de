#include "nnworld/trainable/fokker_planck.hpp"

#include <algorithm>
#include <cmath>
#include <complex>
#include <limits>
#include <numbers>
#include <stdexcept>

#include "nnworld/core/fft.hpp"

namespace nnworld::trainable {

namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();
// Elementwise loops go parallel above this many points (below, threads cost more than they save).
constexpr std::int64_t kParallelPoints = 32768;

// The Bernoulli function B(x) = x/(eˣ − 1), B(0) = 1 (series 1 − x/2 + x²/12 below 1e-6, where
// the next term x⁴/720 is below rounding).
double bernoulli(double x) {
  if (std::abs(x) < 1e-6) return 1.0 - 0.5 * x + x * x / 12.0;
  return x / std::expm1(x);
}

void check_field(const core::Grid& g, std::size_t size, const char* what) {
  if (static_cast<std::int64_t>(size) != g.size()) {
    throw std::invalid_argument(std::string(what) + " has " + std::to_string(size) +
                                " values for a grid of " + std::to_string(g.size()));
  }
}

// Flat index of the + neighbour of i along axis a, or −1 at a box wall.
std::int64_t plus_neighbour(const core::Grid& g, std::int64_t i, int a) {
  const std::int64_t s = g.stride(a);
  const std::int64_t n = g.points[a];
  const std::int64_t j = (i / s) % n;
  if (j + 1 < n) return i + s;
  if (g.boundary == core::Boundary::periodic) return i - (n - 1) * s;
  return -1;
}
std::int64_t minus_neighbour(const core::Grid& g, std::int64_t i, int a) {
  const std::int64_t s = g.stride(a);
  const std::int64_t n = g.points[a];
  const std::int64_t j = (i / s) % n;
  if (j > 0) return i - s;
  if (g.boundary == core::Boundary::periodic) return i + (n - 1) * s;
  return -1;
}

// Largest |k| of the spectral Laplacian (π⌊n/2⌋/L) and of the spectral first derivative, whose
// Nyquist wavenumber is dropped (π(⌈n/2⌉ − 1)/L).
double k_laplacian(const core::Grid& g, int a) {
  return std::numbers::pi * static_cast<double>(g.points[a] / 2) / g.extent[a];
}
double k_derivative(const core::Grid& g, int a) {
  return std::numbers::pi * static_cast<double>((g.points[a] + 1) / 2 - 1) / g.extent[a];
}

// Σ_a 2(D/h_a²) B(−P_a), the bound on max_j |A_jj| of the finite-volume operator.
double fv_diagonal_bound(const core::Grid& g, double diffusion, double gamma,
                         const std::array<double, 3>& max_gradient) {
  double s = 0.0;
  for (int a = 0; a < g.dims; ++a) {
    const double h = g.spacing(a);
    const double drift = std::abs(gamma) * max_gradient[a];  // max |v_a|
    if (diffusion > 0.0) {
      const double peclet = drift * h / diffusion;
      s += 2.0 * diffusion / (h * h) * bernoulli(-peclet);
    } else {
      s += 2.0 * drift / h;
    }
  }
  return s;
}

}  // namespace

const char* scheme_name(FpScheme s) {
  return s == FpScheme::spectral ? "spectral" : "finite_volume";
}

std::array<double, 3> FreeEnergyJet::max_gradient() const {
  std::array<double, 3> m{0.0, 0.0, 0.0};
  for (std::size_t a = 0; a < gradient.size() && a < 3; ++a) {
    for (double v : gradient[a]) m[a] = std::max(m[a], std::abs(v));
  }
  return m;
}

FreeEnergyJet free_energy_from_values(const core::Grid& grid, std::vector<double> values,
                                      FreeEnergyDerivative method) {
  check_field(grid, values.size(), "free energy");
  FreeEnergyJet f;
  if (method == FreeEnergyDerivative::spectral) {
    const core::Fft fft(grid);
    f.gradient = core::spectral_gradient(fft, values);
    f.laplacian = core::spectral_laplacian(fft, values);
  } else {
    for (int a = 0; a < grid.dims; ++a)
      f.gradient.push_back(core::fd_derivative(grid, values, a, 4));
    f.laplacian = core::fd_laplacian(grid, values, 4);
  }
  f.value = std::move(values);
  return f;
}

FreeEnergyJet free_energy_from_function(const core::Grid& grid,
                                        const std::function<double(const core::Point&)>& fn,
                                        double gradient_step, double laplacian_step) {
  if (!(gradient_step > 0.0) || !(laplacian_step > 0.0)) {
    throw std::invalid_argument("free_energy_from_function: steps must be > 0");
  }
  const std::int64_t n = grid.size();
  FreeEnergyJet f;
  f.value.resize(n);
  f.gradient.assign(grid.dims, std::vector<double>(n));
  f.laplacian.assign(n, 0.0);
  grid.for_each([&](std::int64_t i, const core::Point& q) {
    const double f0 = fn(q);
    f.value[i] = f0;
    double lap = 0.0;
    for (int a = 0; a < grid.dims; ++a) {
      auto at = [&](double d) {
        core::Point x = q;
        x[a] += d;
        return fn(x);
      };
      const double h = gradient_step;
      // f′ ≈ [f(q−2h) − 8f(q−h) + 8f(q+h) − f(q+2h)] / (12h)
      f.gradient[a][i] = (at(-2 * h) - 8 * at(-h) + 8 * at(h) - at(2 * h)) / (12 * h);
      const double k = laplacian_step;
      // f″ ≈ [−f(q−2k) + 16f(q−k) − 30f(q) + 16f(q+k) − f(q+2k)] / (12k²)
      lap += (-at(-2 * k) + 16 * at(-k) - 30 * f0 + 16 * at(k) - at(2 * k)) / (12 * k * k);
    }
    f.laplacian[i] = lap;
  });
  return f;
}

double stability_limit(const core::Grid& grid, FpScheme scheme, double diffusion, double gamma,
                       std::array<double, 3> max_gradient) {
  double rate = 0.0;  // the bound on |λ| (finite_volume) or λ_D + λ_A (spectral)
  if (scheme == FpScheme::finite_volume) {
    rate = 2.0 * fv_diagonal_bound(grid, diffusion, gamma, max_gradient);
  } else {
    for (int a = 0; a < grid.dims; ++a) {
      const double kl = k_laplacian(grid, a);
      rate += diffusion * kl * kl + std::abs(gamma) * max_gradient[a] * k_derivative(grid, a);
    }
  }
  return rate > 0.0 ? kRk4RealStabilityLimit / rate : kInf;
}

double positivity_limit(const core::Grid& grid, FpScheme scheme, double diffusion, double gamma,
                        std::array<double, 3> max_gradient) {
  if (scheme == FpScheme::spectral) return kInf;
  const double d = fv_diagonal_bound(grid, diffusion, gamma, max_gradient);
  return d > 0.0 ? 1.0 / d : kInf;
}

DensityMoments density_moments(const core::Grid& grid, std::span<const double> p) {
  check_field(grid, p.size(), "density");
  DensityMoments m;
  m.min = kInf;
  m.max = -kInf;
  double s0 = 0.0;
  std::array<double, 3> s1{0.0, 0.0, 0.0};
  for (std::int64_t i = 0; i < grid.size(); ++i) {
    const double v = p[i];
    s0 += v;
    m.min = std::min(m.min, v);
    m.max = std::max(m.max, v);
    const core::Point q = grid.point(i);
    for (int a = 0; a < grid.dims; ++a) s1[a] += q[a] * v;
  }
  m.norm = s0 * grid.cell_volume();
  for (int a = 0; a < grid.dims; ++a) m.mean[a] = s1[a] / s0;
  std::array<double, 3> s2{0.0, 0.0, 0.0};
  for (std::int64_t i = 0; i < grid.size(); ++i) {
    const core::Point q = grid.point(i);
    for (int a = 0; a < grid.dims; ++a) {
      const double d = q[a] - m.mean[a];
      s2[a] += d * d * p[i];
    }
  }
  for (int a = 0; a < grid.dims; ++a) m.variance[a] = s2[a] / s0;
  return m;
}

double entropy(const core::Grid& grid, std::span<const double> p) {
  check_field(grid, p.size(), "density");
  double s = 0.0;
  for (double v : p) {
    if (v > 0.0) s -= v * std::log(v);
  }
  return s * grid.cell_volume();
}

std::vector<double> log_equilibrium(const core::Grid& grid, std::span<const double> free_energy,
                                    const Constants& constants) {
  check_field(grid, free_energy.size(), "free energy");
  if (!(constants.diffusion > 0.0)) {
    throw std::invalid_argument("the stationary state exp(γF/D) needs D > 0");
  }
  std::vector<double> phi(free_energy.size());
  double top = -kInf;
  for (std::size_t i = 0; i < phi.size(); ++i) {
    phi[i] = constants.gamma * free_energy[i] / constants.diffusion;
    top = std::max(top, phi[i]);
  }
  double z = 0.0;
  for (double v : phi) z += std::exp(v - top);
  const double log_z = top + std::log(z * grid.cell_volume());
  for (double& v : phi) v -= log_z;
  return phi;
}

double relative_entropy(const core::Grid& grid, std::span<const double> p,
                        std::span<const double> log_p_eq) {
  check_field(grid, p.size(), "density");
  check_field(grid, log_p_eq.size(), "log p_eq");
  double s = 0.0;
  for (std::size_t i = 0; i < p.size(); ++i) {
    if (p[i] > 0.0) s += p[i] * (std::log(p[i]) - log_p_eq[i]);
  }
  return s * grid.cell_volume();
}

// ---- the solver ----------------------------------------------------------------------------

FokkerPlanck::FokkerPlanck(const core::Grid& grid, FreeEnergyJet free_energy,
                           const Constants& constants, FpScheme scheme)
    : grid_(grid), f_(std::move(free_energy)), c_(constants), scheme_(scheme) {
  check_field(grid_, f_.value.size(), "free energy");
  check_field(grid_, f_.laplacian.size(), "∇²F");
  if (static_cast<int>(f_.gradient.size()) != grid_.dims) {
    throw std::invalid_argument("∇F needs one component per axis");
  }
  for (const auto& g : f_.gradient) check_field(grid_, g.size(), "∇F");
  if (!std::isfinite(c_.diffusion) || !std::isfinite(c_.gamma) || c_.diffusion < 0.0) {
    throw std::invalid_argument("Fokker–Planck: D must be finite and >= 0, γ finite");
  }
  if (scheme_ == FpScheme::spectral && grid_.boundary != core::Boundary::periodic) {
    throw std::invalid_argument("the spectral scheme needs a periodic grid");
  }
  if (scheme_ == FpScheme::spectral) fft_ = std::make_unique<core::Fft>(grid_);

  const std::int64_t n = grid_.size();
  if (scheme_ == FpScheme::finite_volume) {
    const double d = c_.diffusion;
    for (int a = 0; a < grid_.dims; ++a) {
      const double h = grid_.spacing(a);
      auto& pl = plus_[a];
      auto& mi = minus_[a];
      pl.assign(n, 0.0);
      mi.assign(n, 0.0);
      for (std::int64_t i = 0; i < n; ++i) {
        const std::int64_t ip = plus_neighbour(grid_, i, a);
        if (ip < 0) continue;  // box wall: no flux
        const double df = f_.value[ip] - f_.value[i];
        if (d > 0.0) {
          // Scharfetter–Gummel: J = (D/h)[B(−Δ) p_j − B(Δ) p_{j+1}], Δ = γ(F_{j+1} − F_j)/D.
          const double delta = c_.gamma * df / d;
          pl[i] = d / (h * h) * bernoulli(-delta);
          mi[i] = d / (h * h) * bernoulli(delta);
        } else {
          // D = 0: upwind, J = v⁺ p_j − v⁻ p_{j+1}, v = γ(F_{j+1} − F_j)/h.
          const double v = c_.gamma * df / h;
          pl[i] = std::max(v, 0.0) / h;
          mi[i] = std::max(-v, 0.0) / h;
        }
      }
    }
    for (std::int64_t i = 0; i < n; ++i) {
      double diag = 0.0;
      for (int a = 0; a < grid_.dims; ++a) {
        diag += plus_[a][i];
        const std::int64_t im = minus_neighbour(grid_, i, a);
        if (im >= 0) diag += minus_[a][im];
      }
      max_diagonal_ = std::max(max_diagonal_, diag);
    }
  }
  k1_.resize(n);
  k2_.resize(n);
  k3_.resize(n);
  k4_.resize(n);
  tmp_.resize(n);
}

FokkerPlanck::~FokkerPlanck() = default;

void FokkerPlanck::rhs(std::span<const double> p, std::span<double> out) const {
  check_field(grid_, p.size(), "density");
  check_field(grid_, out.size(), "∂_t p");
  if (scheme_ == FpScheme::spectral) {
    rhs_spectral(p, out);
  } else {
    rhs_finite_volume(p, out);
  }
}

std::vector<double> FokkerPlanck::rhs(std::span<const double> p) const {
  std::vector<double> out(p.size());
  rhs(p, out);
  return out;
}

// (20), spectral: ∂_t p = F⁻¹[−D|k|² p̂ − γ Σ_a i k_a (∂_aF p)^] (Nyquist k_a of ∂_a dropped).
void FokkerPlanck::rhs_spectral(std::span<const double> p, std::span<double> out) const {
  const std::int64_t n = grid_.size();
  std::vector<core::Complex> acc(n), work(n);
  for (std::int64_t i = 0; i < n; ++i) acc[i] = core::Complex(p[i], 0.0);
  fft_->forward(acc);
  const auto& k2 = fft_->k_squared();
  for (std::int64_t i = 0; i < n; ++i) acc[i] *= -c_.diffusion * k2[i];
  for (int a = 0; a < grid_.dims; ++a) {
    const auto& grad = f_.gradient[a];
    for (std::int64_t i = 0; i < n; ++i) work[i] = core::Complex(grad[i] * p[i], 0.0);
    fft_->forward(work);
    const std::int64_t na = grid_.points[a];
    const std::int64_t s = grid_.stride(a);
    const auto& ka = fft_->k(a);
    for (std::int64_t i = 0; i < n; ++i) {
      const std::int64_t m = (i / s) % na;
      const double k = (na % 2 == 0 && m == na / 2) ? 0.0 : ka[m];
      // −γ i k (∂_aF p)^
      acc[i] += core::Complex(0.0, -c_.gamma * k) * work[i];
    }
  }
  fft_->backward(acc);
  for (std::int64_t i = 0; i < n; ++i) out[i] = acc[i].real();
}

// (20), finite volume: ∂_t p_j = Σ_a (J_{a, j−} − J_{a, j}), J_{a, j} = plus p_j − minus p_{j+}
// (already divided by h_a). Each face flux is computed once and used by both of its cells.
void FokkerPlanck::rhs_finite_volume(std::span<const double> p, std::span<double> out) const {
  const std::int64_t n = grid_.size();
  std::fill(out.begin(), out.end(), 0.0);
  std::vector<double> flux(n);
  for (int a = 0; a < grid_.dims; ++a) {
    const auto& pl = plus_[a];
    const auto& mi = minus_[a];
    const core::Grid& g = grid_;
#pragma omp parallel for schedule(static) if (n > kParallelPoints)
    for (std::int64_t i = 0; i < n; ++i) {
      const std::int64_t ip = plus_neighbour(g, i, a);
      flux[i] = ip < 0 ? 0.0 : pl[i] * p[i] - mi[i] * p[ip];
    }
#pragma omp parallel for schedule(static) if (n > kParallelPoints)
    for (std::int64_t i = 0; i < n; ++i) {
      const std::int64_t im = minus_neighbour(g, i, a);
      out[i] += (im < 0 ? 0.0 : flux[im]) - flux[i];
    }
  }
}

void FokkerPlanck::step(std::vector<double>& p, double dt) {
  check_field(grid_, p.size(), "density");
  const std::int64_t n = grid_.size();
  rhs(p, k1_);
#pragma omp parallel for schedule(static) if (n > kParallelPoints)
  for (std::int64_t i = 0; i < n; ++i) tmp_[i] = p[i] + 0.5 * dt * k1_[i];
  rhs(tmp_, k2_);
#pragma omp parallel for schedule(static) if (n > kParallelPoints)
  for (std::int64_t i = 0; i < n; ++i) tmp_[i] = p[i] + 0.5 * dt * k2_[i];
  rhs(tmp_, k3_);
#pragma omp parallel for schedule(static) if (n > kParallelPoints)
  for (std::int64_t i = 0; i < n; ++i) tmp_[i] = p[i] + dt * k3_[i];
  rhs(tmp_, k4_);
#pragma omp parallel for schedule(static) if (n > kParallelPoints)
  for (std::int64_t i = 0; i < n; ++i) {
    p[i] += dt / 6.0 * (k1_[i] + 2.0 * k2_[i] + 2.0 * k3_[i] + k4_[i]);
  }
}

double FokkerPlanck::stability_limit() const {
  if (scheme_ == FpScheme::finite_volume) {
    return max_diagonal_ > 0.0 ? kRk4RealStabilityLimit / (2.0 * max_diagonal_) : kInf;
  }
  return trainable::stability_limit(grid_, scheme_, c_.diffusion, c_.gamma, f_.max_gradient());
}

double FokkerPlanck::positivity_limit() const {
  if (scheme_ == FpScheme::spectral) return kInf;
  return max_diagonal_ > 0.0 ? 1.0 / max_diagonal_ : kInf;
}

std::vector<double> FokkerPlanck::derivative(std::span<const double> f, int axis) const {
  if (scheme_ == FpScheme::spectral) return core::spectral_derivative(*fft_, f, axis);
  return core::fd_derivative(grid_, f, axis, 4);
}

// (22): the three forms, with Σ_stoch and Σ_learn of the last one separately.
//   time_derivative = −Σ_{p>0} log p_i (∂_t p)_i h^K
//   gradient        = Σ_i [D|∇p|²/p (where p > 1e-14 max p) − γ ∇p·∇F] h^K
//   stochastic      = Σ_i 4D|∇√p|² h^K,   learning = Σ_i γ p_i ∇²F_i h^K
EntropyProductionForms FokkerPlanck::entropy_production(std::span<const double> p) const {
  check_field(grid_, p.size(), "density");
  const std::int64_t n = grid_.size();
  const double dv = grid_.cell_volume();
  const double d = c_.diffusion;
  const double g = c_.gamma;
  EntropyProductionForms e;

  const std::vector<double> dp_dt = rhs(p);
  double pmax = 0.0;
  for (std::int64_t i = 0; i < n; ++i) {
    pmax = std::max(pmax, p[i]);
    if (p[i] > 0.0) e.time_derivative -= std::log(p[i]) * dp_dt[i];
  }
  e.time_derivative *= dv;

  const double floor = 1e-14 * pmax;
  std::vector<double> sq(n);
  for (std::int64_t i = 0; i < n; ++i) sq[i] = std::sqrt(std::max(p[i], 0.0));
  std::vector<std::vector<double>> dp, dsq;
  if (scheme_ == FpScheme::spectral) {
    dp = core::spectral_gradient(*fft_, p);
    dsq = core::spectral_gradient(*fft_, sq);
  } else {
    for (int a = 0; a < grid_.dims; ++a) {
      dp.push_back(core::fd_derivative(grid_, p, a, 4));
      dsq.push_back(core::fd_derivative(grid_, sq, a, 4));
    }
  }
  double grad = 0.0, stoch = 0.0, learn = 0.0;
  for (std::int64_t i = 0; i < n; ++i) {
    double dp2 = 0.0, dpdf = 0.0, dsq2 = 0.0;
    for (int a = 0; a < grid_.dims; ++a) {
      dp2 += dp[a][i] * dp[a][i];
      dpdf += dp[a][i] * f_.gradient[a][i];
      dsq2 += dsq[a][i] * dsq[a][i];
    }
    if (p[i] > floor) grad += d * dp2 / p[i];
    grad -= g * dpdf;
    stoch += 4.0 * d * dsq2;
    learn += g * p[i] * f_.laplacian[i];
  }
  e.gradient = grad * dv;
  e.stochastic = stoch * dv;
  e.learning = learn * dv;
  return e;
}

std::vector<double> FokkerPlanck::equilibrium() const {
  std::vector<double> p = log_equilibrium(grid_, f_.value, c_);
  for (double& v : p) v = std::exp(v);
  return p;
}

}  // namespace nnworld::trainable
