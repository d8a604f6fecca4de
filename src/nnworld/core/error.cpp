#include "nnworld/core/error.hpp"

namespace nnworld {

namespace {
std::string compose(const std::string& where, const std::string& what,
                    const std::string& expected) {
  std::string s = where.empty() ? what : where + ": " + what;
  if (!expected.empty()) s += " (expected " + expected + ")";
  return s;
}
}  // namespace

Error::Error(std::string where_, std::string what, std::string expected_, int code)
    : std::runtime_error(compose(where_, what, expected_)),
      where(std::move(where_)),
      what_(std::move(what)),
      expected(std::move(expected_)),
      exit_code(code) {}

std::string Error::message() const {
  return std::runtime_error::what();
}

Divergence::Divergence(long step_, std::string quantity_)
    : Error("step " + std::to_string(step_), "non-finite value in " + quantity_, "finite numbers",
            3),
      step(step_),
      quantity(std::move(quantity_)) {}

}  // namespace nnworld
