#include "nnworld/io/config.hpp"

#include <toml++/toml.h>
#include <unistd.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>

namespace nnworld::io {

namespace {

// One step of a key path: a bare key, optionally followed by indices ("run[0]").
struct Segment {
  std::string name;
  std::vector<std::size_t> indices;
};

bool bare_key_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
         c == '-';
}

// Splits "a.b[2].c" into segments; nullopt if the path is malformed.
std::optional<std::vector<Segment>> split_key(std::string_view key) {
  std::vector<Segment> out;
  std::size_t i = 0;
  while (true) {
    Segment seg;
    while (i < key.size() && bare_key_char(key[i])) seg.name += key[i++];
    if (seg.name.empty()) return std::nullopt;
    while (i < key.size() && key[i] == '[') {
      ++i;
      std::size_t v = 0;
      const std::size_t start = i;
      while (i < key.size() && key[i] >= '0' && key[i] <= '9') {
        if (i - start >= 12) return std::nullopt;  // no array has 10^12 elements: malformed
        v = v * 10 + static_cast<std::size_t>(key[i++] - '0');
      }
      if (i == start || i >= key.size() || key[i] != ']') return std::nullopt;
      ++i;
      seg.indices.push_back(v);
    }
    out.push_back(std::move(seg));
    if (i == key.size()) return out;
    if (key[i] != '.') return std::nullopt;
    ++i;
  }
}

std::string type_name(const toml::node& n) {
  switch (n.type()) {
    case toml::node_type::string:
      return "string";
    case toml::node_type::integer:
      return "integer";
    case toml::node_type::floating_point:
      return "float";
    case toml::node_type::boolean:
      return "boolean";
    case toml::node_type::array:
      return "array";
    case toml::node_type::table:
      return "table";
    case toml::node_type::date:
      return "date";
    case toml::node_type::time:
      return "time";
    case toml::node_type::date_time:
      return "date-time";
    default:
      return "nothing";
  }
}

std::string format_number(double v) {
  if (std::isnan(v)) return "nan";
  if (std::isinf(v)) return v > 0 ? "inf" : "-inf";
  char buf[32];  // shortest representation that reads back to the same double
  const auto r = std::to_chars(buf, buf + sizeof buf, v);
  return std::string(buf, r.ptr);
}

// A short rendering of a value for messages: got string "abc", got array, ...
std::string describe_node(const toml::node& n) {
  std::string s = type_name(n);
  if (const auto* v = n.as_string()) {
    std::string str = v->get();
    if (str.size() > 40) str = str.substr(0, 37) + "...";
    s += " \"" + str + "\"";
  } else if (const auto* i = n.as_integer()) {
    s += " " + std::to_string(i->get());
  } else if (const auto* f = n.as_floating_point()) {
    s += " " + format_number(f->get());
  } else if (const auto* b = n.as_boolean()) {
    s += b->get() ? " true" : " false";
  }
  return s;
}

std::string join(const std::vector<std::string>& v, std::string_view sep) {
  std::string s;
  for (std::size_t i = 0; i < v.size(); ++i) {
    if (i) s += sep;
    s += v[i];
  }
  return s;
}

// Inserts `value` into the nested JSON object at the dotted/indexed key.
void json_insert(nlohmann::json& root, std::string_view key, const nlohmann::json& value) {
  const auto segs = split_key(key);
  if (!segs) {
    root[std::string(key)] = value;
    return;
  }
  nlohmann::json* cur = &root;
  for (std::size_t s = 0; s < segs->size(); ++s) {
    const Segment& seg = (*segs)[s];
    const bool last_seg = s + 1 == segs->size();
    if (!cur->is_object()) *cur = nlohmann::json::object();
    cur = &(*cur)[seg.name];
    for (std::size_t k = 0; k < seg.indices.size(); ++k) {
      if (!cur->is_array()) *cur = nlohmann::json::array();
      while (cur->size() <= seg.indices[k]) cur->push_back(nullptr);
      cur = &(*cur)[seg.indices[k]];
    }
    if (last_seg) *cur = value;
  }
}

}  // namespace

// ---- Range ------------------------------------------------------------------------------

bool Range::contains(double v) const {
  if (lo && (lo_open ? !(v > *lo) : !(v >= *lo))) return false;
  if (hi && (hi_open ? !(v < *hi) : !(v <= *hi))) return false;
  return true;
}

