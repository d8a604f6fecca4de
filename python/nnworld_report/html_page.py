"""HTML pieces of report.html: one self-contained page with inline CSS, no scripts."""

import html
import json
from urllib.parse import quote

from .formatting import (
    control_result,
    format_control,
    format_exact,
    format_key_number,
    format_seconds,
    format_short,
    format_value,
)
from .summary import (
    COMPARISON_RULES,
    CheckCounts,
    abs_difference,
    check_outcome,
    claim_verdict_or_legacy,
    comparison_of,
    flatten_observables,
    inconsistencies,
)

CSS = """
:root { --ok:#1a7f37; --ok-bg:#e6f4ea; --bad:#b42318; --bad-bg:#fdecea;
        --warn:#8a5a00; --warn-bg:#fff4d6; --mute:#667085; --line:#d0d5dd;
        --grey:#6b5e3e; --grey-bg:#f1eee6; }
* { box-sizing: border-box; }
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "DejaVu Sans", sans-serif;
       color:#1d2939; margin:0; background:#f7f8fa; }
main { max-width: 1280px; margin: 0 auto; padding: 20px 28px 48px; }
h1 { font-size: 24px; margin: 4px 0 12px; }
h2 { font-size: 19px; margin: 32px 0 10px; padding-bottom: 4px; border-bottom: 2px solid var(--line); }
h3 { font-size: 16px; margin: 22px 0 8px; }
a { color: #175cd3; }
nav { font-size: 13px; color: var(--mute); margin-bottom: 14px; }
nav a { margin-right: 12px; }
.meta { display: grid; grid-template-columns: repeat(auto-fill, minmax(190px, 1fr)); gap: 8px;
        margin: 8px 0 14px; }
.meta div { background:#fff; border:1px solid var(--line); border-radius:6px; padding:6px 10px; }
.meta .k { display:block; font-size: 11px; text-transform: uppercase; letter-spacing: .04em;
           color: var(--mute); }
.meta .v { font-weight: 600; word-break: break-word; }
.badge { display:inline-block; padding: 1px 8px; border-radius: 10px; font-weight: 600;
         font-size: 12px; }
.badge.ok, .badge.pass { background: var(--ok-bg); color: var(--ok); }
.badge.diverged, .badge.failed, .badge.fail, .badge.error { background: var(--bad-bg); color: var(--bad); }
.badge.finding { background: var(--warn-bg); color: var(--warn); }
.badge.unknown, .badge.other { background: #eef0f3; color: var(--mute); }
.badge.unresolved, .badge.unmeasured { background: var(--grey-bg); color: var(--grey); }
.badge.inconsistent { background: var(--bad); color: #fff; }
.badge.nocontrol { background: #eef0f3; color: var(--warn); border: 1px dashed #d9b36a; }
.badge.ctl-pass { background: var(--warn-bg); color: var(--warn); }
.badge.ctl-fail { background: #eef0f3; color: #344054; }
.banner { border-radius: 6px; padding: 10px 14px; margin: 10px 0; border: 1px solid; }
.banner.bad { background: var(--bad-bg); border-color: #f4b4ac; color: #7a1a10; }
.banner.note { background: var(--warn-bg); border-color: #f1d58a; color: #5c3d00; }
.banner pre { margin: 6px 0 0; white-space: pre-wrap; }
.summary-line { font-weight: 600; margin: 6px 0 10px; }
.table-wrap { overflow-x: auto; background:#fff; border:1px solid var(--line); border-radius:6px; }
table { border-collapse: collapse; width: 100%; font-size: 13px; }
th, td { text-align: left; padding: 5px 9px; border-bottom: 1px solid #eaecf0; vertical-align: top; }
th { background: #f2f4f7; font-weight: 600; white-space: nowrap; position: sticky; top: 0; }
td.num { font-family: ui-monospace, "DejaVu Sans Mono", Menlo, Consolas, monospace;
         font-size: 12px; white-space: nowrap; }
td.series { font-family: ui-monospace, "DejaVu Sans Mono", Menlo, Consolas, monospace;
            font-size: 12px; }
td.path { font-family: ui-monospace, "DejaVu Sans Mono", Menlo, Consolas, monospace; font-size: 12px; }
tr.check.pass td.result { color: var(--ok); }
tr.check.fail { background: var(--bad-bg); }
tr.check.fail td.result { color: var(--bad); font-weight: 700; }
tr.check.finding { background: var(--warn-bg); }
tr.check.finding td.result { color: var(--warn); font-weight: 700; }
tr.check.unresolved, tr.check.unmeasured { background: var(--grey-bg); }
tr.check.unresolved td.result, tr.check.unmeasured td.result { color: var(--grey); font-weight: 700; }
tr.check.inconsistent td.name { box-shadow: inset 3px 0 0 var(--bad); }
tr.group th { background: #e4e7ec; text-align: left; }
td.control { min-width: 160px; }
.also-in { color: var(--mute); font-size: 12px; }
tr.claim-line.held td.verdict { color: var(--ok); font-weight: 700; }
tr.claim-line.failed { background: var(--warn-bg); }
tr.claim-line.failed td.verdict { color: var(--warn); font-weight: 700; }
tr.claim-line.unmeasurable { background: var(--grey-bg); }
tr.claim-line.unmeasurable td.verdict { color: var(--grey); font-weight: 700; }
td.note { color: #475467; max-width: 360px; }
.figs { display: grid; grid-template-columns: repeat(auto-fill, minmax(420px, 1fr)); gap: 14px; }
figure { margin: 0; background:#fff; border:1px solid var(--line); border-radius:6px; padding: 8px; }
figure img { width: 100%; height: auto; display: block; }
figcaption { font-size: 12px; color: #475467; margin-top: 4px; }
figcaption code { color:#1d2939; }
details { margin: 8px 0; }
details > summary { cursor: pointer; font-weight: 600; }
details pre { background:#fff; border:1px solid var(--line); border-radius:6px; padding:10px;
              overflow:auto; max-height: 520px; font-size: 12px; }
ul.notes { margin: 4px 0 8px 18px; padding: 0; color: #475467; font-size: 13px; }
.muted { color: var(--mute); }
"""

