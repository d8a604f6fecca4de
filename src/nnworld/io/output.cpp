#include "nnworld/io/output.hpp"

#include <hdf5.h>

#include <fstream>
#include <stdexcept>
#include <system_error>

#include "nnworld/core/error.hpp"

namespace nnworld::io {

namespace fs = std::filesystem;

// ---- RunDirectory --------------------------------------------------------------------------

namespace {
fs::path partial_of(const fs::path& final_dir) {
  fs::path p = final_dir;
  if (!p.has_filename()) p = p.parent_path();  // "out/run/" → "out/run"
  return p.string() + ".partial";
}

fs::path normalised(const fs::path& final_dir) {
  fs::path p = final_dir;
  if (!p.has_filename()) p = p.parent_path();
  return p;
}
}  // namespace

void RunDirectory::check_target(const fs::path& final_dir) {
  const fs::path dir = normalised(final_dir);
  if (dir.empty()) throw Error("--out", "empty output directory name", "a directory path");
  std::error_code ec;
  const auto st = fs::symlink_status(dir, ec);
  if (ec || !fs::exists(st)) return;
  if (!fs::is_directory(st)) {
    throw Error("--out " + dir.string(), "exists and is not a directory",
                "a new directory or a previous run directory");
  }
  if (fs::exists(dir / "summary.json") || fs::is_empty(dir, ec)) return;
  throw Error("--out " + dir.string(), "exists and is not a run directory (no summary.json)",
              "a new directory or a previous run directory");
}

RunDirectory::RunDirectory(fs::path final_dir, bool owner, bool keep)
    : final_(normalised(final_dir)), partial_(partial_of(final_dir)), owner_(owner) {
  if (!owner_) return;
  std::error_code ec;
  if (!keep) fs::remove_all(partial_, ec);
  if (ec) {
    throw Error(partial_.string(), "cannot remove stale directory: " + ec.message(), "", 1);
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
  if (fs::exists(fs::symlink_status(final_))) {
    fs::remove_all(final_, ec);
    if (ec) throw Error(final_.string(), "cannot replace directory: " + ec.message(), "", 1);
  }
  fs::rename(partial_, final_, ec);
  if (ec) {
    throw Error(final_.string(),
                "cannot rename " + partial_.string() + " into place: " + ec.message(), "", 1);
  }
  committed_ = true;
}

void RunDirectory::discard() {
  if (committed_ || !owner_) return;
  std::error_code ec;
  fs::remove_all(partial_, ec);
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
  const std::string text = to_json().dump(2, ' ', false, nlohmann::json::error_handler_t::replace);
  std::ofstream out(file, std::ios::binary | std::ios::trunc);
  out << text << '\n';
  out.close();
  if (!out) throw Error(file.string(), "cannot write file", "", 1);
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
