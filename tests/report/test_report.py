"""Tests of python/nnworld_report: report.html and figures built from a fake run directory.

Run from the repository root with
    /usr/bin/python3 -m unittest discover -s tests/report -t .
The module under test always runs in a subprocess, as the C++ CLI runs it.
"""

import html.parser
import json
import os
import shutil
import struct
import subprocess
import sys
import tempfile
import unittest

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
PYTHON_DIR = os.path.join(REPO, "python")
if PYTHON_DIR not in sys.path:
    sys.path.insert(0, PYTHON_DIR)

import h5py  # noqa: E402
import numpy as np  # noqa: E402

from nnworld_report.formatting import format_series  # noqa: E402
from nnworld_report.summary import (  # noqa: E402
    CheckCounts,
    check_outcome,
    claim_verdict,
    control_passed,
    equation_sort_key,
    flatten_observables,
    recompute_passed,
)

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
# Figures are 6.4 x 4.0 inches saved at 110 dpi (figures.py): 704 x 440 pixels.
PNG_SIZE = (704, 440)

# name -> (kind, value, reference, tolerance, passed, expected row class)
# The expected class is the contract's rule, written out here independently of the code:
# passed -> "pass"; failed oracle -> "fail" (a bug, red); failed claim -> "finding" (amber).
# These rows are old-style (no "comparison", "id", "verdict", "control"): they must render as
# before, with nothing recomputed and no mismatch mark.
CHECKS = [
    ("T2.3 linear Gaussian", "oracle", 1.918430840911, 1.918430840912, 1e-12, True, "pass"),
    ("T2.4 free energy", "oracle", 2.5, 2.0, 1e-6, False, "fail"),
    ("C3 entropy grows", "claim", 0.75, 0.5, 0.5, True, "pass"),
    ("C5 second law", "claim", -0.125, 0.0, 0.0, False, "finding"),
]


# columns of the checks table: name kind equation comparison value reference tolerance
# |value - reference| control result note
C_COMPARISON, C_VALUE, C_REF, C_TOL, C_DIFF, C_CONTROL, C_RESULT, C_NOTE = 3, 4, 5, 6, 7, 8, 9, 10
RESULT_TEXT = {"pass": "pass", "fail": "FAIL", "finding": "not held",
               "unresolved": "not resolved", "unmeasured": "not measured"}


def write_summary(run_dir, **fields):
    os.makedirs(run_dir, exist_ok=True)
    with open(os.path.join(run_dir, "summary.json"), "w", encoding="utf-8") as f:
        json.dump(fields, f, indent=1)


def make_checks(prefix="", run=None):
    out = []
    for name, kind, value, ref, tol, passed, _cls in CHECKS:
        c = {
            "name": prefix + name,
            "kind": kind,
            "equation": "(7)",
            "value": value,
            "reference": ref,
            "tolerance": tol,
            "passed": passed,
            "note": f"note for {prefix}{name}",
        }
        if run is not None:
            c["run"] = run
        out.append(c)
    return out


def make_run(run_dir, experiment="network", status="ok", error=None, prefix=""):
    """A run directory as the C++ runner writes it: summary.json and data.h5."""
    summary = {
        "nnworld": "0.1.0",
        "experiment": experiment,
        "status": status,
        "seed": 7,
        "threads": 2,
        "config": {"experiment": experiment, "network": {"n": 16, "beta": 0.5}},
        "observables": {
            "log_z": {"laplace": [1.0, 2.0, 3.0], "quadrature": 2.25},
            "beta": 0.5,
            "long_series": [float(i) for i in range(1000)],
            "label": "free text",
        },
        "checks": make_checks(prefix),
        "wall_seconds": 0.42,
        "arrays": ["training/loss", "training/step", "dynamics/x", "field", "many", "hidden"],
    }
    if error is not None:
        summary["error"] = error
    write_summary(run_dir, **summary)
    with h5py.File(os.path.join(run_dir, "data.h5"), "w") as f:
        f.attrs["nnworld"] = "0.1.0"
        f.attrs["experiment"] = experiment
        f.attrs["config"] = json.dumps(summary["config"])
        step = np.arange(1, 201, dtype=float)
        d = f.create_dataset("training/step", data=step)
        d.attrs["plot"] = "none"
        d.attrs["label"] = "step"
        d = f.create_dataset("training/loss", data=np.exp(-step / 40.0))
        d.attrs["plot"] = "logy"
        d.attrs["axis"] = "training/step"
        d.attrs["label"] = "loss"
        d.attrs["units"] = "nats"
        d.attrs["description"] = "training loss per step"
        t = np.linspace(0.0, 10.0, 300)
        d = f.create_dataset("time", data=t)  # no plot attribute, used as an axis: not drawn
        d.attrs["label"] = "time"
        d.attrs["units"] = "s"
        d = f.create_dataset("dynamics/x", data=np.stack([np.sin(t), np.cos(t), t / 10], 1))
        d.attrs["plot"] = "line"
        d.attrs["axis"] = "/time"
        d.attrs["label"] = np.bytes_(b"x")  # fixed-length string as the HDF5 C API writes
        d = f.create_dataset("field", data=np.outer(np.linspace(0, 1, 60), np.ones(40)))
        d.attrs["plot"] = "image"
        d.attrs["description"] = "field over time"
        d = f.create_dataset("many", data=np.outer(np.arange(120.0), np.linspace(0.5, 1.5, 30)))
        d.attrs["plot"] = "line"
        d = f.create_dataset("hidden", data=np.zeros(5))
        d.attrs["plot"] = "none"
    return summary


# figure files expected for make_run (paths with '/' -> '__')
EXPECTED_FIGURES = ["training__loss.png", "dynamics__x.png", "field.png", "many.png"]
NOT_EXPECTED = ["training__step.png", "time.png", "hidden.png"]


