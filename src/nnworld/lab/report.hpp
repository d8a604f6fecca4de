#pragma once
// DIR/report.html: made by the Python package python/nnworld_report
// (`/usr/bin/python3 -m nnworld_report DIR`, interpreter overridden by $NNWORLD_PYTHON, with
// PYTHONPATH=<source dir>/python). If that cannot run or fails, a minimal self-contained
// report.html with the checks table is written instead, saying why the figures are missing.
#include <filesystem>
#include <string>

namespace nnworld::lab {

struct ReportOutcome {
  bool python_ok = false;  // the Python report ran and succeeded
  std::string reason;      // why not, when it did not
};

// Requires DIR/summary.json (nnworld::Error, exit 2, otherwise). Never fails for a missing
// interpreter or a failing report script: the fallback page is written instead.
ReportOutcome build_report(const std::filesystem::path& dir, bool quiet);

// The fallback page only (also used by tests).
void write_fallback_report(const std::filesystem::path& dir, const std::string& reason);

}  // namespace nnworld::lab
