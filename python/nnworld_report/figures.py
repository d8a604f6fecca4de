"""Figures: one PNG per dataset of DIR/data.h5 whose "plot" attribute is not "none";
1-D datasets that share a "figure" attribute are overlaid in one PNG instead, each under
its "legend" attribute, with its "errors" as error bars.

numpy, h5py and matplotlib are optional: when one cannot be imported the report is
still written, with a note saying why there are no figures.
"""

import os
import re
import tempfile
import textwrap

DPI = 110
FIGSIZE = (6.4, 4.0)  # inches: 704 x 440 px at DPI
LEGEND_MAX_COLUMNS = 10  # 2-D line plots get a legend up to this many columns
PLOT_KINDS = ("line", "logy", "image", "none")


class PlottingUnavailable(Exception):
    """A module needed for figures cannot be imported."""


class Modules:
    def __init__(self, np, h5py, figure_cls, canvas_cls, line_collection, cm, colors):
        self.np = np
        self.h5py = h5py
        self.Figure = figure_cls
        self.Canvas = canvas_cls
        self.LineCollection = line_collection
        self.cm = cm
        self.colors = colors


_modules = None
_modules_error = None


def _configure_matplotlib_env():
    """Agg backend, no display; a writable config/cache dir so that the font cache is
    built once and reused (an unwritable one makes every import rebuild it: slow)."""
    os.environ["MPLBACKEND"] = "Agg"
    if os.environ.get("MPLCONFIGDIR"):
        return
    home_cfg = os.path.join(os.path.expanduser("~"), ".config", "matplotlib")
    probe = home_cfg if os.path.isdir(home_cfg) else os.path.dirname(home_cfg)
    if os.path.isdir(probe) and os.access(probe, os.W_OK):
        return
    if not os.path.isdir(probe) and os.access(os.path.expanduser("~"), os.W_OK):
        return
    uid = os.getuid() if hasattr(os, "getuid") else "user"
    cache = os.path.join(tempfile.gettempdir(), f"nnworld_report-mpl-{uid}")
    try:
        os.makedirs(cache, exist_ok=True)
        os.environ["MPLCONFIGDIR"] = cache
    except OSError:
        pass


def load_modules():
    """Import numpy, h5py and matplotlib (Agg) once; raise PlottingUnavailable with the
    reason ("<module> not installed") when one of them cannot be imported."""
    global _modules, _modules_error
    if _modules is not None:
        return _modules
    if _modules_error is not None:
        raise PlottingUnavailable(_modules_error)
    missing, broken = [], []
    loaded = {}
    _configure_matplotlib_env()
    for name in ("numpy", "h5py", "matplotlib"):
        try:
            loaded[name] = __import__(name)
        except ImportError:
            missing.append(name)
        except Exception as e:  # a broken installation: report, do not crash
            broken.append(f"{name} failed to import ({type(e).__name__}: {e})")
    if not missing and not broken:
        try:
            loaded["matplotlib"].use("Agg", force=True)
            from matplotlib import cm, colors
            from matplotlib.backends.backend_agg import FigureCanvasAgg
            from matplotlib.collections import LineCollection
            from matplotlib.figure import Figure
        except ImportError as e:
            missing.append(getattr(e, "name", None) or "matplotlib")
        except Exception as e:
            broken.append(f"matplotlib failed to import ({type(e).__name__}: {e})")
    if missing or broken:
        parts = []
        if missing:
            parts.append(", ".join(missing) + " not installed")
        parts.extend(broken)
        _modules_error = "; ".join(parts)
        raise PlottingUnavailable(_modules_error)
    _modules = Modules(
        loaded["numpy"], loaded["h5py"], Figure, FigureCanvasAgg, LineCollection, cm, colors
    )
    return _modules


def figure_filename(path):
    """figures/<dataset path with '/' -> '__'>.png, other unsafe characters -> '_'."""
    name = path.strip("/").replace("/", "__")
    name = re.sub(r"[^A-Za-z0-9._-]", "_", name) or "dataset"
    return name + ".png"