def run_module(run_dir, pre_code=None):
    """Run `python3 -m nnworld_report DIR`; pre_code runs first in the same interpreter."""
    env = dict(os.environ)
    env["PYTHONPATH"] = PYTHON_DIR + os.pathsep + env.get("PYTHONPATH", "")
    if pre_code is None:
        cmd = [sys.executable, "-m", "nnworld_report", run_dir]
    else:
        code = (
            pre_code + "\nimport runpy, sys\nsys.argv = ['nnworld_report', " + repr(run_dir) + "]\n"
            "runpy.run_module('nnworld_report', run_name='__main__', alter_sys=True)\n"
        )
        cmd = [sys.executable, "-c", code]
    return subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=120)


class Page(html.parser.HTMLParser):
    """Collects check rows (class, cells), img srcs, links and text of an HTML page."""

    def __init__(self, text):
        super().__init__()
        self.rows = []  # (tr class, [cell texts])
        self.imgs = []
        self.links = []
        self.text = []
        self._row = None
        self._cell = None
        self.feed(text)

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "tr":
            self._row = (a.get("class") or "", [])
        elif tag in ("td", "th") and self._row is not None:
            self._cell = []
        elif tag == "img":
            self.imgs.append(a.get("src"))
        elif tag == "a":
            self.links.append(a.get("href"))

    def handle_endtag(self, tag):
        if tag in ("td", "th") and self._cell is not None and self._row is not None:
            self._row[1].append("".join(self._cell).strip())
            self._cell = None
        elif tag == "tr" and self._row is not None:
            self.rows.append(self._row)
            self._row = None

    def handle_data(self, data):
        self.text.append(data)
        if self._cell is not None:
            self._cell.append(data)

    def check_rows(self):
        return {cells[0]: (cls, cells) for cls, cells in self.rows if cls.startswith("check")}

    def finding_rows(self):
        """Lines of the Findings table, in page order: (class, [cells])."""
        return [(cls, cells) for cls, cells in self.rows if cls.startswith("claim-line")]

    def all_text(self):
        return "".join(self.text)


def png_size(path):
    with open(path, "rb") as f:
        head = f.read(24)
    assert head[:8] == PNG_MAGIC, f"{path} is not a PNG"
    return struct.unpack(">II", head[16:24])


class ReportTestBase(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="nnworld_report_test_")

    def tearDown(self):
        shutil.rmtree(self.tmp, ignore_errors=True)

    def read_page(self, run_dir):
        with open(os.path.join(run_dir, "report.html"), encoding="utf-8") as f:
            text = f.read()
        return text, Page(text)

    def assert_check_rows(self, page, prefix=""):
        rows = page.check_rows()
        for name, kind, value, ref, tol, passed, cls in CHECKS:
            self.assertIn(prefix + name, rows, f"row for {prefix + name}")
            row_cls, cells = rows[prefix + name]
            self.assertEqual(row_cls.split(), ["check", cls], prefix + name)
            self.assertEqual(len(cells), 11)
            self.assertEqual(cells[1], kind)
            self.assertEqual(cells[2], "(7)")
            self.assertEqual(cells[3], "—")  # old-style row: no comparison
            self.assertEqual(float(cells[C_VALUE]), value)  # full precision round-trips
            self.assertEqual(float(cells[C_REF]), ref)
            # |value - reference| shown to 3 significant digits
            self.assertAlmostEqual(
                float(cells[C_DIFF]), abs(value - ref), delta=abs(value - ref) * 1e-2
            )
            self.assertEqual(cells[C_CONTROL], "—")  # no control, no mark
            # nothing recomputed for an old-style row: the stored result, no "inconsistent"
            self.assertEqual(cells[C_RESULT], RESULT_TEXT[cls])
            self.assertEqual(cells[C_NOTE], f"note for {prefix + name}")


class SingleRunTest(ReportTestBase):
    def test_report_tables_and_figures(self):
        run = os.path.join(self.tmp, "run1")
        make_run(run)
        res = run_module(run)
        self.assertEqual(res.returncode, 0, res.stderr)
        text, page = self.read_page(run)
        self.assert_check_rows(page)
        # one oracle passed, one failed; one claim held, one not (CHECKS above)
        self.assertIn("1 oracles passed, 1 failed; 1 claims held, 1 not held", text)
        self.assertNotIn('class="badge inconsistent"', text)
        # header
        for needle in ("network", "0.1.0", "0.42 s"):
            self.assertIn(needle, page.all_text())
        # observables flattened to dotted paths; long series truncated
        obs = {c[0]: c[1] for cls, c in page.rows if len(c) == 2}
        self.assertEqual(obs["log_z.laplace"], "[1, 2, 3]")
        self.assertEqual(obs["log_z.quadrature"], "2.25")
        self.assertIn("…", obs["long_series"])
        self.assertIn("1000 values", obs["long_series"])
        self.assertIn("999", obs["long_series"])  # the tail is shown
        # figures: one PNG per dataset with plot != none, referenced relatively
        for name in EXPECTED_FIGURES:
            path = os.path.join(run, "figures", name)
            self.assertTrue(os.path.isfile(path), name)
            self.assertEqual(png_size(path), PNG_SIZE)
            self.assertIn("figures/" + name, page.imgs)
        for name in NOT_EXPECTED:
            self.assertFalse(os.path.exists(os.path.join(run, "figures", name)), name)
        self.assertEqual(len(page.imgs), len(EXPECTED_FIGURES))
        # resolved config in a collapsible block
        self.assertRegex(text, r"(?s)<details[^>]*>\s*<summary>Resolved config</summary>\s*<pre>")
        self.assertIn("&quot;beta&quot;: 0.5", text)
        # self-contained: no external resources, no scripts
        self.assertNotIn("<script", text)
        self.assertNotRegex(text, r"(src|href)=\"(https?:)?//")
        self.assertNotIn("<link", text)
        # no temporary files left behind
        leftovers = [n for n in os.listdir(run) + os.listdir(os.path.join(run, "figures"))
                     if n.startswith(".tmp")]
        self.assertEqual(leftovers, [])

    def test_diverged_status_shows_error(self):
        run = os.path.join(self.tmp, "div")
        make_run(run, status="diverged", error="NaN in x at step 17")
        res = run_module(run)
        self.assertEqual(res.returncode, 0, res.stderr)
        text, page = self.read_page(run)
        self.assertIn('class="banner bad"', text)
        self.assertIn("NaN in x at step 17", page.all_text())
        self.assertIn('<span class="badge diverged">diverged</span>', text)

    def test_rebuild_removes_stale_figures(self):
        run = os.path.join(self.tmp, "run2")
        make_run(run)
        os.makedirs(os.path.join(run, "figures"))
        stale = os.path.join(run, "figures", "gone.png")
        with open(stale, "wb") as f:
            f.write(PNG_MAGIC)
        self.assertEqual(run_module(run).returncode, 0)
        self.assertFalse(os.path.exists(stale))
        self.assertTrue(os.path.isfile(os.path.join(run, "figures", "field.png")))

    def test_corrupt_data_h5_leaves_no_stale_figures(self):
        run = os.path.join(self.tmp, "corrupt")
        make_run(run)
        with open(os.path.join(run, "data.h5"), "wb") as f:
            f.write(b"not an HDF5 file")
        os.makedirs(os.path.join(run, "figures"), exist_ok=True)
        stale = os.path.join(run, "figures", "old.png")
        mine = os.path.join(run, "figures", "notes.txt")
        for path, data in ((stale, PNG_MAGIC), (mine, b"mine")):
            with open(path, "wb") as f:
                f.write(data)
        res = run_module(run)
        self.assertEqual(res.returncode, 0, res.stderr)
        self.assertFalse(os.path.exists(stale))
        self.assertTrue(os.path.exists(mine))

    def test_without_data_h5(self):
        run = os.path.join(self.tmp, "nodata")
        write_summary(run, experiment="partition", status="ok", checks=make_checks())
        res = run_module(run)
        self.assertEqual(res.returncode, 0, res.stderr)
        _, page = self.read_page(run)
        self.assert_check_rows(page)
        self.assertFalse(os.path.exists(os.path.join(run, "figures")))


