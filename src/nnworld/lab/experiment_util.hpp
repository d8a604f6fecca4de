#pragma once
// Small pieces shared by the experiments: numbers in notes, dataset attributes, axis names.
#include <cstdio>
#include <string>
#include <vector>

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

// A check of the form |deviation| ≤ tolerance against a reference of 0, of kind "oracle" or
// "claim": passes iff value <= tolerance (a NaN value fails).
inline void add_bound_check(io::Summary& s, std::string kind, std::string name,
                            std::string equation, double value, double tolerance,
                            std::string note) {
  s.add_check({.name = std::move(name),
               .kind = std::move(kind),
               .equation = std::move(equation),
               .value = value,
               .reference = 0.0,
               .tolerance = tolerance,
               .passed = value <= tolerance,
               .note = std::move(note)});
}

inline void add_bound_oracle(io::Summary& s, std::string name, std::string equation, double value,
                             double tolerance, std::string note) {
  add_bound_check(s, "oracle", std::move(name), std::move(equation), value, tolerance,
                  std::move(note));
}

// "q1", …, "qK": the variables of the trainable parameters in expressions and array names.
inline std::vector<std::string> variable_names(int dims) {
  std::vector<std::string> v;
  for (int a = 0; a < dims; ++a) v.push_back("q" + std::to_string(a + 1));
  return v;
}

}  // namespace nnworld::lab