class FigureInfo:
    def __init__(self, path, filename, caption, shape, kind):
        self.path = path  # dataset path in data.h5
        self.filename = filename  # relative to DIR/figures/
        self.caption = caption
        self.shape = shape
        self.kind = kind


class DatasetInfo:
    def __init__(self, path, shape, dtype, attrs):
        self.path = path
        self.shape = shape
        self.dtype = dtype
        self.attrs = attrs


class FigureResult:
    def __init__(self):
        self.figures = []  # FigureInfo, in order
        self.datasets = []  # DatasetInfo of every dataset in data.h5
        self.notes = []  # plain-text notes shown in the figures section
        self.unavailable = None  # reason there are no figures at all, or None


def _attr_text(value):
    """An HDF5 attribute as str (fixed/variable-length strings arrive as bytes or numpy
    scalars/arrays)."""
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    if isinstance(value, str):
        return value
    if hasattr(value, "tolist"):
        value = value.tolist()
        if isinstance(value, list) and len(value) == 1:
            value = value[0]
        if isinstance(value, bytes):
            return value.decode("utf-8", "replace")
    return str(value)


def _read_attrs(obj):
    out = {}
    for key in obj.attrs.keys():
        try:
            out[key] = _attr_text(obj.attrs[key])
        except Exception:  # unreadable attribute type: ignore it, keep the dataset
            continue
    return out


def _walk(h5file, h5py):
    """Every dataset of the file, in visiting order, as DatasetInfo."""
    found = []

    def visit(name, obj):
        if isinstance(obj, h5py.Dataset):
            found.append(DatasetInfo(name, tuple(obj.shape), obj.dtype, _read_attrs(obj)))

    h5file.visititems(visit)
    return found


def _ordered(datasets, arrays):
    """Datasets listed in summary "arrays" first, in that order, then the rest."""
    if not isinstance(arrays, list):
        return datasets
    rank = {}
    for i, a in enumerate(arrays):
        if isinstance(a, str):
            rank.setdefault(a.replace(".", "/").strip("/"), i)
            rank.setdefault(a.strip("/"), i)
    big = len(rank) + 1
    return sorted(
        datasets, key=lambda d: (rank.get(d.path, big), 0 if d.path in rank else 1)
    )


def _units_label(text, units):
    text = text or ""
    if units:
        return f"{text} [{units}]" if text else f"[{units}]"
    return text


def _value_label(info):
    a = info.attrs
    label = a.get("label") or ""
    if not label:
        desc = a.get("description") or ""
        label = desc if 0 < len(desc) <= 40 else info.path.rsplit("/", 1)[-1]
    return _units_label(label, a.get("units"))


def _resolve_axis(mods, h5file, info, n_rows, by_path):
    """The x values of info from its "axis" attribute, with their label; (None, None, note)
    when there is no usable axis."""
    axis_path = (info.attrs.get("axis") or "").strip()
    if not axis_path:
        return None, None, None
    key = axis_path.strip("/")
    ax_info = by_path.get(key)
    if ax_info is None:
        return None, None, f'axis "{axis_path}" not found in data.h5; plotted against index'
    x = mods.np.asarray(h5file[key][()], dtype=float).reshape(-1)
    if x.shape[0] != n_rows:
        return (
            None,
            None,
            f'axis "{axis_path}" has {x.shape[0]} values for {n_rows} rows; '
            "plotted against index",
        )
    label = ax_info.attrs.get("label") or ax_info.attrs.get("description") or key
    return x, _units_label(label, ax_info.attrs.get("units")), None


def _contour_levels(info):
    """The sorted contour levels of a 2-D image from its "contours" attribute (comma-separated
    numbers); unparsable entries are ignored."""
    text = (info.attrs.get("contours") or "").strip()
    levels = []
    for part in text.split(","):
        try:
            levels.append(float(part))
        except ValueError:
            continue
    return sorted(set(levels))


