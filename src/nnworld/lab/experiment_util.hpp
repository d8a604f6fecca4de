#pragma once
// Small pieces shared by the experiments: numbers in notes, dataset attributes, axis names.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

#include "nnworld/core/rng.hpp"
#include "nnworld/io/output.hpp"

namespace nnworld::lab {

// A number for a check's note or an error message: 6 significant digits ("%.6g").
inline std::string fmt(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.6g", v);
  return buf;
}

// The attributes of a data.h5 dataset (io::DatasetInfo): what the report shows and plots.
inline io::DatasetInfo info(std::string description, std::string label, std::string plot,
                            std::string axis = {}, std::string figure = {}, std::string legend = {},
                            std::string errors = {}) {
  io::DatasetInfo d;
  d.description = std::move(description);
  d.label = std::move(label);
  d.plot = std::move(plot);
  d.axis = std::move(axis);
  d.figure = std::move(figure);
  d.legend = std::move(legend);
  d.errors = std::move(errors);
  return d;
}

// A check of the form deviation ≤ bound (comparison upper_bound against a reference of 0), of
// kind "oracle" or "claim"; a claim without a control states why in `no_control` (a claim with
// a control is built as an io::Check). A NaN value fails.
inline void add_bound_check(io::Summary& s, std::string kind, std::string id, std::string name,
                            std::string equation, double value, double tolerance, std::string note,
                            std::string no_control = {}) {
  const bool claim = kind == "claim";
  s.add_check({.id = std::move(id),
               .name = std::move(name),
               .kind = std::move(kind),
               .equation = std::move(equation),
               .comparison = io::Comparison::upper_bound,
               .value = value,
               .reference = 0.0,
               .tolerance = tolerance,
               .no_control = claim ? std::move(no_control) : std::string(),
               .note = std::move(note)});
}

inline void add_bound_oracle(io::Summary& s, std::string id, std::string name, std::string equation,
                             double value, double tolerance, std::string note) {
  add_bound_check(s, "oracle", std::move(id), std::move(name), std::move(equation), value,
                  tolerance, std::move(note));
}

// An oracle on the spec's fixed inputs (not the config's): a world suite counts it once.
inline void add_fixed_input_oracle(io::Summary& s, std::string id, std::string name,
                                   std::string equation, double value, double tolerance,
                                   std::string note) {
  s.add_check({.id = std::move(id),
               .name = std::move(name),
               .kind = "oracle",
               .equation = std::move(equation),
               .comparison = io::Comparison::upper_bound,
               .value = value,
               .reference = 0.0,
               .tolerance = tolerance,
               .fixed_input = true,
               .note = std::move(note)});
}

// The dataset mean of the loss H (`equation`: (3) or (4)) after training against before. A
// property of SGD at a small step, not a claim of the paper: a failure means the optimiser or
// the config (step, noise) is wrong.
inline void add_training_check(io::Summary& s, const std::string& equation, double before,
                               double after) {
  s.add_check({.id = "training.loss",
               .name = "training does not raise the dataset mean of H (SGD sanity)",
               .kind = "oracle",
               .equation = equation,
               .comparison = io::Comparison::upper_bound,
               .value = after,
               .reference = before,
               .tolerance = 0.0,
               .note = "dataset mean of H after training (value) vs before (reference)"});
}

// The 95 % percentile-bootstrap interval of the mean of x (x.size() ≥ 1, resamples ≥ 1):
// resample b draws x[rng.below(b, i, m)], i < m; percentiles 2.5 and 97.5 by nearest rank.
struct MeanInterval {
  double lo = 0.0;
  double hi = 0.0;
};
inline MeanInterval bootstrap_mean_ci(const std::vector<double>& x, std::int64_t resamples,
                                      const core::RngStream& rng) {
  const auto m = x.size();
  std::vector<double> means(static_cast<std::size_t>(resamples));
  for (std::int64_t b = 0; b < resamples; ++b) {
    double acc = 0.0;
    for (std::size_t i = 0; i < m; ++i) acc += x[rng.below(static_cast<std::uint64_t>(b), i, m)];
    means[static_cast<std::size_t>(b)] = acc / static_cast<double>(m);
  }
  std::sort(means.begin(), means.end());
  auto pct = [&](double p) {
    const auto i =
        static_cast<std::size_t>(std::clamp(std::ceil(p * static_cast<double>(resamples)) - 1.0,
                                            0.0, static_cast<double>(resamples - 1)));
    return means[i];
  };
  return {pct(0.025), pct(0.975)};
}

// "q1", …, "qK": the variables of the trainable parameters in expressions and array names.
inline std::vector<std::string> variable_names(int dims) {
  std::vector<std::string> v;
  for (int a = 0; a < dims; ++a) v.push_back("q" + std::to_string(a + 1));
  return v;
}

}  // namespace nnworld::lab
