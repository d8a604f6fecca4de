#pragma once
// Configuration files (TOML, via toml++) with registered keys.
//
// A Config holds the parsed table with the source position of every value and the
// `--set key=value` overrides applied on top. Every typed getter REGISTERS its key with the
// default and a one-line doc; the value used (from the file or the default) becomes part of
// the resolved config written to summary.json. After an experiment has read all its keys,
// `finish()` turns any key present in the file but never read into an error with a
// did-you-mean suggestion.
//
// Keys are dotted paths; elements of arrays of tables are addressed with an index:
// "network.activation", "run[0].config".
//
// Every problem throws nnworld::Error with `where` = "FILE:LINE:COL: key 'a.b'" (or
// "--set a.b" for a value given on the command line) and exit code 2.
#include <Eigen/Dense>
#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "nnworld/core/error.hpp"

namespace toml {
inline namespace v3 {
class table;
class node;
}  // namespace v3
}  // namespace toml

namespace nnworld::io {

// An interval of allowed numeric values (bounds optional, open or closed).
struct Range {
  std::optional<double> lo;
  std::optional<double> hi;
  bool lo_open = false;
  bool hi_open = false;

  static Range any() { return {}; }
  static Range positive() { return {0.0, std::nullopt, true, false}; }       // > 0
  static Range non_negative() { return {0.0, std::nullopt, false, false}; }  // ≥ 0
  static Range at_least(double v) { return {v, std::nullopt, false, false}; }
  static Range between(double a, double b) { return {a, b, false, false}; }  // [a, b]

  [[nodiscard]] bool contains(double v) const;
  // "> 0", ">= 1", "in [0, 1]", "any number".
  [[nodiscard]] std::string describe() const;
};

// What a key holds in the (overridden) file.
enum class NodeKind { absent, string, integer, floating, boolean, array, table, other };

// Constraints of a vector-valued key.
struct VectorSpec {
  std::optional<std::size_t> size;  // exact length, if fixed
  bool scalar_broadcast = false;    // a single number stands for `size` copies
  Range range = Range::any();       // every element
};

class Config {
 public:
  // Reads and parses a file; a missing file gives "cannot open", a syntax error the
  // toml++ position and description.
  static Config from_file(const std::filesystem::path& path);
  // Parses `text`; `source_name` is used in error positions, `base_dir` resolves relative
  // paths found in the config.
  static Config from_string(std::string_view text, std::string source_name,
                            std::filesystem::path base_dir = ".");

  Config(Config&&) noexcept;
  Config& operator=(Config&&) noexcept;
  ~Config();

  // Applies one `key=value` override. The value is parsed as a TOML value; if that fails
  // and it does not look like an array, table or quoted string, it is taken as a bare string
  // (`network.activation=relu`).
  void apply_override(std::string_view assignment);
  void apply_overrides(const std::vector<std::string>& assignments);

  // ---- Typed getters: each registers `key` with its default and doc -----------------------
  // T is double (integers accepted, must be finite), std::int64_t, bool or std::string
  // (the range is ignored for bool and string).
  template <class T>
  T get(std::string_view key, const T& fallback, std::string_view doc, Range range = Range::any());
  // A string restricted to `choices`.
  std::string get_choice(std::string_view key, const std::string& fallback, std::string_view doc,
                         const std::vector<std::string>& choices);
  // A non-empty array of distinct strings, each restricted to `choices`.
  std::vector<std::string> get_choice_list(std::string_view key,
                                           const std::vector<std::string>& fallback,
                                           std::string_view doc,
                                           const std::vector<std::string>& choices);
  // A required string (no default): "missing required key" if absent.
  std::string get_required_string(std::string_view key, std::string_view doc);
  std::vector<double> get_vector(std::string_view key, const std::vector<double>& fallback,
                                 std::string_view doc, const VectorSpec& spec = {});
  // Distinct integer indices in [0, bound).
  std::vector<std::int64_t> get_index_vector(std::string_view key,
                                             const std::vector<std::int64_t>& fallback,
                                             std::string_view doc, std::int64_t bound);
  // An array of `rows` arrays of `cols` finite numbers; nullopt (registered with default
  // null) if the key is absent.
  std::optional<Eigen::MatrixXd> get_matrix(std::string_view key, std::int64_t rows,
                                            std::int64_t cols, std::string_view doc);
  // An array of strings (any length ≥ 1); `fallback` if absent.
  std::vector<std::string> get_string_list(std::string_view key,
                                           const std::vector<std::string>& fallback,
                                           std::string_view doc);
  // An array of arrays of numbers with any number of rows, each of `cols` numbers (cols < 0:
  // any length); `fallback` (registered as the default) if the key is absent.
  std::vector<std::vector<double>> get_number_rows(std::string_view key,
                                                   const std::vector<std::vector<double>>& fallback,
                                                   std::string_view doc, std::int64_t cols = -1);
  // An array of arrays of strings (rows may differ in length: the caller checks the shape and
  // reports with element_error); nullopt (registered with default null) if absent.
  std::optional<std::vector<std::vector<std::string>>> get_string_rows(std::string_view key,
                                                                       std::string_view doc);
  // The names of the entries of the table at `key`, in file order (empty if absent); throws if
  // `key` is not a table. Registers nothing: read each entry with a getter.
  std::vector<std::string> table_keys(std::string_view key) const;
  // An nnworld::Error located at element `row` (and `col`, if ≥ 0) of the array at `key`.
  [[nodiscard]] Error element_error(std::string_view key, std::size_t row, std::int64_t col,
                                    std::string what, std::string expected = {}) const;
  // Number of elements of an array of tables (0 if absent); registers nothing by itself.
  std::size_t table_array_size(std::string_view key, std::string_view doc);

