#include "nnworld/io/checkpoint.hpp"

#include <cstring>
#include <fstream>
#include <iterator>

#include "nnworld/core/error.hpp"
#include "nnworld/io/output.hpp"

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

namespace {
// FNV-1a, 64 bits: enough to detect a damaged or hand-edited file (not an adversary).
std::uint64_t fnv1a(const std::vector<std::uint8_t>& bytes) {
  std::uint64_t h = 14695981039346656037ULL;
  for (const std::uint8_t b : bytes) {
    h ^= b;
    h *= 1099511628211ULL;
  }
  return h;
}
constexpr const char* kFormat = "nnworld checkpoint 2";
}  // namespace

void save_checkpoint(const fs::path& file, const CheckpointState& state) {
  // The file: {"format", "checksum" (FNV-1a of "state"), "state": the state's CBOR bytes}.
  const std::vector<std::uint8_t> inner = nlohmann::json::to_cbor(state.document());
  const nlohmann::json outer = {
      {"format", kFormat}, {"checksum", fnv1a(inner)}, {"state", nlohmann::json::binary(inner)}};
  const std::vector<std::uint8_t> bytes = nlohmann::json::to_cbor(outer);
  write_file_atomic(file, std::string(bytes.begin(), bytes.end()));
}

CheckpointState load_checkpoint(const fs::path& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) throw Error(file.string(), "cannot read the checkpoint", "a readable file");
  const std::vector<std::uint8_t> bytes((std::istreambuf_iterator<char>(in)),
                                        std::istreambuf_iterator<char>());
  const std::string expected = "a checkpoint.cbor written by this version of nnworld";
  const nlohmann::json outer = nlohmann::json::from_cbor(bytes, true, false);
  if (outer.is_discarded() || !outer.is_object()) {
    throw Error(file.string(), "not a checkpoint (unreadable or truncated CBOR)", expected);
  }
  if (outer.value("format", std::string()) != kFormat || !outer.contains("checksum") ||
      !outer["checksum"].is_number_unsigned() || !outer.contains("state") ||
      !outer["state"].is_binary()) {
    throw Error(file.string(), "not a checkpoint of this version (no format, checksum or state)",
                expected);
  }
  const std::vector<std::uint8_t>& inner = outer["state"].get_binary();
  if (fnv1a(inner) != outer["checksum"].get<std::uint64_t>()) {
    throw Error(file.string(), "damaged checkpoint (checksum mismatch)",
                expected + ", unchanged since");
  }
  nlohmann::json doc = nlohmann::json::from_cbor(inner, true, false);
  if (doc.is_discarded() || !doc.is_object()) {
    throw Error(file.string(), "not a checkpoint (unreadable state)", expected);
  }
  return CheckpointState::from_document(std::move(doc), file.string());
}

}  // namespace nnworld::io
