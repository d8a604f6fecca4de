#pragma once
// The "world" experiment: a suite of other experiments, each run into DIR/<name>/ (a complete
// run directory with its own summary.json, data.h5 and report.html); DIR/summary.json lists
// the runs and merges their checks (each with "run": <name>).
//
//   experiment = "world"
//   [[run]]
//   name = "t2_1_permutation"
//   config = "network_permutation.toml"   # relative to this file
#include "nnworld/lab/experiment.hpp"

namespace nnworld::lab {

ExperimentKind world_experiment();

}  // namespace nnworld::lab
