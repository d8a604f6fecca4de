#pragma once
// Permutation weight matrices of paper Sections 7–8 (Eqs. (59)–(60), (66)–(67)).
//
// Convention (the same as network::PermutationWeights): π is stored by its `source` vector,
//   (π x)_i = x_{source[i]},   i.e. π_ij = 1 iff j = source[i]   (edge source[i] → i).
// The single cycle of (60), π_ij = 1 iff i − 1 ≡ j (mod N), is source[i] = i − 1 mod N.
// πᵀ = π⁻¹ (66): (πᵀ x)_j = x_{i} where source[i] = j.
//
// A cycle is listed in the order in which σ runs along it: cycle c = (c_0, c_1, …, c_{L−1})
// with source[c_{k+1}] = c_k (indices mod L), so one application of π moves the value at c_k
// to c_{k+1}: with σ_k = k/α, π carries a right-moving wave (61)–(63) and πᵀ a left-moving one
// (69)–(72).
#include <cstdint>
#include <vector>

#include "nnworld/network/network.hpp"

namespace nnworld::hidden {

struct Permutation {
  std::vector<std::int32_t> source;
  [[nodiscard]] std::int64_t size() const { return static_cast<std::int64_t>(source.size()); }
};

// True iff `source` is a permutation of 0..N−1.
bool is_permutation(const std::vector<std::int32_t>& source);

// Disjoint cycles of the given lengths, each the shift (60) on a contiguous block of neurons:
// cycle k holds neurons [o_k, o_k + L_k) with source[i] = o_k + (i − o_k − 1 mod L_k), so σ runs
// along increasing index inside each block. Throws nnworld::Error if a length is < 1 or the total
// exceeds 2^31 − 1.
Permutation cyclic_permutation(const std::vector<std::int64_t>& lengths);

// A uniformly random permutation of 0..N−1 (Fisher–Yates on a Philox stream keyed by `seed`).
Permutation random_permutation(std::int64_t n, std::uint64_t seed);

// πᵀ = π⁻¹ (66).
Permutation transpose(const Permutation& p);

// The cycles of π, each in σ order (source[c_{k+1}] = c_k), starting at its smallest neuron;
// cycles ordered by their smallest neuron.
std::vector<std::vector<std::int32_t>> cycles(const Permutation& p);

// Cycle lengths, largest first.
std::vector<std::int64_t> cycle_lengths(const Permutation& p);

// The network weights w = scale · π (every value equal to `scale`).
network::PermutationWeights to_weights(const Permutation& p, double scale = 1.0);

}  // namespace nnworld::hidden
