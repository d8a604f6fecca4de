#pragma once
// Networks of spec §1c/§2c (T2.3–T3.2) for the partition-function tests.
#include "nnworld/network/network.hpp"

namespace nnworld::testing {

inline network::Network dense_network(const network::Matrix& w, const network::Vector& b,
                                      network::ActivationKind f, double m) {
  network::Network net;
  net.w = network::DenseWeights(w);
  net.b = b;
  net.activation = f;
  net.mass = m;
  net.validate();
  return net;
}

// W₂ = [[0.3, −0.4], [0.5, 0.2]] (spec T2.2, T2.4, T2.5, T3.1).
inline network::Matrix w2() {
  network::Matrix w(2, 2);
  w << 0.3, -0.4, 0.5, 0.2;
  return w;
}

inline network::Network w2_network(network::ActivationKind f, double b0 = 0.0, double b1 = 0.0,
                                   double m = 0.0) {
  network::Vector b(2);
  b << b0, b1;
  return dense_network(w2(), b, f, m);
}

// W₄ (spec T2.3, N = 4), b = 0.
inline network::Matrix w4() {
  network::Matrix w(4, 4);
  w << 0.1, 0.2, 0, 0, 0, 0.1, 0.3, 0, 0, 0, 0.1, 0.4, 0.5, 0, 0, 0.1;
  return w;
}

// W₃ (spec T2.3, N = 3), b = 0.
inline network::Matrix w3() {
  network::Matrix w(3, 3);
  w << 0.2, 0.5, 0.0, -0.3, 0.1, 0.4, 0.6, 0.0, -0.2;
  return w;
}

}  // namespace nnworld::testing
