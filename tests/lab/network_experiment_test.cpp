// The "network" experiment end to end: configs → run directory, against closed forms of
// spec §1c (T2.1, T2.2) computed here independently of the library.
#include <cmath>

#include "lab_test_util.hpp"

namespace {

using namespace nnworld::lab::test;
using nnworld::lab::RunOptions;

const char* kContraction = R"(
experiment = "network"
[network]
n = 2
activation = "tanh"
weights = [[0.3, -0.4], [0.5, 0.2]]
bias = [0.1, -0.2]
[dynamics]
steps = 200
x0 = [3.0, -2.0]
[fixed_point]
tolerance = 1e-13
)";

TEST(NetworkExperiment, T2_2ContractionAgainstClosedForms) {
  TempDir tmp;
  const Ran r = run_config(kContraction, tmp.path() / "out");
  ASSERT_EQ(r.record.status, "ok") << r.record.error;
  const auto& obs = r.summary["observables"];

  // spec T2.2: x* = (0.207025459131, −0.119884902511), given to 12 decimals (±5e-13).
  const double xs0 = 0.207025459131, xs1 = -0.119884902511;
  ASSERT_EQ(obs["fixed_point"]["x"].size(), 2u);
  EXPECT_NEAR(obs["fixed_point"]["x"][0].get<double>(), xs0, 1e-12);
  EXPECT_NEAR(obs["fixed_point"]["x"][1].get<double>(), xs1, 1e-12);
  EXPECT_EQ(obs["n_fixed_points"], 1);  // a contraction has exactly one fixed point

  // ‖W₂‖₂ in closed form: σ² = (tr WᵀW + √((tr WᵀW)² − 4 det(W)²)) / 2 (= 0.585492 in spec).
  const double a = 0.3, b = -0.4, c = 0.5, d = 0.2;
  const double tr = a * a + b * b + c * c + d * d, det = a * d - b * c;
  const double sigma = std::sqrt((tr + std::sqrt(tr * tr - 4 * det * det)) / 2);
  EXPECT_NEAR(sigma, 0.585492, 5e-7);
  EXPECT_NEAR(obs["weight_norm_2"].get<double>(), sigma, 1e-14);  // SVD is backward stable

  // Ĵ = f̂′W and Ĝ = (I − Ĵ)ᵀ(I − Ĵ) at x*, by hand. The 12-digit x* moves these by
  // O(5e-13), hence the 1e-11 tolerances.
  const double y0 = a * xs0 + b * xs1 + 0.1, y1 = c * xs0 + d * xs1 - 0.2;
  const double f0 = 1 - std::tanh(y0) * std::tanh(y0), f1 = 1 - std::tanh(y1) * std::tanh(y1);
  const double j00 = f0 * a, j01 = f0 * b, j10 = f1 * c, j11 = f1 * d;
  const double m00 = 1 - j00, m01 = -j01, m10 = -j10, m11 = 1 - j11;  // I − Ĵ
  const double g00 = m00 * m00 + m10 * m10, g01 = m00 * m01 + m10 * m11,
               g11 = m01 * m01 + m11 * m11;
  const double mid = (g00 + g11) / 2, rad = std::hypot((g00 - g11) / 2, g01);
  ASSERT_EQ(obs["g_eigenvalues"].size(), 2u);
  EXPECT_NEAR(obs["g_eigenvalues"][0].get<double>(), mid - rad, 1e-11);  // ascending
  EXPECT_NEAR(obs["g_eigenvalues"][1].get<double>(), mid + rad, 1e-11);
  const double jt = j00 + j11, jd = j00 * j11 - j01 * j10, disc = jt * jt - 4 * jd;
  const double rho =
      disc < 0 ? std::sqrt(jd)
               : std::max(std::abs(jt + std::sqrt(disc)), std::abs(jt - std::sqrt(disc))) / 2;
  EXPECT_NEAR(obs["spectral_radius"].get<double>(), rho, 1e-11);

  // The oracles of the run itself.
  for (const char* name : {"fixed_point.residual", "hessian", "T2.2/contraction"}) {
    const auto* check = find_check(r.summary, name);
    ASSERT_NE(check, nullptr) << name;
    EXPECT_TRUE((*check)["passed"].get<bool>()) << check->dump();
    EXPECT_EQ((*check)["kind"], "oracle");
  }
  EXPECT_EQ(r.record.oracles_failed, 0);

  // The trajectory: 201 states of 2 neurons, x(0) first; the residual reaches < 1e-14 (spec).
  const auto x = read_h5(r.record.dir / "data.h5", "dynamics/x");
  ASSERT_EQ(x.dims, (std::vector<hsize_t>{201, 2}));
  EXPECT_EQ(x.values[0], 3.0);
  EXPECT_EQ(x.values[1], -2.0);
  // Row 1 = tanh(W x(0) + b), computed here.
  EXPECT_NEAR(x.values[2], std::tanh(a * 3 + b * -2 + 0.1), 1e-15);
  EXPECT_NEAR(x.values[3], std::tanh(c * 3 + d * -2 - 0.2), 1e-15);
  const auto res = read_h5(r.record.dir / "data.h5", "dynamics/residual");
  ASSERT_EQ(res.values.size(), 201u);
  EXPECT_LT(res.values.back(), 1e-14);
  EXPECT_LT(obs["dynamics"]["final_residual"].get<double>(), 1e-14);
  // Summary fields of the contract.
  EXPECT_EQ(r.summary["experiment"], "network");
  EXPECT_EQ(r.summary["status"], "ok");
  EXPECT_EQ(r.summary["config"]["network"]["n"], 2);
  EXPECT_EQ(r.summary["config"]["training"]["step"], 0.05);  // defaults filled in
  EXPECT_TRUE(r.summary.contains("wall_seconds"));
  EXPECT_FALSE(std::filesystem::exists(tmp.path() / "out.partial"));
}

