#include "nnworld/io/output.hpp"

#include <hdf5.h>

#include <cmath>
#include <fstream>
#include <stdexcept>
#include <system_error>

#include "nnworld/core/error.hpp"

namespace nnworld::io {

namespace fs = std::filesystem;

// ---- RunDirectory --------------------------------------------------------------------------

namespace {
fs::path normalised(const fs::path& final_dir) {
  fs::path p = final_dir.lexically_normal();
  while (!p.empty() && !p.has_filename() && p != p.root_path()) p = p.parent_path();  // "run/"
  return p;
}

fs::path partial_of(const fs::path& final_dir) {
  return normalised(final_dir).string() + ".partial";
}

bool has_prefix(const std::string& s, const char* prefix) {
  return s.rfind(prefix, 0) == 0;
}
bool has_suffix(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() &&
         s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

// The first entry under `dir` that is not an artifact (empty: none).
fs::path first_foreign(const fs::path& dir) {
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(dir, ec)) {
    if (!is_run_artifact(e.path())) return e.path();
  }
  return {};
}

// Removes the artifacts directly under `dir` (recursively for artifact directories); the
// user's entries stay.
void remove_artifacts(const fs::path& dir) {
  std::error_code ec;
  std::vector<fs::path> doomed;
  for (const auto& e : fs::directory_iterator(dir, ec)) {
    if (is_run_artifact(e.path())) doomed.push_back(e.path());
  }
  for (const auto& p : doomed) {
    fs::remove_all(p, ec);
    if (ec) throw Error(p.string(), "cannot remove: " + ec.message(), "", exit_codes::io_error);
  }
}

std::string refusal_hint(const fs::path& dir) {
  return "a new directory, an empty one, or a previous run directory with --overwrite (" +
         dir.string() + " is left as it is)";
}
}  // namespace

bool is_run_artifact(const fs::path& entry) {
  std::error_code ec;
  const auto st = fs::symlink_status(entry, ec);
  if (ec || fs::is_symlink(st)) return false;
  const std::string name = entry.filename().string();
  if (fs::is_regular_file(st)) {
    static const char* const kFiles[] = {"summary.json",     "data.h5",
                                         "report.html",      "checkpoint.cbor",
                                         "resume.json",      "checkpoint_config.json",
                                         "summary.json.tmp", "checkpoint.cbor.tmp"};
    for (const char* f : kFiles) {
      if (name == f) return true;
    }
    return has_prefix(name, ".tmp-report-") && has_suffix(name, ".html");
  }
  if (!fs::is_directory(st)) return false;
  if (name == "figures") {  // figures/*.png written by the report
    for (const auto& e : fs::directory_iterator(entry, ec)) {
      const auto s = fs::symlink_status(e.path(), ec);
      const std::string f = e.path().filename().string();
      if (!fs::is_regular_file(s) || !(has_suffix(f, ".png") || has_prefix(f, ".tmp"))) {
        return false;
      }
    }
    return true;
  }
  // A sub-run of a world suite (finished: summary.json; or stopped: NAME.partial) made of
  // artifacts only.
  const bool run_like = fs::exists(entry / "summary.json", ec) || has_suffix(name, ".partial") ||
                        fs::exists(entry / "resume.json", ec) ||
                        fs::exists(entry / "checkpoint.cbor", ec) ||
                        fs::exists(entry / "data.h5", ec);
  return run_like && first_foreign(entry).empty();
}

void write_file_atomic(const fs::path& file, const std::string& text) {
  const fs::path tmp = file.string() + ".tmp";
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    out << text;
    out.flush();
    if (!out) {
      std::error_code ec;
      fs::remove(tmp, ec);
      throw Error(file.string(), "cannot write the file (disk full or not writable)", "",
                  exit_codes::io_error);
    }
  }
  std::error_code ec;
  fs::rename(tmp, file, ec);
  if (ec) {
    fs::remove(tmp, ec);
    throw Error(file.string(), "cannot move the file into place: " + ec.message(), "",
                exit_codes::io_error);
  }
}