OUTCOME_TEXT = {
    "pass": "pass",
    "fail": "FAIL",
    "finding": "not held",
    "unresolved": "not resolved",
    "unmeasured": "not measured",
    "unknown": "—",
}

# A claim's verdict as the Findings section says it, and the class of its line there.
FINDING_TEXT = {
    "held": "held",
    "not held": "failed",
    "not resolved": "not measurable as posed",
    "not measured": "not measurable as posed",
}
FINDING_CLASS = {
    "held": "held",
    "not held": "failed",
    "not resolved": "unmeasurable",
    "not measured": "unmeasurable",
}
FINDING_DETAIL = {
    "not resolved": "not resolved: the control passes the same comparison",
    "not measured": "not measured: the value is not finite",
}


def esc(x):
    return html.escape("" if x is None else str(x), quote=True)


def src_path(*parts):
    """A relative URL from path parts (each quoted; '/' separates them)."""
    return "/".join(quote(p, safe="") for p in parts)


def badge(status):
    cls = status if status in ("ok", "diverged", "failed") else "other"
    return f'<span class="badge {esc(cls)}">{esc(status)}</span>'


def meta_grid(items):
    cells = "".join(
        f'<div><span class="k">{esc(k)}</span><span class="v">{v}</span></div>' for k, v in items
    )
    return f'<div class="meta">{cells}</div>'


def status_banner(summary):
    status = summary.get("status")
    if status == "ok":
        return ""
    error = summary.get("error")
    title = {
        "diverged": "The run diverged (NaN/Inf): results below are partial.",
        "failed": "The run failed: results below are partial.",
    }.get(status, f"Status “{status}”.")
    body = f"<pre>{esc(error)}</pre>" if error else ""
    return f'<div class="banner bad"><strong>{esc(title)}</strong>{body}</div>'


CHECK_HEAD = (
    "<tr><th>check</th><th>kind</th><th>equation</th><th>comparison</th><th>value</th>"
    "<th>reference</th><th>tolerance</th><th>|value − reference|</th><th>control</th>"
    "<th>result</th><th>note</th></tr>"
)
CHECK_COLUMNS = 11


def inconsistent_badge(check):
    """A red "inconsistent" badge when the stored row disagrees with its recomputation."""
    problems = inconsistencies(check)
    if not problems:
        return ""
    return (
        f' <span class="badge inconsistent" title="{esc("; ".join(problems))}">'
        "inconsistent</span>"
    )


def control_cell(check):
    """The control: label, value and whether it passes; for a claim without one, the reason."""
    control = check.get("control")
    if isinstance(control, dict):
        passed = control_result(check)
        mark = ""
        if passed is not None:
            cls, text = ("ctl-pass", "pass") if passed else ("ctl-fail", "FAIL")
            mark = f' <span class="badge {cls}">{text}</span>'
        return (
            f'<span class="ctl-label">{esc(control.get("label") or "control")}</span>: '
            f'<span class="num">{esc(format_short(control.get("value"), 6))}</span>{mark}'
        )
    reason = check.get("no_control")
    if isinstance(reason, str) and reason:
        return f'<span class="badge nocontrol">no control</span> {esc(reason)}'
    if check.get("kind") == "claim" and comparison_of(check) is not None:
        return (
            '<span class="badge nocontrol">no control</span> '
            '<span class="muted">(no reason given)</span>'
        )
    return '<span class="muted">—</span>'


