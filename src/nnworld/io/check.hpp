#pragma once
// A check of a run: one row of summary.json's "checks". One comparison rule decides `passed` from
// the row's value, reference and tolerance alone, so a reader can recompute every verdict; a claim
// also carries what its control (a wrong theory, the printed form, a shuffled input) gives under
// the same rule, so the reader sees whether the check could have failed.
//
//   io::Check c{.id = "T2.4/laplace/beta=300", .name = "T2.4 log Z laplace β=300",
//               .kind = "oracle", .equation = "(7)", .comparison = io::Comparison::absolute,
//               .value = v, .reference = exact, .tolerance = 1e-4};
//   c.passed();   // |v − exact| ≤ 1e-4
#include <cstdint>
#include <limits>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>

namespace nnworld::io {

// How value, reference and tolerance decide `passed`. A non-finite value, reference or tolerance
// fails every rule.
enum class Comparison : std::uint8_t {
  absolute,     // |value − reference| ≤ tolerance
  relative,     // |value − reference| ≤ tolerance · |reference|
  z_score,      // value is a z statistic; |value − reference| ≤ tolerance (= z*), reference the
                // expected z (0)
  upper_bound,  // value ≤ reference + tolerance (one-sided)
  lower_bound,  // value ≥ reference − tolerance (one-sided)
  ratio_to_floor,  // value ≤ tolerance · reference (reference: a statistical or round-off floor)
};

// The name written into summary.json ("absolute", "relative", "z_score", "upper_bound",
// "lower_bound", "ratio_to_floor").
std::string_view comparison_name(Comparison c);
// The rule itself.
bool compare(Comparison c, double value, double reference, double tolerance);

// What a wrong theory, the printed form or a shuffled input gives under a claim's comparison.
struct Control {
  std::string
      label{};  // what the control is, e.g. "printed (91)", "straight line", "ħ instead of ħ′"
  double value = std::numeric_limits<double>::quiet_NaN();
};

struct Check {
  std::string id{};    // stable identifier (spec test id or a slug), unique within a run
  std::string name{};  // what a reader sees
  std::string kind{};  // "oracle" (numerics vs a closed form: a failure is a bug) or "claim" (a
                       // statement of the paper, measured: a failure is a finding)
  std::string equation{};
  Comparison comparison = Comparison::absolute;
  double value = 0.0;
  double reference = 0.0;
  double tolerance = 0.0;
  std::optional<Control> control =
      std::nullopt;          // claims: what the control gives under the same comparison
  std::string no_control{};  // claims without a control: why there is none
  // The inputs are fixed (the spec's), not the config's: a world suite counts the check once.
  bool fixed_input = false;
  std::string note{};

  [[nodiscard]] bool passed() const { return compare(comparison, value, reference, tolerance); }
  // Whether the control passes the same comparison (null without a control). A claim whose
  // control passes too cannot tell the claim from its control.
  [[nodiscard]] std::optional<bool> control_passed() const;
  // Claims: "held" (passed, and the control fails or there is none), "not held" (failed),
  // "not resolved" (passed, but so does the control), "not measured" (value not finite).
  [[nodiscard]] std::string verdict() const;
};

// Throws std::logic_error for a row the lab must never write: no id or name, an unknown kind, a
// claim with neither a control nor a no_control reason, or a control on a check with no_control.
void validate(const Check& c);

nlohmann::json to_json(const Check& c);

}  // namespace nnworld::io
