#include "nnworld/hidden/permutation.hpp"

#include <algorithm>
#include <functional>
#include <limits>
#include <string>

#include "nnworld/core/error.hpp"
#include "nnworld/core/rng.hpp"

namespace nnworld::hidden {

bool is_permutation(const std::vector<std::int32_t>& source) {
  const auto n = static_cast<std::int64_t>(source.size());
  std::vector<char> seen(source.size(), 0);
  for (const std::int32_t s : source) {
    if (s < 0 || s >= n || seen[static_cast<std::size_t>(s)] != 0) return false;
    seen[static_cast<std::size_t>(s)] = 1;
  }
  return true;
}

// (60) on each block: source[i] = o + (i − o − 1 mod L).
Permutation cyclic_permutation(const std::vector<std::int64_t>& lengths) {
  std::int64_t total = 0;
  for (const std::int64_t len : lengths) {
    if (len < 1) {
      throw Error("cyclic_permutation", "cycle length " + std::to_string(len), "lengths >= 1");
    }
    total += len;
    if (total > std::numeric_limits<std::int32_t>::max()) {
      throw Error("cyclic_permutation", "total size " + std::to_string(total), "N <= 2^31 - 1");
    }
  }
  if (total < 1) throw Error("cyclic_permutation", "no cycles", "at least one cycle");
  Permutation p;
  p.source.resize(static_cast<std::size_t>(total));
  std::int64_t o = 0;
  for (const std::int64_t len : lengths) {
    for (std::int64_t k = 0; k < len; ++k) {
      p.source[static_cast<std::size_t>(o + k)] =
          static_cast<std::int32_t>(o + (k - 1 + len) % len);
    }
    o += len;
  }
  return p;
}

Permutation random_permutation(std::int64_t n, std::uint64_t seed) {
  if (n < 1 || n > std::numeric_limits<std::int32_t>::max()) {
    throw Error("random_permutation", "size " + std::to_string(n), "1 <= N <= 2^31 - 1");
  }
  const core::RngStream rng(seed, core::StreamTag::init, 0x7065726dULL);
  Permutation p;
  p.source.resize(static_cast<std::size_t>(n));
  for (std::int64_t i = 0; i < n; ++i)
    p.source[static_cast<std::size_t>(i)] = static_cast<std::int32_t>(i);
  for (std::int64_t i = n - 1; i > 0; --i) {
    const auto j = static_cast<std::int64_t>(
        rng.below(0, static_cast<std::uint64_t>(i), static_cast<std::uint64_t>(i + 1)));
    std::swap(p.source[static_cast<std::size_t>(i)], p.source[static_cast<std::size_t>(j)]);
  }
  return p;
}

// (66): πᵀ = π⁻¹, source_T[source[i]] = i.
Permutation transpose(const Permutation& p) {
  Permutation t;
  t.source.resize(p.source.size());
  for (std::size_t i = 0; i < p.source.size(); ++i) {
    t.source[static_cast<std::size_t>(p.source[i])] = static_cast<std::int32_t>(i);
  }
  return t;
}

std::vector<std::vector<std::int32_t>> cycles(const Permutation& p) {
  if (!is_permutation(p.source))
    throw Error("cycles", "not a permutation", "a permutation of 0..N-1");
  const Permutation t = transpose(p);  // t.source[c_k] = c_{k+1}
  std::vector<char> seen(p.source.size(), 0);
  std::vector<std::vector<std::int32_t>> out;
  for (std::size_t start = 0; start < p.source.size(); ++start) {
    if (seen[start] != 0) continue;
    std::vector<std::int32_t> c;
    auto i = static_cast<std::int32_t>(start);
    do {
      seen[static_cast<std::size_t>(i)] = 1;
      c.push_back(i);
      i = t.source[static_cast<std::size_t>(i)];
    } while (i != static_cast<std::int32_t>(start));
    out.push_back(std::move(c));
  }
  return out;
}

std::vector<std::int64_t> cycle_lengths(const Permutation& p) {
  std::vector<std::int64_t> len;
  for (const auto& c : cycles(p)) len.push_back(static_cast<std::int64_t>(c.size()));
  std::sort(len.begin(), len.end(), std::greater<>());
  return len;
}

network::PermutationWeights to_weights(const Permutation& p, double scale) {
  network::PermutationWeights w;
  w.source = p.source;
  w.value = network::Vector::Constant(p.size(), scale);
  return w;
}

}  // namespace nnworld::hidden