std::string Range::describe() const {
  if (lo && hi) {
    return std::string("in ") + (lo_open ? "(" : "[") + format_number(*lo) + ", " +
           format_number(*hi) + (hi_open ? ")" : "]");
  }
  if (lo) return (lo_open ? "> " : ">= ") + format_number(*lo);
  if (hi) return (hi_open ? "< " : "<= ") + format_number(*hi);
  return "any number";
}

std::string elide(std::string_view text, std::size_t max) {
  if (text.size() <= max) return std::string(text);
  const std::size_t keep = max / 2;
  return std::string(text.substr(0, keep)) + "…(" + std::to_string(text.size()) + " characters)…" +
         std::string(text.substr(text.size() - keep / 2));
}

std::string format_bytes(double bytes) {
  const char* units[] = {"B", "KB", "MB", "GB", "TB", "PB", "EB"};
  int u = 0;
  while (bytes >= 1000.0 && u < 6) {
    bytes /= 1000.0;
    ++u;
  }
  char buf[48];
  if (!std::isfinite(bytes) || bytes >= 1000.0) return "more than 1000 EB";
  std::snprintf(buf, sizeof buf, bytes < 10.0 ? "%.1f %s" : "%.0f %s", bytes, units[u]);
  return buf;
}

// ---- Levenshtein --------------------------------------------------------------------------

std::size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<std::size_t> prev(b.size() + 1), cur(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) prev[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    cur[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const std::size_t sub = prev[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1);
      cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, sub});
    }
    std::swap(prev, cur);
  }
  return prev[b.size()];
}

std::optional<std::string> did_you_mean(std::string_view word,
                                        const std::vector<std::string>& candidates) {
  std::optional<std::string> best;
  std::size_t best_d = std::string::npos;
  for (const auto& c : candidates) {
    const std::size_t d = edit_distance(word, c);
    if (d < best_d) {
      best_d = d;
      best = c;
    }
  }
  // A plausible typo: at most a third of the word's characters changed (at least 2 allowed).
  const std::size_t limit = std::max<std::size_t>(2, word.size() / 3);
  if (best && best_d <= limit) return best;
  return std::nullopt;
}

// ---- Config: resources ---------------------------------------------------------------------

double Config::memory_available() {
  double limit =
      static_cast<double>(sysconf(_SC_PHYS_PAGES)) * static_cast<double>(sysconf(_SC_PAGESIZE));
  if (std::ifstream cg("/sys/fs/cgroup/memory.max"); cg) {
    std::string text;
    cg >> text;
    if (!text.empty() && text != "max") limit = std::min(limit, std::strtod(text.c_str(), nullptr));
  }
  if (const char* env = std::getenv("NNWORLD_MEMORY_LIMIT"); env != nullptr && *env != '\0') {
    const double v = std::strtod(env, nullptr);
    if (v > 0.0) limit = std::min(limit, v);
  }
  return limit;
}

void Config::require_memory(std::string_view key, double bytes, std::string_view what) {
  memory_bytes_ += bytes;
  const double available = memory_available();
  if (!(memory_bytes_ <= available)) {
    throw error(key,
                "the run would need about " + format_bytes(memory_bytes_) + " (" +
                    std::string(what) + ") and " + format_bytes(available) +
                    " of memory is available",
                "a smaller value");
  }
}

// ---- Config: construction -----------------------------------------------------------------

Config::Config() : root_(std::make_unique<toml::table>()) {}
Config::Config(Config&&) noexcept = default;
Config& Config::operator=(Config&&) noexcept = default;
Config::~Config() = default;

Config Config::from_string(std::string_view text, std::string source_name,
                           std::filesystem::path base_dir) {
  Config c;
  c.source_name_ = std::move(source_name);
  c.base_dir_ = std::move(base_dir);
  try {
    *c.root_ = toml::parse(text, c.source_name_);
  } catch (const toml::parse_error& e) {
    const auto& pos = e.source().begin;
    throw Error(c.source_name_ + ":" + std::to_string(pos.line) + ":" + std::to_string(pos.column),
                "malformed TOML: " + std::string(e.description()), "valid TOML");
  }
  return c;
}

