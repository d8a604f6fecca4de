#pragma once
// Branch-free exp-based kernels for the activations (tanh, logistic and their derivatives).
// Every function is a short sequence of IEEE operations (fma, add, mul, div, bit moves and
// selects), so the compiler vectorises loops over arrays (`#pragma omp simd`), and a scalar
// call returns exactly the same bits as a vectorised one.
//
// Method: e^z for z ≤ 0 by Cody–Waite reduction z = k ln2 + r, |r| ≤ ln2/2, and the degree-13
// Taylor polynomial of expm1(r) (truncation |r|^13/14! ≤ 1.2e−17 relative), scaled by 2^k built
// from the exponent bits. tanh uses expm1 so that it keeps full relative accuracy near 0:
//   tanh|y| = −expm1(−2|y|) / (2 + expm1(−2|y|)),  sign restored with copysign.
// The logistic uses e = e^{−|y|}: σ(y) = 1/(1 + e) for y ≥ 0 and e/(1 + e) for y < 0, so no
// cancellation happens on either side. Measured accuracy: a few ulp (tests/network).
#include <bit>
#include <cmath>
#include <cstdint>

namespace nnworld::network::vmath {

inline constexpr double shifter = 0x1.8p52;                   // adding it rounds to an integer
inline constexpr double log2e = 1.4426950408889634074;        // 1/ln 2
inline constexpr double ln2_hi = 6.93147180369123816490e-01;  // 0x3fe62e42fee00000 (32 bits)
inline constexpr double ln2_lo = 1.90821492927058770002e-10;  // ln 2 − ln2_hi

// 2^k from t = k + shifter (k integral, −1022 ≤ k ≤ 1023): the low bits of t hold k.
inline double pow2_from_shifted(double t) {
  return std::bit_cast<double>((std::bit_cast<std::uint64_t>(t) + 1023u) << 52);
}

// q(r) with expm1(r) = r q(r), q(r) = Σ_{j=0}^{12} r^j / (j+1)!   (|r| ≤ ln2/2).
inline double expm1_quotient(double r) {
  double p = 1.0 / 6227020800.0;          // 1/13!
  p = std::fma(p, r, 1.0 / 479001600.0);  // 1/12!
  p = std::fma(p, r, 1.0 / 39916800.0);   // 1/11!
  p = std::fma(p, r, 1.0 / 3628800.0);    // 1/10!
  p = std::fma(p, r, 1.0 / 362880.0);     // 1/9!
  p = std::fma(p, r, 1.0 / 40320.0);      // 1/8!
  p = std::fma(p, r, 1.0 / 5040.0);       // 1/7!
  p = std::fma(p, r, 1.0 / 720.0);        // 1/6!
  p = std::fma(p, r, 1.0 / 120.0);        // 1/5!
  p = std::fma(p, r, 1.0 / 24.0);         // 1/4!
  p = std::fma(p, r, 1.0 / 6.0);          // 1/3!
  p = std::fma(p, r, 0.5);                // 1/2!
  return std::fma(p, r, 1.0);             // 1/1!
}

// Reduction z = k ln2 + r. Returns r; `t` receives k + shifter, `kd` receives k.
inline double reduce(double z, double& t, double& kd) {
  t = std::fma(z, log2e, shifter);
  kd = t - shifter;
  const double r = std::fma(-kd, ln2_hi, z);  // exact: kd ln2_hi has ≤ 43 bits
  return std::fma(-kd, ln2_lo, r);
}

// e^z for z ≤ 0 (any z ≤ 0, −∞ and gradual underflow included; NaN propagates).
inline double exp_nonpositive(double z) {
  z = z < -746.0 ? -746.0 : z;  // e^{−746} < 2^{−1075}: rounds to 0
  double t;
  double kd;
  const double r = reduce(z, t, kd);
  const double er = std::fma(expm1_quotient(r), r, 1.0);  // e^r
  // 2^k = 2^{k1} 2^{k2} with both factors normal, so results below 2^{−1022} round once.
  const double t1 = std::fma(kd, 0.5, shifter);
  const double k1 = t1 - shifter;
  const double t2 = (kd - k1) + shifter;
  return (er * pow2_from_shifted(t1)) * pow2_from_shifted(t2);
}

// e^z − 1 for −40 ≤ z ≤ 0 (callers clamp), with full relative accuracy near 0.
inline double expm1_clamped(double z) {
  double t;
  double kd;
  const double r = reduce(z, t, kd);
  const double em1r = expm1_quotient(r) * r;  // e^r − 1
  const double s = pow2_from_shifted(t);      // 2^k, exact; s − 1 exact for k ≥ −53
  return std::fma(s, em1r, s - 1.0);          // 2^k (e^r − 1) + (2^k − 1)
}

// tanh y.
inline double tanh(double y) {
  double a = std::fabs(y);
  a = a > 20.0 ? 20.0 : a;  // tanh 20 = 1 − 8.5e−18 rounds to 1; NaN passes through
  const double em1 = expm1_clamped(-2.0 * a);
  return std::copysign(-em1 / (2.0 + em1), y);
}

// tanh′ y = sech² y = 4e^{−2|y|} / (1 + e^{−2|y|})² (accurate also where tanh² rounds to 1).
inline double tanh_derivative(double y) {
  double a = std::fabs(y);
  a = a > 400.0 ? 400.0 : a;  // e^{−800} = 0
  const double e = exp_nonpositive(-2.0 * a);
  const double d = 1.0 + e;
  return (4.0 * e) / (d * d);
}

// σ(y) = 1/(1 + e^{−y}).
inline double logistic(double y) {
  const double e = exp_nonpositive(-std::fabs(y));
  const double num = y >= 0.0 ? 1.0 : e;  // NaN takes the second branch and stays NaN
  return num / (1.0 + e);
}

// σ′(y) = σ(1 − σ) = e^{−|y|} / (1 + e^{−|y|})².
inline double logistic_derivative(double y) {
  const double e = exp_nonpositive(-std::fabs(y));
  const double d = 1.0 + e;
  return e / (d * d);
}

// σ″(y) = σ(1 − σ)(1 − 2σ) = −σ′(y) tanh(y/2), tanh(y/2) = sign(y)(1 − e^{−|y|})/(1 + e^{−|y|}).
inline double logistic_second_derivative(double y) {
  const double e = exp_nonpositive(-std::fabs(y));
  const double d = 1.0 + e;
  const double half_tanh = std::copysign((1.0 - e) / d, y);
  return -(e / (d * d)) * half_tanh;
}

}  // namespace nnworld::network::vmath
