#pragma once
// Counter-based random numbers (Random123 Philox4x64-10). A value is a pure function of
// (seed, stream, step, index), so results do not depend on the number of threads or ranks,
// nor on the order in which values are drawn.
#include <Random123/philox.h>

#include <cmath>
#include <cstdint>
#include <numbers>

namespace nnworld::core {

// Tags that separate the uses of one seed (one stream id each).
enum class StreamTag : std::uint64_t {
  init = 1,       // initial weights and biases
  dataset = 2,    // synthetic datasets
  minibatch = 3,  // mini-batch selection
  langevin = 4,   // Langevin noise on trainable variables
  start = 5,      // starting points (fixed-point search, samplers)
  bench = 6,
  exchange = 7,  // neuron exchange with a reservoir (network ensembles)
  user = 100,
};

class RngStream {
 public:
  RngStream(std::uint64_t seed, StreamTag tag, std::uint64_t replica = 0)
      : key_{{seed, (static_cast<std::uint64_t>(tag) << 32) ^ replica}} {}

  // Four independent 64-bit words for (step, index).
  [[nodiscard]] r123::Philox4x64::ctr_type raw(std::uint64_t step, std::uint64_t index) const {
    r123::Philox4x64 gen;
    return gen({{index, step, 0, 0}}, key_);
  }

  // Uniform in (0, 1): never 0 or 1.
  [[nodiscard]] double uniform(std::uint64_t step, std::uint64_t index) const {
    return to_open_unit(raw(step, index)[0]);
  }

  // Standard normal (Box–Muller on two words of one counter).
  [[nodiscard]] double normal(std::uint64_t step, std::uint64_t index) const {
    const auto r = raw(step, index);
    const double u1 = to_open_unit(r[0]);
    const double u2 = to_open_unit(r[1]);
    return std::sqrt(-2.0 * std::log(u1)) * std::cos(2.0 * std::numbers::pi * u2);
  }

  // Uniform integer in [0, n) (n > 0); Lemire's multiply-shift, bias < n / 2^64.
  [[nodiscard]] std::uint64_t below(std::uint64_t step, std::uint64_t index,
                                    std::uint64_t n) const {
    const unsigned __int128 m = static_cast<unsigned __int128>(raw(step, index)[2]) * n;
    return static_cast<std::uint64_t>(m >> 64);
  }

 private:
  static double to_open_unit(std::uint64_t w) {
    return (static_cast<double>(w >> 11) + 0.5) * 0x1.0p-53;
  }
  r123::Philox4x64::key_type key_;
};

}  // namespace nnworld::core
