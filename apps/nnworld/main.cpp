// nnworld: the command-line laboratory.
//
//   nnworld run CONFIG.toml [--out DIR] [--overwrite] [--set key=value]... [--seed N]
//                           [--threads N] [--quiet] [--strict] [--checkpoint-every S]
//   nnworld run --resume DIR [--threads N] [--quiet] [--strict]
//   nnworld list                      experiment kinds with one-line descriptions
//   nnworld validate CONFIG.toml [--set key=value]... [--keys]
//   nnworld report DIR                (re)build DIR/report.html
//
// Exit codes (core/error.hpp): 0 ran (claims may fail), 2 bad input, 3 numerical divergence, 4 an
// oracle failed under --strict, 5 out of memory, 6 an I/O error, 130/143 stopped by SIGINT/
// SIGTERM at a safe point, 1 internal error.
//
// Under `mpirun -np R nnworld run …` every rank reads the config and runs the experiment; the
// engines split their replicas, chains or sub-runs over the ranks (core/parallel.hpp) and rank 0
// alone prints and writes the run directory.
#include <omp.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <limits>
#include <new>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "nnworld/core/error.hpp"
#include "nnworld/core/interrupt.hpp"
#include "nnworld/core/parallel.hpp"
#include "nnworld/io/config.hpp"
#include "nnworld/lab/experiment.hpp"
#include "nnworld/lab/report.hpp"

namespace fs = std::filesystem;
using namespace nnworld;

