// Kramers–Moyal drift and diffusion, the γ regression and the ħ′² map (see kramers_moyal.hpp).
#include "nnworld/trainable/kramers_moyal.hpp"

#include <cmath>
#include <string>

#include "nnworld/core/error.hpp"
#include "nnworld/trainable/ensemble_kernels.hpp"

namespace nnworld::trainable {

KramersMoyal::KramersMoyal(const core::Grid& bins, double dt) : bins_(bins), dt_(dt) {
  if (!(dt > 0.0) || !std::isfinite(dt))
    throw Error("KramersMoyal", "dt = " + std::to_string(dt), "a finite time step > 0");
  sums_.resize(static_cast<std::size_t>(bins.size()));
}

void KramersMoyal::add(const Ensemble& before, const Ensemble& after) {
  add_impl(before, after, nullptr);
}

void KramersMoyal::add(const Ensemble& before, const Ensemble& after,
                       const FreeEnergyField& field) {
  if (field.grid.dims != bins_.dims)
    throw Error("KramersMoyal::add", "a field with another number of axes", "K axes");
  add_impl(before, after, &field);
}

void KramersMoyal::add_impl(const Ensemble& before, const Ensemble& after,
                            const FreeEnergyField* field) {
  if (before.dims != bins_.dims || after.dims != bins_.dims || before.replicas != after.replicas)
    throw Error("KramersMoyal::add", "snapshots of different shapes",
                "two snapshots of the same replicas on a grid with K axes");
  const int k = bins_.dims;
  const bool periodic = bins_.boundary == core::Boundary::periodic;
  for (std::int64_t r = 0; r < before.replicas; ++r) {
    const double* q0 = before.q.data() + r * k;
    const double* q1 = after.q.data() + r * k;
    const std::int64_t c = kernels::flat_cell(bins_, q0);
    if (c < 0) {
      ++outside_;
      continue;
    }
    Sums& s = sums_[static_cast<std::size_t>(c)];
    double d[3];
    for (int a = 0; a < k; ++a) {
      d[a] = q1[a] - q0[a];
      if (periodic) {  // minimum image
        const double period = 2.0 * bins_.extent[a];
        d[a] -= period * std::round(d[a] / period);
      }
    }
    if (s.n == 0.0) {
      for (int a = 0; a < k; ++a) s.shift[a] = d[a];
    }
    s.n += 1.0;
    for (int a = 0; a < k; ++a) {
      s.q[a] += q0[a];
      const double x = d[a] - s.shift[a];
      const double x2 = x * x;
      s.s1[a] += x;
      s.s2[a] += x2;
      s.s3[a] += x2 * x;
      s.s4[a] += x2 * x2;
    }
    if (field != nullptr) {
      Point pos{0.0, 0.0, 0.0};
      for (int a = 0; a < k; ++a) pos[a] = q0[a];
      const Point g = field->gradient_at(pos);
      double dg = 0.0, gg = 0.0;
      for (int a = 0; a < k; ++a) {
        dg += d[a] * g[a];
        gg += g[a] * g[a];
        s.sdg[a] += d[a] * g[a];
        s.sgg[a] += g[a] * g[a];
      }
      s.dg += dg;
      s.gg += gg;
      s.dg2 += dg * dg;
      s.dg_gg += dg * gg;
      s.gg2 += gg * gg;
    }
  }
}

// Per bin: a = ⟨Δ⟩/Δt, D = s²/(2Δt), se as in the header; γ̂ by regression through the origin
// and the diffusion of the residuals e = Δ − γ̂∇F Δt (when a field was given).
KramersMoyalResult KramersMoyal::result() const {
  KramersMoyalResult out;
  out.bins = bins_;
  out.dt = dt_;
  out.outside = outside_;
  const int k = bins_.dims;
  out.bin.resize(sums_.size());
  for (std::size_t i = 0; i < sums_.size(); ++i) {
    const Sums& s = sums_[i];
    KramersMoyalBin& b = out.bin[i];
    b.centre = bins_.point(static_cast<std::int64_t>(i));
    b.count = static_cast<std::int64_t>(s.n);
    out.samples += b.count;
    if (s.n < 2.0) {
      for (int a = 0; a < k; ++a) {
        b.mean_q[a] = s.n > 0.0 ? s.q[a] / s.n : km_nan;
        b.drift[a] = b.drift_se[a] = b.diffusion[a] = b.diffusion_se[a] = km_nan;
      }
      continue;
    }
    const double n = s.n;
    for (int a = 0; a < k; ++a) {
      b.mean_q[a] = s.q[a] / n;
      const double mu = s.s1[a] / n;  // mean of Δ − c
      const double m2 = s.s2[a] / n - mu * mu;
      const double m4 = s.s4[a] / n - 4.0 * mu * s.s3[a] / n + 6.0 * mu * mu * s.s2[a] / n -
                        3.0 * mu * mu * mu * mu;
      const double var = m2 * n / (n - 1.0);
      b.drift[a] = (mu + s.shift[a]) / dt_;
      b.drift_se[a] = std::sqrt(var / n) / dt_;
      b.diffusion[a] = var / (2.0 * dt_);
      b.diffusion_se[a] = std::sqrt(std::max(0.0, m4 - m2 * m2) / n) / (2.0 * dt_);
    }
    if (s.gg > 0.0) {
      const double gamma = s.dg / (dt_ * s.gg);
      const double t = gamma * dt_;
      const double eg2 = s.dg2 - 2.0 * t * s.dg_gg + t * t * s.gg2;  // Σ (e·∇F)²
      b.gamma = gamma;
      b.gamma_se = std::sqrt(std::max(0.0, eg2)) / (dt_ * s.gg);
      b.grad_f_rms = std::sqrt(s.gg / n);
      // Diffusion from the residuals: Σe_a² = ΣΔ_a² − 2tΣΔ_a g_a + t²Σg_a² (ΣΔ_a² unshifted).
      for (int a = 0; a < k; ++a) {
        const double c = s.shift[a];
        const double sum_d2 = s.s2[a] + 2.0 * c * s.s1[a] + n * c * c;
        const double e2 = sum_d2 - 2.0 * t * s.sdg[a] + t * t * s.sgg[a];
        const double d_res = e2 / ((n - 1.0) * 2.0 * dt_);
        // The relative error of the bin variance (through its kurtosis) is taken over.
        const double rel = b.diffusion[a] > 0.0 ? b.diffusion_se[a] / b.diffusion[a] : 0.0;
        b.diffusion_residual[a] = d_res;
        b.diffusion_residual_se[a] = rel * d_res;
      }
    }
  }
  return out;
}

HbarPrimeMap hbar_prime_map(const KramersMoyalResult& km, double mu, std::int64_t min_count) {
  if (!(mu != 0.0) || !std::isfinite(mu))
    throw Error("hbar_prime_map", "μ = " + std::to_string(mu), "a finite μ ≠ 0");
  HbarPrimeMap out;
  const int k = km.bins.dims;
  double sw = 0.0, swr = 0.0;
  for (const KramersMoyalBin& b : km.bin) {
    if (b.count < min_count || !std::isfinite(b.gamma) || !std::isfinite(b.gamma_se) ||
        b.gamma == 0.0)
      continue;
    HbarPrimeBin h;
    h.mean_q = b.mean_q;
    h.count = b.count;
    double d = 0.0, v = 0.0;
    const bool residual = std::isfinite(b.diffusion_residual[0]);
    for (int a = 0; a < k; ++a) {
      const double da = residual ? b.diffusion_residual[a] : b.diffusion[a];
      const double sa = residual ? b.diffusion_residual_se[a] : b.diffusion_se[a];
      d += da;
      v += sa * sa;
    }
    h.diffusion = d / k;
    h.diffusion_se = std::sqrt(v) / k;
    h.gamma = b.gamma;
    h.gamma_se = b.gamma_se;
    h.ratio = h.diffusion / (h.gamma * mu);
    const double t1 = h.diffusion_se / h.gamma;
    const double t2 = h.diffusion * h.gamma_se / (h.gamma * h.gamma);
    h.ratio_se = std::sqrt(t1 * t1 + t2 * t2) / std::abs(mu);
    h.hbar_prime_squared = 4.0 * h.ratio - 1.0 / (mu * mu);
    h.hbar_prime_squared_se = 4.0 * h.ratio_se;
    if (!std::isfinite(h.ratio) || !(h.ratio_se > 0.0)) continue;
    const double w = 1.0 / (h.ratio_se * h.ratio_se);
    sw += w;
    swr += w * h.ratio;
    out.bins.push_back(h);
  }
  if (out.bins.empty()) return out;
  out.mean_ratio = swr / sw;
  out.mean_ratio_se = std::sqrt(1.0 / sw);
  out.mean_hbar_prime_squared = 4.0 * out.mean_ratio - 1.0 / (mu * mu);
  double chi2 = 0.0;
  for (const HbarPrimeBin& h : out.bins) {
    const double z = (h.ratio - out.mean_ratio) / h.ratio_se;
    chi2 += z * z;
  }
  out.chi2 = chi2;
  out.dof = static_cast<int>(out.bins.size()) - 1;
  out.p_value = out.dof > 0 ? gamma_q(0.5 * out.dof, 0.5 * chi2) : km_nan;
  return out;
}

// Regularised upper incomplete gamma Q(s, x): the series of P for x < s + 1, the Lentz
// continued fraction of Q otherwise (Numerical Recipes §6.2).
double gamma_q(double s, double x) {
  if (!(s > 0.0) || !(x >= 0.0)) return km_nan;
  if (x == 0.0) return 1.0;
  const double log_pre = -x + s * std::log(x) - std::lgamma(s);
  if (x < s + 1.0) {
    double ap = s, sum = 1.0 / s, del = sum;
    for (int i = 0; i < 1000; ++i) {
      ap += 1.0;
      del *= x / ap;
      sum += del;
      if (std::abs(del) < std::abs(sum) * 1e-16) break;
    }
    return std::max(0.0, 1.0 - sum * std::exp(log_pre));
  }
  constexpr double tiny = 1e-300;
  double b = x + 1.0 - s, c = 1.0 / tiny, d = 1.0 / b, h = d;
  for (int i = 1; i < 1000; ++i) {
    const double an = -i * (i - s);
    b += 2.0;
    d = an * d + b;
    if (std::abs(d) < tiny) d = tiny;
    c = b + an / c;
    if (std::abs(c) < tiny) c = tiny;
    d = 1.0 / d;
    const double del = d * c;
    h *= del;
    if (std::abs(del - 1.0) < 1e-16) break;
  }
  return std::exp(log_pre) * h;
}

}  // namespace nnworld::trainable