class NoPlottingTest(ReportTestBase):
    def test_without_matplotlib(self):
        run = os.path.join(self.tmp, "nompl")
        make_run(run)
        # None in sys.modules makes `import matplotlib` raise ImportError
        res = run_module(run, pre_code="import sys; sys.modules['matplotlib'] = None")
        self.assertEqual(res.returncode, 0, res.stderr)
        text, page = self.read_page(run)
        self.assertIn("figures unavailable: matplotlib not installed", page.all_text())
        self.assert_check_rows(page)
        self.assertEqual(page.imgs, [])
        self.assertFalse(os.path.exists(os.path.join(run, "figures")))

    def test_without_h5py(self):
        run = os.path.join(self.tmp, "noh5")
        make_run(run)
        res = run_module(run, pre_code="import sys; sys.modules['h5py'] = None")
        self.assertEqual(res.returncode, 0, res.stderr)
        _, page = self.read_page(run)
        self.assertIn("figures unavailable: h5py not installed", page.all_text())
        self.assert_check_rows(page)


class BadSummaryTest(ReportTestBase):
    def assert_rejected(self, run, reason_fragment):
        before = sorted(os.listdir(run)) if os.path.isdir(run) else None
        res = run_module(run)
        self.assertEqual(res.returncode, 2, res.stderr)
        lines = res.stderr.strip().splitlines()
        self.assertEqual(len(lines), 1, res.stderr)
        self.assertTrue(
            lines[0].startswith(f"error: {os.path.join(run, 'summary.json')}: "), lines[0]
        )
        self.assertIn(reason_fragment, lines[0])
        after = sorted(os.listdir(run)) if os.path.isdir(run) else None
        self.assertEqual(before, after, "nothing may be written")

    def test_missing_summary(self):
        run = os.path.join(self.tmp, "empty")
        os.makedirs(run)
        self.assert_rejected(run, "missing")

    def test_missing_directory(self):
        self.assert_rejected(os.path.join(self.tmp, "does_not_exist"), "missing")

    def test_invalid_json(self):
        run = os.path.join(self.tmp, "badjson")
        os.makedirs(run)
        with open(os.path.join(run, "summary.json"), "w") as f:
            f.write('{"experiment": "network", "status": ')
        self.assert_rejected(run, "invalid JSON")

    def test_wrong_structure(self):
        run = os.path.join(self.tmp, "badshape")
        write_summary(run, experiment="network", status="ok", checks={"a": 1})
        self.assert_rejected(run, '"checks" must be a list')
        with open(os.path.join(run, "summary.json"), "w") as f:
            f.write("[1, 2]")
        self.assert_rejected(run, "JSON object")


class WorldTest(ReportTestBase):
    def test_world_layout(self):
        world = os.path.join(self.tmp, "world")
        names = ["t2_1", "t3_2"]
        checks, runs = [], []
        for name in names:
            make_run(os.path.join(world, name), prefix=name + " ")
            checks += make_checks(prefix=name + " ", run=name)
            runs.append({"name": name, "experiment": "network", "dir": name, "status": "ok",
                         "wall_seconds": 1.5})
        # a run whose directory is broken: the world report is still written
        runs.append({"name": "broken", "experiment": "partition", "dir": "broken",
                     "status": "failed", "wall_seconds": 0.1})
        write_summary(world, nnworld="0.1.0", experiment="world", status="ok", seed=1,
                      threads=2, config={"runs": names}, observables={}, checks=checks,
                      wall_seconds=3.1, runs=runs)
        res = run_module(world)
        self.assertEqual(res.returncode, 0, res.stderr)
        text, page = self.read_page(world)
        for name in names:
            sub = os.path.join(world, name)
            # each sub-run's own report and figures were built
            self.assertTrue(os.path.isfile(os.path.join(sub, "report.html")))
            _, sub_page = self.read_page(sub)
            self.assert_check_rows(sub_page, prefix=name + " ")
            self.assertIn(name + "/report.html", page.links)
            for fig in EXPECTED_FIGURES:
                self.assertTrue(os.path.isfile(os.path.join(sub, "figures", fig)))
                self.assertIn(f"{name}/figures/{fig}", page.imgs)
            # merged checks with the right classes
            self.assert_check_rows(page, prefix=name + " ")
            # runs table row: counts from the merged checks of that run
            run_row = [c for cls, c in page.rows if cls == "run" and c[0] == name]
            self.assertEqual(len(run_row), 1)
            self.assertEqual(run_row[0][4], "1 passed, 1 failed")
            self.assertEqual(run_row[0][5], "1 held, 1 not held")
        # grouped: a group header row per run, in run order, each before its checks
        order = [c[0].split(" ")[0] for cls, c in page.rows if cls == "group"]
        self.assertEqual(order, names)
        self.assertIn("2 oracles passed, 2 failed; 2 claims held, 2 not held", text)
        self.assertNotIn('class="badge inconsistent"', text)
        # old-style claims still get their Findings lines, from the stored "passed"
        findings = page.finding_rows()
        self.assertEqual(len(findings), 4)
        verdicts = {cells[1]: cells[2] for _, cells in findings}
        for name in names:
            self.assertEqual(verdicts[name + " C3 entropy grows"], "held")
            self.assertEqual(verdicts[name + " C5 second law"], "failed")
        broken = [c for cls, c in page.rows if cls == "run" and c[0] == "broken"]
        self.assertEqual(len(broken), 1)
        self.assertIn("summary.json", broken[0][6])
        self.assertNotIn("broken/report.html", page.links)


