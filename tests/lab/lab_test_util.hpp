#pragma once
// Helpers for the experiment tests: a temporary directory and a run of a config text.
#include <gtest/gtest.h>
#include <hdf5.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "nnworld/core/error.hpp"
#include "nnworld/io/config.hpp"
#include "nnworld/lab/experiment.hpp"

namespace nnworld::lab::test {

namespace fs = std::filesystem;

class TempDir {
 public:
  TempDir() {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    path_ = fs::temp_directory_path() / (std::string("nnworld_lab_") + info->test_suite_name() +
                                         "_" + info->name() + "_" + std::to_string(::getpid()));
    fs::remove_all(path_);
    fs::create_directories(path_);
  }
  ~TempDir() { fs::remove_all(path_); }
  [[nodiscard]] const fs::path& path() const { return path_; }
  void write(const std::string& name, const std::string& text) const {
    std::ofstream(path_ / name) << text;
  }

 private:
  fs::path path_;
};

inline nlohmann::json read_json(const fs::path& file) {
  std::ifstream in(file);
  return nlohmann::json::parse(in);
}

struct Ran {
  RunRecord record;
  nlohmann::json summary;
};

// Parses `toml` (paths relative to `base`), prepares and executes it into `out`.
inline Ran run_config(const std::string& toml, const fs::path& out, const fs::path& base = ".",
                      RunOptions options = {}) {
  io::Config config = io::Config::from_string(toml, "cfg.toml", base);
  Prepared p = prepare(config, options);
  Ran r{execute(p, out), {}};
  r.summary = read_json(out / "summary.json");
  return r;
}

// The message of the nnworld::Error thrown while preparing `toml`.
inline std::string prepare_error(const std::string& toml, const fs::path& base = ".") {
  try {
    io::Config config = io::Config::from_string(toml, "cfg.toml", base);
    (void)prepare(config, RunOptions{});
  } catch (const Error& e) {
    EXPECT_EQ(e.exit_code, 2);
    return e.message();
  }
  ADD_FAILURE() << "no error for:\n" << toml;
  return {};
}

// The check whose stable "id" is `id` (or, for the rows tests still name, whose "name" is it).
inline const nlohmann::json* find_check(const nlohmann::json& summary, const std::string& id) {
  for (const auto& c : summary["checks"]) {
    if (c.value("id", "") == id) return &c;
  }
  for (const auto& c : summary["checks"]) {
    if (c["name"] == id) return &c;
  }
  return nullptr;
}

// A float64 dataset of data.h5 with its dimensions.
struct H5Array {
  std::vector<double> values;
  std::vector<hsize_t> dims;
};

inline H5Array read_h5(const fs::path& file, const char* path) {
  H5Array a;
  const hid_t f = H5Fopen(file.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT);
  EXPECT_GE(f, 0) << file;
  if (f < 0) return a;
  const hid_t d = H5Dopen2(f, path, H5P_DEFAULT);
  EXPECT_GE(d, 0) << path;
  if (d >= 0) {
    const hid_t s = H5Dget_space(d);
    a.dims.resize(static_cast<std::size_t>(H5Sget_simple_extent_ndims(s)));
    H5Sget_simple_extent_dims(s, a.dims.data(), nullptr);
    a.values.resize(static_cast<std::size_t>(H5Sget_simple_extent_npoints(s)));
    H5Dread(d, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, a.values.data());
    H5Sclose(s);
    H5Dclose(d);
  }
  H5Fclose(f);
  return a;
}

}  // namespace nnworld::lab::test
