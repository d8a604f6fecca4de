// Datasets for learning: CSV tables (plain or gzip) and synthetic data (teacher network,
// Gaussian columns).
#include <omp.h>
#include <zlib.h>

#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstring>
#include <exception>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <type_traits>
#include <utility>
#include <vector>

#include "nnworld/core/error.hpp"
#include "nnworld/core/rng.hpp"
#include "nnworld/network/learning.hpp"

namespace nnworld::network {

namespace {

// ---- CSV ------------------------------------------------------------------------------------

class GzReader {
 public:
  // zlib reads gzip streams (magic bytes 1f 8b) and, transparently, plain files.
  explicit GzReader(const std::string& path) : path_(path), file_(gzopen(path.c_str(), "rb")) {
    if (file_ == nullptr) {
      const int err = errno;
      throw Error(
          path,
          std::string("cannot open: ") + (err != 0 ? std::strerror(err) : "not enough memory"),
          "a readable CSV file (plain or gzip)");
    }
  }
  GzReader(const GzReader&) = delete;
  GzReader& operator=(const GzReader&) = delete;
  ~GzReader() { gzclose(file_); }

  // Next line without its end-of-line ("\n" or "\r\n"); false at the end of the file.
  bool next(std::string& line, long line_number) {
    line.clear();
    char buffer[4096];
    bool got_any = false;
    while (true) {
      if (gzgets(file_, buffer, sizeof buffer) == nullptr) {
        check(line_number);
        break;
      }
      got_any = true;
      line += buffer;
      if (!line.empty() && line.back() == '\n') break;
    }
    if (!line.empty() && line.back() == '\n') line.pop_back();
    if (!line.empty() && line.back() == '\r') line.pop_back();
    return got_any;
  }

 private:
  void check(long line_number) {
    int err = Z_OK;
    const char* message = gzerror(file_, &err);
    if (err == Z_OK || err == Z_STREAM_END) return;
    const std::string why = err == Z_ERRNO ? std::strerror(errno) : message;
    throw Error(path_ + ":" + std::to_string(line_number), "cannot read: " + why,
                "a readable CSV file (plain or gzip)");
  }

  std::string path_;
  gzFile file_;
};

std::string_view trim(std::string_view s, std::size_t& offset) {
  offset = 0;
  while (offset < s.size() && (s[offset] == ' ' || s[offset] == '\t')) ++offset;
  s.remove_prefix(offset);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

struct Field {
  std::string_view text;  // trimmed
  std::size_t column;     // 1-based column of its first character
};

std::vector<Field> split_fields(std::string_view line) {
  std::vector<Field> fields;
  std::size_t begin = 0;
  while (true) {
    const std::size_t comma = line.find(',', begin);
    const std::size_t end = comma == std::string_view::npos ? line.size() : comma;
    std::size_t lead = 0;
    const std::string_view text = trim(line.substr(begin, end - begin), lead);
    fields.push_back({text, begin + lead + 1});
    if (comma == std::string_view::npos) break;
    begin = comma + 1;
  }
  return fields;
}

enum class Parse { ok, not_a_number, out_of_range };

// A decimal number (optionally with a leading '+'); nan/inf parse as numbers here.
Parse parse_number(std::string_view s, double& value) {
  if (!s.empty() && s.front() == '+') {
    s.remove_prefix(1);
    if (!s.empty() && (s.front() == '+' || s.front() == '-')) return Parse::not_a_number;
  }
  if (s.empty()) return Parse::not_a_number;
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), value);
  if (end != s.data() + s.size()) return Parse::not_a_number;
  if (ec == std::errc::result_out_of_range) return Parse::out_of_range;
  if (ec != std::errc()) return Parse::not_a_number;
  return Parse::ok;
}

// ---- Synthetic ------------------------------------------------------------------------------

// Fan-in of neuron i (number of stored incoming weights) per stored weight, in storage order.
std::vector<double> stored_fan_in(const Weights& w, std::int64_t n) {
  return std::visit(
      [n](const auto& m) {
        using T = std::decay_t<decltype(m)>;
        std::vector<double> fan;
        if constexpr (std::is_same_v<T, DenseWeights>) {
          fan.assign(static_cast<std::size_t>(n * n), static_cast<double>(n));
        } else if constexpr (std::is_same_v<T, SparseWeights>) {
          for (Eigen::Index i = 0; i < m.outerSize(); ++i) {
            double count = 0.0;
            for (SparseWeights::InnerIterator it(m, i); it; ++it) count += 1.0;
            for (SparseWeights::InnerIterator it(m, i); it; ++it) fan.push_back(count);
          }
        } else {
          fan.assign(static_cast<std::size_t>(m.value.size()), 1.0);
        }
        return fan;
      },
      w);
}

void set_stored(Weights& w, const std::vector<double>& values) {
  std::visit(
      [&values](auto& m) {
        using T = std::decay_t<decltype(m)>;
        if constexpr (std::is_same_v<T, DenseWeights>) {
          for (Eigen::Index k = 0; k < m.size(); ++k) m.data()[k] = values[k];
        } else if constexpr (std::is_same_v<T, SparseWeights>) {
          std::size_t k = 0;
          for (Eigen::Index i = 0; i < m.outerSize(); ++i) {
            for (SparseWeights::InnerIterator it(m, i); it; ++it) it.valueRef() = values[k++];
          }
        } else {
          for (Eigen::Index k = 0; k < m.value.size(); ++k) m.value[k] = values[k];
        }
      },
      w);
}

}  // namespace

