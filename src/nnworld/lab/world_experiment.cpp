#include "nnworld/lab/world_experiment.hpp"

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>

#include "nnworld/core/error.hpp"
#include "nnworld/core/interrupt.hpp"
#include "nnworld/core/parallel.hpp"
#include "nnworld/lab/report.hpp"

namespace nnworld::lab {

namespace {

namespace fs = std::filesystem;

struct SubRun {
  std::string name;
  Prepared prepared;
};

struct WorldPlan final : Plan {
  std::vector<SubRun> runs;
  void execute(RunContext& ctx) override;
};

bool valid_run_name(const std::string& s) {
  if (s.empty() || s == "." || s == "..") return false;
  for (char c : s) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '_' || c == '-' || c == '.';
    if (!ok) return false;
  }
  return true;
}

std::unique_ptr<Plan> configure_world(io::Config& c, const RunOptions& options) {
  auto plan = std::make_unique<WorldPlan>();
  const std::size_t n = c.table_array_size("run", "the sub-runs: [[run]] name, config");
  if (n == 0) {
    throw Error(c.source_name(), "no [[run]] entries",
                "at least one [[run]] table with name and config");
  }
  std::set<std::string> names;
  for (std::size_t i = 0; i < n; ++i) {
    const std::string key = "run[" + std::to_string(i) + "]";
    const std::string name =
        c.get_required_string(key + ".name", "directory name of the sub-run inside the output");
    if (!valid_run_name(name)) {
      throw c.error(key + ".name", "invalid run name '" + name + "'",
                    "letters, digits, '_', '-' and '.' only");
    }
    if (!names.insert(name).second) {
      throw c.error(key + ".name", "duplicate run name '" + name + "'", "distinct names");
    }
    const std::string file =
        c.get_required_string(key + ".config", "config file of the sub-run, relative to this file");
    const auto path = c.resolve_path(file);
    std::error_code ec;
    if (!std::filesystem::is_regular_file(path, ec)) {
      throw c.error(key + ".config", "cannot open '" + path.string() + "'",
                    "a config file path relative to " + c.source_name());
    }
    io::Config sub = io::Config::from_file(path);
    if (sub.kind("experiment") == io::NodeKind::string &&
        sub.get<std::string>("experiment", "", "experiment kind") == "world") {
      throw c.error(key + ".config", "'" + path.string() + "' is itself a world suite",
                    "a config of another experiment kind");
    }
    plan->runs.push_back({name, prepare(sub, options)});
  }
  return plan;
}

// A sub-run's record as the world summary needs it, in a form that crosses ranks.
nlohmann::json record_json(const RunRecord& r) {
  return {{"experiment", r.experiment},
          {"status", r.status},
          {"error", r.error},
          {"wall_seconds", r.wall_seconds},
          {"checks", r.checks}};
}

RunRecord record_from_json(const nlohmann::json& j) {
  RunRecord r;
  r.experiment = j.at("experiment").get<std::string>();
  r.status = j.at("status").get<std::string>();
  r.error = j.at("error").get<std::string>();
  r.wall_seconds = j.at("wall_seconds").get<double>();
  r.checks = j.at("checks");
  count_checks(r);
  return r;
}

// With --resume the sub-runs that finished before the suite was stopped are kept (unless their
// config has changed since), and the one that was running continues from its checkpoint (if its
// experiment keeps them).
// On R MPI ranks the sub-runs are dealt out in turn (sub-run i to rank i mod R); each runs on
// its rank alone (a one-rank Comm: its engines split nothing) and writes its own directory
// inside DIR.partial/. The records are then gathered, and the root writes the merged summary in
// the order of the [[run]] list, so the suite's output does not depend on R.
void WorldPlan::execute(RunContext& ctx) {
  const core::Comm& comm = core::current_comm();
  comm.barrier();  // the root has created DIR.partial/
  const std::size_t total = runs.size();
  const auto owner_of = [&](std::size_t i) { return static_cast<int>(i % comm.size()); };
  nlohmann::json mine = nlohmann::json::object();
  for (std::size_t i = 0; i < total; ++i) {
    if (owner_of(i) != comm.rank()) continue;
    SubRun& run = runs[i];
    if (!ctx.quiet()) {
      std::fprintf(stderr, "[%zu/%zu] %s (%s)\n", i + 1, total, run.name.c_str(),
                   run.prepared.experiment.c_str());
    }
    const fs::path sub_dir = ctx.dir() / run.name;
    nlohmann::json done;
    if (ctx.options().resume && fs::is_regular_file(sub_dir / "summary.json")) {
      std::ifstream in(sub_dir / "summary.json");
      done = nlohmann::json::parse(in, nullptr, false);
    }
    if (done.is_object() && done.value("config", nlohmann::json()) == run.prepared.config &&
        done.value("status", "") != "interrupted") {
      // Finished before the suite was stopped, under the same config: kept as it is.
      mine[std::to_string(i)] = {{"experiment", done.at("experiment")},
                                 {"status", done.at("status")},
                                 {"error", done.value("error", std::string())},
                                 {"wall_seconds", done.at("wall_seconds")},
                                 {"checks", done.at("checks")}};
      if (!ctx.quiet()) std::fprintf(stderr, "      kept from the stopped run\n");
      continue;
    }
    const core::Comm alone;
    const core::CommScope scope(alone);
    RunRecord r = lab::execute(run.prepared, sub_dir);
    build_report(r.dir, ctx.quiet());
    if (!ctx.quiet()) {
      std::fprintf(stderr, "      %s: %d/%d checks passed (%.2f s)%s%s\n", r.status.c_str(),
                   r.checks_passed, r.checks_passed + r.checks_failed, r.wall_seconds,
                   r.error.empty() ? "" : " — ", r.error.c_str());
    }
    mine[std::to_string(i)] = record_json(r);
    core::throw_if_interrupted();  // a signal stopped the sub-run: the suite stops too
  }
  std::vector<RunRecord> records(total);
  for (const std::string& part : comm.allgather_strings(mine.dump())) {
    const nlohmann::json theirs = nlohmann::json::parse(part);
    for (const auto& [key, value] : theirs.items()) {
      records[std::stoul(key)] = record_from_json(value);
    }
  }

  auto& s = ctx.summary();
  nlohmann::json runs_json = nlohmann::json::array();
  std::string status = "ok";
  std::string error;
  // Every sub-run's rows, each with "run". A fixed-input row (the spec's inputs, not the
  // config's) that an earlier sub-run already gave under the same id is not repeated: the first
  // row lists every sub-run it ran in under "runs", and the totals count distinct checks.
  nlohmann::json merged = nlohmann::json::array();
  std::map<std::string, std::size_t> fixed;  // id → index in merged
  for (std::size_t i = 0; i < total; ++i) {
    const SubRun& run = runs[i];
    const RunRecord& r = records[i];
    runs_json.push_back({{"name", run.name},
                         {"experiment", r.experiment},
                         {"dir", run.name},
                         {"status", r.status},
                         {"wall_seconds", r.wall_seconds}});
    if (comm.size() > 1) runs_json.back()["rank"] = owner_of(i);
    if (!r.error.empty()) runs_json.back()["error"] = r.error;
    for (auto c : r.checks) {
      c["run"] = run.name;
      if (c.value("fixed_input", false)) {
        const std::string id = c.value("id", "");
        const auto [it, fresh] = fixed.emplace(id, merged.size());
        if (!fresh) {
          merged[it->second]["runs"].push_back(run.name);
          continue;
        }
        c["runs"] = nlohmann::json::array({run.name});
      }
      merged.push_back(std::move(c));
    }
    if ((r.status != "ok" && r.status != "diverged") ||
        (r.status == "diverged" && status == "ok")) {
      status = r.status;
      error = "run '" + run.name + "': " + r.error;
    }
  }
  RunRecord totals;
  totals.checks = merged;
  count_checks(totals);
  std::map<std::string, int> verdicts;
  for (const auto& c : merged) {
    if (c.value("kind", "") == "claim") ++verdicts[c.value("verdict", "")];
  }
  for (auto& c : merged) s.add_raw_check(std::move(c));
  s.set("runs", runs_json);
  s.observable("runs", static_cast<std::int64_t>(total));
  s.observable("checks.total", totals.checks_passed + totals.checks_failed);
  s.observable("checks.passed", totals.checks_passed);
  s.observable("checks.failed", totals.checks_failed);
  s.observable("checks.oracles_failed", totals.oracles_failed);
  s.observable("checks.claims_failed", totals.claims_failed);
  for (const char* v : {"held", "not held", "not resolved", "not measured"}) {
    std::string key = v;
    std::replace(key.begin(), key.end(), ' ', '_');
    s.observable("checks.claims_" + key, verdicts[v]);
  }
  ctx.set_status(status, error);
}

}  // namespace

ExperimentKind world_experiment() {
  return {"world", "a suite: runs a list of configs into DIR/<name>/ and merges their checks",
          configure_world};
}

}  // namespace nnworld::lab
