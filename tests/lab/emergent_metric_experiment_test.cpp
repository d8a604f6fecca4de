// The "emergent_metric" experiment end to end on a small configuration: the estimator oracle
// passes, the observables exist, and a non-positive-definite planted field is rejected at its key.
#include <string>

#include "lab_test_util.hpp"

namespace {

using namespace nnworld::lab::test;

const char* const kSmall = R"(
experiment = "emergent_metric"
seed = 2
[gas]
neurons = 256
samples = 20
sample_every = 4
bins = 4
batches = 16
[fit]
k_max = 1
grid = 16
[excitation]
cluster = 4
steps = 100
record_every = 20
replicas = 8
)";

TEST(EmergentMetricExperiment, SmallRunRecordsObservablesAndPassesOracles) {
  TempDir tmp;
  const Ran r = run_config(kSmall, tmp.path() / "out");
  ASSERT_EQ(r.record.status, "ok") << r.record.error;
  EXPECT_EQ(r.record.oracles_failed, 0);
  const auto& obs = r.summary["observables"];
  EXPECT_EQ(obs["n_samples"].get<std::int64_t>(), 256 * 20);
  EXPECT_EQ(obs["metric"]["valid_cells"].get<std::int64_t>(), 16);
  for (const char* key : {"max_deviation", "max_deviation_over_se", "max_deviation_flat"}) {
    EXPECT_TRUE(obs["geodesic"].contains(key)) << key;
  }
  EXPECT_TRUE(obs["curvature"].contains("ricci_rms_estimated"));
}

TEST(EmergentMetricExperiment, NonPositiveDefinitePlantedFieldIsAnInputError) {
  TempDir tmp;
  const std::string cfg = std::string(kSmall) + "[planted]\nepsilon = 3.0\n";
  try {
    (void)run_config(cfg, tmp.path() / "out");
    FAIL() << "expected an input error";
  } catch (const nnworld::Error& e) {
    EXPECT_NE(e.message().find("planted.epsilon"), std::string::npos) << e.message();
  }
}

}  // namespace
