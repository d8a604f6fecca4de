#pragma once
// Progress of a long loop on stderr.
//   * terminal (isatty(2)): one line redrawn in place, "label [#####.....] 52% 1.2e4/s ETA 3s",
//     at most about 10 times per second;
//   * otherwise: a plain line every ~10 % of the work or every 5 s;
//   * silent when the run is --quiet.
// update() is cheap (one clock read and a comparison) and may be called every iteration;
// calls from several threads are serialised by a mutex. Outside parallel regions it is a safe
// point: after SIGINT/SIGTERM it throws core::Interrupted (core/interrupt.hpp).
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <mutex>
#include <string>

namespace nnworld::io {

class Progress {
 public:
  enum class Mode { automatic, bar, lines, silent };

  // `out` is where lines go (stderr by default); automatic = bar if `out` is a terminal.
  // Nothing is shown before `delay` seconds, so quick loops stay silent.
  Progress(std::string label, std::int64_t total, Mode mode = Mode::automatic,
           std::FILE* out = stderr, double delay = 1.0);
  Progress(const Progress&) = delete;
  Progress& operator=(const Progress&) = delete;
  ~Progress();

  // `done` units of `total` are complete.
  void update(std::int64_t done);
  // Draws the final state (100 % unless stopped early) and ends the line.
  void finish();
  [[nodiscard]] Mode mode() const { return mode_; }

 private:
  void draw(std::int64_t done, bool final_line);
  using Clock = std::chrono::steady_clock;
  std::string label_;
  std::int64_t total_;
  Mode mode_;
  double delay_;
  std::FILE* out_;
  Clock::time_point start_;
  Clock::time_point last_draw_;
  std::int64_t last_done_ = 0;
  std::int64_t next_decile_ = 1;
  bool finished_ = false;
  bool drawn_ = false;
  std::mutex mutex_;
};

}  // namespace nnworld::io