TEST(NetworkExperiment, T2_1CyclicShiftMatchesIndexArithmetic) {
  TempDir tmp;
  const Ran r = run_config(R"(
experiment = "network"
[network]
n = 16
activation = "linear"
init = "permutation"
[dynamics]
steps = 40
x0 = "random"
[fixed_point]
starts = 1
)",
                           tmp.path() / "out");
  ASSERT_EQ(r.record.status, "ok") << r.record.error;
  EXPECT_EQ(r.summary["observables"]["layout"], "permutation");
  const auto x = read_h5(r.record.dir / "data.h5", "dynamics/x");
  ASSERT_EQ(x.dims, (std::vector<hsize_t>{41, 16}));
  // x_i(t) = x_{(i − t) mod N}(0), exactly (spec T2.1).
  double worst = 0;
  for (int t = 0; t <= 40; ++t) {
    for (int i = 0; i < 16; ++i) {
      const int src = ((i - t) % 16 + 16) % 16;
      worst = std::max(worst, std::abs(x.values[t * 16 + i] - x.values[src]));
    }
  }
  EXPECT_EQ(worst, 0.0);
  // Random x(0) is uniform in [−1, 1] and not degenerate.
  for (int i = 0; i < 16; ++i) EXPECT_LE(std::abs(x.values[i]), 1.0);
  EXPECT_NE(x.values[0], x.values[1]);
  const auto* shift = find_check(r.summary, "T2.1 permutation shift");
  ASSERT_NE(shift, nullptr);
  EXPECT_TRUE((*shift)["passed"].get<bool>());
  const auto* period = find_check(r.summary, "T2.1 π^N = I");
  ASSERT_NE(period, nullptr);
  EXPECT_TRUE((*period)["passed"].get<bool>());
  EXPECT_EQ((*period)["value"], 0.0);
  // plot hint: N ≤ 16 → lines.
  const auto j = read_json(r.record.dir / "summary.json");
  EXPECT_NE(std::find(j["arrays"].begin(), j["arrays"].end(), "dynamics/x"), j["arrays"].end());
}