class FormattingTest(unittest.TestCase):
    def test_series(self):
        self.assertEqual(format_series([0.5, 1, 2]), "[0.5, 1, 2]")
        long = format_series(list(range(100)))
        self.assertEqual(long, "[0, 1, 2, 3, 4, 5, …, 98, 99]  (100 values)")
        self.assertIn("(2×3)", format_series([[1, 2, 3], [4, 5, 6]]))

    def test_flatten(self):
        obs = {"a": {"b": 1, "c": {"d": [1, 2]}}, "e": "x"}
        self.assertEqual(
            list(flatten_observables(obs)), [("a.b", 1), ("a.c.d", [1, 2]), ("e", "x")]
        )

    def test_counts(self):
        counts = CheckCounts(make_checks())
        self.assertEqual(counts.line(), "1 oracles passed, 1 failed; 1 claims held, 1 not held")


class ErrorBarsTest(ReportTestBase):
    def test_errors_attribute_draws_error_bars(self):
        from nnworld_report import figures

        run = os.path.join(self.tmp, "bars")
        write_summary(run, nnworld="0.1.0", experiment="partition", status="ok", seed=1,
                      threads=1, config={}, observables={}, checks=[], wall_seconds=0.1,
                      arrays=["beta", "log_z/sampling", "log_z_stderr/sampling", "log_z/laplace"])
        with h5py.File(os.path.join(run, "data.h5"), "w") as f:
            f["beta"] = np.array([1.0, 10.0, 100.0])
            f["beta"].attrs["plot"] = "none"
            y = f.create_dataset("log_z/sampling", data=np.array([2.1, -0.19, -2.49]))
            y.attrs["axis"] = "beta"
            y.attrs["plot"] = "line"
            y.attrs["errors"] = "log_z_stderr/sampling"
            e = f.create_dataset("log_z_stderr/sampling", data=np.array([1e-3, 2e-4, 3e-5]))
            e.attrs["plot"] = "none"
            # an "errors" attribute naming a dataset of another shape is ignored
            z = f.create_dataset("log_z/laplace", data=np.array([2.11, -0.19]))
            z.attrs["plot"] = "line"
            z.attrs["errors"] = "log_z_stderr/sampling"
        result = figures.make_figures(run, {"arrays": None})
        captions = {f.path: f.caption for f in result.figures}
        self.assertIn("log_z/sampling", captions)
        self.assertIn("error bars: ± log_z_stderr/sampling", captions["log_z/sampling"])
        self.assertIn("log_z/laplace", captions)
        self.assertNotIn("error bars", captions["log_z/laplace"])
        self.assertNotIn("log_z_stderr/sampling", captions)  # plot = none
        self.assertTrue(os.path.isfile(os.path.join(run, "figures", result.figures[0].filename)))


class FigureGroupTest(ReportTestBase):
    def test_figure_attribute_overlays_datasets(self):
        from nnworld_report import figures

        run = os.path.join(self.tmp, "groups")
        write_summary(run, nnworld="0.1.0", experiment="partition", status="ok", seed=1,
                      threads=1, config={}, observables={}, checks=[], wall_seconds=0.1,
                      arrays=None)
        with h5py.File(os.path.join(run, "data.h5"), "w") as f:
            f["beta"] = np.array([1.0, 10.0, 100.0])
            f["beta"].attrs["plot"] = "none"
            for method, values in (("laplace", [2.11, -0.19, -2.49]), ("sampling", [2.1, -0.2, -2.5])):
                d = f.create_dataset("log_z/" + method, data=np.array(values))
                d.attrs["axis"] = "beta"
                d.attrs["plot"] = "line"
                d.attrs["figure"] = "log_z"
                d.attrs["legend"] = method
            f["log_z/sampling"].attrs["errors"] = "log_z_stderr/sampling"
            e = f.create_dataset("log_z_stderr/sampling", data=np.array([1e-3, 2e-4, 3e-5]))
            e.attrs["plot"] = "none"
            # a figure group of one 2-D dataset is not grouped: drawn on its own
            m = f.create_dataset("spectra", data=np.ones((3, 2)))
            m.attrs["figure"] = "spectra"
        result = figures.make_figures(run, {"arrays": None})
        files = sorted(fig.filename for fig in result.figures)
        self.assertEqual(files, ["figure__log_z.png", "spectra.png"])
        overlay = next(fig for fig in result.figures if fig.filename == "figure__log_z.png")
        self.assertEqual(overlay.kind, "overlay")
        self.assertEqual(overlay.path, "log_z/laplace, log_z/sampling")
        self.assertIn("sampling: error bars ± log_z_stderr/sampling", overlay.caption)
        self.assertTrue(os.path.isfile(os.path.join(run, "figures", "figure__log_z.png")))


