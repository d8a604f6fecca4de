#pragma once
// Checkpoints of long runs: the state an experiment needs to continue a loop (replica
// coordinates, step counters, the records taken so far), saved as one CBOR document with the
// doubles stored as raw bytes, so a resumed run continues from exactly the bits it stopped at.
// Files are written to NAME.tmp and renamed into place: a run killed while saving leaves the
// previous checkpoint intact.
//
//   io::CheckpointState st;
//   st.put("record", j);  st.put("q", ens.q);
//   io::save_checkpoint(dir / "checkpoint.cbor", st);
//   …
//   const io::CheckpointState back = io::load_checkpoint(dir / "checkpoint.cbor");
//   std::vector<double> q = back.doubles("q");
#include <cstdint>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <span>
#include <string>
#include <vector>

namespace nnworld::io {

class CheckpointState {
 public:
  void put(const std::string& key, std::span<const double> values);
  void put(const std::string& key, const std::vector<double>& values) {
    put(key, std::span<const double>(values));
  }
  void put(const std::string& key, std::int64_t value);
  void put_scalar(const std::string& key, double value);

  [[nodiscard]] bool has(const std::string& key) const { return doc_.contains(key); }
  // Throw nnworld::Error (exit 2) naming the key if it is missing or of another kind: the
  // checkpoint is not one this experiment wrote.
  [[nodiscard]] std::vector<double> doubles(const std::string& key) const;
  [[nodiscard]] std::int64_t integer(const std::string& key) const;
  [[nodiscard]] double scalar(const std::string& key) const;

  [[nodiscard]] const nlohmann::json& document() const { return doc_; }
  static CheckpointState from_document(nlohmann::json doc, std::string source);

 private:
  nlohmann::json doc_ = nlohmann::json::object();
  std::string source_ = "checkpoint";
};

// Writes `state` to `file` atomically (FILE.tmp, then rename).
void save_checkpoint(const std::filesystem::path& file, const CheckpointState& state);
// Reads a checkpoint; throws nnworld::Error (exit 2) if the file is unreadable or not one.
[[nodiscard]] CheckpointState load_checkpoint(const std::filesystem::path& file);

}  // namespace nnworld::io