namespace {

struct Args {
  std::string config;
  std::string out;
  bool out_given = false;
  bool overwrite = false;
  std::string report_dir;
  std::vector<std::string> sets;
  std::string seed_text;
  std::uint64_t seed = 1;
  int threads = 0;
  bool quiet = false;
  bool strict = false;
  bool keys = false;
  double checkpoint_every = -1.0;
  std::string resume;
};

// "out/run/" and "out/run" name the same run.
std::string without_trailing_slash(std::string dir) {
  while (dir.size() > 1 && dir.back() == '/') dir.pop_back();
  return dir;
}

// `run --resume DIR`: the invocation recorded in DIR.partial/resume.json replaces the command
// line's config, --set, --seed and --out (threads, --quiet and --strict stay as given). Each
// field is checked: a record edited by hand is refused naming the field.
nlohmann::json read_invocation(const std::string& dir) {
  const fs::path partial = fs::path(dir).lexically_normal().string() + ".partial";
  const fs::path file = partial / "resume.json";
  std::ifstream in(file);
  if (!in) {
    if (fs::exists(fs::path(dir) / "summary.json")) {
      throw Error(dir, "the run is complete: nothing to resume",
                  "the directory of a run stopped before it finished");
    }
    throw Error(
        file.string(), "no interrupted run to resume",
        "DIR.partial/resume.json, written by `nnworld run … --checkpoint-every S --out DIR`");
  }
  nlohmann::json inv = nlohmann::json::parse(in, nullptr, false);
  if (inv.is_discarded() || !inv.is_object()) {
    throw Error(file.string(), "unreadable resume record (not a JSON object)",
                "the resume.json nnworld wrote");
  }
  const auto require = [&](const char* field, bool ok, const char* expected) {
    if (!inv.contains(field)) {
      throw Error(file.string(), std::string("field '") + field + "' is missing", expected);
    }
    if (!ok) throw Error(file.string(), std::string("field '") + field + "' is invalid", expected);
  };
  require("config",
          inv.contains("config") && inv["config"].is_string() &&
              !inv["config"].get<std::string>().empty(),
          "the path of the config file (a string)");
  const bool sets_ok = inv.contains("sets") && inv["sets"].is_array() &&
                       std::all_of(inv["sets"].begin(), inv["sets"].end(),
                                   [](const auto& v) { return v.is_string(); });
  require("sets", sets_ok, "a list of KEY=VALUE strings");
  require("seed", inv.contains("seed") && inv["seed"].is_number_unsigned(),
          "a non-negative integer");
  require("seed_given", inv.contains("seed_given") && inv["seed_given"].is_boolean(),
          "true or false");
  require("checkpoint_every",
          inv.contains("checkpoint_every") && inv["checkpoint_every"].is_number() &&
              std::isfinite(inv["checkpoint_every"].get<double>()) &&
              inv["checkpoint_every"].get<double>() >= 0.0,
          "a non-negative number of seconds");
  require("resolved", inv.contains("resolved") && inv["resolved"].is_object(),
          "the resolved config (an object)");
  return inv;
}

// --seed as typed: a whole number in [0, 2^63 − 1], the range of the config's `seed`.
std::uint64_t parse_seed(const std::string& text) {
  const auto fail = [&] {
    throw Error("--seed " + io::elide(text), "not a whole number in [0, 9.2e18]",
                "a non-negative integer seed");
  };
  if (text.empty() || text.size() > 19) fail();
  for (char c : text) {
    if (c < '0' || c > '9') fail();
  }
  const unsigned long long v = std::stoull(text);
  if (v > static_cast<unsigned long long>(std::numeric_limits<std::int64_t>::max())) fail();
  return v;
}

// --threads: at most 8 per core (and never fewer than 64 allowed), so that a typo cannot ask the
// OpenMP runtime for tens of thousands of threads.
int max_threads() {
  return std::max(64, 8 * omp_get_num_procs());
}

io::Config load_config(const Args& a) {
  io::Config config = io::Config::from_file(a.config);
  config.apply_overrides(a.sets);
  return config;
}

// Without --threads: the cores of this machine shared by the ranks that the MPI launcher put on it
// (Open MPI, MPICH and Slurm say how many), so that ranks × threads does not oversubscribe it.
int default_threads() {
  int local = 1;
  for (const char* var :
       {"OMPI_COMM_WORLD_LOCAL_SIZE", "MPI_LOCALNRANKS", "SLURM_NTASKS_PER_NODE"}) {
    if (const char* v = std::getenv(var); v != nullptr && std::atoi(v) > 0) {
      local = std::atoi(v);
      break;
    }
  }
  return std::max(1, omp_get_num_procs() / local);
}

int cmd_list() {
  std::size_t width = 0;
  for (const auto& k : lab::experiment_kinds()) width = std::max(width, k.name.size());
  for (const auto& k : lab::experiment_kinds()) {
    std::printf("%-*s  %s\n", static_cast<int>(width), k.name.c_str(), k.description.c_str());
  }
  return 0;
}

int cmd_validate(const Args& a) {
  io::Config config = load_config(a);
  lab::RunOptions options;
  const lab::Prepared p = lab::prepare(config, options);
  if (!a.quiet) {
    std::printf("%s: ok (experiment '%s', %zu keys; memory estimate %s of %s available)\n",
                a.config.c_str(), p.experiment.c_str(), config.keys().size(),
                io::format_bytes(config.memory_estimate()).c_str(),
                io::format_bytes(io::Config::memory_available()).c_str());
    if (a.keys) {
      for (const auto& k : config.keys()) {
        std::printf("%s = %s    # %s (default %s)\n", k.key.c_str(), k.value.dump().c_str(),
                    k.doc.c_str(), k.fallback.dump().c_str());
      }
    }
  }
  return 0;
}

int cmd_report(const Args& a) {
  const lab::ReportOutcome r = lab::build_report(a.report_dir, a.quiet);
  if (!a.quiet) {
    std::printf("%s/report.html%s\n", a.report_dir.c_str(),
                r.python_ok ? "" : " (checks only: figure report unavailable)");
  }
  return 0;
}

int cmd_run(Args a, bool seed_given) {
  nlohmann::json resumed;
  if (a.out_given && without_trailing_slash(a.out).empty()) {
    throw Error("--out ''", "empty output directory name", "a directory path");
  }
  if (a.threads > max_threads()) {
    throw Error("--threads " + std::to_string(a.threads), "too many threads",
                "at most " + std::to_string(max_threads()) + " (8 per core of this machine)");
  }
  if (seed_given) a.seed = parse_seed(a.seed_text);
  if (!a.resume.empty()) {
    a.resume = without_trailing_slash(a.resume);
    const char* conflict = !a.config.empty() ? "a CONFIG"
                           : a.out_given     ? "--out"
                           : seed_given      ? "--seed"
                           : !a.sets.empty() ? "--set"
                           : a.overwrite     ? "--overwrite"
                                             : nullptr;
    if (conflict != nullptr) {
      throw Error("nnworld run --resume " + a.resume, std::string("given with ") + conflict,
                  "--resume DIR alone (with --threads, --quiet, --strict or "
                  "--checkpoint-every): the config, --set, --seed and --out come from "
                  "DIR.partial/resume.json");
    }
    resumed = read_invocation(a.resume);
    a.config = resumed["config"].get<std::string>();
    a.sets = resumed["sets"].get<std::vector<std::string>>();
    seed_given = resumed["seed_given"].get<bool>();
    a.seed = resumed["seed"].get<std::uint64_t>();
    a.out = a.resume;
    if (a.checkpoint_every < 0.0) a.checkpoint_every = resumed["checkpoint_every"].get<double>();
  } else if (a.config.empty()) {
    throw Error("nnworld run", "no config", "CONFIG.toml, or --resume DIR");
  }
  io::Config config = load_config(a);
  lab::RunOptions options;
  options.seed = a.seed;
  options.seed_given = seed_given;
  options.checkpoint_every = a.checkpoint_every;
  options.resume = !a.resume.empty();
  options.overwrite = a.overwrite;
  options.threads = a.threads > 0 ? a.threads : default_threads();
  const core::Comm& world = core::Comm::world();
  options.quiet = a.quiet || !world.root();
  options.strict = a.strict;
  omp_set_num_threads(options.threads);

  const fs::path out =
      a.out.empty() ? fs::path("out") / fs::path(a.config).stem() : fs::path(a.out);
  if (!options.resume) io::RunDirectory::check_target(out, options.overwrite);
  lab::Prepared prepared = lab::prepare(config, options);
  if (options.resume && prepared.config != resumed["resolved"]) {
    throw Error(a.config, "the config has changed since the run being resumed started",
                "the config it started with (or a fresh run without --resume)");
  }
  if (options.checkpoint_every >= 0.0) {
    prepared.options.invocation = {{"config", fs::absolute(a.config).lexically_normal().string()},
                                   {"sets", a.sets},
                                   {"seed", a.seed},
                                   {"seed_given", seed_given},
                                   {"checkpoint_every", options.checkpoint_every},
                                   {"resolved", prepared.config}};
  }
  const lab::RunRecord record = lab::execute(prepared, out);
  const int code = lab::exit_code(record, a.strict);
  if (!world.root()) return code;
  if (record.status == "interrupted") {  // stop promptly: no report
    std::fprintf(stderr, "%s: interrupted after %.2f s; %s/ holds what was recorded%s\n",
                 prepared.experiment.c_str(), record.wall_seconds, record.dir.string().c_str(),
                 record.dir == out ? " (`nnworld report DIR` builds its report)"
                                   : ", and `nnworld run --resume DIR` continues it");
    return code;
  }
  const lab::ReportOutcome report = lab::build_report(record.dir, a.quiet);
  if (!a.quiet) {
    std::printf("%s: %s — %d/%d checks passed", prepared.experiment.c_str(), record.status.c_str(),
                record.checks_passed, record.checks_passed + record.checks_failed);
    if (record.checks_failed > 0) {
      std::printf(" (%d oracle%s and %d claim%s failed)", record.oracles_failed,
                  record.oracles_failed == 1 ? "" : "s", record.claims_failed,
                  record.claims_failed == 1 ? "" : "s");
    }
    std::printf(", %.2f s\n", record.wall_seconds);
    std::printf("output: %s/ (summary.json, data.h5, report.html%s)\n", record.dir.string().c_str(),
                report.python_ok ? "" : " without figures");
  }
  if (!record.error.empty()) std::fprintf(stderr, "error: %s\n", record.error.c_str());
  if (code == 4) {
    std::fprintf(stderr, "error: %d oracle check%s failed (--strict)\n", record.oracles_failed,
                 record.oracles_failed == 1 ? "" : "s");
  }
  return code;
}

}  // namespace

