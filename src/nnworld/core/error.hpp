#pragma once
// The one exception type of nnworld. `where` locates the problem (FILE:LINE:COL: key 'a.b',
// or a function name), `what` says what is wrong and `expected` what would have been right.
// The CLI prints `error: <where>: <what> (expected <expected>)` and exits with `exit_code`.
#include <stdexcept>
#include <string>

namespace nnworld {

struct Error : std::runtime_error {
  std::string where;
  std::string what_;
  std::string expected;
  int exit_code = 2;  // 2 bad input, 3 numerical divergence, 1 internal

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