TEST(NetworkExperiment, T2_1SignedPermutationFromExplicitWeights) {
  TempDir tmp;
  // σ = (2, 0, 3, 1) with signs (+, −, +, −): x0 ← x2, x1 ← −x0, x2 ← x3, x3 ← −x1.
  const Ran r = run_config(R"(
experiment = "network"
[network]
n = 4
activation = "linear"
weights = [[0, 0, 1, 0], [-1, 0, 0, 0], [0, 0, 0, 1], [0, -1, 0, 0]]
layout = "permutation"
[dynamics]
steps = 9
x0 = [1.0, 2.0, 3.0, 4.0]
)",
                           tmp.path() / "out");
  ASSERT_EQ(r.record.status, "ok") << r.record.error;
  const auto* shift = find_check(r.summary, "T2.1 permutation shift");
  ASSERT_NE(shift, nullptr);
  EXPECT_TRUE((*shift)["passed"].get<bool>());
  EXPECT_EQ(find_check(r.summary, "T2.1 π^N = I"), nullptr);  // not the cyclic shift
  // x(1) = (3, −1, 4, −2), x(2) = (4, −3, −2, 1), by hand.
  const auto x = read_h5(r.record.dir / "data.h5", "dynamics/x");
  EXPECT_EQ(std::vector<double>(x.values.begin() + 4, x.values.begin() + 12),
            (std::vector<double>{3, -1, 4, -2, 4, -3, -2, 1}));
}

TEST(NetworkExperiment, OraclesAppearOnlyWhereTheyApply) {
  TempDir tmp;
  // Non-zero bias: T2.1 does not apply. ‖ŵ‖₂ = 2 > 1: T2.2 does not apply.
  const Ran r = run_config(R"(
experiment = "network"
[network]
n = 8
activation = "linear"
init = "permutation"
bias = 0.5
[dynamics]
steps = 5
[fixed_point]
enabled = false
)",
                           tmp.path() / "a");
  EXPECT_EQ(find_check(r.summary, "T2.1 permutation shift"), nullptr);
  const Ran s = run_config(R"(
experiment = "network"
[network]
n = 8
activation = "tanh"
init = "permutation"
scale = 2.0
[dynamics]
steps = 5
[fixed_point]
starts = 1
)",
                           tmp.path() / "b");
  EXPECT_EQ(find_check(s.summary, "T2.2 contraction bound"), nullptr);
  EXPECT_EQ(s.summary["observables"]["weight_norm_2"], 2.0);
}

TEST(NetworkExperiment, RandomInitHasVarianceScaleSquaredOverN) {
  TempDir tmp;
  // Bai–Yin: an N×N matrix of iid entries with variance s²/N has largest singular value
  // → 2s, with fluctuations O(N^{-2/3}) ≈ 0.02 at N = 400; 0.1 is a 5σ-scale margin.
  for (double scale : {1.0, 0.5}) {
    const Ran r = run_config(R"(
experiment = "network"
[network]
n = 400
init = "random"
scale = )" + std::to_string(scale) +
                                 R"(
[dynamics]
steps = 1
record = false
[fixed_point]
enabled = false
)",
                             tmp.path() / (scale == 1.0 ? "s1" : "s05"));
    EXPECT_NEAR(r.summary["observables"]["weight_norm_2"].get<double>(), 2 * scale, 0.1 * scale);
    EXPECT_EQ(r.summary["observables"]["layout"], "dense");
  }
}

