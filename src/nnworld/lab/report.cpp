#include "nnworld/lab/report.hpp"

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <vector>

#include "nnworld/core/error.hpp"
#include "nnworld/io/output.hpp"

extern char** environ;

namespace nnworld::lab {

namespace fs = std::filesystem;

namespace {

std::string html_escape(const std::string& s) {
  std::string out;
  out.reserve(s.size());
  for (char c : s) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

std::string cell(const nlohmann::json& v) {
  if (v.is_null()) return "";
  if (v.is_string()) return html_escape(v.get<std::string>());
  if (v.is_number_float()) {
    char buf[40];
    std::snprintf(buf, sizeof buf, "%.12g", v.get<double>());
    return buf;
  }
  return html_escape(v.dump());
}

nlohmann::json read_summary(const fs::path& dir) {
  const fs::path file = dir / "summary.json";
  std::ifstream in(file);
  if (!in) throw Error(file.string(), "cannot open", "a run directory holding summary.json");
  nlohmann::json s;
  try {
    s = nlohmann::json::parse(in);
  } catch (const nlohmann::json::parse_error& e) {
    throw Error(file.string(), std::string("invalid JSON: ") + e.what(), "a valid summary.json");
  }
  // The shape the report reads (the same rules as python/nnworld_report/summary.py).
  const auto require = [&](bool ok, const std::string& field, const char* expected) {
    if (!ok) throw Error(file.string(), "field '" + field + "' is missing or invalid", expected);
  };
  require(s.is_object(), "(top level)", "a JSON object");
  for (const char* key : {"experiment", "status"}) {
    require(s.contains(key) && s[key].is_string(), key, "a string");
  }
  for (const char* key : {"observables", "config"}) {
    require(!s.contains(key) || s[key].is_null() || s[key].is_object(), key, "an object");
  }
  if (s.contains("checks") && !s["checks"].is_null()) {
    require(s["checks"].is_array(), "checks", "a list of check objects");
    for (std::size_t i = 0; i < s["checks"].size(); ++i) {
      const auto& c = s["checks"][i];
      require(c.is_object() && c.contains("name"), "checks[" + std::to_string(i) + "]",
              "an object with a \"name\"");
    }
  }
  if (s.contains("runs") && !s["runs"].is_null()) {
    require(s["runs"].is_array(), "runs", "a list of run objects");
    for (std::size_t i = 0; i < s["runs"].size(); ++i) {
      const auto& r = s["runs"][i];
      require(r.is_object() && r.contains("name") && r["name"].is_string(),
              "runs[" + std::to_string(i) + "]", "an object with a string \"name\"");
    }
  }
  for (const char* key : {"notes", "arrays"}) {
    require(!s.contains(key) || s[key].is_array(), key, "a list");
  }
  return s;
}

// j[key], or null when j is not an object or has no such key (a summary edited by hand).
const nlohmann::json& at(const nlohmann::json& j, const char* key) {
  static const nlohmann::json null_value;
  if (!j.is_object()) return null_value;
  const auto it = j.find(key);
  return it == j.end() ? null_value : *it;
}

struct ChildResult {
  bool started = false;
  int status = -1;  // exit status if exited normally
  std::string output;
  std::string failure;  // why it could not run / failed
};

// Runs argv with `env`, capturing stdout and stderr together.
ChildResult run_child(const std::vector<std::string>& argv, const std::vector<std::string>& env) {
  ChildResult r;
  int fds[2];
  if (pipe(fds) != 0) {
    r.failure = std::string("pipe: ") + std::strerror(errno);
    return r;
  }
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  std::vector<char*> envp;
  for (const auto& e : env) envp.push_back(const_cast<char*>(e.c_str()));
  envp.push_back(nullptr);
  const pid_t pid = fork();
  if (pid < 0) {
    r.failure = std::string("fork: ") + std::strerror(errno);
    close(fds[0]);
    close(fds[1]);
    return r;
  }
  if (pid == 0) {
    dup2(fds[1], 1);
    dup2(fds[1], 2);
    close(fds[0]);
    close(fds[1]);
    execvpe(args[0], args.data(), envp.data());
    // Only async-signal-safe calls after fork(): write the pieces one by one.
    const char* parts[] = {"cannot run ", args[0], ": ", std::strerror(errno), "\n"};
    for (const char* part : parts) {
      [[maybe_unused]] auto n = write(2, part, std::strlen(part));
    }
    _exit(127);
  }
  close(fds[1]);
  r.started = true;
  char buf[4096];
  while (true) {
    const ssize_t n = read(fds[0], buf, sizeof buf);
    if (n > 0) {
      r.output.append(buf, static_cast<std::size_t>(n));
    } else if (n == 0 || errno != EINTR) {
      break;
    }
  }
  close(fds[0]);
  int wstatus = 0;
  while (waitpid(pid, &wstatus, 0) < 0 && errno == EINTR) {
  }
  if (WIFEXITED(wstatus)) {
    r.status = WEXITSTATUS(wstatus);
  } else if (WIFSIGNALED(wstatus)) {
    r.failure = "killed by signal " + std::to_string(WTERMSIG(wstatus));
  }
  return r;
}

std::string last_lines(const std::string& text, std::size_t n) {
  std::size_t pos = text.size();
  while (pos > 0 && (text[pos - 1] == '\n' || text[pos - 1] == ' ')) --pos;
  std::size_t count = 0;
  std::size_t start = pos;
  while (start > 0) {
    if (text[start - 1] == '\n' && ++count == n) break;
    --start;
  }
  return text.substr(start, pos - start);
}

}  // namespace

void write_fallback_report(const fs::path& dir, const std::string& reason) {
  const nlohmann::json s = read_summary(dir);
  std::ostringstream h;
  const std::string experiment = s["experiment"].get<std::string>();
  const std::string status = s["status"].get<std::string>();
  h << "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n<title>nnworld: "
    << html_escape(experiment) << "</title>\n<style>body{font-family:sans-serif;margin:2em}"
    << "table{border-collapse:collapse}td,th{border:1px solid #999;padding:3px 8px;"
    << "text-align:left}.fail{background:#fdd}.pass{background:#dfd}"
    << ".note{background:#ffd;border:1px solid #cc9;padding:.5em 1em}</style></head><body>\n";
  h << "<h1>nnworld — " << html_escape(experiment) << "</h1>\n";
  h << "<p class=\"note\">The figure report could not be produced: " << html_escape(reason)
    << ". This page lists the checks only; rebuild the full report with "
    << "<code>nnworld report DIR</code>.</p>\n";
  h << "<p>Status: <b>" << html_escape(status) << "</b>";
  if (s.contains("wall_seconds")) h << ", wall time " << cell(s["wall_seconds"]) << " s";
  if (s.contains("seed")) h << ", seed " << cell(s["seed"]);
  h << "</p>\n";
  if (s.contains("error")) h << "<p>Error: " << cell(s["error"]) << "</p>\n";
  if (s.contains("runs") && s["runs"].is_array()) {
    h << "<h2>Runs</h2>\n<table><tr><th>name</th><th>experiment</th><th>status</th>"
      << "<th>wall s</th></tr>\n";
    for (const auto& r : s["runs"]) {
      const std::string d = at(r, "dir").is_string() ? at(r, "dir").get<std::string>() : "";
      h << "<tr><td><a href=\"" << html_escape(d) << "/report.html\">" << cell(at(r, "name"))
        << "</a></td><td>" << cell(at(r, "experiment")) << "</td><td>" << cell(at(r, "status"))
        << "</td><td>" << cell(at(r, "wall_seconds")) << "</td></tr>\n";
    }
    h << "</table>\n";
  }
  h << "<h2>Checks</h2>\n<table><tr>";
  const bool with_run = s.contains("runs");
  if (with_run) h << "<th>run</th>";
  h << "<th>name</th><th>kind</th><th>equation</th><th>value</th><th>reference</th>"
    << "<th>tolerance</th><th>passed</th><th>note</th></tr>\n";
  for (const auto& c : at(s, "checks").is_array() ? s["checks"] : nlohmann::json::array()) {
    const bool passed = at(c, "passed") == true;
    h << "<tr class=\"" << (passed ? "pass" : "fail") << "\">";
    if (with_run) h << "<td>" << cell(at(c, "run")) << "</td>";
    h << "<td>" << cell(at(c, "name")) << "</td><td>" << cell(at(c, "kind")) << "</td><td>"
      << cell(at(c, "equation")) << "</td><td>" << cell(at(c, "value")) << "</td><td>"
      << cell(at(c, "reference")) << "</td><td>" << cell(at(c, "tolerance")) << "</td><td>"
      << (passed ? "yes" : "NO") << "</td><td>" << cell(at(c, "note")) << "</td></tr>\n";
  }
  h << "</table>\n";
  if (s.contains("notes")) {
    h << "<h2>Notes</h2>\n<ul>\n";
    for (const auto& n : s["notes"]) h << "<li>" << cell(n) << "</li>\n";
    h << "</ul>\n";
  }
  h << "</body></html>\n";
  io::write_file_atomic(dir / "report.html", h.str());
}

namespace {
// The figures of an earlier report (figures/*.png) go before a new one is built, so a page never
// sits beside figures it did not draw; other files there stay.
void remove_stale_figures(const fs::path& dir) {
  const fs::path figs = dir / "figures";
  std::error_code ec;
  if (!fs::is_directory(fs::symlink_status(figs, ec))) return;
  std::vector<fs::path> doomed;
  for (const auto& e : fs::directory_iterator(figs, ec)) {
    if (e.is_regular_file(ec) && e.path().extension() == ".png") doomed.push_back(e.path());
  }
  for (const auto& p : doomed) fs::remove(p, ec);
  fs::remove(figs, ec);  // only if empty
}
}  // namespace

ReportOutcome build_report(const fs::path& dir, bool quiet) {
  (void)read_summary(dir);  // bad input (exit 2) if missing or invalid
  remove_stale_figures(dir);
  const char* py_env = std::getenv("NNWORLD_PYTHON");
  const std::string python = (py_env && *py_env) ? py_env : "/usr/bin/python3";
  std::string pythonpath = std::string(NNWORLD_SOURCE_DIR) + "/python";
  std::vector<std::string> env;
  bool has_backend = false;
  for (char** e = environ; e && *e; ++e) {
    const std::string kv(*e);
    if (kv.rfind("PYTHONPATH=", 0) == 0) {
      if (kv.size() > 11) {
        pythonpath += ':';
        pythonpath.append(kv, 11, std::string::npos);
      }
      continue;
    }
    if (kv.rfind("MPLBACKEND=", 0) == 0) has_backend = true;
    env.push_back(kv);
  }
  env.push_back("PYTHONPATH=" + pythonpath);
  if (!has_backend) env.push_back("MPLBACKEND=Agg");

  ReportOutcome outcome;
  const ChildResult r = run_child({python, "-m", "nnworld_report", dir.string()}, env);
  if (r.started && r.failure.empty() && r.status == 0 && fs::exists(dir / "report.html")) {
    outcome.python_ok = true;
    return outcome;
  }
  if (!r.failure.empty()) {
    outcome.reason = r.failure;
  } else if (r.status == 127 && r.output.rfind("cannot run ", 0) == 0) {
    outcome.reason = last_lines(r.output, 1);
  } else if (r.status == 0) {
    outcome.reason = python + " -m nnworld_report wrote no report.html";
  } else {
    const std::string tail = last_lines(r.output, 1);
    outcome.reason = python + " -m nnworld_report exited with status " + std::to_string(r.status) +
                     (tail.empty() ? "" : ": " + tail);
  }
  if (!quiet) {
    std::fprintf(stderr, "warning: %s: figure report failed (%s); writing a plain report.html\n",
                 dir.string().c_str(), outcome.reason.c_str());
  }
  write_fallback_report(dir, outcome.reason);
  return outcome;
}

}  // namespace nnworld::lab
