#!/usr/bin/python3
"""Writes conformal_torus.csv: g = e^(2φ)δ on T² = [0, 2π)², φ = 0.2 sin x cos y, sampled on a
32×32 grid (row-major, y fastest), in the CSV layout of metric.family = "grid"
(src/nnworld/lab/grid_metric_config.hpp). Used by experiments/curvature_grid.toml."""
import numpy as np

n = 32
x = 2 * np.pi * np.arange(n) / n
with open("conformal_torus.csv", "w") as f:
    f.write("# g = exp(2*phi)*delta, phi = 0.2*sin(x)*cos(y), 32x32 grid on [0, 2pi)^2\n")
    f.write("x,y,g_x_x,g_x_y,g_y_y\n")
    for xi in x:
        for yj in x:
            e = np.exp(2 * 0.2 * np.sin(xi) * np.cos(yj))
            f.write(f"{xi!r},{yj!r},{e!r},0,{e!r}\n")
