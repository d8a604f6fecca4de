#include "nnworld/lab/experiment.hpp"

#include <chrono>
#include <csignal>
#include <fstream>

#include <new>

#include "nnworld/core/error.hpp"
#include "nnworld/core/interrupt.hpp"
#include "nnworld/core/parallel.hpp"

namespace nnworld::lab {

namespace fs = std::filesystem;

namespace {

double now_seconds() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

constexpr const char* kCheckpointFile = "checkpoint.cbor";
constexpr const char* kResumeFile = "resume.json";
constexpr const char* kConfigFile = "checkpoint_config.json";  // the config a checkpoint belongs to

}  // namespace

RunContext::RunContext(const RunOptions& options, const fs::path& dir, io::Summary& summary,
                       io::H5Writer& data)
    : options_(options), dir_(dir), summary_(summary), data_(data), last_save_(now_seconds()) {}

bool RunContext::checkpoint_due() {
  if (options_.checkpoint_every < 0.0) {
    core::throw_if_interrupted();  // a safe point
    return false;
  }
  if (core::interrupt_signal() != 0) return true;  // save the state, then stop (save_checkpoint)
  const core::Comm& comm = core::current_comm();
  std::string due = now_seconds() - last_save_ >= options_.checkpoint_every ? "1" : "0";
  comm.broadcast(due, 0);  // the root's clock decides for every rank
  return due == "1";
}

void RunContext::save_checkpoint(const io::CheckpointState& state) {
  if (core::current_comm().root()) io::save_checkpoint(dir_ / kCheckpointFile, state);
  last_save_ = now_seconds();
  ++saves_;
  core::throw_if_interrupted();  // a signal: stop now that the state is saved
}

void RunContext::set_resumed(io::CheckpointState state) {
  resumed_ = std::make_unique<io::CheckpointState>(std::move(state));
}

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
  if (!prepared.options.resume) {
    io::RunDirectory::check_target(out_dir, prepared.options.overwrite);
  }
  const auto t0 = std::chrono::steady_clock::now();
  // Every rank of the current Comm runs the plan (the engines split their items over the
  // ranks); the root alone writes the run directory.
  const core::Comm& comm = core::current_comm();
  const bool owner = comm.root();
  io::RunDirectory dir(out_dir, owner, prepared.options.resume);
  io::Summary summary;
  // A checkpoint is used only with the resolved config it was saved under (a sub-run of a world
  // suite whose config file changed starts afresh); rank 0 decides for every rank.
  bool use_checkpoint = false;
  if (prepared.options.resume) {
    std::string decision = "0";
    if (owner && fs::exists(dir.path() / kCheckpointFile)) {
      std::ifstream in(dir.path() / kConfigFile);
      const nlohmann::json saved = nlohmann::json::parse(in, nullptr, false);
      if (!saved.is_discarded() && saved == prepared.config) {
        decision = "1";
      } else {
        std::error_code ec;
        fs::remove(dir.path() / kCheckpointFile, ec);
        summary.add_note("a checkpoint saved under another config was found and not used");
      }
    }
    comm.broadcast(decision, 0);
    use_checkpoint = decision == "1";
  }
  if (owner && prepared.options.checkpoint_every >= 0.0) {
    std::ofstream(dir.path() / kConfigFile) << prepared.config.dump() << "\n";
    if (!prepared.options.invocation.is_null()) {
      std::ofstream(dir.path() / kResumeFile) << prepared.options.invocation.dump(2) << "\n";
    }
  }
  summary.set("nnworld", NNWORLD_VERSION);
  summary.set("experiment", prepared.experiment);
  summary.set("status", "ok");
  summary.set("seed", prepared.options.seed);
  summary.set("threads", prepared.options.threads);
  summary.set("ranks", comm.size());
  summary.set("config", prepared.config);

  RunRecord record;
  record.experiment = prepared.experiment;
  {
    std::unique_ptr<io::H5Writer> writer =
        owner ? std::make_unique<io::H5Writer>(dir.path() / "data.h5")
              : std::make_unique<io::H5Writer>();
    io::H5Writer& data = *writer;
    data.set_root_attribute("nnworld", NNWORLD_VERSION);
    data.set_root_attribute("experiment", prepared.experiment);
    data.set_root_attribute("config", prepared.config.dump());
    RunContext ctx(prepared.options, dir.path(), summary, data);
    if (use_checkpoint) {
      ctx.set_resumed(io::load_checkpoint(dir.path() / kCheckpointFile));
      summary.set("resumed", true);
    }
    try {
      prepared.plan->execute(ctx);
      record.status = ctx.status();
      record.error = ctx.error();
    } catch (const Divergence& e) {
      record.status = "diverged";
      record.error = e.message();
    } catch (const core::Interrupted& e) {
      record.status = "interrupted";
      record.error = e.message();
    } catch (const Error& e) {
      if (e.exit_code == exit_codes::bad_input) {  // bad input found late: leave nothing behind
        data.close();
        dir.discard();
        throw;
      }
      record.status = e.exit_code == exit_codes::io_error ? "io_error" : "failed";
      record.error = e.message();
    } catch (const std::bad_alloc&) {
      record.status = "out_of_memory";
      record.error = "out of memory: an allocation failed (reduce the sizes in the config)";
    } catch (const std::exception& e) {
      record.status = "failed";
      record.error = std::string("internal error: ") + e.what();
    }
    data.close();
  }
  record.exit = exit_for_status(record.status);
  record.wall_seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  summary.set("status", record.status);
  if (!record.error.empty()) summary.set("error", record.error);
  summary.set("wall_seconds", record.wall_seconds);
  // An interrupted run with checkpoints on stays in DIR.partial/ with its checkpoint (if its loop
  // saved one) and resume record, for `nnworld run --resume DIR`; so do the sub-runs of such a
  // world suite, whose finished sub-runs are its checkpoint. Every other run is committed.
  const bool resumable =
      record.status == "interrupted" && owner && prepared.options.checkpoint_every >= 0.0;
  if (owner) {
    std::error_code ec;  // the checkpoint and resume record are not part of a finished run
    if (!resumable) {
      fs::remove(dir.path() / kCheckpointFile, ec);
      fs::remove(dir.path() / kResumeFile, ec);
      fs::remove(dir.path() / kConfigFile, ec);
    }
    summary.write(dir.path() / "summary.json");
  }
  record.checks = summary.to_json()["checks"];
  if (resumable) {
    record.dir = dir.path();
  } else {
    dir.commit();
    record.dir = dir.final_path();
  }
  count_checks(record);
  return record;
}

int exit_for_status(const std::string& status) {
  if (status == "ok") return 0;
  if (status == "diverged") return exit_codes::divergence;
  if (status == "interrupted") {
    return core::interrupt_signal() == SIGINT ? exit_codes::interrupted_int
                                              : exit_codes::interrupted_term;
  }
  if (status == "out_of_memory") return exit_codes::out_of_memory;
  if (status == "io_error") return exit_codes::io_error;
  return exit_codes::internal;
}

int exit_code(const RunRecord& record, bool strict) {
  if (record.exit != 0) return record.exit;
  if (strict && record.oracles_failed > 0) return exit_codes::strict;
  return 0;
}

}  // namespace nnworld::lab
