#pragma once
// Comparing two run directories bit for bit: the observables of summary.json (wall times under
// "timing" aside), its checks, and every numeric dataset of data.h5. The determinism tests (thread
// count, rank count, resume) use it.
#include <gtest/gtest.h>
#include <hdf5.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace nnworld::cli_test {

using Datasets = std::map<std::string, std::vector<double>>;

// Every numeric dataset of an HDF5 file, read as float64 in row-major order.
inline Datasets read_all(const std::filesystem::path& file) {
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
inline bool same_bits(const std::vector<double>& a, const std::vector<double>& b) {
  return a.size() == b.size() &&
         (a.empty() || std::memcmp(a.data(), b.data(), a.size() * sizeof(double)) == 0);
}

inline nlohmann::json read_summary(const std::filesystem::path& run_dir) {
  std::ifstream in(run_dir / "summary.json");
  return nlohmann::json::parse(in);
}

// EXPECTs that runs a and b have the same observables (minus "timing"), checks and datasets,
// bit for bit; returns the number of datasets compared.
inline std::size_t expect_same_run(const std::filesystem::path& a_dir,
                                   const std::filesystem::path& b_dir) {
  const std::string name = b_dir.string();
  auto a = read_summary(a_dir);
  auto b = read_summary(b_dir);
  a["observables"].erase("timing");
  b["observables"].erase("timing");
  EXPECT_EQ(a["status"], b["status"]) << name;
  EXPECT_EQ(a["observables"].dump(), b["observables"].dump()) << name;
  EXPECT_EQ(a["checks"].dump(), b["checks"].dump()) << name;
  EXPECT_EQ(a["arrays"].dump(), b["arrays"].dump()) << name;
  const Datasets da = read_all(a_dir / "data.h5");
  const Datasets db = read_all(b_dir / "data.h5");
  EXPECT_EQ(da.size(), db.size()) << name;
  std::size_t n = 0;
  for (const auto& [path, values] : da) {
    const auto it = db.find(path);
    if (it == db.end()) {
      ADD_FAILURE() << name << ": no dataset " << path;
      continue;
    }
    EXPECT_TRUE(same_bits(values, it->second)) << name << ": " << path;
    ++n;
  }
  return n;
}

}  // namespace nnworld::cli_test
