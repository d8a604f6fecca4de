"""Build DIR/report.html (and DIR/figures/) from DIR/summary.json and DIR/data.h5."""

import os
import tempfile
import time

from . import html_page as hp
from .figures import make_figures
from .summary import CheckCounts, SummaryError, claims_in_order, load_summary, summary_path


class BuildResult:
    def __init__(self, run_dir, summary, figures, report_path):
        self.run_dir = run_dir
        self.summary = summary
        self.figures = figures  # figures.FigureResult
        self.report_path = report_path
        self.counts = CheckCounts(summary.get("checks") or [])


class SubRun:
    """One entry of a world summary's "runs" and what building its report gave."""

    def __init__(self, entry, rel_dir):
        self.entry = entry
        self.name = entry["name"]
        self.rel_dir = rel_dir  # relative to the world directory, '/'-separated
        self.result = None  # BuildResult when its report was built
        self.error = None  # text when it could not be built


def write_atomic(path, text):
    """Write text to path through a temp file in the same directory and os.replace."""
    directory = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(prefix=".tmp-report-", suffix=".html", dir=directory)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


def _run_date(run_dir):
    """Date of the run: modification time of its summary.json (written when it finished)."""
    try:
        mtime = os.stat(summary_path(run_dir)).st_mtime
    except OSError:
        return "—"
    return time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(mtime))


def _header(summary, run_dir, extra=()):
    items = [
        ("experiment", hp.esc(summary.get("experiment"))),
        ("status", hp.badge(summary.get("status"))),
        ("seed", hp.esc(summary.get("seed", "—"))),
        ("threads", hp.esc(summary.get("threads", "—"))),
        ("nnworld version", hp.esc(summary.get("nnworld", "—"))),
        ("wall time", hp.seconds(summary.get("wall_seconds"))),
        ("run date", hp.esc(_run_date(run_dir))),
        ("directory", hp.esc(os.path.basename(os.path.abspath(run_dir)))),
    ]
    items.extend(extra)
    return hp.meta_grid(items)


def _nav(entries):
    return "<nav>" + "".join(f'<a href="#{a}">{hp.esc(t)}</a>' for a, t in entries) + "</nav>"


def _title(summary, run_dir):
    return f"nnworld · {summary.get('experiment')} · {os.path.basename(os.path.abspath(run_dir))}"


def _findings(claims, run_href=None):
    """The Findings section: one line per claim, by the paper's equation number."""
    return '<h2 id="findings">Findings</h2>' + hp.findings_table(claims, run_href)


def _run_body(summary, run_dir, figs):
    checks = summary.get("checks") or []
    counts = CheckCounts(checks)
    claims = claims_in_order(checks)
    parts = [
        f"<h1>{hp.esc(_title(summary, run_dir))}</h1>",
        _nav(
            ([("findings", "Findings")] if claims else [])
            + [
                ("checks", "Checks"),
                ("observables", "Observables"),
                ("figures", "Figures"),
                ("config", "Config"),
            ]
        ),
        _header(summary, run_dir),
        hp.status_banner(summary),
        _findings(claims) if claims else "",
        '<h2 id="checks">Checks</h2>',
        f'<p class="summary-line">{hp.esc(counts.line())}</p>',
        hp.checks_table(checks),
        '<h2 id="observables">Scalar observables</h2>',
        hp.observables_table(summary.get("observables")),
        '<h2 id="figures">Figures</h2>',
        hp.figures_block(figs),
        hp.datasets_details(figs),
        '<h2 id="config">Config</h2>',
        hp.config_details(summary.get("config")),
    ]
    return "".join(parts)


def _ran_in(check, name):
    """Whether a merged row belongs to run `name`: its "run", or (a fixed-input row kept once)
    one of its "runs"."""
    if check.get("run") == name:
        return True
    runs = check.get("runs")
    return isinstance(runs, list) and name in runs


def _sub_counts(sub, merged_checks):
    mine = [c for c in merged_checks if _ran_in(c, sub.name)]
    if not mine and sub.result is not None:
        mine = sub.result.summary.get("checks") or []
    return CheckCounts(mine)


