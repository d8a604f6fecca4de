#include "nnworld/io/progress.hpp"

#include <omp.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>

#include "nnworld/core/interrupt.hpp"

namespace nnworld::io {

namespace {
std::string format_seconds(double s) {
  char buf[32];
  if (s < 60) {
    std::snprintf(buf, sizeof buf, "%.1fs", s);
  } else if (s < 3600) {
    std::snprintf(buf, sizeof buf, "%dm%02ds", static_cast<int>(s / 60), static_cast<int>(s) % 60);
  } else {
    std::snprintf(buf, sizeof buf, "%dh%02dm", static_cast<int>(s / 3600),
                  static_cast<int>(s / 60) % 60);
  }
  return buf;
}
}  // namespace

Progress::Progress(std::string label, std::int64_t total, Mode mode, std::FILE* out, double delay)
    : label_(std::move(label)),
      total_(std::max<std::int64_t>(total, 1)),
      mode_(mode),
      delay_(delay),
      out_(out) {
  if (mode_ == Mode::automatic) {
    mode_ = (out_ && isatty(fileno(out_))) ? Mode::bar : Mode::lines;
  }
  if (!out_) mode_ = Mode::silent;
  start_ = last_draw_ = Clock::now();
}

Progress::~Progress() {
  try {
    finish();
  } catch (...) {  // never throw from a destructor
  }
}

void Progress::update(std::int64_t done) {
  // A safe point for SIGINT/SIGTERM (core/interrupt.hpp), outside any parallel region (active
  // or not: an exception must not leave an OpenMP region).
  if (omp_get_level() == 0) core::throw_if_interrupted();
  if (mode_ == Mode::silent) return;
  std::unique_lock lock(mutex_, std::try_to_lock);
  if (!lock.owns_lock() || finished_) return;  // another thread is drawing: skip this update
  last_done_ = done;
  const auto now = Clock::now();
  if (std::chrono::duration<double>(now - start_).count() < delay_) return;
  const double since = std::chrono::duration<double>(now - last_draw_).count();
  if (mode_ == Mode::bar) {
    if (drawn_ && since < 0.1) return;
    draw(done, false);
    last_draw_ = now;
    return;
  }
  // Plain lines: each 10 % step, or every 5 s.
  const std::int64_t decile = done * 10 / total_;
  if (!drawn_ || decile >= next_decile_ || since >= 5.0) {
    if (decile >= 10) return;  // the final line is written by finish()
    draw(done, false);
    next_decile_ = decile + 1;
    last_draw_ = now;
  }
}

void Progress::finish() {
  if (mode_ == Mode::silent) return;
  std::lock_guard lock(mutex_);
  if (finished_) return;
  finished_ = true;
  // Only loops that have shown something end with a final line; quick ones stay silent.
  if (drawn_) draw(last_done_, true);
}

void Progress::draw(std::int64_t done, bool final_line) {
  const double elapsed = std::chrono::duration<double>(Clock::now() - start_).count();
  const double frac = std::clamp(static_cast<double>(done) / static_cast<double>(total_), 0.0, 1.0);
  const double rate = elapsed > 0 ? static_cast<double>(done) / elapsed : 0.0;
  char rate_text[32];
  std::snprintf(rate_text, sizeof rate_text, "%.3g/s", rate);
  if (mode_ == Mode::bar) {
    constexpr int width = 30;
    const int filled = static_cast<int>(std::lround(frac * width));
    std::string bar(static_cast<std::size_t>(filled), '#');
    bar.append(static_cast<std::size_t>(width - filled), '.');
    std::string tail;
    if (final_line) {
      tail = "done in " + format_seconds(elapsed);
    } else if (rate > 0) {
      tail = "ETA " + format_seconds(static_cast<double>(total_ - done) / rate);
    }
    std::fprintf(out_, "\r\033[K%s [%s] %3d%% %s %s%s", label_.c_str(), bar.c_str(),
                 static_cast<int>(frac * 100), rate_text, tail.c_str(), final_line ? "\n" : "");
  } else {
    std::fprintf(out_, "%s: %3d%% (%lld/%lld) %s %s\n", label_.c_str(),
                 static_cast<int>(frac * 100), static_cast<long long>(done),
                 static_cast<long long>(total_), rate_text, format_seconds(elapsed).c_str());
  }
  std::fflush(out_);
  drawn_ = true;
}

}  // namespace nnworld::io
