#pragma once
// The "curvature" experiment (paper Section 9, Eqs. (93), (95), (96); spec §8 T9.4): the
// curvature of a [metric] at configured points — Ricci scalar R, Kretschmann R_{αβγδ}R^{αβγδ},
// R_μν R^μν and the mixed Einstein tensor G^μ_ν — compared with closed forms: the spec's T9.4
// values for the built-in families and the user's expressions (curvature.expect.*), plus
// optional images of R, K and R_μν R^μν over a 2-D slice of the coordinates.
//
// Also the pieces the geometry experiments share: the named constants an expression of a
// [metric] config may use, the finite-difference keys, and expressions in the coordinates.
#include <string>
#include <string_view>
#include <vector>

#include "nnworld/core/expression.hpp"
#include "nnworld/geometry/curvature.hpp"
#include "nnworld/io/config.hpp"
#include "nnworld/lab/experiment.hpp"

namespace nnworld::lab {

ExperimentKind curvature_experiment();

// The names (besides the coordinates) an expression about the metric read from `prefix` may
// use, with their values: metric.constants for flrw, conformally_flat and user metrics; for the
// built-in families M = mass, a = spin (kerr), L = Λ = lambda (de_sitter,
// schwarzschild_de_sitter) and a = radius (sphere). Call after read_metric.
std::vector<geometry::Constant> metric_constants(const io::Config& c,
                                                 const geometry::Metric& metric,
                                                 std::string_view prefix = "metric");

// An expression in the coordinates of a metric and its constants, evaluated at a point.
class PointExpression {
 public:
  // Parses `text`; an error is located at `key` and shows the expression.
  PointExpression(const io::Config& c, const std::string& key, const std::string& text,
                  const geometry::Metric& metric, const std::vector<geometry::Constant>& constants);
  [[nodiscard]] double operator()(const geometry::Vector& x) const;
  [[nodiscard]] const std::string& text() const { return expr_.text(); }

 private:
  core::Expression expr_;
  std::vector<double> constants_;
  mutable std::vector<double> args_;
};

// `<prefix>.method`, `.step`, `.initial_step`, `.levels`, `.scale` (n values) as a
// geometry::FiniteDifference.
geometry::FiniteDifference read_finite_difference(io::Config& c, const std::string& prefix, int n);

// The curvature at each point; a point whose stencil fails (too close to a singularity for the
// step) is an error located at element i of `key`.
std::vector<geometry::Curvature> curvature_at_config_points(
    const io::Config& c, const std::string& key, const geometry::Metric& metric,
    const std::vector<geometry::Vector>& points, const geometry::FiniteDifference& fd);

// A matrix as a nested JSON list (rows).
nlohmann::json matrix_json(const geometry::Matrix& m);

}  // namespace nnworld::lab