def other_runs(check):
    """For a fixed-input row of a world summary: the runs it also ran in (besides "run")."""
    runs = check.get("runs")
    if not isinstance(runs, list):
        return []
    return [r for r in runs if isinstance(r, str) and r != check.get("run")]


def also_in(check):
    others = other_runs(check)
    if others:
        return f'<div class="also-in">also in: {esc(", ".join(others))}</div>'
    if check.get("fixed_input") is True:
        return '<div class="also-in">fixed input</div>'
    return ""


def check_row(check):
    outcome = check_outcome(check)
    diff = abs_difference(check)
    kind = check.get("kind")
    comparison = check.get("comparison")
    bad = inconsistent_badge(check)
    cls = f"check {outcome}" + (" inconsistent" if bad else "")
    attrs = f' data-kind="{esc(kind)}"'
    if check.get("id") is not None:
        attrs += f' data-id="{esc(check.get("id"))}"'
    if check.get("run") is not None:
        attrs += f' data-run="{esc(check.get("run"))}"'
    rule = COMPARISON_RULES.get(comparison) if isinstance(comparison, str) else None
    title = f' title="{esc(rule)}"' if rule else ""
    return (
        f'<tr class="{cls}"{attrs}>'
        f'<td class="name">{esc(check.get("name"))}</td>'
        f"<td>{esc(kind if kind is not None else '—')}</td>"
        f"<td>{esc(check.get('equation') or '—')}</td>"
        f'<td class="comparison"{title}>{esc(comparison if comparison is not None else "—")}</td>'
        f'<td class="num">{esc(format_exact(check.get("value")))}</td>'
        f'<td class="num">{esc(format_exact(check.get("reference")))}</td>'
        f'<td class="num">{esc(format_short(check.get("tolerance"), 3))}</td>'
        f'<td class="num">{esc(format_short(diff, 3))}</td>'
        f'<td class="control">{control_cell(check)}</td>'
        f'<td class="result">{esc(OUTCOME_TEXT[outcome])}{bad}</td>'
        f'<td class="note">{also_in(check)}{esc(check.get("note") or "")}</td></tr>'
    )


def checks_table(checks, group_by_run=False, run_order=()):
    if not checks:
        return '<p class="muted">No checks.</p>'
    rows = []
    if group_by_run:
        groups = {}
        for c in checks:
            groups.setdefault(c.get("run") or "", []).append(c)
        order = [r for r in run_order if r in groups] + [r for r in groups if r not in run_order]
        for run in order:
            members = groups[run]
            label = run or "(this run)"
            rows.append(
                f'<tr class="group" id="checks-{esc(run)}"><th colspan="{CHECK_COLUMNS}">'
                f'{esc(label)} <span class="muted">— {esc(CheckCounts(members).line())}</span>'
                "</th></tr>"
            )
            rows.extend(check_row(c) for c in members)
    else:
        rows.extend(check_row(c) for c in checks)
    return (
        '<div class="table-wrap"><table class="checks">'
        f"<thead>{CHECK_HEAD}</thead><tbody>{''.join(rows)}</tbody></table></div>"
    )


def findings_table(claims, run_href=None):
    """The Findings: one line per claim (already in order) with its equation, name, verdict
    (held / failed / not measurable as posed), key number, control and, when run_href is
    given (a world report), a link to its run: run_href(name) -> relative URL or None."""
    if not claims:
        return '<p class="muted">No claims.</p>'
    tally = {}
    rows = []
    for c in claims:
        verdict = claim_verdict_or_legacy(c)
        text = FINDING_TEXT.get(verdict, "—")
        tally[text] = tally.get(text, 0) + 1
        cls = FINDING_CLASS.get(verdict, "unknown")
        detail = FINDING_DETAIL.get(verdict)
        title = f' title="{esc(detail)}"' if detail else ""
        attrs = ""
        if c.get("id") is not None:
            attrs += f' data-id="{esc(c.get("id"))}"'
        run_cell = ""
        if run_href is not None:
            run = c.get("run")
            href = run_href(run) if isinstance(run, str) else None
            if href:
                run_cell = f'<a href="{esc(href)}">{esc(run)}</a>'
            else:
                run_cell = esc(run if run is not None else "—")
            others = other_runs(c)
            if others:
                run_cell += f'<div class="also-in">also in: {esc(", ".join(others))}</div>'
            run_cell = f'<td class="run">{run_cell}</td>'
            attrs += f' data-run="{esc(run)}"' if run is not None else ""
        rows.append(
            f'<tr class="claim-line {cls}"{attrs}>'
            f"<td>{esc(c.get('equation') or '—')}</td>"
            f'<td class="name">{esc(c.get("name"))}</td>'
            f'<td class="verdict"{title}>{esc(text)}{inconsistent_badge(c)}</td>'
            f'<td class="num">{esc(format_key_number(c))}</td>'
            f'<td class="control">{esc(format_control(c))}</td>'
            f"{run_cell}</tr>"
        )
    order = ["held", "failed", "not measurable as posed", "—"]
    parts = ", ".join(
        f"{tally[k]} {'without a result' if k == '—' else k}" for k in order if k in tally
    )
    run_head = "<th>run</th>" if run_href is not None else ""
    return (
        f'<p class="summary-line">{len(claims)} claims: {esc(parts)}</p>'
        '<div class="table-wrap"><table class="findings"><thead><tr><th>equation</th>'
        "<th>claim</th><th>verdict</th><th>key number</th><th>control</th>"
        f"{run_head}</tr></thead><tbody>{''.join(rows)}</tbody></table></div>"
    )


