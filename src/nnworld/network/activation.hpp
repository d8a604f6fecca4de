#pragma once
// Activation functions f with f′ and f″ (paper Section 2, Eqs. (1)–(2)).
// Each activation is a small value type with static pointwise functions (the "evaluator");
// kernels are templated on it and dispatched once per call by `with_activation`, so no
// virtual call or switch happens per element.
//   tanh:      f = tanh y,              f′ = 1 − f²,     f″ = −2 f (1 − f²)
//   logistic:  f = 1 / (1 + e^{−y})     (spec §1b: the paper prints e^{+y}, a sign typo),
//              f′ = f (1 − f),          f″ = f (1 − f)(1 − 2f)
//   relu:      f = max(0, y),           f′ = [y > 0],    f″ = 0 (almost everywhere)
//   linear:    f = y,                   f′ = 1,          f″ = 0
#include <cmath>
#include <string>
#include <string_view>
#include <utility>

namespace nnworld::network {

enum class ActivationKind { tanh, logistic, relu, linear };

struct Tanh {
  static constexpr ActivationKind kind = ActivationKind::tanh;
  static double f(double y) { return std::tanh(y); }
  static double df(double y) {
    const double t = std::tanh(y);
    return 1.0 - t * t;
  }
  static double d2f(double y) {
    const double t = std::tanh(y);
    return -2.0 * t * (1.0 - t * t);
  }
};

struct Logistic {
  static constexpr ActivationKind kind = ActivationKind::logistic;
  static double f(double y) { return 1.0 / (1.0 + std::exp(-y)); }
  static double df(double y) {
    const double s = f(y);
    return s * (1.0 - s);
  }
  static double d2f(double y) {
    const double s = f(y);
    return s * (1.0 - s) * (1.0 - 2.0 * s);
  }
};

struct Relu {
  static constexpr ActivationKind kind = ActivationKind::relu;
  static double f(double y) { return y > 0.0 ? y : 0.0; }
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

}  // namespace nnworld::network
