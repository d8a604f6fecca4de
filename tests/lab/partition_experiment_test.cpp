// The "partition" experiment end to end, against closed forms computed here (spec T2.4, T2.6,
// §2a) independently of the library.
#include <Eigen/Dense>
#include <cmath>
#include <fstream>
#include <numbers>
#include <sstream>

#include "lab_test_util.hpp"

namespace {

using namespace nnworld::lab::test;

std::string shipped_config() {
  std::ifstream in(std::string(NNWORLD_TEST_DATA) + "/../../experiments/partition.toml");
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

TEST(PartitionExperiment, ShippedT2_4ConfigAgainstClosedForms) {
  TempDir tmp;
  const Ran r = run_config(shipped_config(), tmp.path() / "out");
  ASSERT_EQ(r.record.status, "ok") << r.record.error;
  const auto& obs = r.summary["observables"];
  const std::vector<double> beta = {1, 3, 10, 30, 100};
  ASSERT_EQ(obs["beta"].get<std::vector<double>>(), beta);

  // Ĝ = [[0.74, −0.12], [−0.12, 0.80]] at x* = 0 (spec T2.4); its eigenvalues and
  // determinant in closed form.
  const double g00 = 0.74, g01 = -0.12, g11 = 0.80;
  const double det = g00 * g11 - g01 * g01, tr = g00 + g11;
  const double mid = tr / 2, rad = std::hypot((g00 - g11) / 2, g01);
  EXPECT_NEAR(obs["g_eigenvalues"][0].get<double>(), mid - rad, 1e-13);
  EXPECT_NEAR(obs["g_eigenvalues"][1].get<double>(), mid + rad, 1e-13);
  EXPECT_EQ(obs["zero_modes"], 0);

  const double log2pi = std::log(2 * std::numbers::pi);
  for (std::size_t k = 0; k < beta.size(); ++k) {
    const double b = beta[k];
    // Laplace (N = 2, H(x*) = 0): log Z = log 2π − ½ log det(βĜ); U = N/(2β); C_β = N/2;
    // S₀ = (N/2)(1 + log(2π/β)); complexity −½ log det Ĝ. Only rounding separates them (1e-12).
    EXPECT_NEAR(obs["log_z"]["laplace"][k].get<double>(), log2pi - 0.5 * std::log(b * b * det),
                1e-12);
    EXPECT_NEAR(obs["mean_loss"]["laplace"][k].get<double>(), 1.0 / b, 1e-12);
    EXPECT_NEAR(obs["heat_capacity"]["laplace"][k].get<double>(), 1.0, 1e-12);
    EXPECT_NEAR(obs["s0"]["laplace"][k].get<double>(), 1.0 + std::log(2 * std::numbers::pi / b),
                1e-12);
    EXPECT_NEAR(obs["complexity"]["laplace"][k].get<double>(), -0.5 * std::log(det), 1e-12);
    // (7) as printed: log Z = log 2π − ½ log det(I + βĜ), det(I + βĜ) = 1 + β tr Ĝ + β² det Ĝ.
    EXPECT_NEAR(obs["log_z"]["paper_eq7"][k].get<double>(),
                log2pi - 0.5 * std::log(1 + b * tr + b * b * det), 1e-12);
    // F = −log Z/β and S = β(U − F) for every method (definitions (6), (13)).
    for (const char* m : {"laplace", "paper_eq7", "quadrature", "sampling"}) {
      const double lz = obs["log_z"][m][k].get<double>();
      const double f = obs["free_energy"][m][k].get<double>();
      EXPECT_NEAR(f, -lz / b, 1e-12 * (1 + std::abs(f))) << m;
      const double u = obs["mean_loss"][m][k].get<double>();
      EXPECT_NEAR(obs["entropy"][m][k].get<double>(), b * (u - f), 1e-10 * (1 + b)) << m;
    }
    EXPECT_GT(obs["log_z_stderr"]["sampling"][k].get<double>(), 0.0);
  }

  // Every oracle passes: the 9 T2.4 rows, 5 sampling-vs-quadrature rows and T3.1.
  int t24 = 0, svq = 0;
  for (const auto& c : r.summary["checks"]) {
    const std::string name = c["name"];
    if (c["kind"] == "oracle") {
      EXPECT_TRUE(c["passed"].get<bool>()) << c.dump();
    }
    t24 += name.rfind("T2.4 log Z ", 0) == 0;
    svq += name.rfind("sampling vs quadrature log Z", 0) == 0;
  }
  EXPECT_EQ(t24, 9);
  EXPECT_EQ(svq, 5);
  const auto* t31 = find_check(r.summary, "T3.1");
  ASSERT_NE(t31, nullptr);
  EXPECT_TRUE((*t31)["passed"].get<bool>());
  // The T2.4 row at β = 1 compares with the spec's value itself.
  const auto* q1 = find_check(r.summary, "T2.4 log Z quadrature β=1");
  ASSERT_NE(q1, nullptr);
  EXPECT_DOUBLE_EQ((*q1)["reference"].get<double>(), 2.1046083664);

  // (12) at β = checks.derivative_beta = 5 by the 4-point difference in (β, q), ŵ → qŵ.
  // x* = 0 for every q (tanh, b = 0), f′(0) = 1, so Ĝ(q) = (I − qW)ᵀ(I − qW) in closed form:
  //   Laplace: βF_L = −log 2π + log β + ½ log det Ĝ(q), separable: ∂β∂q = 0;
  //   printed (7): ∂β∂q ½ log det(I + βĜ) = ½ tr[A⁻¹ Ĝ′ A⁻¹], A = I + βĜ, Ĝ′ = dĜ/dq at q = 1.
  Eigen::Matrix2d w;
  w << 0.3, -0.4, 0.5, 0.2;
  const Eigen::Matrix2d id = Eigen::Matrix2d::Identity();
  const Eigen::Matrix2d g = (id - w).transpose() * (id - w);
  const Eigen::Matrix2d dg = -w.transpose() * (id - w) - (id - w).transpose() * w;
  const Eigen::Matrix2d ainv = (id + 5.0 * g).inverse();
  const double eq7_mixed = 0.5 * (ainv * dg * ainv).trace();
  const auto* lap = find_check(r.summary, "T3.2/laplace");
  ASSERT_NE(lap, nullptr);
  EXPECT_EQ((*lap)["kind"], "oracle");
  EXPECT_TRUE((*lap)["passed"].get<bool>()) << lap->dump();
  EXPECT_LT((*lap)["tolerance"].get<double>(), 1e-6);  // the rounding bound, not a resolution
  // The control: the printed (7) by the same difference; its truncation (h² + k²)/6 times third
  // derivatives relative to the second, h = 5e-3, k = 1e-3, is ≲ 1e-5 relative: 1e-4 allowed.
  EXPECT_NEAR((*lap)["control"]["value"].get<double>(), eq7_mixed, 1e-4 * std::abs(eq7_mixed));
  EXPECT_GT(std::abs(eq7_mixed), 1e-4);
  EXPECT_FALSE((*lap)["control"]["passed"].get<bool>());
  const auto* exact = find_check(r.summary, "(12)/quadrature");
  ASSERT_NE(exact, nullptr);
  EXPECT_EQ((*exact)["kind"], "claim");
  EXPECT_EQ((*exact)["control"]["value"], (*lap)["control"]["value"]);
  // The exact Z does not decompose (spec §2b GAP: (12) holds to leading order only).
  EXPECT_GT(std::abs((*exact)["value"].get<double>()), 100 * (*exact)["tolerance"].get<double>());
  EXPECT_EQ((*exact)["verdict"], "not held");
  const auto* smp = find_check(r.summary, "(12)/sampling");
  ASSERT_NE(smp, nullptr);
  EXPECT_EQ((*smp)["comparison"], "z_score");
  ASSERT_TRUE(smp->contains("control"));

  // data.h5: log Z of every method against "beta", sampling with its error bars.
  const auto lz = read_h5(r.record.dir / "data.h5", "log_z/sampling");
  ASSERT_EQ(lz.values.size(), beta.size());
  const auto err = read_h5(r.record.dir / "data.h5", "log_z_stderr/sampling");
  ASSERT_EQ(err.values.size(), beta.size());
  EXPECT_EQ(read_h5(r.record.dir / "data.h5", "beta").values, beta);
  EXPECT_LT(r.record.wall_seconds, 30.0);
}

TEST(PartitionExperiment, ZeroModeGivesNullLaplaceNotAFailure) {
  // spec T2.6: N = 1, w = 1, tanh. Ĝ = 0 at x* = 0: Laplace diverges (null + note), (7) is
  // β-independent √(2π), the exact Z = 2.42062561 (β = 10), 1.50254130 (β = 100), given to
  // 8 decimals: relative ±4e-9, hence 1e-8 on log Z.
  TempDir tmp;
  const Ran r = run_config(R"(
experiment = "partition"
[network]
n = 1
activation = "tanh"
weights = [[1.0]]
[ensemble]
beta = [10.0, 100.0]
methods = ["laplace", "paper_eq7", "quadrature"]
)",
                           tmp.path() / "out");
  ASSERT_EQ(r.record.status, "ok") << r.record.error;
  const auto& obs = r.summary["observables"];
  EXPECT_TRUE(obs["log_z"]["laplace"][0].is_null());
  EXPECT_TRUE(obs["log_z"]["laplace"][1].is_null());
  EXPECT_EQ(obs["zero_modes"], 1);
  EXPECT_NEAR(obs["log_z"]["paper_eq7"][1].get<double>(), 0.5 * std::log(2 * std::numbers::pi),
              1e-14);
  EXPECT_NEAR(obs["log_z"]["quadrature"][0].get<double>(), std::log(2.42062561), 1e-8);
  EXPECT_NEAR(obs["log_z"]["quadrature"][1].get<double>(), std::log(1.50254130), 1e-8);
  bool noted = false;
  for (const auto& n : r.summary["notes"]) {
    noted = noted || n.get<std::string>().find("laplace at β = 10") != std::string::npos;
  }
  EXPECT_TRUE(noted) << r.summary["notes"].dump();
}

TEST(PartitionExperiment, BadInputIsRejectedAtConfigureTime) {
  const std::string net = "experiment = \"partition\"\n[network]\nn = 2\n";
  EXPECT_NE(prepare_error(net + "[ensemble]\nbeta = [1.0, -2.0]\n").find("out of range"),
            std::string::npos);
  EXPECT_NE(prepare_error(net + "mass = 1.0\n").find("Z diverges"), std::string::npos);
  EXPECT_NE(prepare_error("experiment = \"partition\"\n[network]\nn = 4\n[ensemble]\n"
                          "methods = [\"quadrature\"]\n")
                .find("quadrature needs N <= 3"),
            std::string::npos);
  EXPECT_NE(prepare_error(net + "[ensemble]\nmethods = [\"exact\"]\n")
                .find("one of laplace, paper_eq7, quadrature, sampling"),
            std::string::npos);
  EXPECT_NE(prepare_error(net + "[ensemble]\nmethods = []\n").find("empty array"),
            std::string::npos);
  EXPECT_NE(prepare_error(net + "[ensemble]\nbeta = [1.0]\nmethods = [\"laplace\"]\n"
                                "[[reference]]\nmethod = \"laplace\"\nbeta = 2.0\nlog_z = 0.0\n")
                .find("not in ensemble.beta"),
            std::string::npos);
  // Linear f with a zero mode of Ĝ (a permutation): Z diverges, refused for sampling.
  EXPECT_NE(prepare_error("experiment = \"partition\"\n[network]\nn = 2\nactivation = "
                          "\"linear\"\nweights = [[0.0, 1.0], [1.0, 0.0]]\n[ensemble]\n"
                          "methods = [\"sampling\"]\n")
                .find("key 'network.weights'"),
            std::string::npos);
}

}  // namespace