class ImageColumnsTest(ReportTestBase):
    def test_columns_attribute_labels_image_columns(self):
        from nnworld_report import figures

        run = os.path.join(self.tmp, "columns")
        write_summary(run, nnworld="0.1.0", experiment="strings", status="ok", seed=1,
                      threads=1, config={}, observables={}, checks=[], wall_seconds=0.1,
                      arrays=None)
        with h5py.File(os.path.join(run, "data.h5"), "w") as f:
            f["sigma"] = np.linspace(0.0, 4.0, 50)
            f["sigma"].attrs["plot"] = "none"
            f["sigma"].attrs["label"] = "sigma"
            f["tau"] = np.linspace(0.0, 2.0, 20)
            f["tau"].attrs["plot"] = "none"
            d = f.create_dataset("sheet", data=np.sin(np.outer(np.arange(20.0), np.arange(50.0))))
            d.attrs["plot"] = "image"
            d.attrs["axis"] = "tau"
            d.attrs["columns"] = "sigma"
            # a columns dataset of the wrong length is ignored with a note
            e = f.create_dataset("bad", data=np.ones((20, 7)))
            e.attrs["plot"] = "image"
            e.attrs["columns"] = "sigma"
        result = figures.make_figures(run, {"arrays": None})
        captions = {f.path: f.caption for f in result.figures}
        self.assertIn("sheet", captions)
        self.assertNotIn("columns", captions["sheet"])
        self.assertIn('columns "sigma" has 50 values for 7 columns', captions["bad"])

    def test_contours_attribute_draws_the_levels_the_data_cross(self):
        from nnworld_report import figures

        run = os.path.join(self.tmp, "contours")
        write_summary(run, nnworld="0.1.0", experiment="learning_phase", status="ok", seed=1,
                      threads=1, config={}, observables={}, checks=[], wall_seconds=0.1,
                      arrays=None)
        with h5py.File(os.path.join(run, "data.h5"), "w") as f:
            # a signed field crossing 0 along a diagonal; 5 is never reached, "x" is not a number
            d = f.create_dataset("phase", data=np.subtract.outer(np.arange(4.0), np.arange(6.0)))
            d.attrs["plot"] = "image"
            d.attrs["contours"] = "0, 5, x"
            e = f.create_dataset("positive", data=np.ones((4, 6)) + np.arange(6.0))
            e.attrs["plot"] = "image"
            e.attrs["contours"] = "0"
        result = figures.make_figures(run, {"arrays": None})
        captions = {f.path: f.caption for f in result.figures}
        self.assertIn("black: contour at 0", captions["phase"])
        self.assertNotIn("contour", captions["positive"])


def row(comparison, value, reference, tolerance, **extra):
    """A new-style check row (docs/checks.md) with just what the rules read."""
    c = {"comparison": comparison, "value": value, "reference": reference,
         "tolerance": tolerance}
    c.update(extra)
    return c


NAN, INF = float("nan"), float("inf")


class RecomputeTest(unittest.TestCase):
    """recompute_passed: the six rules of docs/checks.md, written out here case by case."""

    def assert_rule(self, comparison, cases):
        for value, reference, tolerance, expected in cases:
            with self.subTest(comparison=comparison, value=value, reference=reference,
                              tolerance=tolerance):
                got = recompute_passed(row(comparison, value, reference, tolerance))
                self.assertIs(got, expected)

    def test_absolute(self):
        self.assert_rule("absolute", [
            (1.5, 1.0, 0.5, True),  # |0.5| <= 0.5: equality passes
            (0.5, 1.0, 0.5, True),  # both sides
            (1.5000001, 1.0, 0.5, False),
            (0.4999999, 1.0, 0.5, False),
            (3, 3, 0, True),  # integers, zero tolerance
            (0.0063, 0, 1e-6, False),
        ])

    def test_relative(self):
        self.assert_rule("relative", [
            (1.25, 1.0, 0.25, True),  # |0.25| <= 0.25 * 1: equality passes
            (0.75, 1.0, 0.25, True),
            (1.2500001, 1.0, 0.25, False),
            (-2.5, -2.0, 0.25, True),  # |reference|: a negative reference scales the same
            (-1.5, -2.0, 0.25, True),
            (-2.6, -2.0, 0.25, False),
            (0.0, 0.0, 0.5, True),  # reference 0: only the exact value passes
            (1e-300, 0.0, 0.5, False),
        ])

    def test_z_score(self):
        self.assert_rule("z_score", [
            (1.96, 0.0, 1.96, True),  # equality passes
            (-1.96, 0.0, 1.96, True),  # two-sided
            (2.0, 0.0, 1.96, False),
            (-2.0, 0.0, 1.96, False),
        ])

    def test_upper_bound(self):
        # value <= reference + tolerance: one-sided, any amount below passes
        self.assert_rule("upper_bound", [
            (0.0, 0.0, 0.0, True),  # equality passes
            (-5.0, 0.0, 0.0, True),
            (1e-12, 0.0, 0.0, False),
            (1.5, 1.0, 0.5, True),  # reference + tolerance, equality
            (1.5000001, 1.0, 0.5, False),
            (3.1e-11, 0, 4.4e-10, True),  # the example row of docs/checks.md
            (0.18, 0, 4.4e-10, False),  # its control
        ])

    def test_lower_bound(self):
        # value >= reference - tolerance: a one-sided significance z >= z*
        self.assert_rule("lower_bound", [
            (3.0, 3.0, 0.0, True),  # equality passes
            (100.0, 3.0, 0.0, True),
            (2.999, 3.0, 0.0, False),
            (-3.0, 3.0, 0.0, False),  # not two-sided
            (2.5, 3.0, 0.5, True),  # reference - tolerance, equality
            (2.49, 3.0, 0.5, False),
        ])

    def test_ratio_to_floor(self):
        # value <= tolerance * reference (reference: the floor), not |value|, not a difference
        self.assert_rule("ratio_to_floor", [
            (2.0, 0.5, 4.0, True),  # 4 * 0.5 = 2: equality passes
            (2.0000001, 0.5, 4.0, False),
            (0.5, 0.5, 4.0, True),
            (-10.0, 0.5, 4.0, True),
            (1e-3, 1e-4, 8.0, False),  # 10 floors > 8 floors
            (0.9, 0.5, 2.0, True),
            (1.1, 0.5, 2.0, False),
        ])

    def test_not_finite_fails_every_rule(self):
        for comparison in ("absolute", "relative", "z_score", "upper_bound", "lower_bound",
                           "ratio_to_floor"):
            for value, reference, tolerance in [
                (None, 0.0, 1.0), (0.0, None, 1.0), (0.0, 0.0, None),  # JSON null
                (NAN, 0.0, 1.0), (0.0, NAN, 1.0), (0.0, 0.0, NAN),
                (INF, 0.0, 1.0), (-INF, 0.0, 1.0),  # -inf would pass a bare upper bound
                (0.0, INF, 1.0), (0.0, -INF, 1.0),  # inf would pass a bare lower bound
                (0.0, 0.0, INF),
                (10**400, 0.0, 1.0),  # an integer beyond a double
                (True, 1.0, 1.0), ("0", 0.0, 1.0),  # not numbers
            ]:
                with self.subTest(comparison=comparison, value=value, reference=reference,
                                  tolerance=tolerance):
                    self.assertIs(
                        recompute_passed(row(comparison, value, reference, tolerance)), False
                    )

    def test_unknown_comparison_is_not_recomputed(self):
        self.assertIsNone(recompute_passed({"value": 1.0, "reference": 1.0, "tolerance": 0.0}))
        self.assertIsNone(recompute_passed(row("approximately", 1.0, 1.0, 0.0)))
        self.assertIsNone(recompute_passed(row(None, 1.0, 1.0, 0.0)))

    def test_stored_passed_is_ignored(self):
        self.assertIs(recompute_passed(row("absolute", 5.0, 0.0, 1.0, passed=True)), False)
        self.assertIs(recompute_passed(row("absolute", 0.5, 0.0, 1.0, passed=False)), True)


