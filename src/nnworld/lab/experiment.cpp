#include "nnworld/lab/experiment.hpp"

#include <chrono>

#include "nnworld/core/error.hpp"

namespace nnworld::lab {

namespace fs = std::filesystem;

std::unique_ptr<io::Progress> RunContext::progress(std::string label, std::int64_t total) const {
  return std::make_unique<io::Progress>(
      std::move(label), total,
      options_.quiet ? io::Progress::Mode::silent : io::Progress::Mode::automatic);
}

void RunContext::record_array(std::string_view path, std::span<const double> values,
                              const io::DatasetInfo& info) {
  data_.write(path, values, info);
  summary_.add_array(std::string(path));
}

void RunContext::record_array(std::string_view path, const Eigen::MatrixXd& values,
                              const io::DatasetInfo& info) {
  data_.write(path, values, info);
  summary_.add_array(std::string(path));
}

void RunContext::record_array(std::string_view path, std::int64_t rows, std::int64_t cols,
                              const double* row_major, const io::DatasetInfo& info) {
  data_.write(path, rows, cols, row_major, info);
  summary_.add_array(std::string(path));
}

void RunContext::set_status(std::string status, std::string error) {
  status_ = std::move(status);
  error_ = std::move(error);
}

Prepared prepare(io::Config& config, const RunOptions& options) {
  std::vector<std::string> names;
  for (const auto& k : experiment_kinds()) names.push_back(k.name);
  if (!config.has("experiment")) {
    throw Error(config.source_name(), "missing top-level key 'experiment'",
                "experiment = one of the kinds listed by `nnworld list`");
  }
  const std::string name =
      config.get_choice("experiment", "", "experiment kind (see `nnworld list`)", names);
  const auto seed = config.get<std::int64_t>("seed", 1, "random seed (--seed overrides)",
                                             io::Range::non_negative());
  (void)config.get<std::string>("description", "", "one line describing this config");
  Prepared p;
  p.experiment = name;
  p.options = options;
  if (!options.seed_given) p.options.seed = static_cast<std::uint64_t>(seed);
  for (const auto& k : experiment_kinds()) {
    if (k.name == name) {
      p.plan = k.configure(config, p.options);
      break;
    }
  }
  config.finish();
  p.config = config.resolved();
  if (options.seed_given) p.config["seed"] = p.options.seed;
  return p;
}

void count_checks(RunRecord& r) {
  r.checks_passed = r.checks_failed = r.oracles_failed = r.claims_failed = 0;
  if (!r.checks.is_array()) return;
  for (const auto& c : r.checks) {
    const bool passed = c.value("passed", false);
    if (passed) {
      ++r.checks_passed;
      continue;
    }
    ++r.checks_failed;
    if (c.value("kind", "") == "oracle") ++r.oracles_failed;
    if (c.value("kind", "") == "claim") ++r.claims_failed;
  }
}

RunRecord execute(Prepared& prepared, const fs::path& out_dir) {
  io::RunDirectory::check_target(out_dir);
  const auto t0 = std::chrono::steady_clock::now();
  io::RunDirectory dir(out_dir);
  io::Summary summary;
  summary.set("nnworld", NNWORLD_VERSION);
  summary.set("experiment", prepared.experiment);
  summary.set("status", "ok");
  summary.set("seed", prepared.options.seed);
  summary.set("threads", prepared.options.threads);
  summary.set("config", prepared.config);

  RunRecord record;
  record.experiment = prepared.experiment;
  {
    io::H5Writer data(dir.path() / "data.h5");
    data.set_root_attribute("nnworld", NNWORLD_VERSION);
    data.set_root_attribute("experiment", prepared.experiment);
    data.set_root_attribute("config", prepared.config.dump());
    RunContext ctx(prepared.options, dir.path(), summary, data);
    try {
      prepared.plan->execute(ctx);
      record.status = ctx.status();
      record.error = ctx.error();
    } catch (const Divergence& e) {
      record.status = "diverged";
      record.error = e.message();
    } catch (const Error& e) {
      if (e.exit_code == 2) {  // bad input found late: leave nothing behind
        data.close();
        dir.discard();
        throw;
      }
      record.status = "failed";
      record.error = e.message();
    } catch (const std::exception& e) {
      record.status = "failed";
      record.error = std::string("internal error: ") + e.what();
    }
    data.close();
  }
  record.wall_seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  summary.set("status", record.status);
  if (!record.error.empty()) summary.set("error", record.error);
  summary.set("wall_seconds", record.wall_seconds);
  summary.write(dir.path() / "summary.json");
  record.checks = summary.to_json()["checks"];
  dir.commit();
  record.dir = dir.final_path();
  count_checks(record);
  return record;
}

int exit_code(const RunRecord& record, bool strict) {
  if (record.status == "diverged") return 3;
  if (record.status != "ok") return 1;
  if (strict && record.oracles_failed > 0) return 4;
  return 0;
}

}  // namespace nnworld::lab