def _resolve_columns(mods, h5file, info, n_cols, by_path):
    """The column values of a 2-D image from its "columns" attribute, with their label;
    (None, None, note) when there is no usable one."""
    path = (info.attrs.get("columns") or "").strip()
    if not path:
        return None, None, None
    key = path.strip("/")
    col_info = by_path.get(key)
    if col_info is None:
        return None, None, f'columns "{path}" not found in data.h5; drawn against column index'
    c = mods.np.asarray(h5file[key][()], dtype=float).reshape(-1)
    if c.shape[0] != n_cols or not mods.np.all(mods.np.isfinite(c)):
        return (
            None,
            None,
            f'columns "{path}" has {c.shape[0]} values for {n_cols} columns; '
            "drawn against column index",
        )
    label = col_info.attrs.get("label") or col_info.attrs.get("description") or key
    return c, _units_label(label, col_info.attrs.get("units")), None


def _title(fig_ax, info):
    title = info.path
    desc = info.attrs.get("description") or ""
    if desc and desc != info.attrs.get("label"):
        lines = textwrap.wrap(desc, 80)
        if len(lines) > 2:
            lines = lines[:2]
            lines[1] = lines[1][:77] + "…"
        fig_ax.set_title(title + "\n" + "\n".join(lines), fontsize=10)
    else:
        fig_ax.set_title(title, fontsize=11)


def _error_bars(np, h5file, info, shape):
    """The values of the dataset named by the "errors" attribute (± y error bars) when it
    exists, is 1-D and has the shape of the data; None otherwise."""
    path = (info.attrs.get("errors") or "").strip().strip("/")
    if not path or len(shape) != 1 or path not in h5file:
        return None
    err = np.asarray(h5file[path][()], dtype=float)
    if err.shape != tuple(shape):
        return None
    return np.where(np.isfinite(err), np.abs(err), 0.0)


def _default_kind(info):
    if len(info.shape) == 2 and info.shape[1] > LEGEND_MAX_COLUMNS:
        return "image"
    return "line"