void RunDirectory::check_target(const fs::path& final_dir, bool overwrite) {
  const fs::path dir = normalised(final_dir);
  if (dir.empty() || dir == dir.root_path()) {
    throw Error("--out '" + final_dir.string() + "'", "not a usable output directory",
                "a directory path");
  }
  std::error_code ec;
  // Every existing ancestor must be a directory ("--out afile/sub").
  for (fs::path up = dir.parent_path(); !up.empty(); up = up.parent_path()) {
    const auto st = fs::status(up, ec);
    if (fs::exists(st)) {
      if (!fs::is_directory(st)) {
        throw Error("--out " + dir.string(), up.string() + " exists and is not a directory",
                    "a path whose existing parents are directories");
      }
      break;
    }
    if (up == up.root_path()) break;
  }
  const auto st = fs::symlink_status(dir, ec);
  if (!ec && fs::exists(st)) {
    if (!fs::is_directory(st)) {
      throw Error("--out " + dir.string(), "exists and is not a directory", refusal_hint(dir));
    }
    if (!fs::is_empty(dir, ec)) {
      if (!fs::exists(dir / "summary.json")) {
        throw Error("--out " + dir.string(), "exists and is not a run directory (no summary.json)",
                    refusal_hint(dir));
      }
      if (!overwrite) {
        throw Error("--out " + dir.string(), "holds a previous run",
                    "a new directory, or --overwrite to replace that run's files (files of your "
                    "own in it are kept)");
      }
    }
  }
  const fs::path partial = partial_of(dir);
  const auto pst = fs::symlink_status(partial, ec);
  if (ec || !fs::exists(pst)) return;
  if (!fs::is_directory(pst)) {
    throw Error(partial.string(), "exists and is not a directory", "the run's working directory");
  }
  if (const fs::path foreign = first_foreign(partial); !foreign.empty()) {
    throw Error(partial.string(), "holds files nnworld did not write (" + foreign.string() + ")",
                "the run's working directory: move your files elsewhere");
  }
  if (!overwrite && fs::exists(partial / "resume.json")) {
    throw Error(
        partial.string(), "holds an interrupted run",
        "`nnworld run --resume " + dir.string() + "` to continue it, or --overwrite to discard it");
  }
}

RunDirectory::RunDirectory(fs::path final_dir, bool owner, bool keep)
    : final_(normalised(final_dir)), partial_(partial_of(final_dir)), owner_(owner) {
  if (!owner_) return;
  std::error_code ec;
  if (!keep && fs::exists(fs::symlink_status(partial_, ec))) {
    if (const fs::path foreign = first_foreign(partial_); !foreign.empty()) {
      throw Error(partial_.string(), "holds files nnworld did not write (" + foreign.string() + ")",
                  "the run's working directory: move your files elsewhere");
    }
    remove_artifacts(partial_);
  }
  fs::create_directories(partial_, ec);
  if (ec) throw Error(partial_.string(), "cannot create directory: " + ec.message(), "", 2);
}

void RunDirectory::commit() {
  if (committed_) return;
  if (!owner_) {
    committed_ = true;
    return;
  }
  std::error_code ec;
  const bool previous = fs::exists(fs::symlink_status(final_, ec)) && !fs::is_empty(final_, ec);
  if (!previous) {
    fs::remove(final_, ec);  // an empty directory, or nothing
    fs::rename(partial_, final_, ec);
    if (ec) {
      throw Error(final_.string(),
                  "cannot rename " + partial_.string() + " into place: " + ec.message(), "",
                  exit_codes::io_error);
    }
    committed_ = true;
    return;
  }
  // Over a previous run: DIR/ moves aside whole (one rename), the new run takes its place, the
  // user's entries move back, and the earlier run's artifacts are removed last. A failure at
  // any point leaves every user file in DIR/ or DIR.previous/.
  const fs::path aside = final_.string() + ".previous";
  if (fs::exists(fs::symlink_status(aside, ec))) {
    if (const fs::path foreign = first_foreign(aside); !foreign.empty()) {
      throw Error(aside.string(), "holds files nnworld did not write (" + foreign.string() + ")",
                  "no " + aside.string() + ": it is where --overwrite moves the previous run",
                  exit_codes::io_error);
    }
    fs::remove_all(aside, ec);
  }
  fs::rename(final_, aside, ec);
  if (ec) {
    throw Error(final_.string(), "cannot move the previous run aside: " + ec.message(), "",
                exit_codes::io_error);
  }
  fs::rename(partial_, final_, ec);
  if (ec) {
    std::error_code back;
    fs::rename(aside, final_, back);
    throw Error(final_.string(),
                "cannot rename " + partial_.string() + " into place: " + ec.message(), "",
                exit_codes::io_error);
  }
  committed_ = true;
  std::vector<fs::path> keep;
  for (const auto& e : fs::directory_iterator(aside, ec)) {
    if (!is_run_artifact(e.path())) keep.push_back(e.path());
  }
  for (const auto& p : keep) {
    const fs::path target = final_ / p.filename();
    if (fs::exists(fs::symlink_status(target, ec))) continue;  // stays in DIR.previous/
    fs::rename(p, target, ec);
  }
  remove_artifacts(aside);
  fs::remove(aside, ec);  // only if empty: a user file that could not move back stays there
}