class ControlAndVerdictTest(unittest.TestCase):
    def test_control_passed(self):
        c = row("upper_bound", 3.1e-11, 0, 4.4e-10,
                control={"label": "printed (7)", "value": 0.18, "passed": False})
        self.assertIs(control_passed(c), False)
        c["control"]["value"] = 1e-11
        self.assertIs(control_passed(c), True)
        c["control"]["value"] = 4.4e-10  # equality passes, as for the row
        self.assertIs(control_passed(c), True)
        c["control"]["value"] = None  # null fails the rule
        self.assertIs(control_passed(c), False)
        # the row's reference and tolerance, never anything else in the control
        c["control"] = {"label": "x", "value": 1.0, "reference": 1.0, "tolerance": 1.0}
        self.assertIs(control_passed(c), False)
        # the row's own rule: a lower bound
        c = row("lower_bound", 5.0, 3.0, 0.0, control={"label": "shuffled", "value": 3.0})
        self.assertIs(control_passed(c), True)
        c["control"]["value"] = 2.0
        self.assertIs(control_passed(c), False)

    def test_control_passed_none(self):
        self.assertIsNone(control_passed(row("absolute", 1.0, 1.0, 0.1)))
        self.assertIsNone(control_passed(row("absolute", 1.0, 1.0, 0.1, no_control="why")))
        self.assertIsNone(control_passed({"value": 1.0, "reference": 1.0, "tolerance": 0.1,
                                          "control": {"label": "x", "value": 1.0}}))

    def test_claim_verdicts(self):
        ctl = lambda v: {"label": "straight line", "value": v}  # noqa: E731
        # held: passes, the control fails
        self.assertEqual(claim_verdict(row("absolute", 0.01, 0.0, 0.05, control=ctl(0.3))), "held")
        # held: passes, no control (with a reason)
        self.assertEqual(claim_verdict(row("absolute", 0.01, 0.0, 0.05, no_control="none")),
                         "held")
        # not held: fails; whatever the control does
        self.assertEqual(claim_verdict(row("absolute", 0.1, 0.0, 0.05, control=ctl(0.3))),
                         "not held")
        self.assertEqual(claim_verdict(row("absolute", 0.1, 0.0, 0.05, control=ctl(0.0))),
                         "not held")
        # not resolved: passes, and so does the control
        self.assertEqual(claim_verdict(row("absolute", 0.01, 0.0, 0.05, control=ctl(0.04))),
                         "not resolved")
        # not measured: the value is null, NaN or infinite (before anything else)
        for v in (None, NAN, INF, -INF):
            with self.subTest(value=v):
                self.assertEqual(
                    claim_verdict(row("upper_bound", v, 0.0, 0.05, control=ctl(0.0))),
                    "not measured",
                )
        # a finite value against a null reference: measured, and the rule fails
        self.assertEqual(claim_verdict(row("absolute", 0.0, None, 0.05)), "not held")
        # the stored fields are not read
        self.assertEqual(
            claim_verdict(row("absolute", 0.01, 0.0, 0.05, passed=False, verdict="not held",
                              control={"label": "c", "value": 0.04, "passed": False})),
            "not resolved",
        )
        # an older row without a comparison: nothing to recompute
        self.assertIsNone(claim_verdict({"value": 0.01, "reference": 0, "tolerance": 1,
                                         "passed": True}))

    def test_outcomes_and_counts(self):
        checks = [
            dict(row("absolute", 0.0, 0.0, 1.0), kind="oracle", passed=True),
            dict(row("absolute", 0.0, 0.0, 1.0, no_control="n"), kind="claim", passed=True,
                 verdict="held"),
            dict(row("absolute", 2.0, 0.0, 1.0, no_control="n"), kind="claim", passed=False,
                 verdict="not held"),
            dict(row("absolute", 0.0, 0.0, 1.0, control={"label": "c", "value": 0.5}),
                 kind="claim", passed=True, verdict="not resolved"),
            dict(row("absolute", None, 0.0, 1.0, no_control="n"), kind="claim", passed=False,
                 verdict="not measured"),
            # no stored verdict: recomputed from the fields
            dict(row("absolute", 0.0, 0.0, 1.0, control={"label": "c", "value": 0.5}),
                 kind="claim", passed=True),
        ]
        self.assertEqual([check_outcome(c) for c in checks],
                         ["pass", "pass", "finding", "unresolved", "unmeasured", "unresolved"])
        counts = CheckCounts(checks)
        self.assertEqual(
            (counts.claim_held, counts.claim_not, counts.claim_unresolved,
             counts.claim_unmeasured, counts.oracle_passed, counts.other),
            (1, 1, 2, 1, 1, 0),
        )
        self.assertEqual(counts.line(), "1 oracles passed, 0 failed; 1 claims held, 1 not held, "
                                        "2 not resolved, 1 not measured")
        # an old row still goes by "passed"
        self.assertEqual(check_outcome({"kind": "claim", "passed": False}), "finding")
        self.assertEqual(check_outcome({"kind": "claim"}), "unknown")

    def test_equation_order(self):
        eqs = ["see §4", "follow-up claim 2", "(91)–(92)", "(12)", "follow-up claim 1", "(7)"]
        self.assertEqual(sorted(eqs, key=equation_sort_key),
                         ["(7)", "(12)", "(91)–(92)", "follow-up claim 1", "follow-up claim 2",
                          "see §4"])
        self.assertEqual(equation_sort_key("(91)–(92)"), equation_sort_key("(91)"))


