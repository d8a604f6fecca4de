#include "nnworld/io/check.hpp"

#include <cmath>
#include <stdexcept>

namespace nnworld::io {

std::string_view comparison_name(Comparison c) {
  switch (c) {
    case Comparison::absolute:
      return "absolute";
    case Comparison::relative:
      return "relative";
    case Comparison::z_score:
      return "z_score";
    case Comparison::upper_bound:
      return "upper_bound";
    case Comparison::lower_bound:
      return "lower_bound";
    case Comparison::ratio_to_floor:
      return "ratio_to_floor";
  }
  return "absolute";
}

bool compare(Comparison c, double value, double reference, double tolerance) {
  if (!std::isfinite(value) || !std::isfinite(reference) || !std::isfinite(tolerance)) {
    return false;
  }
  switch (c) {
    case Comparison::absolute:
    case Comparison::z_score:
      return std::abs(value - reference) <= tolerance;
    case Comparison::relative:
      return std::abs(value - reference) <= tolerance * std::abs(reference);
    case Comparison::upper_bound:
      return value <= reference + tolerance;
    case Comparison::lower_bound:
      return value >= reference - tolerance;
    case Comparison::ratio_to_floor:
      return value <= tolerance * reference;
  }
  return false;
}

std::optional<bool> Check::control_passed() const {
  if (!control) return std::nullopt;
  return compare(comparison, control->value, reference, tolerance);
}

std::string Check::verdict() const {
  if (!std::isfinite(value)) return "not measured";
  if (!passed()) return "not held";
  if (control_passed().value_or(false)) return "not resolved";
  return "held";
}

void validate(const Check& c) {
  auto fail = [&](const std::string& what) {
    throw std::logic_error("check '" + c.name + "' (" + c.id + "): " + what);
  };
  if (c.id.empty() || c.name.empty()) fail("a check needs an id and a name");
  if (c.kind != "oracle" && c.kind != "claim") fail("kind must be oracle or claim");
  if (c.kind == "claim" && !c.control && c.no_control.empty()) {
    fail("a claim needs a control or a no_control reason");
  }
  if (c.control && !c.no_control.empty()) fail("a control and a no_control reason");
  if (c.control && c.control->label.empty()) fail("a control needs a label");
}

nlohmann::json to_json(const Check& c) {
  nlohmann::json j = {{"id", c.id},
                      {"name", c.name},
                      {"kind", c.kind},
                      {"equation", c.equation},
                      {"comparison", std::string(comparison_name(c.comparison))},
                      {"value", c.value},
                      {"reference", c.reference},
                      {"tolerance", c.tolerance},
                      {"passed", c.passed()}};
  if (c.control) {
    j["control"] = {
        {"label", c.control->label}, {"value", c.control->value}, {"passed", *c.control_passed()}};
  }
  if (!c.no_control.empty()) j["no_control"] = c.no_control;
  if (c.kind == "claim") j["verdict"] = c.verdict();
  if (c.fixed_input) j["fixed_input"] = true;
  if (!c.note.empty()) j["note"] = c.note;
  return j;
}

}  // namespace nnworld::io
