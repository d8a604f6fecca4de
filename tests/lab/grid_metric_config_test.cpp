// The [metric] keys of family = "grid": a CSV file of samples becomes the same metric as
// Metric::periodic_grid on the same samples, and every bad input is located at its key.
#include "nnworld/lab/grid_metric_config.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <numbers>
#include <string>
#include <vector>

#include "nnworld/core/error.hpp"

namespace {

using nnworld::Error;
using nnworld::io::Config;
using nnworld::lab::read_grid_metric;
namespace fs = std::filesystem;

// A temporary directory holding the config's data files.
struct Dir {
  fs::path path;
  Dir() {
    path = fs::temp_directory_path() /
           ("nnworld_grid_metric_" +
            std::to_string(::testing::UnitTest::GetInstance()->random_seed()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::create_directories(path);
  }
  ~Dir() { fs::remove_all(path); }
  void write(const std::string& name, const std::string& text) const {
    std::ofstream(path / name) << text;
  }
};

const char* kKeys = R"toml(
[metric]
family = "grid"
coordinates = ["x", "y"]
periods = [6.283185307179586, 3.0]
shape = [4, 3]
data = "g.csv"
)toml";

double gxx(double x, double y) {
  return 2.0 + 0.3 * std::cos(x) + 0.1 * std::sin(2.0 * std::numbers::pi * y / 3.0);
}
double gxy(double x, double) {
  return 0.2 * std::sin(x);
}
double gyy(double, double y) {
  return 1.5 + 0.2 * std::cos(2.0 * std::numbers::pi * y / 3.0);
}

// The 4×3 grid's CSV: coordinate columns, g_y_x written in the swapped order, last axis fastest.
std::string csv(int rows = 12) {
  char buf[256];
  std::string s = "# a comment line\nx, y, g_x_x, g_y_x, g_y_y\n";
  for (int i = 0; i < rows; ++i) {
    const double x = (i / 3) * 2.0 * std::numbers::pi / 4.0, y = (i % 3) * 1.0;
    std::snprintf(buf, sizeof buf, "%.17g, %.17g, %.17g, %.17g, %.17g\n", x, y, gxx(x, y),
                  gxy(x, y), gyy(x, y));
    s += buf;
  }
  return s;
}

std::string error_of(const std::string& toml, const std::string& data, Dir& dir) {
  dir.write("g.csv", data);
  try {
    Config c = Config::from_string(toml, "m.toml", dir.path);
    (void)read_grid_metric(c);
  } catch (const Error& e) {
    EXPECT_EQ(e.exit_code, 2);
    return e.message();
  }
  return "";
}

TEST(GridMetricConfig, CsvEqualsPeriodicGrid) {
  Dir dir;
  dir.write("g.csv", csv());
  Config c = Config::from_string(kKeys, "m.toml", dir.path);
  EXPECT_EQ(c.get<std::string>("metric.family", "", "family"), "grid");  // read by read_metric
  const auto g = read_grid_metric(c);
  c.finish();
  EXPECT_EQ(g.name(), "grid(x, y; 4\u00d73)");
  // The samples are band-limited (|m_x| ≤ 1 < 2, |m_y| ≤ 1 < 1.5): the interpolant is exact;
  // the CSV's 17 significant digits round-trip, so only interpolation round-off remains.
  for (const auto& p : std::vector<std::vector<double>>{{0.4, 0.7}, {5.0, 2.9}}) {
    const auto m = g(p);
    EXPECT_NEAR(m(0, 0), gxx(p[0], p[1]), 1e-14);
    EXPECT_NEAR(m(0, 1), gxy(p[0], p[1]), 1e-14);
    EXPECT_NEAR(m(1, 1), gyy(p[0], p[1]), 1e-14);
  }
}

TEST(GridMetricConfig, ErrorsAreLocatedAtTheKey) {
  Dir dir;
  auto expect = [](const std::string& msg, const std::string& part) {
    EXPECT_NE(msg.find(part), std::string::npos) << "'" << part << "' not in: " << msg;
    EXPECT_NE(msg.find("m.toml:"), std::string::npos) << msg;
  };
  const std::string keys = kKeys;
  std::string m = error_of(keys, csv(11), dir);
  expect(m, "has 11 rows");
  expect(m, "key 'metric.data'");
  std::string text = csv();
  text.replace(text.find("g_y_y"), 5, "g_yy");
  expect(error_of(keys, text, dir), "unknown column 'g_yy'");
  text = csv();
  text.insert(text.find('\n', text.find("g_y_y")), ", 7");  // header: a sixth column
  expect(error_of(keys, text, dir), "unknown column '7'");
  text = csv();
  const auto first_row = text.find('\n', text.find("g_y_y")) + 1;
  text.insert(text.find('\n', first_row), ", 7");  // first row: a sixth field
  expect(error_of(keys, text, dir), "line 3 has 6 fields");
  text = "x, y, g_x_x, g_x_y\n0, 0, 1, 0\n";
  expect(error_of(keys, text, dir), "missing column g_y_y");
  expect(error_of(keys, "x, y, g_x_x, g_x_y, g_y_y\n0, 0, inf, 0, 1\n", dir), "not finite");
  expect(error_of(keys, "x, y, g_x_x, g_x_y, g_y_y\n0, 0, 1e, 0, 1\n", dir), "a number");
  expect(error_of(keys, csv(13), dir), "has more than 12 rows");
  expect(error_of(keys, "x, y, g_x_x, g_x_y, g_y_x\n", dir), "repeats g_x_y");
  std::string other = keys;
  other.replace(other.find("g.csv"), 5, "missing.csv");
  expect(error_of(other, csv(), dir), "cannot open");
  other = keys;
  other.replace(other.find("[4, 3]"), 6, "[4, 1]");
  expect(error_of(other, csv(), dir), "key 'metric.shape'");
  other = keys;
  other.replace(other.find("periods"), 7, "period");
  expect(error_of(other, csv(), dir), "key 'metric.periods'");
  // Rows in the wrong order (first axis fastest) are caught by the coordinate columns.
  text = "x, y, g_x_x, g_x_y, g_y_y\n0, 0, 2, 0, 1\n1.5707963267948966, 0, 2, 0, 1\n";
  expect(error_of(keys, text, dir), "row-major");
}

}  // namespace
