#pragma once
// The [metric] keys of family = "grid": a metric sampled on a periodic grid, read from a CSV
// file (geometry::Metric::periodic_grid, evaluated by trigonometric interpolation).
//
//   [metric]
//   family = "grid"
//   coordinates = ["x", "y", "t"]        # n = 2..6 names; the grid covers the first d
//   periods = [6.283185307179586, 6.283185307179586]   # L_c of the d grid axes (> 0)
//   shape = [32, 32]                      # N_c ≥ 2 points per grid axis (d = 1..3 entries)
//   data = "metric_grid.csv"              # relative to the config file
//
// The CSV file. The first line is a header of column names separated by commas; then one row
// per grid point, ΠN_c rows in row-major order (the last grid axis runs fastest), point
// j = (j_0, …, j_{d−1}) at x_c = j_c·L_c/N_c. Columns (any order):
//   g_<a>_<b>  the component g_ab for every pair of coordinate names a, b, each unordered pair
//              exactly once (g_x_y or g_y_x, not both): n(n+1)/2 columns, e.g. for (x, y, t)
//              g_x_x, g_x_y, g_x_t, g_y_y, g_y_t, g_t_t. The ignorable coordinates (after the
//              first d) have their columns too; g does not depend on them.
//   <c>        optional, for a grid coordinate c: its value at the row's point; checked against
//              j_c·L_c/N_c (to 1e-9·L_c), which catches rows in the wrong order.
// Blank lines and lines starting with '#' are skipped; fields may have surrounding blanks.
//
// Every error is located at the key (FILE:LINE:COL, exit code 2): a missing key, a period or
// shape out of range, a data file that cannot be opened, a missing, unknown or repeated column,
// a row with the wrong number of fields, a field that is not a number or not finite, a wrong
// row count, a coordinate column that does not match the grid.
#include <string_view>

#include "nnworld/geometry/metric.hpp"
#include "nnworld/io/config.hpp"

namespace nnworld::lab {

// Reads <prefix>.coordinates, <prefix>.periods, <prefix>.shape and <prefix>.data and builds
// geometry::Metric::periodic_grid (the caller has read <prefix>.family = "grid").
geometry::Metric read_grid_metric(io::Config& c, std::string_view prefix = "metric");

}  // namespace nnworld::lab
