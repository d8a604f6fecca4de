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
from nnworld_report.summary import CheckCounts, flatten_observables  # noqa: E402

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
# Figures are 6.4 x 4.0 inches saved at 110 dpi (figures.py): 704 x 440 pixels.
PNG_SIZE = (704, 440)

# name -> (kind, value, reference, tolerance, passed, expected row class)
# The expected class is the contract's rule, written out here independently of the code:
# passed -> "pass"; failed oracle -> "fail" (a bug, red); failed claim -> "finding" (amber).
CHECKS = [
    ("T2.3 linear Gaussian", "oracle", 1.918430840911, 1.918430840912, 1e-12, True, "pass"),
    ("T2.4 free energy", "oracle", 2.5, 2.0, 1e-6, False, "fail"),
    ("C3 entropy grows", "claim", 0.75, 0.5, 0.5, True, "pass"),
    ("C5 second law", "claim", -0.125, 0.0, 0.0, False, "finding"),
]


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
            # columns: name kind equation value reference tolerance |diff| result note
            self.assertEqual(cells[1], kind)
            self.assertEqual(cells[2], "(7)")
            self.assertEqual(float(cells[3]), value)  # full precision round-trips
            self.assertEqual(float(cells[4]), ref)
            # |value - reference| shown to 3 significant digits
            self.assertAlmostEqual(float(cells[6]), abs(value - ref), delta=abs(value - ref) * 1e-2)
            self.assertEqual(cells[8], f"note for {prefix + name}")


class SingleRunTest(ReportTestBase):
    def test_report_tables_and_figures(self):
        run = os.path.join(self.tmp, "run1")
        make_run(run)
        res = run_module(run)
        self.assertEqual(res.returncode, 0, res.stderr)
        text, page = self.read_page(run)
        self.assert_check_rows(page)
        # one oracle passed, one failed; one claim held, one not (CHECKS above)
        self.assertIn("1 oracles passed, 1 failed; 1 claims held, 1 not", text)
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
            self.assertEqual(run_row[0][5], "1 held, 1 not")
        # grouped: a group header row per run, in run order, each before its checks
        order = [c[0].split(" ")[0] for cls, c in page.rows if cls == "group"]
        self.assertEqual(order, names)
        self.assertIn("2 oracles passed, 2 failed; 2 claims held, 2 not", text)
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
        self.assertEqual(counts.line(), "1 oracles passed, 1 failed; 1 claims held, 1 not")


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


if __name__ == "__main__":
    unittest.main()
