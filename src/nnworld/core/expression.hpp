#pragma once
// A user formula in named variables (muParser), e.g. the potential V(q1, q2) of a config.
//
//   core::Expression v("0.5*(q1^2 + q2^2) + 0.1*sin(t)", {"q1", "q2", "t"});
//   double x = v({0.3, -1.0, 0.0});
//
// A formula that does not parse, or that uses a name that is not one of the variables, throws
// core::ExpressionError with the 0-based character position of the problem. Evaluation is
// not thread-safe: give each thread its own copy (copies are independent).
#include <memory>
#include <span>
#include <stdexcept>
#include <string>
#include <vector>

namespace nnworld::core {

class ExpressionError : public std::runtime_error {
 public:
  ExpressionError(std::string message, std::string expression, int position)
      : std::runtime_error(std::move(message)),
        expression_(std::move(expression)),
        position_(position) {}
  [[nodiscard]] const std::string& expression() const { return expression_; }
  // 0-based character (byte) offset into expression(), −1 when unknown.
  [[nodiscard]] int position() const { return position_; }
  // "unexpected token "*" at position 4 in "q1 + * 2""
  [[nodiscard]] std::string describe() const;

 private:
  std::string expression_;
  int position_;
};

class Expression {
 public:
  Expression(std::string text, std::vector<std::string> variables);
  Expression(const Expression& other);
  Expression& operator=(const Expression& other);
  Expression(Expression&&) noexcept;
  Expression& operator=(Expression&&) noexcept;
  ~Expression();

  [[nodiscard]] const std::string& text() const { return text_; }
  [[nodiscard]] const std::vector<std::string>& variables() const { return variables_; }
  // The value at `values` (one per variable, in order). Throws ExpressionError when the
  // evaluation itself fails.
  [[nodiscard]] double operator()(std::span<const double> values) const;
  [[nodiscard]] double operator()(std::initializer_list<double> values) const {
    return (*this)(std::span<const double>(values.begin(), values.size()));
  }
  // ∂/∂(variable v) by a 4th-order central difference with step h (error O(h⁴) + ε/h).
  [[nodiscard]] double derivative(std::span<const double> values, std::size_t v,
                                  double h = 1e-3) const;

 public:
  struct Impl;  // muParser state (defined in expression.cpp)

 private:
  std::string text_;
  std::vector<std::string> variables_;
  std::unique_ptr<Impl> impl_;
};

}  // namespace nnworld::core
