// The list of experiment kinds (`nnworld list` shows them in this order). An explicit list
// rather than static self-registration: objects of a static library that nothing references
// are not linked, so self-registering kinds would silently disappear.
#include "nnworld/lab/classical_experiment.hpp"
#include "nnworld/lab/complexity_experiment.hpp"
#include "nnworld/lab/curvature_experiment.hpp"
#include "nnworld/lab/einstein_experiment.hpp"
#include "nnworld/lab/emergent_metric_experiment.hpp"
#include "nnworld/lab/experiment.hpp"
#include "nnworld/lab/fokker_planck_experiment.hpp"
#include "nnworld/lab/geodesic_experiment.hpp"
#include "nnworld/lab/holography_experiment.hpp"
#include "nnworld/lab/learning_ensemble_experiment.hpp"
#include "nnworld/lab/learning_experiment.hpp"
#include "nnworld/lab/network_experiment.hpp"
#include "nnworld/lab/onsager_experiment.hpp"
#include "nnworld/lab/partition_experiment.hpp"
#include "nnworld/lab/quantum_experiment.hpp"
#include "nnworld/lab/strings_experiment.hpp"
#include "nnworld/lab/world_experiment.hpp"

namespace nnworld::lab {

const std::vector<ExperimentKind>& experiment_kinds() {
  static const std::vector<ExperimentKind> kinds = {
      network_experiment(),           learning_experiment(),       partition_experiment(),
      fokker_planck_experiment(),     classical_experiment(),      quantum_experiment(),
      complexity_experiment(),        strings_experiment(),        world_experiment(),
      curvature_experiment(),         einstein_experiment(),       emergent_metric_experiment(),
      geodesic_experiment(),          onsager_experiment(),        holography_experiment(),
      learning_ensemble_experiment(), learning_phase_experiment(),
  };
  return kinds;
}

}  // namespace nnworld::lab