def new_style_checks():
    """Rows as the C++ side writes them (docs/checks.md), one of each verdict, and three
    rows whose stored results disagree with their fields."""
    return [
        {"id": "T3.2/laplace", "name": "Laplace form decomposes", "kind": "oracle",
         "equation": "(12)", "comparison": "upper_bound", "value": 3.1e-11, "reference": 0,
         "tolerance": 4.4e-10, "passed": True,
         "control": {"label": "printed (7)", "value": 0.18, "passed": False}, "note": "ok"},
        {"id": "C1/held", "name": "claim held", "kind": "claim", "equation": "(91)–(92)",
         "comparison": "absolute", "value": 0.0063, "reference": 0, "tolerance": 0.01,
         "passed": True, "control": {"label": "printed (7)", "value": 0.18, "passed": False},
         "verdict": "held"},
        {"id": "C2/failed", "name": "claim not held", "kind": "claim", "equation": "(12)",
         "comparison": "absolute", "value": 0.0063, "reference": 0, "tolerance": 1e-6,
         "passed": False, "no_control": "no alternative theory", "verdict": "not held"},
        {"id": "C3/unresolved", "name": "claim not resolved", "kind": "claim",
         "equation": "follow-up claim 2", "comparison": "lower_bound", "value": 5.0,
         "reference": 3.0, "tolerance": 0, "passed": True,
         "control": {"label": "shuffled", "value": 4.0, "passed": True},
         "verdict": "not resolved"},
        {"id": "C4/unmeasured", "name": "claim not measured", "kind": "claim",
         "equation": "follow-up claim 1", "comparison": "ratio_to_floor", "value": None,
         "reference": 1e-3, "tolerance": 4, "passed": False, "no_control": "none exists",
         "verdict": "not measured"},
        # inconsistent: stored passed true, the rule gives false
        {"id": "O2/bad-passed", "name": "oracle bad passed", "kind": "oracle", "equation": "(3)",
         "comparison": "absolute", "value": 2.0, "reference": 0.0, "tolerance": 1.0,
         "passed": True},
        # inconsistent: stored verdict held, but the control passes too
        {"id": "C5/bad-verdict", "name": "claim bad verdict", "kind": "claim",
         "equation": "eq. (5)", "comparison": "absolute", "value": 0.0, "reference": 0.0,
         "tolerance": 1.0, "passed": True,
         "control": {"label": "ħ instead of ħ′", "value": 0.5, "passed": True},
         "verdict": "held"},
        # inconsistent: stored control passed false, the rule gives true
        {"id": "O3/bad-control", "name": "oracle bad control", "kind": "oracle",
         "equation": "(4)", "comparison": "relative", "value": 1.0, "reference": 1.0,
         "tolerance": 0.1, "passed": True,
         "control": {"label": "opposite law", "value": 1.05, "passed": False}},
    ]


class NewStyleChecksTest(ReportTestBase):
    def test_columns_classes_and_marks(self):
        run = os.path.join(self.tmp, "newstyle")
        write_summary(run, experiment="geodesic", status="ok", checks=new_style_checks())
        res = run_module(run)
        self.assertEqual(res.returncode, 0, res.stderr)
        text, page = self.read_page(run)
        rows = page.check_rows()
        expected = {  # name -> (classes, comparison, result text, inconsistent?)
            "Laplace form decomposes": ("check pass", "upper_bound", "pass", False),
            "claim held": ("check pass", "absolute", "pass", False),
            "claim not held": ("check finding", "absolute", "not held", False),
            "claim not resolved": ("check unresolved", "lower_bound", "not resolved", False),
            "claim not measured": ("check unmeasured", "ratio_to_floor", "not measured", False),
            "oracle bad passed": ("check pass inconsistent", "absolute", "pass", True),
            "claim bad verdict": ("check pass inconsistent", "absolute", "pass", True),
            "oracle bad control": ("check pass inconsistent", "relative", "pass", True),
        }
        self.assertEqual(set(rows), set(expected))
        for name, (cls, comparison, result, bad) in expected.items():
            row_cls, cells = rows[name]
            self.assertEqual(row_cls.split(), cls.split(), name)
            self.assertEqual(cells[C_COMPARISON], comparison, name)
            if bad:
                self.assertEqual(cells[C_RESULT], result + " inconsistent", name)
            else:
                self.assertEqual(cells[C_RESULT], result, name)
        # three check rows, and the claim among them once more in the Findings
        self.assertEqual(text.count('class="badge inconsistent"'), 4)
        # control: label, value and whether the control passes; a reason where there is none
        self.assertEqual(rows["Laplace form decomposes"][1][C_CONTROL], "printed (7): 0.18 FAIL")
        self.assertEqual(rows["claim not resolved"][1][C_CONTROL], "shuffled: 4 pass")
        self.assertEqual(rows["claim not held"][1][C_CONTROL],
                         "no control no alternative theory")
        self.assertIn('<span class="badge nocontrol">no control</span> no alternative theory',
                      text)
        self.assertEqual(rows["claim not measured"][1][C_VALUE], "—")  # JSON null
        self.assertIn("2 claims held, 1 not held, 1 not resolved, 1 not measured", text)
        self.assertIn('data-id="T3.2/laplace"', text)
        # the single-run report opens with its own Findings, by equation
        findings = page.finding_rows()
        self.assertEqual([cells[0] for _, cells in findings],
                         ["eq. (5)", "(12)", "(91)–(92)", "follow-up claim 1",
                          "follow-up claim 2"])

    def test_rows_agreeing_have_no_mark(self):
        run = os.path.join(self.tmp, "agree")
        checks = [c for c in new_style_checks() if "bad" not in c["name"]]
        write_summary(run, experiment="geodesic", status="ok", checks=checks)
        self.assertEqual(run_module(run).returncode, 0)
        text, page = self.read_page(run)
        self.assertNotIn('class="badge inconsistent"', text)
        self.assertFalse(any("inconsistent" in cls for cls, _ in page.rows))


