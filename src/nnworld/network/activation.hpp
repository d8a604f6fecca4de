#pragma once
// Activation functions f with f′ and f″ (paper Section 2, Eqs. (1)–(2)).
// Each activation is a small value type with static pointwise functions (the "evaluator");
// kernels are templated on it and dispatched once per call by `with_activation`, so no
// virtual call or switch happens per element. tanh and the logistic are evaluated by the
// branch-free kernels of vector_math.hpp (a few ulp from the correctly rounded values), so a
// loop over an array vectorises and a scalar call gives the same bits as the vectorised loop.
//   tanh:      f = tanh y,              f′ = 1 − f²,     f″ = −2 f (1 − f²)
//   logistic:  f = 1 / (1 + e^{−y})     (spec §1b: the paper prints e^{+y}, a sign typo),
//              f′ = f (1 − f),          f″ = f (1 − f)(1 − 2f)
//   relu:      f = max(0, y),           f′ = [y > 0],    f″ = 0 (almost everywhere)
//   linear:    f = y,                   f′ = 1,          f″ = 0
#include <cmath>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>

#include "nnworld/network/vector_math.hpp"

namespace nnworld::network {

enum class ActivationKind { tanh, logistic, relu, linear };

struct Tanh {
  static constexpr ActivationKind kind = ActivationKind::tanh;
  static double f(double y) { return vmath::tanh(y); }
  static double df(double y) { return vmath::tanh_derivative(y); }
  static double d2f(double y) { return -2.0 * vmath::tanh(y) * vmath::tanh_derivative(y); }
};

struct Logistic {
  static constexpr ActivationKind kind = ActivationKind::logistic;
  static double f(double y) { return vmath::logistic(y); }
  static double df(double y) { return vmath::logistic_derivative(y); }
  static double d2f(double y) { return vmath::logistic_second_derivative(y); }
};

struct Relu {
  static constexpr ActivationKind kind = ActivationKind::relu;
  static double f(double y) { return y < 0.0 ? 0.0 : y; }  // NaN stays NaN
  static double df(double y) { return y > 0.0 ? 1.0 : 0.0; }
  static double d2f(double /*y*/) { return 0.0; }
};

struct Linear {
  static constexpr ActivationKind kind = ActivationKind::linear;
  static double f(double y) { return y; }
  static double df(double /*y*/) { return 1.0; }
  static double d2f(double /*y*/) { return 0.0; }
};

// Calls fn(Evaluator{}) with the evaluator type of `kind`.
template <class Fn>
decltype(auto) with_activation(ActivationKind kind, Fn&& fn) {
  switch (kind) {
    case ActivationKind::tanh:
      return std::forward<Fn>(fn)(Tanh{});
    case ActivationKind::logistic:
      return std::forward<Fn>(fn)(Logistic{});
    case ActivationKind::relu:
      return std::forward<Fn>(fn)(Relu{});
    case ActivationKind::linear:
      break;
  }
  return std::forward<Fn>(fn)(Linear{});
}

// Pointwise values for code outside the hot loops (tests, reports).
double activation_f(ActivationKind kind, double y);
double activation_df(ActivationKind kind, double y);
double activation_d2f(ActivationKind kind, double y);

// "tanh" | "logistic" | "relu" | "linear"; throws nnworld::Error otherwise.
ActivationKind parse_activation(std::string_view name);
std::string_view activation_name(ActivationKind kind);

// Vectorised array forms: y[i] ← f(y[i]) in place; out[i] = f′(y[i]); out[i] = f″(y[i]).
// Bit-identical to the pointwise functions above.
void apply_activation(ActivationKind kind, double* y, std::int64_t n);
void activation_derivative(ActivationKind kind, const double* y, double* out, std::int64_t n);
void activation_second_derivative(ActivationKind kind, const double* y, double* out,
                                  std::int64_t n);

}  // namespace nnworld::network
