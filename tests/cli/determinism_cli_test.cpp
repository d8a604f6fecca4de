// The default world suite gives the same bits on 1 and 2 threads: every sub-run's observables
// (wall times under "timing" aside), every check, and every dataset of every data.h5. All
// randomness comes from counter-based streams keyed by (seed, purpose, index), and every
// threaded reduction runs over fixed chunks in a fixed order, so the thread count must not show.
#include <gtest/gtest.h>
#include <hdf5.h>

#include <cstring>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "cli_fixture.hpp"

namespace {

using namespace nnworld::cli_test;  // NOLINT(google-build-using-namespace)

using Datasets = std::map<std::string, std::vector<double>>;

// Every numeric dataset of an HDF5 file, read as float64 in row-major order.
Datasets read_all(const fs::path& file) {
  Datasets out;
  const hid_t f = H5Fopen(file.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT);
  if (f < 0) return out;
  // Links, not objects, are visited: H5Lvisit and the object test below read the same on
  // HDF5 1.10 and 1.12+ (the info struct's type is deduced).
  auto visit = [](hid_t group, const char* name, const auto*, void* data) -> herr_t {
    const hid_t obj = H5Oopen(group, name, H5P_DEFAULT);
    if (obj < 0) return 0;
    if (H5Iget_type(obj) == H5I_DATASET) {
      const hid_t type = H5Dget_type(obj);
      const H5T_class_t cls = H5Tget_class(type);
      if (cls == H5T_FLOAT || cls == H5T_INTEGER) {
        const hid_t space = H5Dget_space(obj);
        std::vector<double> v(static_cast<std::size_t>(H5Sget_simple_extent_npoints(space)));
        if (!v.empty()) H5Dread(obj, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, v.data());
        static_cast<Datasets*>(data)->emplace(name, std::move(v));
        H5Sclose(space);
      }
      H5Tclose(type);
    }
    H5Oclose(obj);
    return 0;
  };
  H5Lvisit(f, H5_INDEX_NAME, H5_ITER_INC, visit, &out);
  H5Fclose(f);
  return out;
}

// Bitwise equality (NaN equal to NaN at the same place).
bool same_bits(const std::vector<double>& a, const std::vector<double>& b) {
  return a.size() == b.size() &&
         (a.empty() || std::memcmp(a.data(), b.data(), a.size() * sizeof(double)) == 0);
}

using Determinism = CliFixture;

TEST_F(Determinism, WorldSuiteGivesTheSameBitsOnOneAndTwoThreads) {
  const std::string suite = NNWORLD_SOURCE_DIR "/experiments/world.toml";
  const CliResult one = run("run " + suite + " --quiet --threads 1 --out one");
  ASSERT_EQ(one.code, 0) << one.err;
  const CliResult two = run("run " + suite + " --quiet --threads 2 --out two");
  ASSERT_EQ(two.code, 0) << two.err;
  const auto runs = summary("one")["runs"];
  ASSERT_GE(runs.size(), 20u);
  std::size_t datasets = 0;
  for (const auto& entry : runs) {
    const std::string name = entry["name"];
    auto a = summary("one/" + name);
    auto b = summary("two/" + name);
    EXPECT_EQ(a["threads"], 1) << name;
    EXPECT_EQ(b["threads"], 2) << name;
    a["observables"].erase("timing");
    b["observables"].erase("timing");
    EXPECT_EQ(a["observables"].dump(), b["observables"].dump()) << name;
    EXPECT_EQ(a["checks"].dump(), b["checks"].dump()) << name;
    const Datasets da = read_all(dir() / "one" / name / "data.h5");
    const Datasets db = read_all(dir() / "two" / name / "data.h5");
    EXPECT_EQ(da.size(), db.size()) << name;
    for (const auto& [path, values] : da) {
      const auto it = db.find(path);
      ASSERT_NE(it, db.end()) << name << ": " << path;
      EXPECT_TRUE(same_bits(values, it->second)) << name << ": " << path;
      ++datasets;
    }
  }
  EXPECT_GT(datasets, 100u);
}

}  // namespace
