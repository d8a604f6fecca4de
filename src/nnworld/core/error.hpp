#pragma once
// The one exception type of nnworld. `where` locates the problem (FILE:LINE:COL: key 'a.b',
// or a function name), `what` says what is wrong and `expected` what would have been right.
// The CLI prints `error: <where>: <what> (expected <expected>)` and exits with `exit_code`.
#include <stdexcept>
#include <string>

namespace nnworld {

// The exit codes of the CLI (README "Exit codes").
namespace exit_codes {
inline constexpr int internal = 1;            // a bug: please report it
inline constexpr int bad_input = 2;           // config, flags, files or output target refused
inline constexpr int divergence = 3;          // NaN/Inf during a run (the files stay valid)
inline constexpr int strict = 4;              // an oracle failed under --strict
inline constexpr int out_of_memory = 5;       // an allocation failed
inline constexpr int io_error = 6;            // reading or writing a file failed (disk full, …)
inline constexpr int interrupted_int = 130;   // SIGINT: stopped at a safe point
inline constexpr int interrupted_term = 143;  // SIGTERM: stopped at a safe point
}  // namespace exit_codes

struct Error : std::runtime_error {
  std::string where;
  std::string what_;
  std::string expected;
  int exit_code = 2;  // one of exit_codes

  Error(std::string where_, std::string what, std::string expected_ = {}, int code = 2);

  // One line: "<where>: <what> (expected <expected>)".
  [[nodiscard]] std::string message() const;
};

// Numerical divergence (NaN/Inf) during a run: exit code 3.
struct Divergence : Error {
  long step;
  std::string quantity;
  Divergence(long step_, std::string quantity_);
};

}  // namespace nnworld