def _plot_one(mods, h5file, info, by_path, out_file):
    """Draw one dataset into out_file; return (kind, notes) or raise ValueError with the
    reason the dataset cannot be plotted."""
    np = mods.np
    notes = []
    kind = (info.attrs.get("plot") or "").strip().lower()
    if kind and kind not in PLOT_KINDS:
        notes.append(f'unknown plot kind "{kind}", drawn as default')
        kind = ""
    kind = kind or _default_kind(info)
    if np.dtype(info.dtype).kind not in "biuf":
        raise ValueError(f"not plotted: non-numeric data ({info.dtype})")
    if len(info.shape) not in (1, 2):
        raise ValueError(f"not plotted: {len(info.shape)}-D data")
    data = np.asarray(h5file[info.path][()], dtype=float)
    if data.size == 0:
        raise ValueError("not plotted: empty")
    if kind == "image" and data.ndim == 1:
        notes.append("image of 1-D data drawn as a line")
        kind = "line"
    bad = ~np.isfinite(data)
    n_bad = int(bad.sum())
    if n_bad:
        data = np.where(bad, np.nan, data)
        notes.append(f"{n_bad} non-finite value{'s' if n_bad > 1 else ''} not drawn")

    n_rows = data.shape[0]
    x, x_label, axis_note = _resolve_axis(mods, h5file, info, n_rows, by_path)
    if axis_note:
        notes.append(axis_note)

    fig = mods.Figure(figsize=FIGSIZE)
    mods.Canvas(fig)
    ax = fig.add_subplot()
    _title(ax, info)
    value_label = _value_label(info)

    if kind == "image":
        n_cols = data.shape[1]
        extent = [-0.5, n_cols - 0.5, -0.5, n_rows - 0.5]
        if x is not None and n_rows > 1 and np.all(np.isfinite(x)):
            half = 0.5 * (x[-1] - x[0]) / (n_rows - 1)
            extent[2:] = [x[0] - half, x[-1] + half]
        cols, col_label, col_note = _resolve_columns(mods, h5file, info, n_cols, by_path)
        if col_note:
            notes.append(col_note)
        if cols is not None and n_cols > 1:
            half = 0.5 * (cols[-1] - cols[0]) / (n_cols - 1)
            extent[:2] = [cols[0] - half, cols[-1] + half]
        # signed data (fields, waves): a diverging map centred on 0
        finite = data[np.isfinite(data)]
        vmin = vmax = None
        cmap = "viridis"
        if finite.size and finite.min() < 0.0 < finite.max():
            cmap = "RdBu_r"
            vmax = float(np.abs(finite).max())
            vmin = -vmax
        im = ax.imshow(
            np.ma.masked_invalid(data),
            aspect="auto",
            origin="lower",
            interpolation="antialiased",
            cmap=cmap,
            vmin=vmin,
            vmax=vmax,
            extent=tuple(extent),
        )
        cb = fig.colorbar(im, ax=ax)
        cb.set_label(value_label)
        # contour lines at the levels the data cross (cell centres of the image's extent)
        levels = [v for v in _contour_levels(info)
                  if finite.size and finite.min() < v < finite.max()]
        if levels and n_rows > 1 and n_cols > 1:
            ys = np.linspace(extent[2], extent[3], 2 * n_rows + 1)[1::2]
            xs_c = np.linspace(extent[0], extent[1], 2 * n_cols + 1)[1::2]
            cs = ax.contour(xs_c, ys, np.ma.masked_invalid(data), levels=levels,
                            colors="k", linewidths=1.4)
            ax.clabel(cs, fmt="%g", fontsize=7)
            notes.append("black: contour" + ("s" if len(levels) > 1 else "") + " at "
                         + ", ".join(f"{v:g}" for v in levels))
        ax.set_xlabel(col_label if cols is not None else "column")
        ax.set_ylabel(x_label if x is not None else "row (time)")
    else:
        xs = x if x is not None else np.arange(n_rows, dtype=float)
        marker = "o" if n_rows <= 40 else None
        err = _error_bars(np, h5file, info, data.shape)
        if err is not None:
            ax.errorbar(xs, data, yerr=err, lw=1.3, marker=marker, ms=3, capsize=3)
            notes.append(f'error bars: ± {info.attrs.get("errors").strip()}')
        elif data.ndim == 1:
            ax.plot(xs, data, lw=1.3, marker=marker, ms=3)
        elif data.shape[1] <= LEGEND_MAX_COLUMNS:
            for j in range(data.shape[1]):
                ax.plot(xs, data[:, j], lw=1.2, marker=marker, ms=3, label=f"column {j}")
            # loc="best" scans the data: costly for long series, so only for short ones
            loc = "best" if data.size <= 5000 else "upper right"
            ax.legend(fontsize=8, ncol=2 if data.shape[1] > 5 else 1, loc=loc)
        else:
            # many columns: one LineCollection (much faster than one Line2D per column),
            # colored by column index with a colorbar in place of a legend.
            ncol = data.shape[1]
            segs = np.stack([np.broadcast_to(xs[:, None], data.shape), data], axis=-1)
            segs = np.transpose(segs, (1, 0, 2))
            norm = mods.colors.Normalize(vmin=0, vmax=ncol - 1)
            lc = mods.LineCollection(segs, cmap="viridis", norm=norm, linewidths=0.8)
            lc.set_array(np.arange(ncol, dtype=float))
            ax.add_collection(lc)
            ax.autoscale_view()
            cb = fig.colorbar(lc, ax=ax)
            cb.set_label("column")
        ax.set_xlabel(x_label if x is not None else ("index" if data.ndim == 1 else "row"))
        ax.set_ylabel(value_label)
        if kind == "logy":
            positive = data[np.isfinite(data) & (data > 0)]
            if positive.size:
                ax.set_yscale("log", nonpositive="mask")
                if positive.size < np.count_nonzero(np.isfinite(data)):
                    notes.append("values ≤ 0 not drawn on the log scale")
            else:
                notes.append("no positive values: linear scale instead of log")
        ax.grid(True, alpha=0.3)

    fig.tight_layout(pad=0.6)
    _save_atomic(fig, out_file)
    return kind, notes


