#include "nnworld/network/activation.hpp"

#include "nnworld/core/error.hpp"

namespace nnworld::network {

namespace {

template <class E>
void apply_f(double* y, std::int64_t n) {
#pragma omp simd
  for (std::int64_t i = 0; i < n; ++i) y[i] = E::f(y[i]);
}

template <class E>
void apply_df(const double* y, double* out, std::int64_t n) {
#pragma omp simd
  for (std::int64_t i = 0; i < n; ++i) out[i] = E::df(y[i]);
}

template <class E>
void apply_d2f(const double* y, double* out, std::int64_t n) {
#pragma omp simd
  for (std::int64_t i = 0; i < n; ++i) out[i] = E::d2f(y[i]);
}

}  // namespace

// Eq. (1)–(2): f(y) for one value.
double activation_f(ActivationKind kind, double y) {
  return with_activation(kind, [y](auto e) { return decltype(e)::f(y); });
}

double activation_df(ActivationKind kind, double y) {
  return with_activation(kind, [y](auto e) { return decltype(e)::df(y); });
}

double activation_d2f(ActivationKind kind, double y) {
  return with_activation(kind, [y](auto e) { return decltype(e)::d2f(y); });
}

void apply_activation(ActivationKind kind, double* y, std::int64_t n) {
  with_activation(kind, [&](auto e) { apply_f<decltype(e)>(y, n); });
}

void activation_derivative(ActivationKind kind, const double* y, double* out, std::int64_t n) {
  with_activation(kind, [&](auto e) { apply_df<decltype(e)>(y, out, n); });
}

void activation_second_derivative(ActivationKind kind, const double* y, double* out,
                                  std::int64_t n) {
  with_activation(kind, [&](auto e) { apply_d2f<decltype(e)>(y, out, n); });
}

ActivationKind parse_activation(std::string_view name) {
  if (name == "tanh") return ActivationKind::tanh;
  if (name == "logistic") return ActivationKind::logistic;
  if (name == "relu") return ActivationKind::relu;
  if (name == "linear") return ActivationKind::linear;
  throw Error("activation", "unknown activation '" + std::string(name) + "'",
              "one of tanh, logistic, relu, linear");
}

std::string_view activation_name(ActivationKind kind) {
  switch (kind) {
    case ActivationKind::tanh:
      return "tanh";
    case ActivationKind::logistic:
      return "logistic";
    case ActivationKind::relu:
      return "relu";
    case ActivationKind::linear:
      break;
  }
  return "linear";
}

}  // namespace nnworld::network