Config Config::from_file(const std::filesystem::path& path) {
  // A regular file of bounded size: a device or a pipe that never ends is refused before a
  // byte is read.
  constexpr std::uintmax_t kMaxBytes = 16u << 20;
  std::error_code ec;
  const auto st = std::filesystem::status(path, ec);
  if (!ec && std::filesystem::exists(st) && !std::filesystem::is_regular_file(st)) {
    throw Error(path.string(), "not a regular file", "a readable TOML file");
  }
  std::ifstream in(path, std::ios::binary);
  if (!in || std::filesystem::is_directory(path)) {
    throw Error(path.string(), "cannot open config file", "a readable TOML file");
  }
  if (const auto size = std::filesystem::file_size(path, ec); !ec && size > kMaxBytes) {
    throw Error(path.string(), "config file of " + std::to_string(size >> 20) + " MiB",
                "a TOML file of at most 16 MiB");
  }
  std::ostringstream ss;
  ss << in.rdbuf();
  std::filesystem::path base = path.parent_path();
  if (base.empty()) base = ".";
  return from_string(ss.str(), path.string(), base);
}

// ---- Overrides -----------------------------------------------------------------------------

void Config::apply_override(std::string_view assignment) {
  const auto eq = assignment.find('=');
  if (eq == std::string_view::npos) {
    throw Error("--set " + elide(assignment), "missing '='", "KEY=VALUE, e.g. network.n=8");
  }
  auto trim = [](std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
    return s;
  };
  const std::string key(trim(assignment.substr(0, eq)));
  const std::string text(trim(assignment.substr(eq + 1)));
  const std::string where = "--set " + elide(key);
  const auto segs = split_key(key);
  if (!segs) throw Error(where, "malformed key", "a dotted key such as network.n or run[0].name");

  // Parse the value as TOML; fall back to a bare string.
  toml::table parsed;
  bool parsed_ok = false;
  std::string parse_message;
  try {
    parsed = toml::parse("v = " + text, where);
    parsed_ok = parsed.contains("v") && parsed.size() == 1;
  } catch (const toml::parse_error& e) {
    parse_message = std::string(e.description());
  }
  if (!parsed_ok) {
    const bool structured = !text.empty() && (text.front() == '[' || text.front() == '{' ||
                                              text.front() == '"' || text.front() == '\'');
    if (structured || text.empty()) {
      throw Error(where,
                  "malformed TOML value '" + elide(text) + "'" +
                      (parse_message.empty() ? "" : ": " + elide(parse_message)),
                  "a TOML value, e.g. 8, 0.5, true, \"relu\", [1, 2]");
    }
    parsed.insert_or_assign("v", text);
  }
  toml::node& value = *parsed.get("v");

  // Walk to the parent table, creating tables as needed.
  toml::table* tbl = root_.get();
  for (std::size_t s = 0; s < segs->size(); ++s) {
    const Segment& seg = (*segs)[s];
    const bool last = s + 1 == segs->size();
    if (last && seg.indices.empty()) {
      tbl->insert_or_assign(seg.name, value);
      break;
    }
    toml::node* node = tbl->get(seg.name);
    if (!node) {
      if (!seg.indices.empty()) throw Error(where, "no array '" + seg.name + "' to index");
      node = &tbl->insert_or_assign(seg.name, toml::table{}).first->second;
    }
    for (std::size_t k = 0; k < seg.indices.size(); ++k) {
      toml::array* arr = node->as_array();
      if (!arr || seg.indices[k] >= arr->size()) {
        throw Error(where, "index " + std::to_string(seg.indices[k]) + " out of range",
                    "an existing array element");
      }
      if (last && k + 1 == seg.indices.size()) {
        arr->replace(arr->cbegin() + static_cast<std::ptrdiff_t>(seg.indices[k]), value);
        node = nullptr;
        break;
      }
      node = arr->get(seg.indices[k]);
    }
    if (!node) break;
    tbl = node->as_table();
    if (!tbl) throw Error(where, "'" + seg.name + "' is not a table", "a table to hold the key");
  }
  overridden_.insert(key);
}

void Config::apply_overrides(const std::vector<std::string>& assignments) {
  for (const auto& a : assignments) apply_override(a);
}

// ---- Lookup ------------------------------------------------------------------------------

const toml::node* Config::find(std::string_view key) const {
  const auto segs = split_key(key);
  if (!segs) return nullptr;
  const toml::node* node = root_.get();
  for (const Segment& seg : *segs) {
    const toml::table* tbl = node->as_table();
    if (!tbl) return nullptr;
    node = tbl->get(seg.name);
    if (!node) return nullptr;
    for (std::size_t idx : seg.indices) {
      const toml::array* arr = node->as_array();
      if (!arr || idx >= arr->size()) return nullptr;
      node = arr->get(idx);
    }
  }
  return node;
}