void RunDirectory::discard() {
  if (committed_ || !owner_) return;
  std::error_code ec;
  if (first_foreign(partial_).empty()) {
    remove_artifacts(partial_);
    fs::remove(partial_, ec);
  }
}

// ---- Summary -------------------------------------------------------------------------------

void Summary::add_check(Check c) {
  validate(c);
  for (const auto& other : checks_) {
    if (other.id == c.id) throw std::logic_error("check id '" + c.id + "' used twice in a run");
  }
  checks_.push_back(std::move(c));
}

const nlohmann::json& Summary::field(const std::string& name) const {
  static const nlohmann::json null_value;
  const auto it = fields_.find(name);
  return it == fields_.end() ? null_value : *it;
}

void Summary::observable(std::string_view dotted_path, nlohmann::json value) {
  nlohmann::json* cur = &observables_;
  std::size_t start = 0;
  while (true) {
    const auto dot = dotted_path.find('.', start);
    const std::string part(dotted_path.substr(start, dot - start));
    if (!cur->is_object()) *cur = nlohmann::json::object();
    cur = &(*cur)[part];
    if (dot == std::string_view::npos) break;
    start = dot + 1;
  }
  *cur = std::move(value);
}

nlohmann::json Summary::to_json() const {
  nlohmann::json j = fields_;
  j["observables"] = observables_;
  nlohmann::json checks = nlohmann::json::array();
  for (const auto& c : checks_) checks.push_back(io::to_json(c));
  for (const auto& c : raw_checks_) checks.push_back(c);
  j["checks"] = std::move(checks);
  if (!arrays_.empty()) j["arrays"] = arrays_;
  if (!notes_.empty()) j["notes"] = notes_;
  return j;
}

void Summary::write(const fs::path& file) const {
  // NaN and ±Inf have no JSON form; nlohmann writes them as null, which keeps the file valid.
  write_file_atomic(file,
                    to_json().dump(2, ' ', false, nlohmann::json::error_handler_t::replace) + "\n");
}

// ---- H5Writer ------------------------------------------------------------------------------

namespace {
void h5_check(herr_t status, const std::string& what, const std::string& where) {
  if (status < 0) throw Error(where, "HDF5: " + what + " failed", "", 1);
}

// A scalar variable-length UTF-8 string attribute (read back as str by h5py).
void write_string_attribute(hid_t obj, const std::string& name, const std::string& value,
                            const std::string& where) {
  const hid_t type = H5Tcopy(H5T_C_S1);
  H5Tset_size(type, H5T_VARIABLE);
  H5Tset_cset(type, H5T_CSET_UTF8);
  const hid_t space = H5Screate(H5S_SCALAR);
  if (H5Aexists(obj, name.c_str()) > 0) H5Adelete(obj, name.c_str());
  const hid_t attr = H5Acreate2(obj, name.c_str(), type, space, H5P_DEFAULT, H5P_DEFAULT);
  herr_t status = -1;
  if (attr >= 0) {
    const char* data = value.c_str();
    status = H5Awrite(attr, type, &data);
    H5Aclose(attr);
  }
  H5Sclose(space);
  H5Tclose(type);
  h5_check(status, "writing attribute '" + name + "'", where);
}
}  // namespace