def observables_table(observables):
    leaves = list(flatten_observables(observables or {}))
    if not leaves:
        return '<p class="muted">No scalar observables.</p>'
    rows = []
    for path, value in leaves:
        cls = "series" if isinstance(value, list) else "num"
        if isinstance(value, str):
            cls = "text"
        rows.append(
            f'<tr><td class="path">{esc(path)}</td>'
            f'<td class="{cls}">{esc(format_value(value))}</td></tr>'
        )
    return (
        '<div class="table-wrap"><table class="observables">'
        "<thead><tr><th>observable</th><th>value</th></tr></thead>"
        f"<tbody>{''.join(rows)}</tbody></table></div>"
    )


def figures_block(fig_result, prefix=()):
    """Figure grid with relative image paths <prefix...>/figures/<file>."""
    parts = []
    if fig_result is None:
        return ""
    if fig_result.unavailable:
        parts.append(
            f'<div class="banner note figures-unavailable">figures unavailable: '
            f"{esc(fig_result.unavailable)}</div>"
        )
    if fig_result.notes:
        parts.append(
            '<ul class="notes">' + "".join(f"<li>{esc(n)}</li>" for n in fig_result.notes) + "</ul>"
        )
    if fig_result.figures:
        cards = []
        for f in fig_result.figures:
            src = src_path(*prefix, "figures", f.filename)
            cap = (
                f"<code>{esc(f.path)}</code> "
                f'<span class="muted">({esc(f.shape)}, {esc(f.kind)})</span>'
            )
            if f.caption:
                cap += f" — {esc(f.caption)}"
            cards.append(
                f'<figure><img src="{esc(src)}" alt="{esc(f.path)}" loading="lazy">'
                f"<figcaption>{cap}</figcaption></figure>"
            )
        parts.append(f'<div class="figs">{"".join(cards)}</div>')
    elif not fig_result.unavailable:
        parts.append('<p class="muted">No datasets to plot.</p>')
    return "".join(parts)


def datasets_details(fig_result):
    if fig_result is None or not fig_result.datasets:
        return ""
    rows = []
    for d in fig_result.datasets:
        a = d.attrs
        shape = "×".join(map(str, d.shape)) or "scalar"
        rows.append(
            f'<tr><td class="path">{esc(d.path)}</td><td>{esc(shape)}</td>'
            f'<td>{esc(a.get("plot", ""))}</td><td>{esc(a.get("label", ""))}</td>'
            f'<td>{esc(a.get("units", ""))}</td><td>{esc(a.get("axis", ""))}</td>'
            f'<td>{esc(a.get("description", ""))}</td></tr>'
        )
    return (
        f"<details><summary>Datasets in data.h5 ({len(fig_result.datasets)})</summary>"
        '<div class="table-wrap"><table><thead><tr><th>path</th><th>shape</th><th>plot</th>'
        "<th>label</th><th>units</th><th>axis</th><th>description</th></tr></thead>"
        f"<tbody>{''.join(rows)}</tbody></table></div></details>"
    )


def config_details(config):
    text = json.dumps(config if config is not None else {}, indent=2, ensure_ascii=False)
    return (
        '<details class="config"><summary>Resolved config</summary>'
        f"<pre>{esc(text)}</pre></details>"
    )


def page(title, body):
    return (
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{esc(title)}</title>\n<style>{CSS}</style>\n</head>\n<body>\n<main>\n"
        f"{body}\n</main>\n</body>\n</html>\n"
    )


def seconds(x):
    return esc(format_seconds(x))