  // ---- Introspection -------------------------------------------------------------------
  [[nodiscard]] NodeKind kind(std::string_view key) const;
  [[nodiscard]] bool has(std::string_view key) const { return kind(key) != NodeKind::absent; }
  // "FILE:LINE:COL: key 'a.b'" (position of the value), or "--set a.b".
  [[nodiscard]] std::string where(std::string_view key) const;
  // An nnworld::Error located at `key`.
  [[nodiscard]] Error error(std::string_view key, std::string what,
                            std::string expected = {}) const;
  // A path found in the config, relative to the config file's directory.
  [[nodiscard]] std::filesystem::path resolve_path(const std::string& relative) const;
  [[nodiscard]] const std::string& source_name() const { return source_name_; }
  [[nodiscard]] const std::filesystem::path& base_dir() const { return base_dir_; }

  // Throws for the first key present in the file (or --set) that was never read:
  // "unknown key (did you mean 'network.activation'?)".
  void finish() const;

  // Resources, checked before anything is allocated: `bytes` is what the run will hold because of
  // `key` (`what` says how the estimate is made). An estimate above the memory this process may
  // use (physical memory, the cgroup's memory.max, or NNWORLD_MEMORY_LIMIT bytes, the least) is
  // bad input at the key (exit 2). The estimates add up to memory_estimate().
  void require_memory(std::string_view key, double bytes, std::string_view what);
  [[nodiscard]] double memory_estimate() const { return memory_bytes_; }
  // The memory this process may use, in bytes (see require_memory).
  [[nodiscard]] static double memory_available();

  // Every registered key with the value used, as a nested JSON object.
  [[nodiscard]] nlohmann::json resolved() const;
  // Every registered key: {"key": {"default": .., "doc": ..}} in registration order.
  struct KeyInfo {
    std::string key;
    nlohmann::json fallback;
    nlohmann::json value;
    std::string doc;
  };
  [[nodiscard]] const std::vector<KeyInfo>& keys() const { return keys_; }

 private:
  Config();
  const toml::node* find(std::string_view key) const;
  void record(std::string_view key, nlohmann::json fallback, nlohmann::json value,
              std::string_view doc);
  std::string element_where(std::string_view key, const toml::node& element) const;
  // The finite number at array element `e` of `key`, else an Error located at the element.
  double finite_element(std::string_view key, const toml::node& e) const;

  std::unique_ptr<toml::table> root_;
  std::string source_name_;
  std::filesystem::path base_dir_;
  std::set<std::string, std::less<>> overridden_;
  std::vector<KeyInfo> keys_;
  std::map<std::string, std::size_t, std::less<>> key_index_;
  double memory_bytes_ = 0.0;
};

template <>
double Config::get<double>(std::string_view, const double&, std::string_view, Range);
template <>
std::int64_t Config::get<std::int64_t>(std::string_view, const std::int64_t&, std::string_view,
                                       Range);
template <>
bool Config::get<bool>(std::string_view, const bool&, std::string_view, Range);
template <>
std::string Config::get<std::string>(std::string_view, const std::string&, std::string_view, Range);

// Levenshtein distance (insertions, deletions, substitutions all cost 1).
std::size_t edit_distance(std::string_view a, std::string_view b);

// A value as it may appear in a message: at most `max` characters, the middle replaced by
// "…(N characters)…" when longer.
[[nodiscard]] std::string elide(std::string_view text, std::size_t max = 80);
// "12 GB", "3.1 MB": a byte count for messages.
[[nodiscard]] std::string format_bytes(double bytes);
// The candidate closest to `word`, if close enough to be a plausible typo.
std::optional<std::string> did_you_mean(std::string_view word,
                                        const std::vector<std::string>& candidates);

}  // namespace nnworld::io