TEST(NetworkExperiment, SparseRandomInitAndSeedDeterminism) {
  TempDir tmp;
  const std::string cfg = R"(
experiment = "network"
[network]
n = 50
init = "sparse_random"
nnz_per_row = 3
[dynamics]
steps = 3
[fixed_point]
starts = 2
)";
  const Ran a = run_config(cfg, tmp.path() / "a", ".", RunOptions{.seed = 7, .seed_given = true});
  const Ran b = run_config(cfg, tmp.path() / "b", ".", RunOptions{.seed = 7, .seed_given = true});
  const Ran c = run_config(cfg, tmp.path() / "c", ".", RunOptions{.seed = 8, .seed_given = true});
  EXPECT_EQ(a.summary["observables"]["layout"], "sparse");
  EXPECT_EQ(a.summary["seed"], 7);
  EXPECT_EQ(a.summary["observables"]["dynamics"]["x_final"],
            b.summary["observables"]["dynamics"]["x_final"]);
  EXPECT_NE(a.summary["observables"]["dynamics"]["x_final"],
            c.summary["observables"]["dynamics"]["x_final"]);
}

TEST(NetworkExperiment, DivergenceKeepsARecordedRun) {
  TempDir tmp;
  // Linear map with ‖ŵ‖₂ ≈ 20: |x| grows ~20^t and overflows after ~240 steps.
  const Ran r = run_config(R"(
experiment = "network"
[network]
n = 8
activation = "linear"
init = "random"
scale = 10.0
[dynamics]
steps = 2000
[fixed_point]
enabled = false
)",
                           tmp.path() / "out");
  EXPECT_EQ(r.record.status, "diverged");
  EXPECT_EQ(nnworld::lab::exit_code(r.record, false), 3);
  EXPECT_NE(r.record.error.find("dynamics.x"), std::string::npos) << r.record.error;
  EXPECT_NE(r.record.error.find("step "), std::string::npos) << r.record.error;
  EXPECT_EQ(r.summary["status"], "diverged");
  EXPECT_EQ(r.summary["error"], r.record.error);
  // What was computed before the overflow is in data.h5.
  const auto res = read_h5(r.record.dir / "data.h5", "dynamics/residual");
  EXPECT_GT(res.values.size(), 100u);
  EXPECT_LT(res.values.size(), 2001u);
}

TEST(NetworkExperiment, TrainingOnACsvFileRelativeToTheConfig) {
  TempDir tmp;
  const Ran r = run_config(R"(
experiment = "network"
[network]
n = 5
inputs = [0, 1]
outputs = [4]
scale = 0.5
[dynamics]
steps = 2
[training]
enabled = true
steps = 200
batch = 4
step = 0.1
record_every = 10
[data]
source = "tiny.csv"
)",
                           tmp.path() / "out", NNWORLD_TEST_DATA);
  ASSERT_EQ(r.record.status, "ok") << r.record.error;
  const auto& t = r.summary["observables"]["training"];
  EXPECT_EQ(t["samples"], 8);
  const auto loss = read_h5(r.record.dir / "data.h5", "training/loss");
  const auto step = read_h5(r.record.dir / "data.h5", "training/step");
  EXPECT_EQ(loss.values.size(), 20u);  // 200 steps, one record every 10
  EXPECT_EQ(step.values.size(), 20u);
  EXPECT_EQ(step.values[1] - step.values[0], 10.0);
  EXPECT_EQ(t["loss_first"], loss.values.front());
  const auto* check = find_check(r.summary, "training.loss");
  ASSERT_NE(check, nullptr);
  EXPECT_EQ((*check)["kind"], "oracle");  // a property of SGD, not a claim of the paper
  EXPECT_EQ((*check)["comparison"], "upper_bound");
  EXPECT_EQ((*check)["value"], t["dataset_loss_final"]);
  EXPECT_EQ((*check)["reference"], t["dataset_loss_initial"]);
  EXPECT_EQ((*check)["passed"].get<bool>(),
            t["dataset_loss_final"].get<double>() <= t["dataset_loss_initial"].get<double>());
}

