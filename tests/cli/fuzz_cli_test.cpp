// A seeded mutational fuzzer over the shipped configs and the command-line flags. Each case
// mutates a config of experiments/ (values swapped for hostile ones, lines deleted, duplicated,
// cut or garbled) and runs `nnworld validate` on it, or `nnworld run` stopped by SIGTERM after a
// few seconds, or a run with hostile flags and output targets. Every case must end with an exit
// in {0, 2, 3, 130, 143}, no signal and no timeout; a refusal (2) leaves nothing behind; a run
// that wrote a directory (0, 3, 130, 143) leaves a summary.json that parses and a data.h5 that
// opens; a user's file in the output directory is never lost.
//
// NNWORLD_FUZZ_CASES (default 1000) and NNWORLD_FUZZ_SEED (default 2026) change the campaign; a
// failing case prints its seed, command and config so it can be replayed.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <map>
#include <nlohmann/json.hpp>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "cli_fixture.hpp"

namespace {

using namespace nnworld::cli_test;  // NOLINT(google-build-using-namespace)

std::int64_t env_int(const char* name, std::int64_t fallback) {
  const char* v = std::getenv(name);
  return v != nullptr && *v != '\0' ? std::atoll(v) : fallback;
}

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> out;
  std::stringstream ss(text);
  for (std::string line; std::getline(ss, line);) out.push_back(line);
  return out;
}

const std::vector<std::string> kValues = {"0",
                                          "-1",
                                          "1",
                                          "2",
                                          "1e308",
                                          "-1e308",
                                          "1e-308",
                                          "nan",
                                          "inf",
                                          "-inf",
                                          "1e12",
                                          "1000000",
                                          "3.5",
                                          "\"\"",
                                          "\"x\"",
                                          "[]",
                                          "[1, 2, 3]",
                                          "[[1]]",
                                          "{}",
                                          "true",
                                          "false",
                                          "0.5",
                                          "100000",
                                          "1e9",
                                          "99999999999999999999",
                                          "-0.0",
                                          "[nan]",
                                          "\"" + std::string(300, 'y') + "\""};

class Fuzz : public CliFixture {
 protected:
  std::mt19937_64 rng_;
  std::size_t pick(std::size_t n) {
    return std::uniform_int_distribution<std::size_t>(0, n - 1)(rng_);
  }

  std::string mutate(const std::string& text) {
    std::vector<std::string> lines = lines_of(text);
    const std::size_t rounds = 1 + pick(3);
    for (std::size_t r = 0; r < rounds && !lines.empty(); ++r) {
      const std::size_t i = pick(lines.size());
      switch (pick(8)) {
        case 0:
        case 1:
        case 2: {  // a hostile value for a key
          const auto eq = lines[i].find('=');
          if (eq != std::string::npos && lines[i].front() != '#') {
            lines[i] = lines[i].substr(0, eq + 1) + " " + kValues[pick(kValues.size())];
          }
          break;
        }
        case 3:
          lines.erase(lines.begin() + static_cast<std::ptrdiff_t>(i));
          break;
        case 4:
          lines.insert(lines.begin() + static_cast<std::ptrdiff_t>(i), lines[i]);
          break;
        case 5:
          lines.insert(lines.begin() + static_cast<std::ptrdiff_t>(i),
                       pick(2) ? "unknown_key_" + std::to_string(pick(100)) + " = 1" : "[bogus]");
          break;
        case 6:
          if (!lines[i].empty()) {
            lines[i][pick(lines[i].size())] = "=[]{}\"'#.,\\\x01\xff"[pick(14)];
          }
          break;
        default:
          lines.resize(i);  // cut
          break;
      }
    }
    std::string out;
    for (const auto& l : lines) out += l + "\n";
    return out;
  }

  // Runs `cmd` (relative to the test directory) under `timeout`; returns the exit status, 124+ for
  // a timeout and -1 for a signal.
  int shell(const std::string& cmd) const {
    const std::string full = "cd '" + dir().string() + "' && env " + std::string(kNoPython) + " " +
                             cmd + " >/dev/null 2>fuzz.err";
    const int status = std::system(full.c_str());
    if (WIFSIGNALED(status)) return -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  }
};

