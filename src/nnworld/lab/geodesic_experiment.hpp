#pragma once
// The "geodesic" experiment (follow-up paper, claim 4; spec §10): one geodesic of a [metric]
// (built-in family or user expressions), integrated by RK4 or adaptive Dormand–Prince 5(4)
// (geometry/geodesic.hpp). The start is either a point and a velocity (normalised to
// g(u,u) = −1 or 0 by solving for the time component, or by scaling) or, for (t, r, theta, phi)
// metrics, an equatorial orbit given by its energy E = −u_t, angular momentum L = u_φ and
// starting radius. Measured: E and L drift, norm drift, radius range, turning points, radial
// period, periapsis advance. Oracles: for Schwarzschild, the radial period and periapsis advance
// against a quadrature of (dr/dτ)² = E² − (1 − 2M/r)(1 + L²/r²); for circular Schwarzschild or
// Kerr starts, r constant and dφ/dt = ±√M/(r^{3/2} ± a√M) (Bardeen et al. 1972); E, L and
// g(u,u) conserved within a bound from rtol.
#include "nnworld/lab/experiment.hpp"

namespace nnworld::lab {

ExperimentKind geodesic_experiment();

}  // namespace nnworld::lab