NodeKind Config::kind(std::string_view key) const {
  const toml::node* n = find(key);
  if (!n) return NodeKind::absent;
  switch (n->type()) {
    case toml::node_type::string:
      return NodeKind::string;
    case toml::node_type::integer:
      return NodeKind::integer;
    case toml::node_type::floating_point:
      return NodeKind::floating;
    case toml::node_type::boolean:
      return NodeKind::boolean;
    case toml::node_type::array:
      return NodeKind::array;
    case toml::node_type::table:
      return NodeKind::table;
    default:
      return NodeKind::other;
  }
}

namespace {
bool overridden_at(const std::set<std::string, std::less<>>& overridden, std::string_view key,
                   std::string* which) {
  // The key itself or one of its parents ("--set run[0]={...}") came from the command line.
  for (const auto& o : overridden) {
    if (key == o || (key.size() > o.size() && key.substr(0, o.size()) == o &&
                     (key[o.size()] == '.' || key[o.size()] == '['))) {
      if (which) *which = o;
      return true;
    }
  }
  return false;
}
}  // namespace

std::string Config::where(std::string_view key) const {
  std::string which;
  if (overridden_at(overridden_, key, &which)) return "--set " + which;
  const toml::node* n = find(key);
  if (n && n->source().begin) {
    const auto& p = n->source().begin;
    return source_name_ + ":" + std::to_string(p.line) + ":" + std::to_string(p.column) +
           ": key '" + std::string(key) + "'";
  }
  return source_name_ + ": key '" + std::string(key) + "'";
}

std::string Config::element_where(std::string_view key, const toml::node& element) const {
  std::string which;
  if (overridden_at(overridden_, key, &which)) return "--set " + which;
  const auto& p = element.source().begin;
  if (!p) return where(key);
  return source_name_ + ":" + std::to_string(p.line) + ":" + std::to_string(p.column) + ": key '" +
         std::string(key) + "'";
}

Error Config::error(std::string_view key, std::string what, std::string expected) const {
  return Error(where(key), std::move(what), std::move(expected));
}

std::filesystem::path Config::resolve_path(const std::string& relative) const {
  std::filesystem::path p(relative);
  if (p.is_absolute()) return p;
  return base_dir_ / p;
}

void Config::record(std::string_view key, nlohmann::json fallback, nlohmann::json value,
                    std::string_view doc) {
  const auto it = key_index_.find(key);
  if (it != key_index_.end()) {
    KeyInfo& info = keys_[it->second];
    info.value = std::move(value);
    if (info.doc.empty()) info.doc = doc;
    return;
  }
  key_index_.emplace(std::string(key), keys_.size());
  keys_.push_back({std::string(key), std::move(fallback), std::move(value), std::string(doc)});
}

// ---- Scalar getters ------------------------------------------------------------------------

namespace {
double number_of(const toml::node& n, bool& ok) {
  ok = true;
  if (const auto* f = n.as_floating_point()) return f->get();
  if (const auto* i = n.as_integer()) return static_cast<double>(i->get());
  ok = false;
  return 0.0;
}
}  // namespace

template <>
double Config::get<double>(std::string_view key, const double& fallback, std::string_view doc,
                           Range range) {
  const toml::node* n = find(key);
  record(key, fallback, nullptr, doc);  // registered even if the value is rejected
  if (!n) {
    record(key, fallback, fallback, doc);
    return fallback;
  }
  bool ok = false;
  const double v = number_of(*n, ok);
  if (!ok) throw error(key, "wrong type: got " + describe_node(*n), "a number");
  if (!std::isfinite(v)) {
    throw error(key, "non-finite number " + format_number(v), "a finite number");
  }
  if (!range.contains(v)) {
    throw error(key, "value " + format_number(v) + " out of range", range.describe());
  }
  record(key, fallback, v, doc);
  return v;
}

template <>
std::int64_t Config::get<std::int64_t>(std::string_view key, const std::int64_t& fallback,
                                       std::string_view doc, Range range) {
  const toml::node* n = find(key);
  record(key, fallback, nullptr, doc);  // registered even if the value is rejected
  if (!n) {
    record(key, fallback, fallback, doc);
    return fallback;
  }
  const auto* i = n->as_integer();
  if (!i) throw error(key, "wrong type: got " + describe_node(*n), "an integer");
  const std::int64_t v = i->get();
  if (!range.contains(static_cast<double>(v))) {
    throw error(key, "value " + std::to_string(v) + " out of range", range.describe());
  }
  record(key, fallback, v, doc);
  return v;
}

