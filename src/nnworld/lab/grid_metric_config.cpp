#include "nnworld/lab/grid_metric_config.hpp"

#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <vector>

#include "nnworld/core/error.hpp"

namespace nnworld::lab {

namespace {

std::string trim(std::string_view s) {
  std::size_t a = 0, b = s.size();
  while (a < b && (s[a] == ' ' || s[a] == '\t' || s[a] == '\r')) ++a;
  while (b > a && (s[b - 1] == ' ' || s[b - 1] == '\t' || s[b - 1] == '\r')) --b;
  std::string t(s.substr(a, b - a));
  if (t.size() >= 2 && t.front() == '"' && t.back() == '"') t = t.substr(1, t.size() - 2);
  return t;
}

std::vector<std::string> split(const std::string& line) {
  std::vector<std::string> out;
  std::size_t start = 0;
  for (;;) {
    const std::size_t comma = line.find(',', start);
    out.push_back(trim(std::string_view(line).substr(
        start, comma == std::string::npos ? std::string::npos : comma - start)));
    if (comma == std::string::npos) return out;
    start = comma + 1;
  }
}

bool skipped(const std::string& line) {
  const std::string t = trim(line);
  return t.empty() || t.front() == '#';
}

}  // namespace

geometry::Metric read_grid_metric(io::Config& c, std::string_view prefix) {
  const std::string p(prefix);
  const std::string k_coords = p + ".coordinates", k_periods = p + ".periods",
                    k_shape = p + ".shape", k_data = p + ".data";
  for (const auto& key : {k_coords, k_periods, k_shape, k_data}) {
    if (!c.has(key)) {
      throw c.error(key, "missing required key (family = \"grid\")",
                    key == k_data ? "the path of a CSV file relative to the config"
                                  : "an array (see the [metric] grid format)");
    }
  }
  const auto coords = c.get_string_list(
      k_coords, {}, "coordinate names; the grid covers the first shape.size() of them");
  const int n = static_cast<int>(coords.size());
  if (n < 2 || n > geometry::max_dimension) {
    throw c.error(k_coords, std::to_string(n) + " coordinates",
                  "2 to " + std::to_string(geometry::max_dimension) + " names");
  }
  const auto shape_d = c.get_vector(k_shape, {}, "grid points N_c per grid axis (>= 2)",
                                    io::VectorSpec{std::nullopt, false, io::Range::at_least(2.0)});
  const int d = static_cast<int>(shape_d.size());
  if (d < 1 || d > std::min(3, n)) {
    throw c.error(k_shape, std::to_string(d) + " grid axes",
                  "1 to " + std::to_string(std::min(3, n)) +
                      " entries (the grid covers the first d coordinates)");
  }
  std::vector<std::int64_t> shape;
  std::int64_t points = 1;
  for (double v : shape_d) {
    if (v != std::floor(v) || v > 1e6) {
      throw c.error(k_shape, "entry " + std::to_string(v) + " is not a point count",
                    "integers >= 2");
    }
    shape.push_back(static_cast<std::int64_t>(v));
    points *= shape.back();
  }
  if (points > 100'000'000) {
    throw c.error(k_shape, std::to_string(points) + " grid points", "at most 1e8 points");
  }
  const auto periods =
      c.get_vector(k_periods, {}, "period L_c of each grid axis: x_c in [0, L_c)",
                   io::VectorSpec{static_cast<std::size_t>(d), false, io::Range::positive()});
  const auto data_name = c.get<std::string>(
      k_data, "", "CSV file of the samples, relative to the config (columns g_<a>_<b>)");

  // Column names: g_<a>_<b> for a ≤ b (either order accepted), and the grid coordinates.
  std::map<std::string, int> component_of;  // column name → packed index
  std::vector<std::string> canonical;       // packed index → "g_a_b"
  for (int a = 0, k = 0; a < n; ++a) {
    for (int b = a; b < n; ++b, ++k) {
      canonical.push_back("g_" + coords[a] + "_" + coords[b]);
      for (const auto& name : {canonical.back(), "g_" + coords[b] + "_" + coords[a]}) {
        const auto [it, fresh] = component_of.emplace(name, k);
        if (!fresh && it->second != k) {
          throw c.error(k_coords, "coordinate names make the column name '" + name + "' ambiguous",
                        "names that do not combine into the same g_<a>_<b>");
        }
      }
    }
  }

  const std::filesystem::path path = c.resolve_path(data_name);
  std::ifstream in(path);
  std::error_code ec;
  if (data_name.empty() || !std::filesystem::is_regular_file(path, ec) || !in) {
    throw c.error(k_data, "cannot open '" + path.string() + "'",
                  "the path of a CSV file relative to the config");
  }
  const std::string file = "'" + path.string() + "'";
  std::string line;
  std::int64_t line_no = 0;
  std::vector<std::string> header;
  while (std::getline(in, line)) {
    ++line_no;
    if (!skipped(line)) {
      header = split(line);
      break;
    }
  }
  if (header.empty()) {
    throw c.error(k_data, file + " is empty", "a header line of column names, then the rows");
  }
  const int count = n * (n + 1) / 2;
  std::vector<int> column_component(header.size(), -1);  // ≥ 0: component; −1 − c: coordinate
  std::vector<int> component_column(count, -1);
  for (std::size_t j = 0; j < header.size(); ++j) {
    const std::string& name = header[j];
    if (const auto it = component_of.find(name); it != component_of.end()) {
      if (component_column[it->second] >= 0) {
        throw c.error(
            k_data,
            file + " header: column '" + name + "' repeats " + header[component_column[it->second]],
            "each g_<a>_<b> once (g_a_b and g_b_a are the same component)");
      }
      component_column[it->second] = static_cast<int>(j);
      column_component[j] = it->second;
      continue;
    }
    bool coordinate = false;
    for (int cc = 0; cc < d; ++cc) {
      if (name == coords[cc]) {
        column_component[j] = -1 - cc;
        coordinate = true;
      }
    }
    if (!coordinate) {
      throw c.error(k_data, file + " header: unknown column '" + name + "'",
                    "g_<a>_<b> for coordinate names a, b (e.g. " + canonical.front() +
                        ") or a grid coordinate name");
    }
  }
  for (int k = 0; k < count; ++k) {
    if (component_column[k] < 0) {
      throw c.error(k_data, file + " header: missing column " + canonical[k],
                    "the " + std::to_string(count) + " columns g_<a>_<b>, a <= b");
    }
  }

  std::vector<std::vector<double>> components(count);
  for (auto& v : components) v.reserve(static_cast<std::size_t>(points));
  std::int64_t row = 0;
  while (std::getline(in, line)) {
    ++line_no;
    if (skipped(line)) continue;
    const auto fields = split(line);
    const std::string at = file + " line " + std::to_string(line_no);
    if (fields.size() != header.size()) {
      throw c.error(k_data, at + " has " + std::to_string(fields.size()) + " fields",
                    std::to_string(header.size()) + " (one per header column)");
    }
    if (row >= points) {
      throw c.error(k_data, file + " has more than " + std::to_string(points) + " rows",
                    std::to_string(points) + " rows (one per grid point of the shape)");
    }
    for (std::size_t j = 0; j < fields.size(); ++j) {
      char* end = nullptr;
      const double v = std::strtod(fields[j].c_str(), &end);
      if (fields[j].empty() || end != fields[j].c_str() + fields[j].size()) {
        throw c.error(k_data, at + ", column " + header[j] + ": '" + fields[j] + "'", "a number");
      }
      if (!std::isfinite(v)) {
        throw c.error(k_data, at + ", column " + header[j] + " = " + fields[j] + " is not finite",
                      "finite values");
      }
      if (column_component[j] >= 0) {
        components[column_component[j]].push_back(v);
      } else {
        // Coordinate column: row-major index → j_c, x_c = j_c L_c / N_c.
        const int cc = -1 - column_component[j];
        std::int64_t stride = 1;
        for (int e = cc + 1; e < d; ++e) stride *= shape[e];
        const auto jc = (row / stride) % shape[cc];
        const double expected =
            static_cast<double>(jc) * periods[cc] / static_cast<double>(shape[cc]);
        if (std::abs(v - expected) > 1e-9 * periods[cc]) {
          throw c.error(k_data,
                        at + ": " + coords[cc] + " = " + fields[j] + " but grid point " +
                            std::to_string(row) + " has " + coords[cc] + " = " +
                            std::to_string(expected),
                        "rows in row-major grid order (last axis fastest), x_c = j L_c / N_c");
        }
      }
    }
    ++row;
  }
  if (row != points) {
    throw c.error(k_data, file + " has " + std::to_string(row) + " rows",
                  std::to_string(points) + " rows (one per grid point of the shape)");
  }
  try {
    return geometry::Metric::periodic_grid(coords, periods, shape, std::move(components));
  } catch (const Error& e) {
    throw c.error(k_data, e.what_, e.expected);
  }
}

}  // namespace nnworld::lab