def _runs_table(subs, merged_checks):
    rows = []
    for sub in subs:
        e = sub.entry
        counts = _sub_counts(sub, merged_checks)
        status = e.get("status")
        if status is None and sub.result is not None:
            status = sub.result.summary.get("status")
        if sub.result is not None:
            name = f'<a href="{hp.esc(sub.rel_dir + "/report.html")}">{hp.esc(sub.name)}</a>'
        else:
            name = hp.esc(sub.name)
        experiment = e.get("experiment")
        if experiment is None and sub.result is not None:
            experiment = sub.result.summary.get("experiment")
        wall = e.get("wall_seconds")
        if wall is None and sub.result is not None:
            wall = sub.result.summary.get("wall_seconds")
        oracle_cls = "fail" if counts.oracle_failed else "pass"
        if counts.claim_not:
            claim_cls = "finding"
        elif counts.claim_unresolved or counts.claim_unmeasured:
            claim_cls = "unresolved"
        else:
            claim_cls = "pass"
        note = hp.esc(sub.error) if sub.error else ""
        if sub.result is not None and sub.result.summary.get("error"):
            note = hp.esc(sub.result.summary.get("error"))
        rows.append(
            f'<tr class="run" data-run="{hp.esc(sub.name)}"><td>{name}</td>'
            f"<td>{hp.esc(experiment or '—')}</td>"
            f"<td>{hp.badge(status or 'unknown')}</td>"
            f'<td class="num">{hp.seconds(wall)}</td>'
            f'<td><span class="badge {oracle_cls}">{counts.oracle_passed} passed, '
            f"{counts.oracle_failed} failed</span></td>"
            f'<td><span class="badge {claim_cls}">{hp.esc(counts.claims_text())}</span></td>'
            f'<td class="note">{note}</td></tr>'
        )
    return (
        '<div class="table-wrap"><table class="runs"><thead><tr><th>run</th>'
        "<th>experiment</th><th>status</th><th>wall time</th><th>oracles</th><th>claims</th>"
        f"<th>note</th></tr></thead><tbody>{''.join(rows)}</tbody></table></div>"
    )


def _world_body(summary, run_dir, figs, subs):
    checks = summary.get("checks") or []
    counts = CheckCounts(checks)
    reports = {s.name: s.rel_dir + "/report.html" for s in subs if s.result is not None}
    parts = [
        f"<h1>{hp.esc(_title(summary, run_dir))}</h1>",
        _nav(
            [("findings", "Findings"), ("runs", "Runs"), ("checks", "Checks")]
            + ([("observables", "Observables")] if summary.get("observables") else [])
            + [("figures", "Figures"), ("config", "Config")]
        ),
        _header(summary, run_dir, [("runs", hp.esc(len(subs)))]),
        hp.status_banner(summary),
        _findings(claims_in_order(checks), run_href=reports.get),
        '<h2 id="runs">Runs</h2>',
        _runs_table(subs, checks),
        '<h2 id="checks">Checks</h2>',
        f'<p class="summary-line">{hp.esc(counts.line())}</p>',
        hp.checks_table(checks, group_by_run=True, run_order=[s.name for s in subs]),
    ]
    if summary.get("observables"):
        parts += [
            '<h2 id="observables">Scalar observables</h2>',
            hp.observables_table(summary.get("observables")),
        ]
    parts.append('<h2 id="figures">Figures</h2>')
    if figs is not None and (figs.figures or figs.notes):
        parts += ["<h3>This run</h3>", hp.figures_block(figs)]
    for sub in subs:
        link = (
            f' <a class="muted" href="{hp.esc(sub.rel_dir + "/report.html")}">(report)</a>'
            if sub.result is not None
            else ""
        )
        parts.append(
            f'<details open class="run-figures" id="figures-{hp.esc(sub.name)}">'
            f"<summary>{hp.esc(sub.name)}{link}</summary>"
        )
        if sub.result is None:
            parts.append(
                f'<div class="banner note">report not built: {hp.esc(sub.error)}</div>'
            )
        else:
            prefix = tuple(p for p in sub.rel_dir.split("/") if p)
            parts.append(hp.figures_block(sub.result.figures, prefix=prefix))
        parts.append("</details>")
    parts += ['<h2 id="config">Config</h2>', hp.config_details(summary.get("config"))]
    return "".join(parts)


def build_report(run_dir, _visited=None):
    """Build run_dir/report.html; for a world run, first each sub-run's report.

    Raises SummaryError (and writes nothing) when run_dir/summary.json is missing or
    invalid. Returns a BuildResult.
    """
    summary = load_summary(run_dir)
    visited = set() if _visited is None else _visited
    visited.add(os.path.realpath(run_dir))

    subs = []
    if summary.get("runs") is not None or summary.get("experiment") == "world":
        for entry in summary.get("runs") or []:
            rel = entry.get("dir") if isinstance(entry.get("dir"), str) else entry["name"]
            sub_dir = os.path.join(run_dir, rel)
            rel_dir = os.path.relpath(sub_dir, run_dir).replace(os.sep, "/")
            sub = SubRun(entry, rel_dir)
            subs.append(sub)
            if os.path.realpath(sub_dir) in visited:
                sub.error = "directory already part of this report (cycle)"
                continue
            try:
                sub.result = build_report(sub_dir, visited)
            except SummaryError as e:
                sub.error = str(e)
            except Exception as e:  # one broken sub-run must not lose the world report
                sub.error = f"{type(e).__name__}: {e}"

    figs = make_figures(run_dir, summary)
    if summary.get("experiment") == "world" or subs:
        body = _world_body(summary, run_dir, figs, subs)
    else:
        body = _run_body(summary, run_dir, figs)
    report_path = os.path.join(run_dir, "report.html")
    write_atomic(report_path, hp.page(_title(summary, run_dir), body))
    return BuildResult(run_dir, summary, figs, report_path)
