#pragma once
// The experiment framework: a registry of experiment kinds, each of which turns a Config into
// a Plan (reading and checking every key, creating nothing), and the runner that executes a
// plan into a run directory (DIR.partial/ → DIR/) with summary.json and data.h5.
//
//   io::Config cfg = io::Config::from_file("experiments/network.toml");
//   cfg.apply_overrides(sets);
//   lab::Prepared p = lab::prepare(cfg, options);     // bad input throws here, nothing written
//   lab::RunRecord r = lab::execute(p, "out/network"); // status ok | diverged | failed
//   lab::build_report(r.dir, options.quiet);
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "nnworld/io/checkpoint.hpp"
#include "nnworld/io/config.hpp"
#include "nnworld/io/output.hpp"
#include "nnworld/io/progress.hpp"

namespace nnworld::lab {

struct RunOptions {
  std::uint64_t seed = 1;
  bool seed_given = false;  // --seed given: overrides the config's `seed`
  int threads = 1;          // OpenMP threads (recorded; set by the caller)
  bool quiet = false;
  bool strict = false;
  // Seconds of wall time between checkpoints of the experiments that keep them (< 0: none;
  // 0: at every opportunity). With checkpoints on, DIR.partial/resume.json records
  // `invocation` (how to run this again) for `nnworld run --resume DIR`.
  double checkpoint_every = -1.0;
  bool resume = false;  // continue DIR.partial/ from its checkpoint(s) instead of starting over
  // Replace the artifacts of a previous run in DIR/ (the user's own files there are kept).
  bool overwrite = false;
  nlohmann::json invocation = nullptr;
};

// What an experiment sees while it runs.
class RunContext {
 public:
  RunContext(const RunOptions& options, const std::filesystem::path& dir, io::Summary& summary,
             io::H5Writer& data);

  [[nodiscard]] const RunOptions& options() const { return options_; }
  [[nodiscard]] std::uint64_t seed() const { return options_.seed; }
  [[nodiscard]] int threads() const { return options_.threads; }
  [[nodiscard]] bool quiet() const { return options_.quiet; }
  // The directory being written (DIR.partial/ until the run is complete).
  [[nodiscard]] const std::filesystem::path& dir() const { return dir_; }
  [[nodiscard]] io::Summary& summary() { return summary_; }
  [[nodiscard]] io::H5Writer& data() { return data_; }

  // A progress display on stderr (silent under --quiet).
  [[nodiscard]] std::unique_ptr<io::Progress> progress(std::string label, std::int64_t total) const;
  // Writes a dataset to data.h5 and lists it under "arrays" in summary.json.
  void record_array(std::string_view path, std::span<const double> values,
                    const io::DatasetInfo& info);
  void record_array(std::string_view path, const Eigen::MatrixXd& values,
                    const io::DatasetInfo& info);
  // A rows×cols array from row-major data (rows = time for trajectories).
  void record_array(std::string_view path, std::int64_t rows, std::int64_t cols,
                    const double* row_major, const io::DatasetInfo& info);
  // Sets the run status ("ok" by default) and its error message.
  void set_status(std::string status, std::string error = {});
  [[nodiscard]] const std::string& status() const { return status_; }
  [[nodiscard]] const std::string& error() const { return error_; }

  // Checkpoints (io/checkpoint.hpp). A loop that can be resumed asks checkpoint_due() at the
  // end of each unit of work (true when checkpoint_every seconds have passed since the run
  // started or since the last save; the same answer on every MPI rank) and then saves its state;
  // a resumed run finds the last saved state in resumed() (null when starting afresh).
  [[nodiscard]] bool checkpoint_due();
  void save_checkpoint(const io::CheckpointState& state);
  [[nodiscard]] const io::CheckpointState* resumed() const { return resumed_.get(); }
  void set_resumed(io::CheckpointState state);
  [[nodiscard]] std::int64_t checkpoints_saved() const { return saves_; }

 private:
  const RunOptions& options_;
  std::filesystem::path dir_;
  io::Summary& summary_;
  io::H5Writer& data_;
  std::string status_ = "ok";
  std::string error_;
  std::unique_ptr<io::CheckpointState> resumed_;
  double last_save_ = 0.0;  // steady-clock seconds
  std::int64_t saves_ = 0;
};

// A configured experiment, every input checked.
class Plan {
 public:
  virtual ~Plan() = default;
  // Runs the experiment, recording observables, arrays and checks through `ctx`.
  // May throw nnworld::Divergence (the run is kept with status "diverged").
  virtual void execute(RunContext& ctx) = 0;
};

struct ExperimentKind {
  std::string name;
  std::string description;  // one line
  // Reads and checks every key of the experiment, creating nothing.
  std::function<std::unique_ptr<Plan>(io::Config&, const RunOptions&)> configure;
};

// Every experiment kind, in the order `nnworld list` shows them.
const std::vector<ExperimentKind>& experiment_kinds();

// A plan with everything the runner needs.
struct Prepared {
  std::string experiment;
  std::unique_ptr<Plan> plan;
  nlohmann::json config;  // resolved config (every key, defaults filled in)
  RunOptions options;     // seed resolved from --seed or the config
};

// Reads `experiment` and `seed`, configures the experiment and calls config.finish().
// Throws nnworld::Error (exit 2) for any bad input.
Prepared prepare(io::Config& config, const RunOptions& options);

struct RunRecord {
  std::string experiment;
  // "ok" | "diverged" (exit 3) | "interrupted" (130/143) | "out_of_memory" (5) | "io_error" (6)
  // | "failed" (1)
  std::string status;
  std::string error;
  int exit = 0;  // the CLI's exit code for this status (before --strict)
  double wall_seconds = 0.0;
  std::filesystem::path dir;  // the final run directory
  nlohmann::json checks;      // the checks array of summary.json
  int checks_passed = 0;
  int checks_failed = 0;
  int oracles_failed = 0;
  int claims_failed = 0;
};

// Creates the run directory, executes the plan, writes summary.json and data.h5 and renames
// DIR.partial/ to DIR/. With options.resume an existing DIR.partial/ is kept and its
// checkpoint.cbor, if any, handed to the plan (RunContext::resumed). A Divergence gives status
// "diverged", a signal at a safe point "interrupted", a failed allocation "out_of_memory", a
// failed write "io_error", any other failure "failed"; each still leaves a complete directory
// (an interrupted run with checkpoints on stays in DIR.partial/ for --resume). Bad input
// detected during the run removes DIR.partial/ and rethrows.
RunRecord execute(Prepared& prepared, const std::filesystem::path& out_dir);

// Exit status of a finished run: record.exit (3 diverged, 130/143 interrupted, 5 out of memory,
// 6 I/O error, 1 failed), else 4 if an oracle failed under strict, else 0.
int exit_code(const RunRecord& record, bool strict);
// The exit code of a run status (0 for "ok").
int exit_for_status(const std::string& status);

// Counts of a checks array (JSON objects with "kind" and "passed").
void count_checks(RunRecord& record);

}  // namespace nnworld::lab