H5Writer::H5Writer(const fs::path& file) : path_(file), discard_(false) {
  H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr);  // errors are reported by exceptions
  file_ = H5Fcreate(file.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
  if (file_ < 0) throw Error(file.string(), "HDF5: cannot create file", "", 1);
}

H5Writer::~H5Writer() {
  if (file_ >= 0) H5Fclose(file_);
}

void H5Writer::close() {
  if (file_ < 0) return;
  const herr_t status = H5Fclose(file_);
  file_ = -1;
  h5_check(status, "closing the file", path_.string());
}

std::int64_t H5Writer::open_group(const std::string& path) {
  hid_t group = H5Gopen2(file_, "/", H5P_DEFAULT);
  std::size_t start = 0;
  while (true) {
    const auto slash = path.find('/', start);
    if (slash == std::string::npos) break;
    const std::string name = path.substr(start, slash - start);
    start = slash + 1;
    if (name.empty()) continue;
    hid_t next = -1;
    if (H5Lexists(group, name.c_str(), H5P_DEFAULT) > 0) {
      next = H5Gopen2(group, name.c_str(), H5P_DEFAULT);
    } else {
      next = H5Gcreate2(group, name.c_str(), H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    }
    H5Gclose(group);
    if (next < 0) throw Error(path_.string(), "HDF5: cannot create group '" + name + "'", "", 1);
    group = next;
  }
  return group;
}

void H5Writer::write(std::string_view path, std::span<const double> values,
                     const DatasetInfo& info) {
  write(path, static_cast<std::int64_t>(values.size()), -1, values.data(), info);
}

void H5Writer::write(std::string_view path_view, std::int64_t rows, std::int64_t cols,
                     const double* row_major, const DatasetInfo& info) {
  if (discard_) {
    datasets_.emplace_back(path_view);
    return;
  }
  if (file_ < 0) throw Error(path_.string(), "HDF5: file already closed", "", 1);
  const std::string path(path_view);
  const std::string where = path_.string() + ":" + path;
  const hid_t group = open_group(path);
  const std::string name = path.substr(path.find_last_of('/') + 1);
  if (H5Lexists(group, name.c_str(), H5P_DEFAULT) > 0) H5Ldelete(group, name.c_str(), H5P_DEFAULT);
  const int rank = cols < 0 ? 1 : 2;
  const hsize_t dims[2] = {static_cast<hsize_t>(rows), static_cast<hsize_t>(cols < 0 ? 0 : cols)};
  const hid_t space = H5Screate_simple(rank, dims, nullptr);
  const hid_t dset =
      H5Dcreate2(group, name.c_str(), H5T_IEEE_F64LE, space, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
  herr_t status = -1;
  if (dset >= 0) {
    const bool empty = rows == 0 || cols == 0;
    status =
        empty ? 0 : H5Dwrite(dset, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, row_major);
    if (status >= 0) {
      const std::pair<const char*, const std::string*> attrs[] = {
          {"units", &info.units},     {"description", &info.description},
          {"label", &info.label},     {"axis", &info.axis},
          {"plot", &info.plot},       {"errors", &info.errors},
          {"figure", &info.figure},   {"legend", &info.legend},
          {"columns", &info.columns}, {"contours", &info.contours}};
      try {
        for (const auto& [key, value] : attrs) {
          if (!value->empty()) write_string_attribute(dset, key, *value, where);
        }
      } catch (const Error&) {
        status = -1;
      }
    }
    H5Dclose(dset);
  }
  H5Sclose(space);
  H5Gclose(group);
  h5_check(status, "writing dataset", where);
  datasets_.push_back(path);
}

void H5Writer::write(std::string_view path, const Eigen::MatrixXd& m, const DatasetInfo& info) {
  const Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor> rm = m;
  write(path, rm.rows(), rm.cols(), rm.data(), info);
}

void H5Writer::set_root_attribute(const std::string& name, const std::string& value) {
  if (discard_) return;
  if (file_ < 0) throw Error(path_.string(), "HDF5: file already closed", "", 1);
  const hid_t root = H5Gopen2(file_, "/", H5P_DEFAULT);
  try {
    write_string_attribute(root, name, value, path_.string());
  } catch (...) {
    H5Gclose(root);
    throw;
  }
  H5Gclose(root);
}

}  // namespace nnworld::io
