#pragma once
// Statistics shared by the modules: means with standard errors, the delete-one-group jackknife,
// and the integrated autocorrelation time of an ensemble of series. No physics.
#include <cstdint>
#include <functional>
#include <span>
#include <vector>

namespace nnworld::core {

struct MeanError {
  double mean = 0.0;
  double se = 0.0;  // √(s²/n), s² the unbiased sample variance (NaN for n < 2)
  std::int64_t n = 0;
};
// Mean and standard error of the finite values of x (non-finite ones are skipped).
[[nodiscard]] MeanError mean_error(std::span<const double> x);

// Delete-one-group jackknife of a statistic: `estimate(g)` is the statistic computed without
// group g (g = 0..groups−1), `full` the statistic on all the data. Returns the jackknife
// standard error √((G − 1)/G Σ_g (θ_g − θ̄)²) (NaN if any θ_g is not finite or G < 2).
[[nodiscard]] double jackknife_se(std::int64_t groups,
                                  const std::function<double(std::int64_t)>& estimate);
// The same for a vector statistic: estimates[g] the statistic without group g (all of one
// length); returns the standard error per component.
[[nodiscard]] std::vector<double> jackknife_se(const std::vector<std::vector<double>>& estimates);

// The integrated autocorrelation time of M series of length T (series[r·T + t]), each taken as
// fluctuations about the ensemble mean at time t, x̃_r(t) = x_r(t) − x̄(t):
//   ρ(k) = Σ_r Σ_{t<T−k} x̃_r(t) x̃_r(t+k) / Σ_r Σ_{t<T−k} x̃_r(t)²  (the overlapping pairs),
//   τ(W) = 1 + 2 Σ_{k=1}^{W} ρ(k),
// with Sokal's automatic window: the smallest W ≥ c·τ(W) (c = 5), W < T/2. τ is in units of the
// series' time step (an AR(1) with coefficient φ has τ = (1 + φ)/(1 − φ)). The standard error is
// the jackknife over `groups` groups of series (r mod groups). Non-finite values are treated as
// missing pairs. `window` reports W; `converged` is false when no W < T/2 satisfied the rule.
struct AutocorrelationTime {
  double tau = 0.0;
  double se = 0.0;
  std::int64_t window = 0;
  bool converged = true;
  std::vector<double> rho;  // ρ(0..W)
};
[[nodiscard]] AutocorrelationTime integrated_autocorrelation_time(std::span<const double> series,
                                                                  std::int64_t m, std::int64_t t,
                                                                  std::int64_t groups = 16,
                                                                  double c = 5.0);

}  // namespace nnworld::core
