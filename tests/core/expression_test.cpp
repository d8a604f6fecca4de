#include "nnworld/core/expression.hpp"

#include <gtest/gtest.h>

#include <cmath>

namespace nnworld::core {
namespace {

TEST(Expression, EvaluatesInItsVariables) {
  const Expression v("0.5*(q1^2 + q2^2) + sin(t)", {"q1", "q2", "t"});
  EXPECT_DOUBLE_EQ(v({3.0, 4.0, 0.0}), 12.5);
  EXPECT_NEAR(v({0.0, 0.0, 1.0}), std::sin(1.0), 1e-15);
  const Expression copy = v;  // independent state
  EXPECT_DOUBLE_EQ(copy({1.0, 1.0, 0.0}), 1.0);
}

TEST(Expression, DerivativeIsFourthOrder) {
  const Expression v("exp(-q1^2)*cos(2*q1)", {"q1"});
  const double q = 0.4;
  const double exact = std::exp(-q * q) * (-2 * q * std::cos(2 * q) - 2 * std::sin(2 * q));
  const double x[] = {q};
  EXPECT_NEAR(v.derivative(x, 0), exact, 1e-10);  // O(h⁴) with h = 1e-3, plus ε/h ≈ 1e-13
}

TEST(Expression, SyntaxErrorsNameThePosition) {
  try {
    Expression("q1 + * 2", {"q1"});
    FAIL() << "no error";
  } catch (const ExpressionError& e) {
    EXPECT_EQ(e.expression(), "q1 + * 2");
    EXPECT_EQ(e.position(), 5);
    EXPECT_NE(e.describe().find("at position 5 in \"q1 + * 2\""), std::string::npos)
        << e.describe();
  }
}

TEST(Expression, UnknownNamesAreErrors) {
  try {
    Expression("q1 + q3", {"q1", "q2"});
    FAIL() << "no error";
  } catch (const ExpressionError& e) {
    EXPECT_EQ(e.position(), 5);
    EXPECT_NE(e.describe().find("q3"), std::string::npos) << e.describe();
  }
}

}  // namespace
}  // namespace nnworld::core