TEST_F(Fuzz, ShippedConfigsAndFlags) {
  const std::int64_t cases = env_int("NNWORLD_FUZZ_CASES", 1000);
  const std::uint64_t seed = static_cast<std::uint64_t>(env_int("NNWORLD_FUZZ_SEED", 2026));
  rng_.seed(seed);
  // The shipped configs, copied beside each other so their relative paths still resolve.
  const fs::path src = NNWORLD_SOURCE_DIR "/experiments";
  fs::copy(src, dir() / "experiments", fs::copy_options::recursive);
  std::vector<fs::path> configs;
  for (const auto& e : fs::directory_iterator(dir() / "experiments")) {
    if (e.path().extension() == ".toml") configs.push_back(e.path().filename());
  }
  std::sort(configs.begin(), configs.end());
  ASSERT_GE(configs.size(), 20u);
  const std::string bin = "'" NNWORLD_BINARY "'";
  const std::vector<std::string> hostile_flags = {"--threads 0",
                                                  "--threads 100000",
                                                  "--threads -3",
                                                  "--threads x",
                                                  "--seed -1",
                                                  "--seed 1e3",
                                                  "--seed 18446744073709551616",
                                                  "--seed ''",
                                                  "--checkpoint-every nan",
                                                  "--checkpoint-every -1",
                                                  "--checkpoint-every inf",
                                                  "--set ''",
                                                  "--set =3",
                                                  "--set a.b.c",
                                                  "--set network.n=",
                                                  "--resume nowhere",
                                                  "--strict",
                                                  "--out ''",
                                                  "--bogus"};
  std::map<int, int> exits;
  const auto t0 = std::chrono::steady_clock::now();
  for (std::int64_t k = 0; k < cases; ++k) {
    const fs::path config = configs[pick(configs.size())];
    const std::string text = slurp(dir() / "experiments" / config);
    const std::string mutated = pick(10) == 0 ? text : mutate(text);
    const std::string name = "experiments/fuzz_" + std::to_string(k) + ".toml";
    write(name, mutated);
    const std::size_t kind = pick(100);
    std::string cmd;
    std::string out_dir;
    bool user_file = false;
    if (kind < 94) {  // validate
      cmd = "timeout -k 5 30 " + bin + " validate " + name + " -q";
    } else {
      out_dir = "o" + std::to_string(k);
      std::string flags;
      if (kind >= 97) flags = " " + hostile_flags[pick(hostile_flags.size())];
      if (kind == 99) {  // the output directory already holds a file of the user's
        fs::create_directories(dir() / out_dir);
        write(out_dir + "/mine.txt", "mine");
        user_file = true;
      }
      // SIGTERM after 3 s: the run must stop at a safe point within 60 s more.
      cmd = "timeout --preserve-status -k 60 -s TERM 3 " + bin + " run " + name +
            " -q --threads 1 --out " + out_dir + flags;
    }
    const int code = shell(cmd);
    ++exits[code];
    const std::string err = slurp(dir() / "fuzz.err");
    const std::string replay = "case " + std::to_string(k) + " (seed " + std::to_string(seed) +
                               ", from " + config.string() + "): " + cmd +
                               "\nstderr: " + err.substr(0, 2000) + "\nconfig:\n" +
                               mutated.substr(0, 3000);
    const bool allowed = code == 0 || code == 2 || code == 3 || code == 130 || code == 143;
    EXPECT_TRUE(allowed) << "exit " << code << " in " << replay;
    if (code == 2) {
      EXPECT_EQ(err.rfind("error: ", 0), 0u) << replay;
      if (!out_dir.empty()) {
        EXPECT_FALSE(fs::exists(dir() / (out_dir + ".partial"))) << replay;
      }
      if (!out_dir.empty() && !user_file) {
        EXPECT_FALSE(fs::exists(dir() / out_dir)) << replay;
      }
    }
    EXPECT_EQ(err.find("internal error"), std::string::npos) << replay;
    if (!out_dir.empty() && (code == 0 || code == 3 || code == 130 || code == 143) &&
        fs::exists(dir() / out_dir / "summary.json")) {
      std::ifstream in(dir() / out_dir / "summary.json");
      const nlohmann::json s = nlohmann::json::parse(in, nullptr, false);
      EXPECT_TRUE(s.is_object() && s.contains("status")) << replay;
      if (s.is_object() && s.value("experiment", "") != "world") {
        EXPECT_TRUE(h5_opens(dir() / out_dir / "data.h5")) << replay;
      }
      if (code == 3) {
        EXPECT_EQ(s.value("status", ""), "diverged") << replay;
      }
    }
    if (user_file) {
      EXPECT_EQ(slurp(dir() / out_dir / "mine.txt"), "mine") << replay;
    }
    if (HasFailure()) break;  // one replayable case is enough
    fs::remove(dir() / name);
    if (!out_dir.empty() && !user_file) {
      fs::remove_all(dir() / out_dir);
      fs::remove_all(dir() / (out_dir + ".partial"));
    }
  }
  std::string tally;
  for (const auto& [code, n] : exits)
    tally += " exit " + std::to_string(code) + ": " + std::to_string(n) + ";";
  std::printf("fuzz: %lld cases in %.1f s (seed %llu):%s\n", static_cast<long long>(cases),
              std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count(),
              static_cast<unsigned long long>(seed), tally.c_str());
}

}  // namespace