int main(int argc, char** argv) {
  core::MpiSession mpi(argc, argv);
  const bool speaks = core::Comm::world().root();  // one rank prints errors
  CLI::App app{"nnworld — a laboratory for V. Vanchurin's \"The World as a Neural Network\""};
  app.require_subcommand(1);
  app.set_version_flag("--version", NNWORLD_VERSION);
  Args a;

  auto add_sets = [&](CLI::App* sub) {
    sub->add_option("--set", a.sets, "override a config key: table.key=value (repeatable)")
        ->allow_extra_args(false)
        ->type_name("KEY=VALUE");
  };

  CLI::App* run = app.add_subcommand("run", "run an experiment from a TOML config");
  run->add_option("CONFIG", a.config, "config file (TOML); omitted with --resume");
  CLI::Option* out_opt =
      run->add_option("--out,-o", a.out, "output directory (default: out/<config stem>)");
  run->add_flag("--overwrite", a.overwrite,
                "replace a previous run in the output directory (only that run's files: "
                "summary.json, data.h5, report.html, figures/, sub-runs; your own files stay)");
  add_sets(run);
  CLI::Option* seed_opt = run->add_option("--seed", a.seed_text,
                                          "random seed, a whole number in [0, 2^63 - 1] "
                                          "(overrides `seed`)")
                              ->type_name("N");
  run->add_option("--threads", a.threads,
                  "OpenMP threads (default: all cores, shared among the MPI ranks on a machine)")
      ->check(CLI::PositiveNumber);
  run->add_flag("--quiet,-q", a.quiet, "no progress or summary output");
  run->add_flag("--strict", a.strict, "exit 4 if an oracle check fails");
  run->add_option("--checkpoint-every", a.checkpoint_every,
                  "save a checkpoint at most every S seconds of wall time (experiments with long "
                  "loops; 0: at every opportunity)")
      ->type_name("S")
      ->check(CLI::NonNegativeNumber)
      ->check(CLI::Validator(
          [](const std::string& v) {
            const double x = std::strtod(v.c_str(), nullptr);
            return std::isfinite(x) ? std::string() : std::string("must be a finite number");
          },
          "", "finite"));
  run->add_option("--resume", a.resume,
                  "continue the run stopped in DIR.partial/ from its checkpoint (the config, "
                  "--set, --seed and --out come from DIR.partial/resume.json)")
      ->type_name("DIR");

  CLI::App* list = app.add_subcommand("list", "list the experiment kinds");

  CLI::App* validate = app.add_subcommand("validate", "parse and check a config, run nothing");
  validate->add_option("CONFIG", a.config, "config file (TOML)")->required();
  add_sets(validate);
  validate->add_flag("--keys", a.keys, "print every key with its value, doc and default");
  validate->add_flag("--quiet,-q", a.quiet, "print nothing; the exit code tells");

  CLI::App* report = app.add_subcommand("report", "(re)build DIR/report.html");
  report->add_option("DIR", a.report_dir, "run directory")->required();
  report->add_flag("--quiet,-q", a.quiet, "print nothing");

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    if (e.get_exit_code() == 0) return speaks ? app.exit(e) : 0;  // --help, --version
    if (!speaks) return 2;
    std::fprintf(stderr, "error: %s\nRun with --help for more information.\n", e.what());
    return 2;
  }

  // Clean interrupts in a single process (under MPI the launcher's default handling stays: one
  // rank stopping alone would leave the others waiting).
  if (core::Comm::world().size() == 1) core::install_interrupt_handlers();
  try {
    if (*list) return speaks ? cmd_list() : 0;
    if (*validate) {
      a.quiet = a.quiet || !speaks;
      return cmd_validate(a);
    }
    if (*report) return speaks ? cmd_report(a) : 0;
    if (*run) {
      a.out_given = out_opt->count() > 0;
      return cmd_run(a, seed_opt->count() > 0);
    }
  } catch (const Error& e) {
    // Bad input is found by every rank alike (each reads the same files), so each returns.
    if (speaks) std::fprintf(stderr, "error: %s\n", e.message().c_str());
    return e.exit_code;
  } catch (const std::bad_alloc&) {
    if (speaks) {
      std::fprintf(stderr,
                   "error: out of memory: an allocation failed (reduce the sizes in the "
                   "config)\n");
    }
    return exit_codes::out_of_memory;
  } catch (const std::exception& e) {
    const core::Comm& world = core::Comm::world();
    if (world.size() == 1) {
      std::fprintf(stderr, "internal error: %s\n", e.what());
      return 1;
    }
    std::fprintf(stderr, "internal error (rank %d): %s\n", world.rank(), e.what());
    core::MpiSession::abort(1);  // the other ranks may be waiting for this one
  }
  return 1;
}
