#pragma once
// The comparison rules of docs/checks.md written out again, independently of io::Check, so a
// test can recompute every stored "passed", control "passed" and claim "verdict" of a summary.
#include <gtest/gtest.h>

#include <cmath>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

namespace nnworld::test {

// The rule `comparison` on (value, reference, tolerance); JSON null (NaN, ±∞ in the run) fails.
inline bool rule(const std::string& comparison, const nlohmann::json& value,
                 const nlohmann::json& reference, const nlohmann::json& tolerance) {
  if (!value.is_number() || !reference.is_number() || !tolerance.is_number()) return false;
  const double v = value.get<double>(), r = reference.get<double>(), t = tolerance.get<double>();
  if (!std::isfinite(v) || !std::isfinite(r) || !std::isfinite(t)) return false;
  if (comparison == "absolute" || comparison == "z_score") return std::fabs(v - r) <= t;
  if (comparison == "relative") return std::fabs(v - r) <= t * std::fabs(r);
  if (comparison == "upper_bound") return v <= r + t;
  if (comparison == "lower_bound") return v >= r - t;
  if (comparison == "ratio_to_floor") return v <= t * r;
  ADD_FAILURE() << "unknown comparison '" << comparison << "'";
  return false;
}

// Checks one row of a summary: its fields recompute its "passed"; a claim has a control (label,
// value, and a "passed" its fields recompute) or a no_control reason, and a verdict that follows
// from passed and the control.
inline void expect_row_recomputes(const nlohmann::json& c, const std::string& where) {
  const std::string what = where + ": " + c.dump();
  ASSERT_TRUE(c.contains("id") && c["id"].is_string() && !c["id"].get<std::string>().empty())
      << what;
  ASSERT_TRUE(c.contains("comparison") && c["comparison"].is_string()) << what;
  const std::string cmp = c["comparison"];
  const bool passed = rule(cmp, c["value"], c["reference"], c["tolerance"]);
  EXPECT_EQ(c["passed"].get<bool>(), passed) << what;
  std::optional<bool> control;
  if (c.contains("control")) {
    const auto& k = c["control"];
    EXPECT_FALSE(k.value("label", "").empty()) << what;
    control = rule(cmp, k["value"], c["reference"], c["tolerance"]);
    EXPECT_EQ(k["passed"].get<bool>(), *control) << what;
  }
  if (c["kind"] != "claim") return;
  EXPECT_TRUE(control.has_value() || !c.value("no_control", "").empty())
      << "a claim with neither a control nor a no_control reason: " << what;
  std::string verdict = "held";
  if (!c["value"].is_number()) {
    verdict = "not measured";
  } else if (!passed) {
    verdict = "not held";
  } else if (control.value_or(false)) {
    verdict = "not resolved";
  }
  EXPECT_EQ(c["verdict"], verdict) << what;
}

}  // namespace nnworld::test