// Numeric CSV: one sample per line, values separated by commas (whitespace around them
// allowed); '#' comment lines and blank lines skipped; the first non-comment line may be a
// header (no field of it is a number). Every error names FILE:LINE or FILE:LINE:COL.
Dataset load_csv(const std::string& path) {
  GzReader reader(path);
  std::vector<double> values;  // row-major
  long cols = -1;              // values per row, from the first data row
  long first_row_line = 0;
  long header_line = 0;
  long header_cols = 0;
  long n_rows = 0;
  std::string line;
  for (long line_number = 1; reader.next(line, line_number); ++line_number) {
    std::size_t lead = 0;
    const std::string_view content = trim(line, lead);
    if (content.empty() || content.front() == '#') continue;
    const std::vector<Field> fields = split_fields(line);
    const std::string where = path + ":" + std::to_string(line_number);

    if (cols < 0 && header_line == 0) {
      bool any_number = false;
      for (const Field& f : fields) {
        double v = 0.0;
        if (parse_number(f.text, v) != Parse::not_a_number) any_number = true;
      }
      if (!any_number) {
        header_line = line_number;
        header_cols = static_cast<long>(fields.size());
        continue;
      }
    }

    const auto count = static_cast<long>(fields.size());
    if (cols < 0) {
      if (header_line != 0 && count != header_cols) {
        throw Error(where, "row has " + std::to_string(count) + " values",
                    std::to_string(header_cols) + " like the header on line " +
                        std::to_string(header_line));
      }
      cols = count;
      first_row_line = line_number;
    } else if (count != cols) {
      throw Error(where, "row has " + std::to_string(count) + " values",
                  std::to_string(cols) + " like line " + std::to_string(first_row_line));
    }

    for (std::size_t k = 0; k < fields.size(); ++k) {
      const Field& f = fields[k];
      const std::string at = where + ":" + std::to_string(f.column);
      if (f.text.empty()) {
        throw Error(at, "empty value in column " + std::to_string(k + 1), "a number");
      }
      double v = 0.0;
      switch (parse_number(f.text, v)) {
        case Parse::not_a_number:
          throw Error(at, "value '" + std::string(f.text) + "' is not a number",
                      "a decimal number");
        case Parse::out_of_range:
          throw Error(at, "value '" + std::string(f.text) + "' is out of the range of double",
                      "a finite number");
        case Parse::ok:
          break;
      }
      if (!std::isfinite(v)) {
        throw Error(at, "value '" + std::string(f.text) + "' is not finite", "a finite number");
      }
      values.push_back(v);
    }
    ++n_rows;
  }
  if (n_rows == 0) {
    throw Error(path, "file has no data rows", "at least one row of comma-separated numbers");
  }

  Dataset data;
  data.rows.resize(n_rows, cols);
  for (long i = 0; i < n_rows; ++i) {
    for (long j = 0; j < cols; ++j)
      data.rows(i, j) = values[static_cast<std::size_t>(i * cols + j)];
  }
  data.source = path;
  return data;
}