template <>
bool Config::get<bool>(std::string_view key, const bool& fallback, std::string_view doc,
                       Range /*range*/) {
  const toml::node* n = find(key);
  record(key, fallback, nullptr, doc);  // registered even if the value is rejected
  if (!n) {
    record(key, fallback, fallback, doc);
    return fallback;
  }
  const auto* b = n->as_boolean();
  if (!b) throw error(key, "wrong type: got " + describe_node(*n), "true or false");
  record(key, fallback, b->get(), doc);
  return b->get();
}

template <>
std::string Config::get<std::string>(std::string_view key, const std::string& fallback,
                                     std::string_view doc, Range /*range*/) {
  const toml::node* n = find(key);
  record(key, fallback, nullptr, doc);  // registered even if the value is rejected
  if (!n) {
    record(key, fallback, fallback, doc);
    return fallback;
  }
  const auto* s = n->as_string();
  if (!s) throw error(key, "wrong type: got " + describe_node(*n), "a string");
  record(key, fallback, s->get(), doc);
  return s->get();
}

std::string Config::get_choice(std::string_view key, const std::string& fallback,
                               std::string_view doc, const std::vector<std::string>& choices) {
  const std::string v = get<std::string>(key, fallback, doc);
  if (std::find(choices.begin(), choices.end(), v) == choices.end()) {
    std::string what = "unknown choice '" + v + "'";
    if (auto s = did_you_mean(v, choices)) what += " (did you mean '" + *s + "'?)";
    throw error(key, what, "one of " + join(choices, ", "));
  }
  return v;
}

std::vector<std::string> Config::get_choice_list(std::string_view key,
                                                 const std::vector<std::string>& fallback,
                                                 std::string_view doc,
                                                 const std::vector<std::string>& choices) {
  const toml::node* n = find(key);
  record(key, fallback, nullptr, doc);  // registered even if the value is rejected
  if (!n) {
    record(key, fallback, fallback, doc);
    return fallback;
  }
  const toml::array* arr = n->as_array();
  if (!arr) throw error(key, "wrong type: got " + describe_node(*n), "an array of strings");
  if (arr->empty()) throw error(key, "empty array", "at least one of " + join(choices, ", "));
  std::vector<std::string> out;
  for (const toml::node& e : *arr) {
    const auto* s = e.as_string();
    if (!s) {
      throw Error(element_where(key, e), "wrong type: element is " + describe_node(e), "a string");
    }
    const std::string v = s->get();
    if (std::find(choices.begin(), choices.end(), v) == choices.end()) {
      std::string what = "unknown choice '" + v + "'";
      if (auto d = did_you_mean(v, choices)) what += " (did you mean '" + *d + "'?)";
      throw Error(element_where(key, e), what, "one of " + join(choices, ", "));
    }
    if (std::find(out.begin(), out.end(), v) != out.end()) {
      throw Error(element_where(key, e), "duplicate choice '" + v + "'", "distinct choices");
    }
    out.push_back(v);
  }
  record(key, fallback, out, doc);
  return out;
}

std::string Config::get_required_string(std::string_view key, std::string_view doc) {
  if (!find(key)) {
    record(key, nullptr, nullptr, doc);
    // Point at the enclosing table when there is one.
    std::string parent(key);
    const auto dot = parent.find_last_of('.');
    std::string w = source_name_ + ": key '" + std::string(key) + "'";
    if (dot != std::string::npos) {
      const toml::node* p = find(std::string_view(parent).substr(0, dot));
      if (p && p->source().begin) {
        const auto& pos = p->source().begin;
        w = source_name_ + ":" + std::to_string(pos.line) + ":" + std::to_string(pos.column) +
            ": key '" + std::string(key) + "'";
      }
    }
    throw Error(w, "missing required key", std::string(doc));
  }
  return get<std::string>(key, std::string{}, doc);
}

// ---- Arrays --------------------------------------------------------------------------------

