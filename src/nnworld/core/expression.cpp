#include "nnworld/core/expression.hpp"

#include <muParser.h>

#include <algorithm>

namespace nnworld::core {

std::string ExpressionError::describe() const {
  std::string s = what();
  if (position_ >= 0) s += " at position " + std::to_string(position_);
  s += " in \"" + expression_ + "\"";
  return s;
}

struct Expression::Impl {
  mu::Parser parser;
  mutable std::vector<double> values;  // the variables muParser reads (stable addresses)
};

namespace {

std::unique_ptr<Expression::Impl> make_impl(const std::string& text,
                                            const std::vector<std::string>& variables) {
  auto impl = std::make_unique<Expression::Impl>();
  impl->values.assign(variables.size(), 0.0);
  try {
    for (std::size_t v = 0; v < variables.size(); ++v) {
      impl->parser.DefineVar(variables[v], &impl->values[v]);
    }
    impl->parser.SetExpr(text);
    // Parse now: a syntax error or an unknown name surfaces here, not at the first use.
    (void)impl->parser.Eval();
  } catch (const mu::Parser::exception_type& e) {
    std::string msg = e.GetMsg();
    // muParser's messages end with "at position N." — the position is reported separately.
    if (auto at = msg.find(" at position"); at != std::string::npos) msg.erase(at);
    if (!msg.empty() && msg.back() == '.') msg.pop_back();
    throw ExpressionError(msg, text, e.GetPos());
  }
  return impl;
}

}  // namespace

Expression::Expression(std::string text, std::vector<std::string> variables)
    : text_(std::move(text)), variables_(std::move(variables)) {
  impl_ = make_impl(text_, variables_);
}

Expression::Expression(const Expression& other)
    : text_(other.text_), variables_(other.variables_), impl_(make_impl(text_, variables_)) {}

Expression& Expression::operator=(const Expression& other) {
  if (this != &other) {
    text_ = other.text_;
    variables_ = other.variables_;
    impl_ = make_impl(text_, variables_);
  }
  return *this;
}

Expression::Expression(Expression&&) noexcept = default;
Expression& Expression::operator=(Expression&&) noexcept = default;
Expression::~Expression() = default;

double Expression::operator()(std::span<const double> values) const {
  const std::size_t n = std::min(values.size(), impl_->values.size());
  std::copy_n(values.begin(), n, impl_->values.begin());
  try {
    return impl_->parser.Eval();
  } catch (const mu::Parser::exception_type& e) {
    throw ExpressionError(e.GetMsg(), text_, e.GetPos());
  }
}

double Expression::derivative(std::span<const double> values, std::size_t v, double h) const {
  std::vector<double> q(values.begin(), values.end());
  const double q0 = q.at(v);
  auto at = [&](double d) {
    q[v] = q0 + d;
    return (*this)(q);
  };
  return (8.0 * (at(h) - at(-h)) - (at(2.0 * h) - at(-2.0 * h))) / (12.0 * h);
}

}  // namespace nnworld::core
