#include "nnworld/io/checkpoint.hpp"

#include <cstring>
#include <fstream>
#include <iterator>

#include "nnworld/core/error.hpp"

namespace nnworld::io {

namespace fs = std::filesystem;

void CheckpointState::put(const std::string& key, std::span<const double> values) {
  std::vector<std::uint8_t> bytes(values.size() * sizeof(double));
  if (!values.empty()) std::memcpy(bytes.data(), values.data(), bytes.size());
  doc_[key] = nlohmann::json::binary(std::move(bytes));
}

void CheckpointState::put(const std::string& key, std::int64_t value) {
  doc_[key] = value;
}

void CheckpointState::put_scalar(const std::string& key, double value) {
  put(key, std::span<const double>(&value, 1));
}

std::vector<double> CheckpointState::doubles(const std::string& key) const {
  if (!doc_.contains(key) || !doc_[key].is_binary() ||
      doc_[key].get_binary().size() % sizeof(double) != 0) {
    throw Error(source_, "no array '" + key + "' in the checkpoint",
                "a checkpoint written by this experiment");
  }
  const auto& bytes = doc_[key].get_binary();
  std::vector<double> out(bytes.size() / sizeof(double));
  if (!out.empty()) std::memcpy(out.data(), bytes.data(), bytes.size());
  return out;
}

std::int64_t CheckpointState::integer(const std::string& key) const {
  if (!doc_.contains(key) || !doc_[key].is_number_integer()) {
    throw Error(source_, "no integer '" + key + "' in the checkpoint",
                "a checkpoint written by this experiment");
  }
  return doc_[key].get<std::int64_t>();
}

double CheckpointState::scalar(const std::string& key) const {
  const std::vector<double> v = doubles(key);
  if (v.size() != 1) {
    throw Error(source_, "'" + key + "' is not a scalar in the checkpoint",
                "a checkpoint written by this experiment");
  }
  return v[0];
}

CheckpointState CheckpointState::from_document(nlohmann::json doc, std::string source) {
  CheckpointState s;
  s.doc_ = std::move(doc);
  s.source_ = std::move(source);
  return s;
}

void save_checkpoint(const fs::path& file, const CheckpointState& state) {
  const std::vector<std::uint8_t> bytes = nlohmann::json::to_cbor(state.document());
  const fs::path tmp = file.string() + ".tmp";
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    out.write(reinterpret_cast<const char*>(bytes.data()),
              static_cast<std::streamsize>(bytes.size()));
    out.flush();
    if (!out)
      throw Error(tmp.string(), "cannot write the checkpoint", "a writable run directory", 1);
  }
  std::error_code ec;
  fs::rename(tmp, file, ec);
  if (ec)
    throw Error(file.string(), "cannot move the checkpoint into place: " + ec.message(), "", 1);
}

CheckpointState load_checkpoint(const fs::path& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) throw Error(file.string(), "cannot read the checkpoint", "a readable file");
  const std::vector<std::uint8_t> bytes((std::istreambuf_iterator<char>(in)),
                                        std::istreambuf_iterator<char>());
  nlohmann::json doc = nlohmann::json::from_cbor(bytes, true, false);
  if (doc.is_discarded() || !doc.is_object()) {
    throw Error(file.string(), "not a checkpoint (unreadable CBOR)",
                "a checkpoint.cbor written by nnworld");
  }
  return CheckpointState::from_document(std::move(doc), file.string());
}

}  // namespace nnworld::io
