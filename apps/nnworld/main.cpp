// nnworld: the command-line laboratory.
//
//   nnworld run CONFIG.toml [--out DIR] [--set key=value]... [--seed N] [--threads N]
//                           [--quiet] [--strict]
//   nnworld list                      experiment kinds with one-line descriptions
//   nnworld validate CONFIG.toml [--set key=value]... [--keys]
//   nnworld report DIR                (re)build DIR/report.html
//
// Exit codes: 0 ran (claims may fail), 2 bad input, 3 numerical divergence, 4 an oracle
// failed under --strict, 1 internal error.
#include <omp.h>

#include <CLI/CLI.hpp>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <string>
#include <vector>

#include "nnworld/core/error.hpp"
#include "nnworld/io/config.hpp"
#include "nnworld/lab/experiment.hpp"
#include "nnworld/lab/report.hpp"

namespace fs = std::filesystem;
using namespace nnworld;

namespace {

struct Args {
  std::string config;
  std::string out;
  std::string report_dir;
  std::vector<std::string> sets;
  std::uint64_t seed = 1;
  int threads = 0;
  bool quiet = false;
  bool strict = false;
  bool keys = false;
};

io::Config load_config(const Args& a) {
  io::Config config = io::Config::from_file(a.config);
  config.apply_overrides(a.sets);
  return config;
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
    std::printf("%s: ok (experiment '%s', %zu keys)\n", a.config.c_str(), p.experiment.c_str(),
                config.keys().size());
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

int cmd_run(const Args& a, bool seed_given) {
  io::Config config = load_config(a);
  lab::RunOptions options;
  options.seed = a.seed;
  options.seed_given = seed_given;
  options.threads = a.threads > 0 ? a.threads : omp_get_num_procs();
  options.quiet = a.quiet;
  options.strict = a.strict;
  omp_set_num_threads(options.threads);

  const fs::path out =
      a.out.empty() ? fs::path("out") / fs::path(a.config).stem() : fs::path(a.out);
  io::RunDirectory::check_target(out);
  lab::Prepared prepared = lab::prepare(config, options);
  const lab::RunRecord record = lab::execute(prepared, out);
  const lab::ReportOutcome report = lab::build_report(record.dir, a.quiet);
  const int code = lab::exit_code(record, a.strict);
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
  run->add_option("CONFIG", a.config, "config file (TOML)")->required();
  run->add_option("--out,-o", a.out, "output directory (default: out/<config stem>)");
  add_sets(run);
  CLI::Option* seed_opt = run->add_option("--seed", a.seed, "random seed (overrides `seed`)");
  run->add_option("--threads", a.threads, "OpenMP threads (default: all cores)")
      ->check(CLI::PositiveNumber);
  run->add_flag("--quiet,-q", a.quiet, "no progress or summary output");
  run->add_flag("--strict", a.strict, "exit 4 if an oracle check fails");

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
    if (e.get_exit_code() == 0) return app.exit(e);  // --help, --version
    std::fprintf(stderr, "error: %s\nRun with --help for more information.\n", e.what());
    return 2;
  }

  try {
    if (*list) return cmd_list();
    if (*validate) return cmd_validate(a);
    if (*report) return cmd_report(a);
    if (*run) return cmd_run(a, seed_opt->count() > 0);
  } catch (const Error& e) {
    std::fprintf(stderr, "error: %s\n", e.message().c_str());
    return e.exit_code;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "internal error: %s\n", e.what());
    return 1;
  }
  return 1;
}
