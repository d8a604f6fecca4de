#pragma once
// Run outputs: the run directory (written as DIR.partial/, renamed to DIR/ when complete),
// the summary.json builder and the HDF5 writer for data.h5. The layout of both files is the
// output contract read by the Python report (see DESIGN.md).
#include <Eigen/Dense>
#include <cstdint>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "nnworld/io/check.hpp"

namespace nnworld::io {

// ---- Run directory ---------------------------------------------------------------------------
// A run never deletes or replaces a file it did not write. The files nnworld writes into a run
// directory (its "artifacts") are summary.json, data.h5, report.html, figures/*.png, the
// checkpoint and resume records, their temporary names, and the sub-run directories of a world
// suite made of the same; anything else in DIR/ or DIR.partial/ belongs to the user.
class RunDirectory {
 public:
  // Throws nnworld::Error (exit 2) unless the run may write to `final_dir`: DIR/ absent or
  // empty, or (with `overwrite`) holding a previous run; DIR.partial/ absent, or holding only
  // artifacts and (without `overwrite`) no resumable run. Creates nothing, so it can run while
  // the inputs are validated.
  static void check_target(const std::filesystem::path& final_dir, bool overwrite = false);

  // Removes the artifacts of a stale DIR.partial/ and creates a fresh one (parents as needed);
  // with keep = true (resuming) an existing DIR.partial/ is kept as it is. With owner = false
  // (an MPI rank other than the one that writes) it only names the paths: it creates, commits
  // and discards nothing.
  explicit RunDirectory(std::filesystem::path final_dir, bool owner = true, bool keep = false);
  RunDirectory(const RunDirectory&) = delete;
  RunDirectory& operator=(const RunDirectory&) = delete;
  // An uncommitted DIR.partial/ is left in place as the record of an interrupted run.
  ~RunDirectory() = default;

  // Where files are written until commit(): DIR.partial/.
  [[nodiscard]] const std::filesystem::path& path() const { return partial_; }
  [[nodiscard]] const std::filesystem::path& final_path() const { return final_; }
  // Renames DIR.partial/ to DIR/. Over a previous run (check_target with overwrite) the earlier
  // run's artifacts are removed and the user's files in DIR/ are kept beside the new run.
  void commit();
  // Removes DIR.partial/ (used when the run is abandoned for bad input).
  void discard();
  [[nodiscard]] bool committed() const { return committed_; }

 private:
  std::filesystem::path final_;
  std::filesystem::path partial_;
  bool owner_ = true;
  bool committed_ = false;
};

// Whether `entry` (a file or directory inside a run directory) is one nnworld writes.
[[nodiscard]] bool is_run_artifact(const std::filesystem::path& entry);

// Writes `text` to `file` through FILE.tmp and a rename, so a reader never sees half a file;
// throws nnworld::Error (exit 6, an I/O error) if it cannot.
void write_file_atomic(const std::filesystem::path& file, const std::string& text);

// ---- summary.json ----------------------------------------------------------------------------
class Summary {
 public:
  // A top-level field ("experiment", "status", "seed", ...).
  void set(const std::string& field, nlohmann::json value) { fields_[field] = std::move(value); }
  [[nodiscard]] const nlohmann::json& field(const std::string& name) const;
  // An observable at a dotted path ("training.loss_last").
  void observable(std::string_view dotted_path, nlohmann::json value);
  [[nodiscard]] const nlohmann::json& observables() const { return observables_; }
  // Adds a check (io::validate: throws std::logic_error for a malformed row or an id already
  // used in this run).
  void add_check(Check c);
  [[nodiscard]] const std::vector<Check>& checks() const { return checks_; }
  // A dataset written to data.h5.
  void add_array(std::string path) { arrays_.push_back(std::move(path)); }
  // A remark for the reader (a skipped part and why).
  void add_note(std::string note) { notes_.push_back(std::move(note)); }
  // Extra checks already in JSON form (the world experiment merges sub-run checks).
  void add_raw_check(nlohmann::json check) { raw_checks_.push_back(std::move(check)); }

  // The whole document: the fields, then "observables", "checks", "arrays", "notes".
  [[nodiscard]] nlohmann::json to_json() const;
  // Writes the document (pretty-printed) to `file`.
  void write(const std::filesystem::path& file) const;

 private:
  nlohmann::json fields_ = nlohmann::json::object();
  nlohmann::json observables_ = nlohmann::json::object();
  std::vector<Check> checks_;
  std::vector<nlohmann::json> raw_checks_;
  std::vector<std::string> arrays_;
  std::vector<std::string> notes_;
};

// ---- data.h5 ---------------------------------------------------------------------------------
// Optional string attributes of a dataset (empty = not written).
struct DatasetInfo {
  std::string units;
  std::string description;
  std::string label;     // human label of the values
  std::string axis;      // path of the dataset giving the x-axis values
  std::string plot;      // "line" | "image" | "logy" | "none"
  std::string errors;    // path of a dataset of the same shape: ± error bars of the values
  std::string figure;    // 1-D datasets with the same figure name are overlaid in one figure
  std::string legend;    // this dataset's entry in the legend of that figure
  std::string columns;   // 2-D images: path of a 1-D dataset giving the values of the columns
  std::string contours;  // 2-D images: comma-separated levels drawn as contour lines
};

class H5Writer {
 public:
  // Creates (truncates) `file`.
  explicit H5Writer(const std::filesystem::path& file);
  // A writer that keeps the names of the datasets and writes nothing (the MPI ranks that do
  // not own the run's output).
  H5Writer() = default;
  H5Writer(const H5Writer&) = delete;
  H5Writer& operator=(const H5Writer&) = delete;
  ~H5Writer();

  // A 1-D float64 dataset at `path` ("training/loss"); groups are created as needed.
  void write(std::string_view path, std::span<const double> values, const DatasetInfo& info = {});
  // A 2-D float64 dataset, `rows`×`cols`, from row-major data.
  void write(std::string_view path, std::int64_t rows, std::int64_t cols, const double* row_major,
             const DatasetInfo& info = {});
  void write(std::string_view path, const Eigen::MatrixXd& m, const DatasetInfo& info = {});
  // A string attribute on the root group.
  void set_root_attribute(const std::string& name, const std::string& value);
  // Flushes and closes the file (also done by the destructor). Safe to call twice.
  void close();
  [[nodiscard]] bool is_open() const { return file_ >= 0; }
  [[nodiscard]] const std::vector<std::string>& datasets() const { return datasets_; }
  [[nodiscard]] const std::filesystem::path& file() const { return path_; }

 private:
  std::int64_t open_group(const std::string& path);  // hid_t of the group (caller closes)
  std::filesystem::path path_;
  std::int64_t file_ = -1;  // hid_t
  bool discard_ = true;     // the default-constructed writer
  std::vector<std::string> datasets_;
};

}  // namespace nnworld::io