std::vector<double> Config::get_vector(std::string_view key, const std::vector<double>& fallback,
                                       std::string_view doc, const VectorSpec& spec) {
  const toml::node* n = find(key);
  record(key, fallback, nullptr, doc);
  const std::string len_text = spec.size ? std::to_string(*spec.size) : std::string("any");
  const std::string expected_shape =
      (spec.size ? "an array of " + std::to_string(*spec.size) + " numbers"
                 : std::string("an array of numbers")) +
      (spec.scalar_broadcast ? " or one number" : "");
  if (!n) {
    std::vector<double> v = fallback;
    if (spec.scalar_broadcast && spec.size && v.size() == 1) v.assign(*spec.size, v[0]);
    record(key, fallback, v, doc);
    return v;
  }
  auto check = [&](double v, const toml::node& at) {
    if (!std::isfinite(v)) {
      throw Error(element_where(key, at), "non-finite number " + format_number(v),
                  "a finite number");
    }
    if (!spec.range.contains(v)) {
      throw Error(element_where(key, at), "value " + format_number(v) + " out of range",
                  spec.range.describe());
    }
  };
  std::vector<double> out;
  bool ok = false;
  if (spec.scalar_broadcast) {
    const double v = number_of(*n, ok);
    if (ok) {
      check(v, *n);
      out.assign(spec.size ? *spec.size : 1, v);
      record(key, fallback, out, doc);
      return out;
    }
  }
  const toml::array* arr = n->as_array();
  if (!arr) throw error(key, "wrong type: got " + describe_node(*n), expected_shape);
  if (spec.size && arr->size() != *spec.size) {
    throw error(key,
                "expected " + len_text + " numbers, got " + std::to_string(arr->size()) +
                    (arr->size() == 1 ? " element" : " elements"),
                "");
  }
  out.reserve(arr->size());
  for (const toml::node& e : *arr) {
    const double v = number_of(e, ok);
    if (!ok) {
      throw Error(element_where(key, e), "wrong type: element is " + describe_node(e), "a number");
    }
    check(v, e);
    out.push_back(v);
  }
  record(key, fallback, out, doc);
  return out;
}

std::vector<std::int64_t> Config::get_index_vector(std::string_view key,
                                                   const std::vector<std::int64_t>& fallback,
                                                   std::string_view doc, std::int64_t bound) {
  const toml::node* n = find(key);
  record(key, fallback, nullptr, doc);  // registered even if the value is rejected
  if (!n) {
    record(key, fallback, fallback, doc);
    return fallback;
  }
  const toml::array* arr = n->as_array();
  if (!arr) {
    throw error(key, "wrong type: got " + describe_node(*n), "an array of neuron indices");
  }
  std::vector<std::int64_t> out;
  std::set<std::int64_t> seen;
  for (const toml::node& e : *arr) {
    const auto* i = e.as_integer();
    if (!i) {
      throw Error(element_where(key, e), "wrong type: element is " + describe_node(e),
                  "an integer index");
    }
    const std::int64_t v = i->get();
    if (v < 0 || v >= bound) {
      throw Error(element_where(key, e), "index " + std::to_string(v) + " out of range",
                  "0 <= index < " + std::to_string(bound));
    }
    if (!seen.insert(v).second) {
      throw Error(element_where(key, e), "duplicate index " + std::to_string(v),
                  "distinct indices");
    }
    out.push_back(v);
  }
  record(key, fallback, out, doc);
  return out;
}

std::optional<Eigen::MatrixXd> Config::get_matrix(std::string_view key, std::int64_t rows,
                                                  std::int64_t cols, std::string_view doc) {
  const toml::node* n = find(key);
  record(key, nullptr, nullptr, doc);
  if (!n) return std::nullopt;
  const std::string shape = std::to_string(rows) + "×" + std::to_string(cols);
  const toml::array* arr = n->as_array();
  if (!arr) {
    throw error(key, "wrong type: got " + describe_node(*n), "a " + shape + " array of arrays");
  }
  if (static_cast<std::int64_t>(arr->size()) != rows) {
    throw error(key, "expected " + shape + " array, got " + std::to_string(arr->size()) +
                         (arr->size() == 1 ? " row" : " rows"));
  }
  Eigen::MatrixXd m(rows, cols);
  nlohmann::json value = nlohmann::json::array();
  for (std::int64_t i = 0; i < rows; ++i) {
    const toml::node& row_node = *arr->get(static_cast<std::size_t>(i));
    const toml::array* row = row_node.as_array();
    if (!row) {
      throw Error(element_where(key, row_node), "expected " + shape + " array, row " +
                                                    std::to_string(i) + " is " +
                                                    describe_node(row_node));
    }
    if (static_cast<std::int64_t>(row->size()) != cols) {
      throw Error(element_where(key, row_node),
                  "expected " + shape + " array, row " + std::to_string(i) + " has " +
                      std::to_string(row->size()) + (row->size() == 1 ? " column" : " columns"));
    }
    nlohmann::json jrow = nlohmann::json::array();
    for (std::int64_t j = 0; j < cols; ++j) {
      const toml::node& e = *row->get(static_cast<std::size_t>(j));
      const double v = finite_element(key, e);
      m(i, j) = v;
      jrow.push_back(v);
    }
    value.push_back(std::move(jrow));
  }
  record(key, nullptr, std::move(value), doc);
  return m;
}