class WorldFindingsTest(ReportTestBase):
    def make_world(self):
        world = os.path.join(self.tmp, "world")
        runs, merged = [], []
        by_run = {"geo": [], "heat": []}
        for c in new_style_checks():
            c = dict(c)
            c["run"] = "heat" if c["id"] in ("C2/failed", "C4/unmeasured") else "geo"
            by_run[c["run"]].append(c)
            merged.append(c)
        # a fixed-input oracle that ran in both, kept once under "geo"
        fixed = {"id": "T2.3/fixed", "name": "fixed oracle", "kind": "oracle", "equation": "(2)",
                 "comparison": "absolute", "value": 1.0, "reference": 1.0, "tolerance": 0.0,
                 "passed": True, "fixed_input": True, "run": "geo", "runs": ["geo", "heat"]}
        merged.append(fixed)
        # an old-style claim without equation: listed last
        merged.append({"name": "old claim", "kind": "claim", "value": 1, "reference": 1,
                       "tolerance": 0, "passed": True, "run": "heat"})
        for name in ("geo", "heat"):
            write_summary(os.path.join(world, name), experiment=name, status="ok",
                          checks=by_run[name])
            runs.append({"name": name, "experiment": name, "dir": name, "status": "ok"})
        # a claim of a run whose report cannot be built: no link
        merged.append({"id": "C9", "name": "claim of a broken run", "kind": "claim",
                       "equation": "(1)", "comparison": "absolute", "value": 0, "reference": 0,
                       "tolerance": 1, "passed": True, "no_control": "n", "verdict": "held",
                       "run": "broken"})
        runs.append({"name": "broken", "experiment": "x", "dir": "broken", "status": "failed"})
        write_summary(world, experiment="world", status="ok", checks=merged, runs=runs,
                      config={})
        return world

    def test_findings_section(self):
        world = self.make_world()
        res = run_module(world)
        self.assertEqual(res.returncode, 0, res.stderr)
        text, page = self.read_page(world)
        # the section opens the report: before the runs and the checks, with a nav entry
        self.assertIn('<h2 id="findings">Findings</h2>', text)
        self.assertLess(text.index('id="findings"'), text.index('<h2 id="runs"'))
        self.assertLess(text.index('<h2 id="runs"'), text.index('<h2 id="checks"'))
        self.assertIn("#findings", page.links)
        findings = page.finding_rows()
        # one line per claim, by equation: numbered, then follow-up claims by N, then the rest
        got = [(cells[0], cells[1], cells[2], cells[5]) for _, cells in findings]
        self.assertEqual(got, [
            ("(1)", "claim of a broken run", "held", "broken"),
            ("eq. (5)", "claim bad verdict", "held inconsistent", "geo"),
            ("(12)", "claim not held", "failed", "heat"),
            ("(91)–(92)", "claim held", "held", "geo"),
            ("follow-up claim 1", "claim not measured", "not measurable as posed", "heat"),
            ("follow-up claim 2", "claim not resolved", "not measurable as posed", "geo"),
            ("—", "old claim", "held", "heat"),
        ])
        self.assertEqual([cls.split()[1] for cls, _ in findings],
                         ["held", "held", "failed", "held", "unmeasurable", "unmeasurable",
                          "held"])
        cells = {c[1]: c for _, c in findings}
        # the key number in compact form, against the control
        self.assertEqual(cells["claim not held"][3], "0.0063 vs 0 ± 1e-06 (absolute)")
        self.assertEqual(cells["claim not held"][4], "no control: no alternative theory")
        self.assertEqual(cells["claim held"][4], "control printed (7): 0.18, fails")
        self.assertEqual(cells["claim not resolved"][3], "5 vs ≥ 3 − 0 (lower_bound)")
        self.assertEqual(cells["claim not resolved"][4], "control shuffled: 4, passes")
        self.assertEqual(cells["claim not measured"][3],
                         "— vs ≤ 4 × floor 0.001 (ratio_to_floor)")
        # links to the sub-run reports, from "run"; none for a run whose report was not built
        self.assertIn('<a href="geo/report.html">geo</a>', text)
        self.assertIn('<a href="heat/report.html">heat</a>', text)
        self.assertNotIn("broken/report.html", page.links)
        self.assertIn("7 claims: 4 held, 1 failed, 2 not measurable as posed", text)
        # the fixed-input row, kept once, says where else it ran
        fixed_cls, fixed_cells = page.check_rows()["fixed oracle"]
        self.assertEqual(fixed_cells[C_NOTE], "also in: heat")
        # the runs table counts it for both runs
        run_rows = {c[0]: c for cls, c in page.rows if cls == "run"}
        self.assertEqual(run_rows["heat"][4], "1 passed, 0 failed")
        self.assertEqual(run_rows["heat"][5], "1 held, 1 not held, 1 not measured")
        self.assertEqual(run_rows["geo"][5], "2 held, 0 not held, 1 not resolved")


if __name__ == "__main__":
    unittest.main()
