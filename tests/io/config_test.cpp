// io::Config: typed getters, registration, --set overrides, shapes, ranges, unknown keys.
#include "nnworld/io/config.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <regex>

namespace {

using nnworld::Error;
using nnworld::io::Config;
using nnworld::io::NodeKind;
using nnworld::io::Range;

Config cfg(const char* text) {
  return Config::from_string(text, "cfg.toml", "/base");
}

// The full one-line message of the Error thrown by fn.
template <class Fn>
std::string error_of(Fn&& fn) {
  try {
    fn();
  } catch (const Error& e) {
    EXPECT_EQ(e.exit_code, 2);
    return e.message();
  }
  ADD_FAILURE() << "no nnworld::Error thrown";
  return {};
}

TEST(Config, TypedGettersReadValuesAndDefaults) {
  Config c =
      cfg("top = 3\n"
          "[a]\n"
          "x = 1.5\n"
          "i = 7\n"
          "flag = true\n"
          "name = \"relu\"\n"
          "as_int = 2\n");
  EXPECT_EQ(c.get<double>("a.x", 0.0, "doc"), 1.5);
  EXPECT_EQ(c.get<std::int64_t>("a.i", 0, "doc"), 7);
  EXPECT_TRUE(c.get<bool>("a.flag", false, "doc"));
  EXPECT_EQ(c.get<std::string>("a.name", "", "doc"), "relu");
  EXPECT_EQ(c.get<double>("a.as_int", 0.0, "an integer literal is a valid number"), 2.0);
  EXPECT_EQ(c.get<std::int64_t>("top", 0, "doc"), 3);
  // Absent keys give the default.
  EXPECT_EQ(c.get<double>("a.missing", 0.25, "doc"), 0.25);
  EXPECT_EQ(c.get<std::string>("b.s", "dflt", "doc"), "dflt");
  c.finish();  // every key present was read

  const auto j = c.resolved();
  EXPECT_EQ(j["a"]["x"], 1.5);
  EXPECT_EQ(j["a"]["missing"], 0.25);
  EXPECT_EQ(j["b"]["s"], "dflt");
  EXPECT_EQ(j["top"], 3);
  ASSERT_EQ(c.keys().size(), 8u);
  EXPECT_EQ(c.keys()[0].key, "a.x");
  EXPECT_EQ(c.keys()[0].doc, "doc");
  EXPECT_EQ(c.keys()[6].fallback, 0.25);
}

TEST(Config, WrongTypeNamesFileLineColumnAndKey) {
  Config c = cfg("[network]\nn = \"four\"\n");
  EXPECT_EQ(error_of([&] { c.get<std::int64_t>("network.n", 1, "N"); }),
            "cfg.toml:2:5: key 'network.n': wrong type: got string \"four\" (expected an integer)");
  Config d = cfg("[network]\nn = 4.0\n");
  EXPECT_EQ(error_of([&] { d.get<std::int64_t>("network.n", 1, "N"); }),
            "cfg.toml:2:5: key 'network.n': wrong type: got float 4 (expected an integer)");
  Config e = cfg("[t]\nflag = 1\n");
  EXPECT_EQ(error_of([&] { e.get<bool>("t.flag", false, "doc"); }),
            "cfg.toml:2:8: key 't.flag': wrong type: got integer 1 (expected true or false)");
}

TEST(Config, NonFiniteNumbersAreRejected) {
  // nan and inf are valid TOML floats; no parameter of the lab may be non-finite.
  for (const char* lit : {"nan", "inf", "-inf", "+nan"}) {
    Config c = cfg((std::string("[training]\nstep = ") + lit + "\n").c_str());
    const std::string msg = error_of([&] { c.get<double>("training.step", 0.1, "η"); });
    EXPECT_EQ(msg.rfind("cfg.toml:2:8: key 'training.step': non-finite number ", 0), 0u) << msg;
    EXPECT_NE(msg.find("(expected a finite number)"), std::string::npos) << msg;
  }
  // Inside an array the position is the element's.
  Config v = cfg("[n]\nbias = [0.1, inf]\n");
  EXPECT_EQ(error_of([&] { v.get_vector("n.bias", {}, "b", {.size = 2}); }),
            "cfg.toml:2:14: key 'n.bias': non-finite number inf (expected a finite number)");
}

TEST(Config, RangesAreCheckedAndDescribed) {
  Config c = cfg("[t]\nstep = 0.0\nbatch = 0\nfrac = 1.5\nneg = -1\n");
  EXPECT_EQ(error_of([&] { c.get<double>("t.step", 0.1, "η", Range::positive()); }),
            "cfg.toml:2:8: key 't.step': value 0 out of range (expected > 0)");
  EXPECT_EQ(error_of([&] { c.get<std::int64_t>("t.batch", 1, "B", Range::at_least(1)); }),
            "cfg.toml:3:9: key 't.batch': value 0 out of range (expected >= 1)");
  EXPECT_EQ(error_of([&] { c.get<double>("t.frac", 0.5, "f", Range::between(0, 1)); }),
            "cfg.toml:4:8: key 't.frac': value 1.5 out of range (expected in [0, 1])");
  EXPECT_EQ(error_of([&] { c.get<double>("t.neg", 0, "x", Range::non_negative()); }),
            "cfg.toml:5:7: key 't.neg': value -1 out of range (expected >= 0)");
  EXPECT_TRUE(Range::positive().contains(1e-300));
  EXPECT_FALSE(Range::positive().contains(0.0));
  EXPECT_FALSE(Range::positive().contains(std::nan("")));
  EXPECT_TRUE(Range::between(0, 1).contains(1.0));
  EXPECT_EQ(Range::any().describe(), "any number");
}

TEST(Config, ChoicesListAlternativesAndSuggest) {
  Config c = cfg("[network]\nactivation = \"tahn\"\n");
  EXPECT_EQ(error_of([&] {
              c.get_choice("network.activation", "tanh", "f", {"tanh", "logistic", "relu"});
            }),
            "cfg.toml:2:14: key 'network.activation': unknown choice 'tahn' (did you mean "
            "'tanh'?) (expected one of tanh, logistic, relu)");
  Config ok = cfg("[network]\nactivation = \"relu\"\n");
  EXPECT_EQ(ok.get_choice("network.activation", "tanh", "f", {"tanh", "relu"}), "relu");
}

TEST(Config, VectorsCheckLengthTypeAndBroadcast) {
  Config c = cfg("[n]\nb3 = [1, 2.5, 3]\nscalar = 0.5\nshort = [1, 2]\nmixed = [1, \"x\"]\n");
  EXPECT_EQ(c.get_vector("n.b3", {}, "b", {.size = 3}), (std::vector<double>{1, 2.5, 3}));
  EXPECT_EQ(c.get_vector("n.scalar", {}, "b", {.size = 3, .scalar_broadcast = true}),
            (std::vector<double>{0.5, 0.5, 0.5}));
  EXPECT_EQ(c.get_vector("n.absent", {2.0}, "b", {.size = 2, .scalar_broadcast = true}),
            (std::vector<double>{2.0, 2.0}));
  EXPECT_EQ(error_of([&] { c.get_vector("n.short", {}, "b", {.size = 3}); }),
            "cfg.toml:4:9: key 'n.short': expected 3 numbers, got 2 elements");
  EXPECT_EQ(error_of([&] { c.get_vector("n.mixed", {}, "b"); }),
            "cfg.toml:5:13: key 'n.mixed': wrong type: element is string \"x\" (expected a "
            "number)");
  EXPECT_EQ(error_of([&] { c.get_vector("n.scalar", {}, "b", {.size = 3}); }),
            "cfg.toml:3:10: key 'n.scalar': wrong type: got float 0.5 (expected an array of 3 "
            "numbers)");
}

TEST(Config, IndexVectorsAreBoundedAndDistinct) {
  Config c = cfg("[n]\nok = [0, 3]\nbig = [0, 4]\ndup = [1, 1]\n");
  EXPECT_EQ(c.get_index_vector("n.ok", {}, "in", 4), (std::vector<std::int64_t>{0, 3}));
  EXPECT_EQ(error_of([&] { c.get_index_vector("n.big", {}, "in", 4); }),
            "cfg.toml:3:11: key 'n.big': index 4 out of range (expected 0 <= index < 4)");
  EXPECT_EQ(error_of([&] { c.get_index_vector("n.dup", {}, "in", 4); }),
            "cfg.toml:4:11: key 'n.dup': duplicate index 1 (expected distinct indices)");
}

TEST(Config, MatrixShapeErrors) {
  Config c =
      cfg("[network]\n"
          "n = 4\n"
          "weights = [[1, 2, 3, 4], [1, 2, 3, 4], [1, 2, 3, 4]]\n");
  EXPECT_EQ(error_of([&] { c.get_matrix("network.weights", 4, 4, "w"); }),
            "cfg.toml:3:11: key 'network.weights': expected 4×4 array, got 3 rows");
  Config r = cfg("[n]\nw = [[1, 2], [3]]\n");
  EXPECT_EQ(error_of([&] { r.get_matrix("n.w", 2, 2, "w"); }),
            "cfg.toml:2:14: key 'n.w': expected 2×2 array, row 1 has 1 column");
  Config s = cfg("[n]\nw = [1, 2]\n");
  EXPECT_EQ(error_of([&] { s.get_matrix("n.w", 2, 2, "w"); }),
            "cfg.toml:2:6: key 'n.w': expected 2×2 array, row 0 is integer 1");
  Config t = cfg("[n]\nw = [[1, nan], [3, 4]]\n");
  EXPECT_EQ(error_of([&] { t.get_matrix("n.w", 2, 2, "w"); }),
            "cfg.toml:2:10: key 'n.w': non-finite number nan (expected a finite number)");

  Config good = cfg("[n]\nw = [[0.3, -0.4], [0.5, 0.2]]\n");
  const auto m = good.get_matrix("n.w", 2, 2, "w");
  ASSERT_TRUE(m.has_value());
  EXPECT_EQ((*m)(0, 1), -0.4);  // row-major reading: row 0 = first inner array
  EXPECT_EQ((*m)(1, 0), 0.5);
  EXPECT_FALSE(good.get_matrix("n.absent", 2, 2, "w").has_value());
  EXPECT_TRUE(good.resolved()["n"]["absent"].is_null());
}

TEST(Config, FinishReportsUnknownKeysWithSuggestion) {
  Config c = cfg("[network]\nn = 4\nactvation = \"tanh\"\n");
  c.get<std::int64_t>("network.n", 8, "N");
  c.get_choice("network.activation", "tanh", "f", {"tanh", "relu"});
  EXPECT_EQ(error_of([&] { c.finish(); }),
            "cfg.toml:3:13: key 'network.actvation': unknown key (did you mean "
            "'network.activation'?)");

  Config far = cfg("[network]\nn = 4\ncompletely_different = 1\n[other]\nx = 2\n");
  far.get<std::int64_t>("network.n", 8, "N");
  EXPECT_EQ(error_of([&] { far.finish(); }),
            "cfg.toml:3:24: key 'network.completely_different': unknown key; 1 more unknown "
            "key");
}

TEST(Config, ArraysOfTablesAreAddressedByIndex) {
  Config c =
      cfg("experiment = \"world\"\n"
          "[[run]]\nname = \"a\"\nconfig = \"a.toml\"\n"
          "[[run]]\nname = \"b\"\nconfg = \"b.toml\"\n");
  EXPECT_EQ(c.table_array_size("run", "runs"), 2u);
  c.get<std::string>("experiment", "", "kind");
  EXPECT_EQ(c.get_required_string("run[0].name", "name"), "a");
  EXPECT_EQ(c.get_required_string("run[0].config", "file"), "a.toml");
  EXPECT_EQ(c.get_required_string("run[1].name", "name"), "b");
  EXPECT_EQ(error_of([&] { c.get_required_string("run[1].config", "the config file"); }),
            "cfg.toml:5:1: key 'run[1].config': missing required key (expected the config "
            "file)");
  EXPECT_EQ(error_of([&] { c.finish(); }),
            "cfg.toml:7:9: key 'run[1].confg': unknown key (did you mean 'run[1].config'?)");
  EXPECT_EQ(c.resolved()["run"][1]["name"], "b");
}

TEST(Config, OverridesParseTomlValuesAndBareStrings) {
  Config c = cfg("[network]\nn = 4\nactivation = \"tanh\"\n");
  c.apply_overrides({"network.n=8", "network.activation=relu", "training.step = 0.5",
                     "training.enabled=true", "network.bias=[1, 2]", "network.name=\"quoted\""});
  EXPECT_EQ(c.get<std::int64_t>("network.n", 1, "N"), 8);
  EXPECT_EQ(c.get<std::string>("network.activation", "", "f"), "relu");
  EXPECT_EQ(c.get<double>("training.step", 0.1, "η"), 0.5);
  EXPECT_TRUE(c.get<bool>("training.enabled", false, "on"));
  EXPECT_EQ(c.get_vector("network.bias", {}, "b"), (std::vector<double>{1, 2}));
  EXPECT_EQ(c.get<std::string>("network.name", "", "s"), "quoted");
  EXPECT_EQ(c.kind("network.n"), NodeKind::integer);
  EXPECT_EQ(c.where("network.n"), "--set network.n");
  EXPECT_EQ(c.where("network.activation"), "--set network.activation");
}

TEST(Config, OverrideErrorsNameTheSetting) {
  Config c = cfg("[network]\nn = 4\n");
  EXPECT_EQ(error_of([&] { c.apply_override("network.n"); }),
            "--set network.n: missing '=' (expected KEY=VALUE, e.g. network.n=8)");
  EXPECT_EQ(error_of([&] { c.apply_override("network..n=3"); }),
            "--set network..n: malformed key (expected a dotted key such as network.n or "
            "run[0].name)");
  const std::string m = error_of([&] { c.apply_override("network.weights=[[1, 2]"); });
  EXPECT_EQ(m.rfind("--set network.weights: malformed TOML value '[[1, 2]'", 0), 0u) << m;
  EXPECT_EQ(error_of([&] { c.apply_override("network.n.x=3"); }),
            "--set network.n.x: 'n' is not a table (expected a table to hold the key)");
  c.apply_override("network.n=8x");  // a bare string: the type error comes from the getter
  EXPECT_EQ(error_of([&] { c.get<std::int64_t>("network.n", 1, "N"); }),
            "--set network.n: wrong type: got string \"8x\" (expected an integer)");
  c.apply_override("network.actvation=relu");
  c.get_choice("network.activation", "tanh", "f", {"tanh", "relu"});
  EXPECT_EQ(error_of([&] { c.finish(); }),
            "--set network.actvation: unknown key (did you mean 'network.activation'?)");
}

TEST(Config, OverridesReachArraysOfTables) {
  Config c = cfg("[[run]]\nname = \"a\"\n");
  c.apply_override("run[0].name=b");
  EXPECT_EQ(c.get<std::string>("run[0].name", "", "n"), "b");
  EXPECT_EQ(error_of([&] { c.apply_override("run[3].name=c"); }),
            "--set run[3].name: index 3 out of range (expected an existing array element)");
}

TEST(Config, MalformedTomlAndMissingFile) {
  const std::string m = error_of([] { cfg("experiment = \"network\"\n[network\nn = 4\n"); });
  // toml++ reports the position of the unterminated header on line 2.
  EXPECT_TRUE(std::regex_search(m, std::regex("^cfg\\.toml:2:[0-9]+: malformed TOML: "))) << m;
  EXPECT_EQ(error_of([] { Config::from_file("/nonexistent/dir/cfg.toml"); }),
            "/nonexistent/dir/cfg.toml: cannot open config file (expected a readable TOML "
            "file)");
}

TEST(Config, FromFileResolvesPathsRelativeToTheFile) {
  const auto dir = std::filesystem::temp_directory_path() /
                   ("nnworld_config_test_" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  const auto file = dir / "c.toml";
  std::ofstream(file) << "[data]\nsource = \"d.csv\"\n";
  Config c = Config::from_file(file);
  EXPECT_EQ(c.source_name(), file.string());
  EXPECT_EQ(c.resolve_path("d.csv"), dir / "d.csv");
  EXPECT_EQ(c.resolve_path("/abs/x.csv"), std::filesystem::path("/abs/x.csv"));
  EXPECT_EQ(c.where("data.source"), file.string() + ":2:10: key 'data.source'");
  std::filesystem::remove_all(dir);
}

TEST(EditDistance, KnownValues) {
  // Textbook Levenshtein distances.
  EXPECT_EQ(nnworld::io::edit_distance("kitten", "sitting"), 3u);
  EXPECT_EQ(nnworld::io::edit_distance("flaw", "lawn"), 2u);
  EXPECT_EQ(nnworld::io::edit_distance("", "abc"), 3u);
  EXPECT_EQ(nnworld::io::edit_distance("same", "same"), 0u);
  EXPECT_EQ(nnworld::io::edit_distance("network.actvation", "network.activation"), 1u);
}

TEST(DidYouMean, SuggestsOnlyPlausibleTypos) {
  const std::vector<std::string> keys = {"network.n", "network.activation", "training.step"};
  EXPECT_EQ(nnworld::io::did_you_mean("network.activaton", keys), "network.activation");
  EXPECT_EQ(nnworld::io::did_you_mean("training.stpe", keys), "training.step");
  EXPECT_FALSE(nnworld::io::did_you_mean("zzzzzzzzzzzzz", keys).has_value());
}

}  // namespace
