// Activations: names, the vectorised tanh / logistic against the C library, derivatives, and
// bit-identity of the array and scalar forms.
#include "nnworld/network/activation.hpp"

#include <gtest/gtest.h>

#include <cfloat>
#include <cmath>
#include <limits>
#include <random>
#include <vector>

#include "nnworld/core/error.hpp"

namespace nnworld::network {
namespace {

constexpr ActivationKind all_kinds[] = {ActivationKind::tanh, ActivationKind::logistic,
                                        ActivationKind::relu, ActivationKind::linear};

// glibc's tanh/exp are within 1 ulp; our kernels were designed for a few ulp (degree-13 Taylor
// remainder ≤ 1.2e−17, then ~4 roundings). 1e−15 ≈ 4.5 ulp of relative spacing 2^−52.
constexpr double rel_tol = 1e-15;

// Magnitudes log-uniform over 10^[−300, 3], both signs, plus the break points of the kernels.
std::vector<double> wide_range_inputs() {
  std::mt19937_64 rng(7);
  std::uniform_real_distribution<double> e(-300.0, 3.0);
  std::vector<double> y;
  for (int i = 0; i < 200000; ++i) {
    const double m = std::pow(10.0, e(rng));
    y.push_back(i % 2 == 0 ? m : -m);
  }
  std::uniform_real_distribution<double> u(-25.0, 25.0);
  for (int i = 0; i < 200000; ++i) y.push_back(u(rng));
  for (double v : {0.17328679513998632, 0.3465735902799726, 0.5, 1.0, 19.0, 19.5, 20.0, 20.5, 37.0,
                   40.0, 700.0, 709.0, 745.0, 746.0, 1e300}) {
    y.push_back(v);
    y.push_back(-v);
    y.push_back(std::nextafter(v, 0.0));
    y.push_back(std::nextafter(v, 2.0 * v));
  }
  return y;
}

double rel_err(double a, double ref) {
  return std::abs(a - ref) / std::abs(ref);
}

TEST(Activation, NamesRoundTripAndUnknownNameThrows) {
  for (const auto k : all_kinds) EXPECT_EQ(parse_activation(activation_name(k)), k);
  EXPECT_EQ(activation_name(ActivationKind::logistic), "logistic");
  try {
    parse_activation("sigmoid");
    FAIL() << "no exception";
  } catch (const Error& e) {
    EXPECT_NE(e.what_.find("sigmoid"), std::string::npos);
    EXPECT_NE(e.expected.find("tanh"), std::string::npos);
  }
}

TEST(Activation, TanhMatchesLibmOverWideRange) {
  double worst = 0.0;
  for (const double y : wide_range_inputs()) {
    const double ref = std::tanh(y);
    const double got = Tanh::f(y);
    if (ref == 0.0) {
      EXPECT_EQ(got, 0.0);
      continue;
    }
    worst = std::max(worst, rel_err(got, ref));
    ASSERT_LE(rel_err(got, ref), rel_tol) << "y = " << y;
  }
  RecordProperty("tanh_max_rel_err", std::to_string(worst));
}

TEST(Activation, TanhSpecialValues) {
  const double inf = std::numeric_limits<double>::infinity();
  EXPECT_EQ(Tanh::f(inf), 1.0);
  EXPECT_EQ(Tanh::f(-inf), -1.0);
  EXPECT_TRUE(std::isnan(Tanh::f(std::numeric_limits<double>::quiet_NaN())));
  EXPECT_EQ(Tanh::f(0.0), 0.0);
  EXPECT_TRUE(std::signbit(Tanh::f(-0.0)));
  // Below 2^−26 tanh y = y(1 − y²/3) rounds to y.
  for (double y : {1e-300, 4.9e-324, 1e-20, -1e-17}) EXPECT_EQ(Tanh::f(y), y) << y;
  EXPECT_EQ(Tanh::f(1e3), 1.0);
  EXPECT_EQ(Tanh::f(-1e300), -1.0);
}

TEST(Activation, LogisticMatchesLibmFormula) {
  // Reference with std::exp on the side where no cancellation occurs.
  for (const double y : wide_range_inputs()) {
    const double ref = y >= 0.0 ? 1.0 / (1.0 + std::exp(-y)) : std::exp(y) / (1.0 + std::exp(y));
    const double got = Logistic::f(y);
    if (ref < DBL_MIN) {
      // Subnormal results carry no relative precision: both round e^y near 2^−1074.
      EXPECT_LE(std::abs(got - ref), 4.0 * std::numeric_limits<double>::denorm_min()) << y;
    } else {
      ASSERT_LE(rel_err(got, ref), rel_tol) << "y = " << y;
    }
  }
  const double inf = std::numeric_limits<double>::infinity();
  EXPECT_EQ(Logistic::f(inf), 1.0);
  EXPECT_EQ(Logistic::f(-inf), 0.0);
  EXPECT_EQ(Logistic::f(0.0), 0.5);
  EXPECT_TRUE(std::isnan(Logistic::f(std::numeric_limits<double>::quiet_NaN())));
  // Sign convention of spec §1b: σ(y) = 1/(1 + e^{−y}) increases; σ(2) = 0.880797077977882444…
  // (the kernel is within a few ulp: 4 ulp = 4.5e−16 at this magnitude).
  EXPECT_NEAR(Logistic::f(2.0), 0.880797077977882444, 4.5e-16);
  EXPECT_NEAR(Logistic::f(-2.0), 0.119202922022117556, 1e-16);
}

TEST(Activation, DerivativesMatchClosedForms) {
  std::mt19937_64 rng(3);
  std::uniform_real_distribution<double> u(-30.0, 30.0);
  for (int i = 0; i < 100000; ++i) {
    const double y = u(rng);
    // sech² y = 4e^{−2|y|}/(1 + e^{−2|y|})² and σ′ = e^{−|y|}/(1 + e^{−|y|})² with std::exp.
    const double e2 = std::exp(-2.0 * std::abs(y));
    const double sech2 = 4.0 * e2 / ((1.0 + e2) * (1.0 + e2));
    ASSERT_LE(rel_err(Tanh::df(y), sech2), rel_tol) << y;
    ASSERT_LE(rel_err(Tanh::d2f(y), -2.0 * std::tanh(y) * sech2), rel_tol) << y;
    const double e1 = std::exp(-std::abs(y));
    const double dsig = e1 / ((1.0 + e1) * (1.0 + e1));
    ASSERT_LE(rel_err(Logistic::df(y), dsig), rel_tol) << y;
    // σ″ = σ′ (1 − 2σ); 1 − 2σ has cancellation near 0, so compare absolutely there.
    const double s = 1.0 / (1.0 + std::exp(-y));
    const double d2 = dsig * (1.0 - 2.0 * s);
    EXPECT_LE(std::abs(Logistic::d2f(y) - d2), 1e-15 * dsig + 1e-16 * std::abs(d2)) << y;
  }
  // On |y| < 1, 1 − tanh² and σ(1 − σ) are accurate: cross-check the formulas of the header.
  for (double y = -1.0; y <= 1.0; y += 0.01) {
    const double t = std::tanh(y);
    EXPECT_NEAR(Tanh::df(y), 1.0 - t * t, 4e-16);
    const double s = 1.0 / (1.0 + std::exp(-y));
    EXPECT_NEAR(Logistic::df(y), s * (1.0 - s), 2e-16);
  }
  EXPECT_EQ(Relu::f(-2.0), 0.0);
  EXPECT_EQ(Relu::f(3.0), 3.0);
  EXPECT_EQ(Relu::df(3.0), 1.0);
  EXPECT_EQ(Relu::df(-3.0), 0.0);
  EXPECT_TRUE(std::isnan(Relu::f(std::numeric_limits<double>::quiet_NaN())));
  EXPECT_EQ(Linear::f(-2.5), -2.5);
  EXPECT_EQ(Linear::df(7.0), 1.0);
  EXPECT_EQ(activation_d2f(ActivationKind::linear, 1.0), 0.0);
}

TEST(Activation, ArrayFormsEqualScalarFormsBitwise) {
  std::mt19937_64 rng(11);
  std::uniform_real_distribution<double> u(-40.0, 40.0);
  std::vector<double> y(1003);  // odd length: exercises the vector tails
  for (auto& v : y) v = u(rng);
  y[0] = 0.0;
  y[1] = -0.0;
  y[2] = std::numeric_limits<double>::infinity();
  y[3] = 1e-310;
  for (const auto k : all_kinds) {
    std::vector<double> f = y;
    std::vector<double> df(y.size());
    std::vector<double> d2f(y.size());
    apply_activation(k, f.data(), static_cast<std::int64_t>(f.size()));
    activation_derivative(k, y.data(), df.data(), static_cast<std::int64_t>(y.size()));
    activation_second_derivative(k, y.data(), d2f.data(), static_cast<std::int64_t>(y.size()));
    for (std::size_t i = 0; i < y.size(); ++i) {
      ASSERT_EQ(f[i], activation_f(k, y[i])) << activation_name(k) << " y = " << y[i];
      ASSERT_EQ(df[i], activation_df(k, y[i])) << activation_name(k) << " y = " << y[i];
      ASSERT_EQ(d2f[i], activation_d2f(k, y[i])) << activation_name(k) << " y = " << y[i];
    }
  }
}

}  // namespace
}  // namespace nnworld::network
