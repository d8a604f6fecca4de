// io::Check: the comparison rules of docs/checks.md at their boundaries, the control and the
// verdict of a claim, and the rows the lab must refuse to write.
#include "nnworld/io/check.hpp"

#include <gtest/gtest.h>

#include <limits>
#include <stdexcept>

#include "nnworld/io/output.hpp"

namespace {

using nnworld::io::Check;
using nnworld::io::compare;
using nnworld::io::Comparison;
using nnworld::io::Control;

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr double kInf = std::numeric_limits<double>::infinity();

TEST(Check, RulesAtTheirBoundaries) {
  // absolute and z_score: |v − r| ≤ t, two-sided, equality passes.
  for (const Comparison c : {Comparison::absolute, Comparison::z_score}) {
    EXPECT_TRUE(compare(c, 1.5, 1.0, 0.5));
    EXPECT_TRUE(compare(c, 0.5, 1.0, 0.5));
    EXPECT_FALSE(compare(c, 1.5000001, 1.0, 0.5));
    EXPECT_FALSE(compare(c, 0.4999999, 1.0, 0.5));
  }
  // relative: |v − r| ≤ t|r|.
  EXPECT_TRUE(compare(Comparison::relative, -2.5, -2.0, 0.25));  // exact in binary
  EXPECT_FALSE(compare(Comparison::relative, -2.5000001, -2.0, 0.25));
  EXPECT_FALSE(compare(Comparison::relative, 1e-300, 0.0, 1.0));  // a zero reference: exact only
  // upper_bound: v ≤ r + t; lower_bound: v ≥ r − t (one-sided).
  EXPECT_TRUE(compare(Comparison::upper_bound, -1e9, 0.0, 0.0));
  EXPECT_TRUE(compare(Comparison::upper_bound, 0.0, 0.0, 0.0));
  EXPECT_FALSE(compare(Comparison::upper_bound, 1e-300, 0.0, 0.0));
  EXPECT_TRUE(compare(Comparison::lower_bound, 3.0, 3.0, 0.0));
  EXPECT_FALSE(compare(Comparison::lower_bound, 2.99, 3.0, 0.0));
  EXPECT_TRUE(compare(Comparison::lower_bound, 1e9, 3.0, 0.0));
  // ratio_to_floor: v ≤ t·r.
  EXPECT_TRUE(compare(Comparison::ratio_to_floor, 3.0, 1.0, 3.0));
  EXPECT_FALSE(compare(Comparison::ratio_to_floor, 3.01, 1.0, 3.0));
  // Anything not finite fails every rule.
  for (const Comparison c :
       {Comparison::absolute, Comparison::relative, Comparison::z_score, Comparison::upper_bound,
        Comparison::lower_bound, Comparison::ratio_to_floor}) {
    EXPECT_FALSE(compare(c, kNaN, 0.0, 1.0));
    EXPECT_FALSE(compare(c, 0.0, kNaN, 1.0));
    EXPECT_FALSE(compare(c, 0.0, 0.0, kInf));
    EXPECT_FALSE(compare(c, -kInf, 0.0, 1.0));
  }
}

Check claim(double value, double control) {
  return {.id = "c",
          .name = "a claim",
          .kind = "claim",
          .equation = "(12)",
          .comparison = Comparison::upper_bound,
          .value = value,
          .reference = 0.0,
          .tolerance = 1.0,
          .control = Control{.label = "a wrong theory", .value = control}};
}

TEST(Check, VerdictsOfAClaim) {
  EXPECT_EQ(claim(0.5, 2.0).verdict(), "held");          // passes, the control fails
  EXPECT_EQ(claim(2.0, 0.5).verdict(), "not held");      // fails
  EXPECT_EQ(claim(0.5, 0.5).verdict(), "not resolved");  // both pass: no power
  EXPECT_EQ(claim(kNaN, 2.0).verdict(), "not measured");
  EXPECT_EQ(claim(0.5, 2.0).control_passed(), false);
  Check none = claim(0.5, 0.0);
  none.control.reset();
  none.no_control = "no alternative";
  EXPECT_EQ(none.verdict(), "held");
  EXPECT_FALSE(none.control_passed().has_value());
  const auto j = to_json(claim(0.5, 0.5));
  EXPECT_EQ(j["comparison"], "upper_bound");
  EXPECT_EQ(j["passed"], true);
  EXPECT_EQ(j["control"]["label"], "a wrong theory");
  EXPECT_EQ(j["control"]["passed"], true);
  EXPECT_EQ(j["verdict"], "not resolved");
}

TEST(Check, MalformedRowsAreRefused) {
  nnworld::io::Summary s;
  Check c = claim(0.5, 2.0);
  c.control.reset();
  EXPECT_THROW(s.add_check(c), std::logic_error);  // a claim with neither control nor reason
  c.no_control = "why";
  s.add_check(c);
  EXPECT_THROW(s.add_check(c), std::logic_error);  // the same id twice in a run
  Check both = claim(0.5, 2.0);
  both.id = "d";
  both.no_control = "why";
  EXPECT_THROW(s.add_check(both), std::logic_error);
  Check kind = claim(0.5, 2.0);
  kind.id = "e";
  kind.kind = "monitor";
  EXPECT_THROW(s.add_check(kind), std::logic_error);
  Check anonymous = claim(0.5, 2.0);
  anonymous.id.clear();
  EXPECT_THROW(s.add_check(anonymous), std::logic_error);
  EXPECT_EQ(s.checks().size(), 1u);
}

}  // namespace
