#pragma once
// The [metric] section shared by the geometry experiments (curvature, einstein, geodesic):
// a built-in family or a user metric typed as expressions, and points given in its coordinates.
//
//   [metric]
//   family = "schwarzschild"          # minkowski | schwarzschild | kerr | de_sitter |
//   mass = 1.0                        # schwarzschild_de_sitter | flrw | sphere |
//                                     # conformally_flat | user | grid
//   # family = "user":
//   coordinates = ["t", "r", "theta", "phi"]
//   g = [["-(1-2*M/r)", "0", "0", "0"], ["0", "1/(1-2*M/r)", "0", "0"],
//        ["0", "0", "r^2", "0"], ["0", "0", "0", "r^2*sin(theta)^2"]]
//   constants = { M = 1.0 }
//
// Every error is located at the key that caused it (FILE:LINE:COL, exit code 2): an unknown
// family, a g whose row count or a row whose length differs from the coordinate count, an
// expression naming an unknown coordinate or constant (the message shows the expression and
// where it fails), a non-finite constant.
#include <string>
#include <string_view>
#include <vector>

#include "nnworld/geometry/metric.hpp"
#include "nnworld/io/config.hpp"

namespace nnworld::lab {

// Reads `<prefix>.family` and the keys that family uses (mass, spin, lambda, dimension, radius,
// scale_factor, phi, coordinates, g, constants; for "grid": coordinates, periods, shape, data —
// see grid_metric_config.hpp) and builds the metric.
geometry::Metric read_metric(io::Config& c, std::string_view prefix = "metric");

// An array of points, each a list of metric.dimension() coordinates (`key` = e.g.
// "curvature.points"); `fallback` if absent. Each point is checked: g at the point must be
// finite, symmetric and non-singular, else the error is located at the point's element of
// `key` and names the point, e.g. "metric is singular at (t=0, r=2, theta=1, phi=0)".
std::vector<geometry::Vector> read_points(io::Config& c, std::string_view key,
                                          const geometry::Metric& metric,
                                          const std::vector<std::vector<double>>& fallback,
                                          std::string_view doc);

// Evaluates g at `x`, turning a metric error into one located at `key` (for points computed
// by an experiment, e.g. the start of a geodesic from geodesic.position).
geometry::Matrix checked_metric(const io::Config& c, std::string_view key,
                                const geometry::Metric& metric, const geometry::Vector& x);

}  // namespace nnworld::lab