double Config::finite_element(std::string_view key, const toml::node& e) const {
  bool ok = false;
  const double v = number_of(e, ok);
  if (!ok) {
    throw Error(element_where(key, e), "wrong type: element is " + describe_node(e), "a number");
  }
  if (!std::isfinite(v)) {
    throw Error(element_where(key, e), "non-finite number " + format_number(v), "a finite number");
  }
  return v;
}

std::vector<std::string> Config::get_string_list(std::string_view key,
                                                 const std::vector<std::string>& fallback,
                                                 std::string_view doc) {
  const toml::node* n = find(key);
  record(key, fallback, nullptr, doc);
  if (!n) {
    record(key, fallback, fallback, doc);
    return fallback;
  }
  const toml::array* arr = n->as_array();
  if (!arr) throw error(key, "wrong type: got " + describe_node(*n), "an array of strings");
  if (arr->empty()) throw error(key, "empty array", "at least one string");
  std::vector<std::string> out;
  for (const toml::node& e : *arr) {
    const auto* s = e.as_string();
    if (!s) {
      throw Error(element_where(key, e), "wrong type: element is " + describe_node(e), "a string");
    }
    out.push_back(s->get());
  }
  record(key, fallback, out, doc);
  return out;
}

std::vector<std::vector<double>> Config::get_number_rows(
    std::string_view key, const std::vector<std::vector<double>>& fallback, std::string_view doc,
    std::int64_t cols) {
  const toml::node* n = find(key);
  record(key, fallback, nullptr, doc);
  if (!n) {
    record(key, fallback, fallback, doc);
    return fallback;
  }
  const std::string row_text =
      cols >= 0 ? "an array of " + std::to_string(cols) + " numbers" : "an array of numbers";
  const toml::array* arr = n->as_array();
  if (!arr) throw error(key, "wrong type: got " + describe_node(*n), "an array of " + row_text);
  if (arr->empty()) throw error(key, "empty array", "at least one " + row_text);
  std::vector<std::vector<double>> out;
  for (std::size_t i = 0; i < arr->size(); ++i) {
    const toml::node& row_node = *arr->get(i);
    const toml::array* row = row_node.as_array();
    if (!row) {
      throw Error(element_where(key, row_node),
                  "element " + std::to_string(i) + " is " + describe_node(row_node), row_text);
    }
    if (cols >= 0 && static_cast<std::int64_t>(row->size()) != cols) {
      throw Error(element_where(key, row_node),
                  "element " + std::to_string(i) + " has " + std::to_string(row->size()) +
                      (row->size() == 1 ? " number" : " numbers"),
                  row_text);
    }
    std::vector<double> r;
    for (const toml::node& e : *row) {
      const double v = finite_element(key, e);
      r.push_back(v);
    }
    out.push_back(std::move(r));
  }
  record(key, fallback, out, doc);
  return out;
}

std::optional<std::vector<std::vector<std::string>>> Config::get_string_rows(std::string_view key,
                                                                             std::string_view doc) {
  const toml::node* n = find(key);
  record(key, nullptr, nullptr, doc);
  if (!n) return std::nullopt;
  const toml::array* arr = n->as_array();
  if (!arr)
    throw error(key, "wrong type: got " + describe_node(*n), "an array of arrays of strings");
  std::vector<std::vector<std::string>> out;
  for (std::size_t i = 0; i < arr->size(); ++i) {
    const toml::node& row_node = *arr->get(i);
    const toml::array* row = row_node.as_array();
    if (!row) {
      throw Error(element_where(key, row_node),
                  "row " + std::to_string(i) + " is " + describe_node(row_node),
                  "an array of strings");
    }
    std::vector<std::string> r;
    for (const toml::node& e : *row) {
      if (const auto* s = e.as_string()) {
        r.push_back(s->get());
      } else {
        bool ok = false;
        const double v = number_of(e, ok);  // a bare number stands for itself
        if (!ok || !std::isfinite(v)) {
          throw Error(element_where(key, e), "wrong type: element is " + describe_node(e),
                      "a string (an expression) or a finite number");
        }
        r.push_back(format_number(v));
      }
    }
    out.push_back(std::move(r));
  }
  record(key, nullptr, out, doc);
  return out;
}

