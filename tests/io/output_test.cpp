// io/output: summary.json builder, HDF5 writer (read back with the HDF5 C API) and the
// DIR.partial → DIR run directory.
#include "nnworld/io/output.hpp"

#include <gtest/gtest.h>
#include <hdf5.h>
#include <unistd.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <limits>

#include "nnworld/core/error.hpp"

namespace {

namespace fs = std::filesystem;
using nnworld::io::Check;
using nnworld::io::Comparison;
using nnworld::io::DatasetInfo;
using nnworld::io::H5Writer;
using nnworld::io::RunDirectory;
using nnworld::io::Summary;

// A fresh empty directory per test, removed afterwards.
class TempDir {
 public:
  TempDir() {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    path_ = fs::temp_directory_path() / (std::string("nnworld_io_") + info->test_suite_name() +
                                         "_" + info->name() + "_" + std::to_string(::getpid()));
    fs::remove_all(path_);
    fs::create_directories(path_);
  }
  ~TempDir() { fs::remove_all(path_); }
  [[nodiscard]] const fs::path& path() const { return path_; }

 private:
  fs::path path_;
};

nlohmann::json read_json(const fs::path& file) {
  std::ifstream in(file);
  return nlohmann::json::parse(in);
}

// ---- HDF5 reading helpers (C API) ----------------------------------------------------------
std::vector<hsize_t> h5_dims(hid_t file, const char* path) {
  const hid_t d = H5Dopen2(file, path, H5P_DEFAULT);
  EXPECT_GE(d, 0) << path;
  const hid_t s = H5Dget_space(d);
  const int rank = H5Sget_simple_extent_ndims(s);
  std::vector<hsize_t> dims(static_cast<std::size_t>(rank));
  H5Sget_simple_extent_dims(s, dims.data(), nullptr);
  H5Sclose(s);
  H5Dclose(d);
  return dims;
}

std::vector<double> h5_read(hid_t file, const char* path) {
  const hid_t d = H5Dopen2(file, path, H5P_DEFAULT);
  const hid_t s = H5Dget_space(d);
  const auto n = static_cast<std::size_t>(H5Sget_simple_extent_npoints(s));
  std::vector<double> v(n);
  EXPECT_GE(H5Dread(d, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, v.data()), 0);
  // Stored as IEEE float64.
  const hid_t t = H5Dget_type(d);
  EXPECT_EQ(H5Tget_class(t), H5T_FLOAT);
  EXPECT_EQ(H5Tget_size(t), 8u);
  H5Tclose(t);
  H5Sclose(s);
  H5Dclose(d);
  return v;
}

std::string h5_string_attr(hid_t obj, const char* name) {
  const hid_t a = H5Aopen(obj, name, H5P_DEFAULT);
  if (a < 0) return "<missing>";
  const hid_t t = H5Aget_type(a);
  EXPECT_TRUE(H5Tis_variable_str(t) > 0);
  char* data = nullptr;
  const hid_t mem = H5Tcopy(H5T_C_S1);
  H5Tset_size(mem, H5T_VARIABLE);
  H5Tset_cset(mem, H5T_CSET_UTF8);
  EXPECT_GE(H5Aread(a, mem, &data), 0);
  std::string s = data ? data : "";
  H5free_memory(data);
  H5Tclose(mem);
  H5Tclose(t);
  H5Aclose(a);
  return s;
}

std::string h5_dataset_attr(hid_t file, const char* path, const char* name) {
  const hid_t d = H5Dopen2(file, path, H5P_DEFAULT);
  std::string s = h5_string_attr(d, name);
  H5Dclose(d);
  return s;
}

// ---- Summary -------------------------------------------------------------------------------

TEST(Summary, ObservablesNestByDottedPath) {
  Summary s;
  s.observable("log_z.laplace", nlohmann::json::array({1.0, 2.0}));
  s.observable("log_z.quadrature", 3.0);
  s.observable("beta", 0.5);
  const auto j = s.to_json();
  EXPECT_EQ(j["observables"]["log_z"]["laplace"][1], 2.0);
  EXPECT_EQ(j["observables"]["log_z"]["quadrature"], 3.0);
  EXPECT_EQ(j["observables"]["beta"], 0.5);
}

TEST(Summary, ChecksAndFieldsFollowTheContract) {
  TempDir tmp;
  Summary s;
  s.set("nnworld", "0.1.0");
  s.set("experiment", "network");
  s.set("status", "ok");
  s.add_check({.id = "T2.3",
               .name = "T2.3 linear Gaussian",
               .kind = "oracle",
               .equation = "(7)",
               .comparison = Comparison::absolute,
               .value = 1.5,
               .reference = 1.25,
               .tolerance = 1e-12});
  s.add_check({.id = "x",
               .name = "claim x",
               .kind = "claim",
               .equation = "(15)",
               .value = std::numeric_limits<double>::quiet_NaN(),
               .reference = std::numeric_limits<double>::infinity(),
               .tolerance = 0.0,
               .no_control = "none computed",
               .note = "a note"});
  s.add_array("training/loss");
  s.add_note("skipped something");
  s.write(tmp.path() / "summary.json");
  const auto j = read_json(tmp.path() / "summary.json");  // NaN/Inf must not break JSON
  ASSERT_EQ(j["checks"].size(), 2u);
  const auto& c = j["checks"][0];
  EXPECT_EQ(c["name"], "T2.3 linear Gaussian");
  EXPECT_EQ(c["kind"], "oracle");
  EXPECT_EQ(c["equation"], "(7)");
  EXPECT_EQ(c["value"], 1.5);
  EXPECT_EQ(c["reference"], 1.25);
  EXPECT_EQ(c["tolerance"], 1e-12);
  EXPECT_EQ(c["passed"], false);
  EXPECT_EQ(c["id"], "T2.3");
  EXPECT_EQ(c["comparison"], "absolute");
  EXPECT_FALSE(c.contains("note"));
  EXPECT_FALSE(c.contains("verdict"));  // oracles have none
  EXPECT_TRUE(j["checks"][1]["value"].is_null());
  EXPECT_TRUE(j["checks"][1]["reference"].is_null());
  EXPECT_EQ(j["checks"][1]["passed"], false);  // a NaN value fails every rule
  EXPECT_EQ(j["checks"][1]["verdict"], "not measured");
  EXPECT_EQ(j["checks"][1]["no_control"], "none computed");
  EXPECT_EQ(j["checks"][1]["note"], "a note");
  EXPECT_EQ(j["arrays"][0], "training/loss");
  EXPECT_EQ(j["notes"][0], "skipped something");
  EXPECT_EQ(j["experiment"], "network");
}

// ---- H5Writer ------------------------------------------------------------------------------

TEST(H5Writer, RoundTripOfVectorsMatricesAndAttributes) {
  TempDir tmp;
  const fs::path file = tmp.path() / "data.h5";
  {
    H5Writer w(file);
    w.set_root_attribute("nnworld", "0.1.0");
    w.set_root_attribute("config", "{\"a\": 1}");
    const std::vector<double> loss = {3.0, 2.0, 0.5};
    DatasetInfo info;
    info.units = "nats";
    info.description = "mini-batch loss";
    info.label = "⟨H⟩";
    info.axis = "training/step";
    info.plot = "logy";
    w.write("training/loss", loss, info);
    w.write("training/step", std::vector<double>{0, 10, 20});
    // 2 × 3 row-major: rows = time.
    const double rm[] = {1, 2, 3, 4, 5, 6};
    w.write("dynamics/x", 2, 3, rm, {});
    Eigen::MatrixXd m(2, 2);
    m << 1, 2, 3, 4;  // Eigen is column-major; the file must hold rows in order
    w.write("a/b/c/m", m);
    w.write("empty", std::vector<double>{});
    w.write("training/step", std::vector<double>{0, 1, 2});  // rewriting replaces
    w.close();
    w.close();  // idempotent
    EXPECT_FALSE(w.is_open());
  }
  const hid_t f = H5Fopen(file.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT);
  ASSERT_GE(f, 0);
  EXPECT_EQ(h5_read(f, "training/loss"), (std::vector<double>{3.0, 2.0, 0.5}));
  EXPECT_EQ(h5_read(f, "training/step"), (std::vector<double>{0, 1, 2}));
  EXPECT_EQ(h5_dims(f, "training/loss"), (std::vector<hsize_t>{3}));
  EXPECT_EQ(h5_dims(f, "dynamics/x"), (std::vector<hsize_t>{2, 3}));
  EXPECT_EQ(h5_read(f, "dynamics/x"), (std::vector<double>{1, 2, 3, 4, 5, 6}));
  EXPECT_EQ(h5_read(f, "a/b/c/m"), (std::vector<double>{1, 2, 3, 4}));
  EXPECT_EQ(h5_dims(f, "empty"), (std::vector<hsize_t>{0}));
  EXPECT_EQ(h5_dataset_attr(f, "training/loss", "units"), "nats");
  EXPECT_EQ(h5_dataset_attr(f, "training/loss", "description"), "mini-batch loss");
  EXPECT_EQ(h5_dataset_attr(f, "training/loss", "label"), "⟨H⟩");
  EXPECT_EQ(h5_dataset_attr(f, "training/loss", "axis"), "training/step");
  EXPECT_EQ(h5_dataset_attr(f, "training/loss", "plot"), "logy");
  EXPECT_EQ(h5_dataset_attr(f, "dynamics/x", "plot"), "<missing>");  // empty = not written
  const hid_t root = H5Gopen2(f, "/", H5P_DEFAULT);
  EXPECT_EQ(h5_string_attr(root, "nnworld"), "0.1.0");
  EXPECT_EQ(h5_string_attr(root, "config"), "{\"a\": 1}");
  H5Gclose(root);
  H5Fclose(f);
}

TEST(H5Writer, UnwritableFileIsAnError) {
  EXPECT_THROW(H5Writer("/nonexistent/dir/data.h5"), nnworld::Error);
}

// ---- RunDirectory --------------------------------------------------------------------------

TEST(RunDirectory, WritesIntoPartialAndRenamesOnCommit) {
  TempDir tmp;
  const fs::path out = tmp.path() / "run";
  {
    RunDirectory d(out);
    EXPECT_EQ(d.path(), tmp.path() / "run.partial");
    EXPECT_TRUE(fs::is_directory(d.path()));
    EXPECT_FALSE(fs::exists(out));
    std::ofstream(d.path() / "summary.json") << "{}";
    d.commit();
    EXPECT_TRUE(d.committed());
  }
  EXPECT_TRUE(fs::exists(out / "summary.json"));
  EXPECT_FALSE(fs::exists(tmp.path() / "run.partial"));
}

TEST(RunDirectory, APreviousRunIsReplacedOnlyWithOverwriteAndTheUsersFilesStay) {
  TempDir tmp;
  const fs::path out = tmp.path() / "run";
  fs::create_directories(out / "figures");
  std::ofstream(out / "summary.json") << "{\"old\": true}";
  std::ofstream(out / "data.h5") << "old";
  std::ofstream(out / "figures" / "a.png") << "old";
  std::ofstream(out / "notes.txt") << "mine";
  std::ofstream(out / "config.toml") << "mine too";
  EXPECT_THROW(RunDirectory::check_target(out), nnworld::Error);  // no --overwrite
  RunDirectory::check_target(out, true);
  RunDirectory d(out);
  EXPECT_TRUE(fs::exists(out / "data.h5"));  // untouched while the run is in progress
  std::ofstream(d.path() / "summary.json") << "{\"new\": true}";
  d.commit();
  EXPECT_TRUE(read_json(out / "summary.json").contains("new"));
  EXPECT_FALSE(fs::exists(out / "data.h5"));   // the earlier run's file, not rewritten: gone
  EXPECT_FALSE(fs::exists(out / "figures"));   // likewise
  EXPECT_TRUE(fs::exists(out / "notes.txt"));  // the user's files stay
  EXPECT_TRUE(fs::exists(out / "config.toml"));
  EXPECT_FALSE(fs::exists(tmp.path() / "run.previous"));
  EXPECT_FALSE(fs::exists(tmp.path() / "run.partial"));
}

TEST(RunDirectory, AStalePartialOfArtifactsIsRemovedOneWithUserFilesIsRefused) {
  TempDir tmp;
  const fs::path out = tmp.path() / "run";
  fs::create_directories(tmp.path() / "run.partial" / "figures");
  std::ofstream(tmp.path() / "run.partial" / "data.h5") << "x";
  std::ofstream(tmp.path() / "run.partial" / "figures" / "f.png") << "x";
  EXPECT_NO_THROW(RunDirectory::check_target(out));
  {
    RunDirectory d(out);
    EXPECT_FALSE(fs::exists(d.path() / "data.h5"));
    d.discard();
  }
  EXPECT_FALSE(fs::exists(tmp.path() / "run.partial"));
  EXPECT_FALSE(fs::exists(out));
  // The user's file in DIR.partial/: refused, and nothing is removed.
  fs::create_directories(tmp.path() / "run.partial");
  std::ofstream(tmp.path() / "run.partial" / "draft.txt") << "mine";
  std::ofstream(tmp.path() / "run.partial" / "data.h5") << "x";
  EXPECT_THROW(RunDirectory::check_target(out, true), nnworld::Error);
  EXPECT_THROW(RunDirectory{out}, nnworld::Error);
  EXPECT_TRUE(fs::exists(tmp.path() / "run.partial" / "draft.txt"));
  EXPECT_TRUE(fs::exists(tmp.path() / "run.partial" / "data.h5"));
}

TEST(RunDirectory, AResumableRunIsKeptWithoutOverwrite) {
  TempDir tmp;
  const fs::path out = tmp.path() / "run";
  fs::create_directories(tmp.path() / "run.partial");
  std::ofstream(tmp.path() / "run.partial" / "resume.json") << "{}";
  std::ofstream(tmp.path() / "run.partial" / "checkpoint.cbor") << "x";
  EXPECT_THROW(RunDirectory::check_target(out), nnworld::Error);
  EXPECT_NO_THROW(RunDirectory::check_target(out, true));
  EXPECT_TRUE(fs::exists(tmp.path() / "run.partial" / "resume.json"));
}

TEST(RunDirectory, ArtifactsAreOnlyTheFilesARunWrites) {
  TempDir tmp;
  const fs::path d = tmp.path();
  for (const char* f : {"summary.json", "data.h5", "report.html", "checkpoint.cbor", "resume.json",
                        "notes.txt", "summary.json.bak"}) {
    std::ofstream(d / f) << "x";
  }
  EXPECT_TRUE(nnworld::io::is_run_artifact(d / "summary.json"));
  EXPECT_TRUE(nnworld::io::is_run_artifact(d / "report.html"));
  EXPECT_TRUE(nnworld::io::is_run_artifact(d / "checkpoint.cbor"));
  EXPECT_FALSE(nnworld::io::is_run_artifact(d / "notes.txt"));
  EXPECT_FALSE(nnworld::io::is_run_artifact(d / "summary.json.bak"));
  fs::create_directories(d / "sub");  // a world sub-run
  std::ofstream(d / "sub" / "summary.json") << "{}";
  EXPECT_TRUE(nnworld::io::is_run_artifact(d / "sub"));
  std::ofstream(d / "sub" / "mine.txt") << "x";  // …holding a file of the user's: not ours
  EXPECT_FALSE(nnworld::io::is_run_artifact(d / "sub"));
  fs::create_directories(d / "figures");
  std::ofstream(d / "figures" / "a.png") << "x";
  EXPECT_TRUE(nnworld::io::is_run_artifact(d / "figures"));
  std::ofstream(d / "figures" / "plan.pdf") << "x";
  EXPECT_FALSE(nnworld::io::is_run_artifact(d / "figures"));
}

TEST(RunDirectory, OutputPathsAreChecked) {
  TempDir tmp;
  std::ofstream(tmp.path() / "afile") << "x";
  EXPECT_THROW(RunDirectory::check_target(tmp.path() / "afile" / "sub"), nnworld::Error);
  EXPECT_THROW(RunDirectory::check_target(""), nnworld::Error);
  EXPECT_NO_THROW(RunDirectory::check_target(tmp.path() / "a" / "b" / ""));
}

TEST(WriteFileAtomic, WritesWholeAndLeavesNoTemporary) {
  TempDir tmp;
  nnworld::io::write_file_atomic(tmp.path() / "f.json", "{\"a\": 1}\n");
  EXPECT_TRUE(read_json(tmp.path() / "f.json").contains("a"));
  EXPECT_FALSE(fs::exists(tmp.path() / "f.json.tmp"));
  try {
    nnworld::io::write_file_atomic(tmp.path() / "absent" / "f.json", "x");
    ADD_FAILURE() << "no error for an unwritable path";
  } catch (const nnworld::Error& e) {
    EXPECT_EQ(e.exit_code, nnworld::exit_codes::io_error);
  }
}

TEST(RunDirectory, RefusesToReplaceSomethingElse) {
  TempDir tmp;
  const fs::path precious = tmp.path() / "precious";
  fs::create_directories(precious);
  std::ofstream(precious / "thesis.tex") << "x";
  EXPECT_THROW(RunDirectory::check_target(precious), nnworld::Error);
  std::ofstream(tmp.path() / "file") << "x";
  EXPECT_THROW(RunDirectory::check_target(tmp.path() / "file"), nnworld::Error);
  fs::create_directories(tmp.path() / "empty");
  EXPECT_NO_THROW(RunDirectory::check_target(tmp.path() / "empty"));
  EXPECT_NO_THROW(RunDirectory::check_target(tmp.path() / "new"));
  EXPECT_FALSE(fs::exists(tmp.path() / "new"));  // checking creates nothing
}

}  // namespace