TEST(NetworkExperiment, InconsistentConfigsAreRejectedBeforeAnythingIsWritten) {
  EXPECT_EQ(prepare_error("experiment = \"network\"\n[network]\nn = 2\ninit = \"zero\"\n"
                          "weights = [[1, 0], [0, 1]]\n"),
            "cfg.toml:4:8: key 'network.init': given together with network.weights (expected "
            "only one of network.weights and network.init)");
  EXPECT_EQ(prepare_error("experiment = \"network\"\n[network]\nn = 4\nlayout = \"permutation\"\n"),
            "cfg.toml:4:10: key 'network.layout': the weights are not a permutation (one "
            "non-zero per row and column) (expected layout = \"dense\" or \"sparse\" for these "
            "weights)");
  EXPECT_EQ(prepare_error("experiment = \"network\"\n[network]\nn = 4\ninputs = [0, 1]\n"
                          "outputs = [1, 2]\n"),
            "cfg.toml:5:11: key 'network.outputs': neuron 1 is also an input (expected input "
            "and output neurons disjoint)");
  EXPECT_EQ(prepare_error("experiment = \"network\"\n[network]\nn = 2\ninit = \"sparse_random\"\n"
                          "nnz_per_row = 3\n"),
            "cfg.toml:5:15: key 'network.nnz_per_row': 3 non-zeros per row exceed N = 2 "
            "(expected nnz_per_row <= network.n)");
  EXPECT_EQ(prepare_error("experiment = \"network\"\n[training]\nenabled = true\n"),
            "cfg.toml: key 'network.inputs': training needs input neurons (expected a "
            "non-empty list of input neurons)");
  const std::string missing = prepare_error(
      "experiment = \"network\"\n[network]\nn = 3\ninputs = [0]\n[training]\nenabled = true\n"
      "[data]\nsource = \"no_such.csv\"\n",
      NNWORLD_TEST_DATA);
  EXPECT_EQ(missing.rfind("cfg.toml:8:10: key 'data.source': cannot open '", 0), 0u) << missing;
  EXPECT_EQ(prepare_error("experiment = \"network\"\n[network]\nn = 3\ninputs = [0]\n"
                          "outputs = [2]\n[training]\nenabled = true\n[data]\n"
                          "source = \"tiny.csv\"\n",
                          NNWORLD_TEST_DATA),
            std::string("cfg.toml:9:10: key 'data.source': '") + NNWORLD_TEST_DATA +
                "/tiny.csv' has 3 columns (expected 2 (inputs + outputs) or 1 (inputs only))");
  // The expected list is every registered kind, in registry order.
  std::string kinds;
  for (const auto& k : nnworld::lab::experiment_kinds())
    kinds += (kinds.empty() ? "" : ", ") + k.name;
  EXPECT_EQ(prepare_error("experiment = \"netwrk\"\n"),
            "cfg.toml:1:14: key 'experiment': unknown choice 'netwrk' (did you mean "
            "'network'?) (expected one of " +
                kinds + ")");
  EXPECT_EQ(prepare_error("[network]\nn = 3\n"),
            "cfg.toml: missing top-level key 'experiment' (expected experiment = one of the "
            "kinds listed by `nnworld list`)");
  EXPECT_EQ(prepare_error("experiment = \"network\"\n[dynamics]\nstesp = 3\n"),
            "cfg.toml:3:9: key 'dynamics.stesp': unknown key (did you mean "
            "'dynamics.steps'?)");
  EXPECT_EQ(prepare_error("experiment = \"network\"\n[network]\nn = 3\n[dynamics]\n"
                          "x0 = [1, 2]\n"),
            "cfg.toml:5:6: key 'dynamics.x0': expected 3 numbers, got 2 elements");
  EXPECT_EQ(prepare_error("experiment = \"network\"\n[dynamics]\nx0 = \"ones\"\n"),
            "cfg.toml:3:6: key 'dynamics.x0': unknown choice 'ones' (expected one of random, "
            "zero)");
}

}  // namespace