std::vector<std::string> Config::table_keys(std::string_view key) const {
  const toml::node* n = find(key);
  if (!n) return {};
  const toml::table* t = n->as_table();
  if (!t) throw error(key, "wrong type: got " + describe_node(*n), "a table { name = value, … }");
  std::vector<std::pair<toml::source_position, std::string>> entries;
  for (auto&& [k, v] : *t) entries.emplace_back(v.source().begin, std::string(k.str()));
  std::stable_sort(entries.begin(), entries.end(), [](const auto& a, const auto& b) {
    return a.first.line != b.first.line ? a.first.line < b.first.line
                                        : a.first.column < b.first.column;
  });
  std::vector<std::string> out;
  for (auto& e : entries) out.push_back(std::move(e.second));
  return out;
}

Error Config::element_error(std::string_view key, std::size_t row, std::int64_t col,
                            std::string what, std::string expected) const {
  const toml::node* n = find(key);
  const toml::array* arr = n ? n->as_array() : nullptr;
  if (!arr || row >= arr->size()) return error(key, std::move(what), std::move(expected));
  const toml::node* e = arr->get(row);
  if (col >= 0) {
    const toml::array* r = e->as_array();
    if (r && static_cast<std::size_t>(col) < r->size()) e = r->get(static_cast<std::size_t>(col));
  }
  return Error(element_where(key, *e), std::move(what), std::move(expected));
}

std::size_t Config::table_array_size(std::string_view key, std::string_view doc) {
  const toml::node* n = find(key);
  if (!n) return 0;
  const toml::array* arr = n->as_array();
  if (!arr || !arr->is_array_of_tables()) {
    throw error(key, "wrong type: got " + describe_node(*n),
                "an array of tables ([[" + std::string(key) + "]] sections)");
  }
  (void)doc;
  return arr->size();
}

// ---- finish / resolved ---------------------------------------------------------------------

void Config::finish() const {
  // Every leaf present: values that are not tables, descending into arrays of tables.
  struct Leaf {
    std::string key;
    const toml::node* node;
  };
  std::vector<Leaf> leaves;
  auto walk = [&](auto&& self, const toml::table& tbl, const std::string& prefix) -> void {
    for (auto&& [k, v] : tbl) {
      const std::string path =
          prefix.empty() ? std::string(k.str()) : prefix + "." + std::string(k.str());
      if (const auto* t = v.as_table()) {
        self(self, *t, path);
      } else if (const auto* a = v.as_array(); a && !a->empty() && a->is_array_of_tables()) {
        if (key_index_.count(path)) continue;  // read as a whole
        for (std::size_t i = 0; i < a->size(); ++i) {
          self(self, *a->get(i)->as_table(), path + "[" + std::to_string(i) + "]");
        }
      } else {
        leaves.push_back({path, &v});
      }
    }
  };
  walk(walk, *root_, "");
  std::vector<const Leaf*> unknown;
  for (const Leaf& l : leaves) {
    if (!key_index_.count(l.key)) unknown.push_back(&l);
  }
  if (unknown.empty()) return;
  // Report the first in file order.
  std::stable_sort(unknown.begin(), unknown.end(), [](const Leaf* a, const Leaf* b) {
    const auto& pa = a->node->source().begin;
    const auto& pb = b->node->source().begin;
    return std::pair(pa.line, pa.column) < std::pair(pb.line, pb.column);
  });
  const Leaf& first = *unknown.front();
  std::vector<std::string> registered;
  registered.reserve(keys_.size());
  for (const auto& k : keys_) registered.push_back(k.key);
  std::string what = "unknown key";
  if (auto s = did_you_mean(first.key, registered)) what += " (did you mean '" + *s + "'?)";
  if (unknown.size() > 1) {
    what += "; " + std::to_string(unknown.size() - 1) + " more unknown key" +
            (unknown.size() > 2 ? "s" : "");
  }
  throw Error(element_where(first.key, *first.node), what);
}

nlohmann::json Config::resolved() const {
  nlohmann::json out = nlohmann::json::object();
  for (const auto& k : keys_) json_insert(out, k.key, k.value);
  return out;
}

}  // namespace nnworld::io
