#pragma once
// Networks of spec.md §1c used by the sampling tests.
#include <initializer_list>

#include "nnworld/network/network.hpp"

namespace nnworld::testing {

inline network::Network dense_network(int n, std::initializer_list<double> rows_major,
                                      network::ActivationKind act, double mass = 0.0) {
  network::DenseWeights w(n, n);
  auto it = rows_major.begin();
  for (int i = 0; i < n; ++i) {
    for (int j = 0; j < n; ++j) w(i, j) = *it++;
  }
  network::Network net;
  net.w = w;
  net.b = network::Vector::Zero(n);
  net.activation = act;
  net.mass = mass;
  return net;
}

// T2.3: W₄, f = identity, b = 0, m = 0.
inline network::Network t23_linear_network() {
  return dense_network(4,
                       {0.1, 0.2, 0, 0,  //
                        0, 0.1, 0.3, 0,  //
                        0, 0, 0.1, 0.4,  //
                        0.5, 0, 0, 0.1},
                       network::ActivationKind::linear);
}

// T2.4: W₂ = [[0.3, −0.4], [0.5, 0.2]], tanh, b = 0, m = 0.
inline network::Network t24_tanh_network() {
  return dense_network(2, {0.3, -0.4, 0.5, 0.2}, network::ActivationKind::tanh);
}

}  // namespace nnworld::testing