def _plot_group(mods, h5file, name, members, by_path, out_file):
    """Overlay the 1-D datasets in members (a figure group) in out_file; return notes.
    Raise ValueError when none of them can be drawn."""
    np = mods.np
    fig = mods.Figure(figsize=FIGSIZE)
    mods.Canvas(fig)
    ax = fig.add_subplot()
    ax.set_title(name, fontsize=11)
    notes, x_labels, y_labels, drawn, logy = [], [], [], 0, False
    for info in members:
        data = np.asarray(h5file[info.path][()], dtype=float).reshape(-1)
        if data.size == 0:
            notes.append(f"{info.path}: empty")
            continue
        bad = ~np.isfinite(data)
        if bad.any():
            data = np.where(bad, np.nan, data)
            notes.append(f"{info.path}: {int(bad.sum())} non-finite values not drawn")
        x, x_label, axis_note = _resolve_axis(mods, h5file, info, data.shape[0], by_path)
        if axis_note:
            notes.append(f"{info.path}: {axis_note}")
        xs = x if x is not None else np.arange(data.shape[0], dtype=float)
        if x_label and x_label not in x_labels:
            x_labels.append(x_label)
        y = _value_label(info)
        if y and y not in y_labels:
            y_labels.append(y)
        legend = info.attrs.get("legend") or info.path
        marker = "o" if data.shape[0] <= 40 else None
        err = _error_bars(np, h5file, info, data.shape)
        if err is not None:
            ax.errorbar(xs, data, yerr=err, lw=1.2, marker=marker, ms=3, capsize=3, label=legend)
            notes.append(f'{legend}: error bars ± {info.attrs.get("errors").strip()}')
        else:
            ax.plot(xs, data, lw=1.2, marker=marker, ms=3, label=legend)
        logy = logy or (info.attrs.get("plot") or "").strip().lower() == "logy"
        drawn += 1
    if drawn == 0:
        raise ValueError("not plotted: no drawable member")
    ax.set_xlabel(" / ".join(x_labels) if x_labels else "index")
    ax.set_ylabel(" / ".join(y_labels))
    if logy:
        ax.set_yscale("log", nonpositive="mask")
    ax.grid(True, alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout(pad=0.6)
    _save_atomic(fig, out_file)
    return notes


def _figure_groups(datasets):
    """{figure name: [DatasetInfo]} for the 1-D datasets with a "figure" attribute, in
    order of first appearance."""
    groups = {}
    for info in datasets:
        name = (info.attrs.get("figure") or "").strip()
        kind = (info.attrs.get("plot") or "").strip().lower()
        if name and kind != "none" and len(info.shape) == 1:
            groups.setdefault(name, []).append(info)
    return groups


def _save_atomic(fig, out_file):
    directory = os.path.dirname(out_file)
    fd, tmp = tempfile.mkstemp(prefix=".tmp-", suffix=".png", dir=directory)
    try:
        with os.fdopen(fd, "wb") as f:
            fig.savefig(f, dpi=DPI, format="png")
        os.chmod(tmp, 0o644)
        os.replace(tmp, out_file)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


def _remove_stale_figures(fig_dir):
    """Remove the PNGs of an earlier report, so the new page never sits beside figures it did
    not draw; other files stay, and the directory goes only if it is left empty."""
    if not os.path.isdir(fig_dir) or os.path.islink(fig_dir):
        return
    for name in os.listdir(fig_dir):
        path = os.path.join(fig_dir, name)
        if name.endswith(".png") and os.path.isfile(path) and not os.path.islink(path):
            try:
                os.unlink(path)
            except OSError:
                pass
    try:
        os.rmdir(fig_dir)
    except OSError:
        pass


def make_figures(run_dir, summary):
    """Write DIR/figures/*.png for DIR/data.h5; return a FigureResult."""
    result = FigureResult()
    _remove_stale_figures(os.path.join(run_dir, "figures"))
    h5_path = os.path.join(run_dir, "data.h5")
    if not os.path.exists(h5_path):
        if summary.get("arrays"):
            result.unavailable = "data.h5 is missing"
        else:
            result.unavailable = "no data.h5 (this run wrote no arrays)"
        return result
    try:
        mods = load_modules()
    except PlottingUnavailable as e:
        result.unavailable = str(e)
        return result

    fig_dir = os.path.join(run_dir, "figures")
    try:
        h5file = mods.h5py.File(h5_path, "r")
    except Exception as e:
        result.unavailable = f"cannot read data.h5 ({type(e).__name__}: {e})"
        return result
    produced = set()
    with h5file:
        try:
            datasets = _ordered(_walk(h5file, mods.h5py), summary.get("arrays"))
        except Exception as e:
            result.unavailable = f"cannot read data.h5 ({type(e).__name__}: {e})"
            return result
        result.datasets = datasets
        by_path = {d.path: d for d in datasets}
        used_as_axis = {
            (d.attrs.get("axis") or "").strip().strip("/")
            for d in datasets
            if d.attrs.get("axis")
        }
        arrays = summary.get("arrays")
        if isinstance(arrays, list):
            known = set(by_path)
            for a in arrays:
                if isinstance(a, str) and a.replace(".", "/").strip("/") not in known:
                    if a.strip("/") not in known:
                        result.notes.append(f'array "{a}" listed in summary.json is not in data.h5')
        groups = _figure_groups(datasets)
        grouped = {m.path for members in groups.values() for m in members}
        group_first = {members[0].path: name for name, members in groups.items()}
        for info in datasets:
            kind = (info.attrs.get("plot") or "").strip().lower()
            if kind == "none":
                continue
            if info.path in grouped:
                name = group_first.get(info.path)
                if name is None:
                    continue  # drawn in its group's figure
                members = groups[name]
                filename = figure_filename("figure/" + name)
                try:
                    os.makedirs(fig_dir, exist_ok=True)
                    notes = _plot_group(
                        mods, h5file, name, members, by_path, os.path.join(fig_dir, filename)
                    )
                except ValueError as e:
                    result.notes.append(f"figure {name}: {e}")
                    continue
                except Exception as e:
                    result.notes.append(f"figure {name}: failed ({type(e).__name__}: {e})")
                    continue
                produced.add(filename)
                descriptions = "; ".join(
                    f'{m.attrs.get("legend") or m.path}: {m.attrs.get("description") or m.path}'
                    for m in members
                )
                result.figures.append(
                    FigureInfo(
                        ", ".join(m.path for m in members),
                        filename,
                        "; ".join(p for p in [descriptions] + notes if p),
                        "×".join(str(n) for n in members[0].shape),
                        "overlay",
                    )
                )
                continue
            if not kind and info.path in used_as_axis:
                continue  # an x-axis for other datasets, without its own plot request
            filename = figure_filename(info.path)
            stem, n = filename[:-4], 2
            while filename in produced:
                filename, n = f"{stem}_{n}.png", n + 1
            try:
                os.makedirs(fig_dir, exist_ok=True)
                drawn, notes = _plot_one(
                    mods, h5file, info, by_path, os.path.join(fig_dir, filename)
                )
            except ValueError as e:
                result.notes.append(f"{info.path}: {e}")
                continue
            except Exception as e:
                result.notes.append(f"{info.path}: figure failed ({type(e).__name__}: {e})")
                continue
            produced.add(filename)
            shape = "×".join(str(s) for s in info.shape)
            caption_parts = [info.attrs.get("description") or ""]
            caption_parts += notes
            result.figures.append(
                FigureInfo(
                    info.path,
                    filename,
                    "; ".join(p for p in caption_parts if p),
                    shape,
                    drawn,
                )
            )
    _remove_stale(fig_dir, produced)
    return result


def _remove_stale(fig_dir, produced):
    """Delete PNGs left in figures/ by an earlier build that this build did not make."""
    if not os.path.isdir(fig_dir):
        return
    for name in os.listdir(fig_dir):
        if name.endswith(".png") and name not in produced:
            try:
                os.unlink(os.path.join(fig_dir, name))
            except OSError:
                pass