// Synthetic datasets, all values from RngStream(seed, dataset):
//   "gaussian": x_{s,c} = normal(0, s·C + c) for the C = |inputs| + |outputs| columns;
//   "teacher":  inputs u_{s,k} = 2 uniform(0, s·N_in + k) − 1 ∈ (−1, 1); a teacher network with
//               the layout, activation, mass and boundary of `shape`, biases b_i = normal(1, i)/2
//               and stored weights w_k = normal(1, N + k)/√(fan-in of its row); each sample is
//               relaxed like in training (x = 0, inputs clamped, `relax_steps` applications of
//               x ← f(w x + b)) and its targets are the teacher's output-neuron values.
Dataset synthetic_dataset(const std::string& kind, const Network& shape, std::int64_t samples,
                          std::uint64_t seed, int relax_steps) {
  if (kind != "teacher" && kind != "gaussian") {
    throw Error("synthetic_dataset", "unknown dataset kind '" + kind + "'",
                "one of: teacher, gaussian");
  }
  if (samples < 1) {
    throw Error("synthetic_dataset", "invalid number of samples " + std::to_string(samples),
                "samples >= 1");
  }
  if (relax_steps < 0) {
    throw Error("synthetic_dataset", "invalid relax_steps " + std::to_string(relax_steps),
                "relax_steps >= 0");
  }
  shape.validate();
  if (shape.inputs.empty()) {
    throw Error("synthetic_dataset", "the network has no input neurons",
                "at least one input neuron");
  }
  const core::RngStream rng(seed, core::StreamTag::dataset);
  const auto n_in = static_cast<Eigen::Index>(shape.inputs.size());
  const auto n_out = static_cast<Eigen::Index>(shape.outputs.size());
  const Eigen::Index cols = n_in + n_out;
  const auto n_samples = static_cast<Eigen::Index>(samples);

  Dataset data;
  data.rows.resize(n_samples, cols);
  data.source = "synthetic " + kind + " (seed " + std::to_string(seed) + ")";
  if (kind == "gaussian") {
    for (Eigen::Index s = 0; s < n_samples; ++s) {
      for (Eigen::Index c = 0; c < cols; ++c)
        data.rows(s, c) = rng.normal(0, static_cast<std::uint64_t>(s * cols + c));
    }
    return data;
  }

  Network teacher = shape;
  if (auto* sparse = std::get_if<SparseWeights>(&teacher.w)) sparse->makeCompressed();
  const std::int64_t n = teacher.n();
  for (std::int64_t i = 0; i < n; ++i)
    teacher.b[i] = 0.5 * rng.normal(1, static_cast<std::uint64_t>(i));
  const std::vector<double> fan = stored_fan_in(teacher.w, n);
  std::vector<double> w(fan.size());
  for (std::size_t k = 0; k < fan.size(); ++k)
    w[k] = rng.normal(1, static_cast<std::uint64_t>(n) + k) / std::sqrt(fan[k]);
  set_stored(teacher.w, w);

  for (Eigen::Index s = 0; s < n_samples; ++s) {
    for (Eigen::Index k = 0; k < n_in; ++k)
      data.rows(s, k) = 2.0 * rng.uniform(0, static_cast<std::uint64_t>(s * n_in + k)) - 1.0;
  }
  std::exception_ptr failure;
#pragma omp parallel
  {
    omp_set_num_threads(1);  // per-sample kernels serial on every thread
#pragma omp for schedule(static)
    for (Eigen::Index s = 0; s < n_samples; ++s) {
      try {
        Vector x = Vector::Zero(n);
        for (Eigen::Index k = 0; k < n_in; ++k) x[shape.inputs[k]] = data.rows(s, k);
        if (relax_steps > 0) x = iterate(teacher, std::move(x), relax_steps, teacher.inputs);
        for (Eigen::Index k = 0; k < n_out; ++k) data.rows(s, n_in + k) = x[shape.outputs[k]];
      } catch (...) {
#pragma omp critical(nnworld_synthetic_dataset)
        if (!failure) failure = std::current_exception();
      }
    }
  }
  if (failure) std::rethrow_exception(failure);
  return data;
}

}  // namespace nnworld::network
