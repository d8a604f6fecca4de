"""Plain-text formatting of numbers, series and durations for the report tables."""

import json
import math

from .summary import is_number

SERIES_HEAD = 6  # items shown before the ellipsis of a long series
SERIES_TAIL = 2  # items shown after it
SERIES_SHORT = SERIES_HEAD + SERIES_TAIL + 1  # series up to this length are shown whole


def format_exact(x):
    """A number in full precision (shortest round-trip form), for values and references
    that may agree to 12 digits: showing fewer digits would hide the difference."""
    if x is None:
        return "—"
    if isinstance(x, bool):
        return "true" if x else "false"
    if isinstance(x, int):
        return str(x)
    if isinstance(x, float):
        return _special(x) or repr(x)
    return format_value(x)


def format_short(x, digits=6):
    """A number to `digits` significant digits."""
    if x is None:
        return "—"
    if isinstance(x, bool):
        return "true" if x else "false"
    if isinstance(x, int):
        return str(x) if abs(x) < 10**12 else f"{x:.{digits}g}"
    if isinstance(x, float):
        return _special(x) or f"{x:.{digits}g}"
    return format_value(x)


def _special(x):
    if math.isnan(x):
        return "NaN"
    if math.isinf(x):
        return "inf" if x > 0 else "−inf"
    return None


def _count(obj):
    """Number of scalar leaves in a nested list."""
    if isinstance(obj, list):
        return sum(_count(v) for v in obj)
    return 1


def _shape(obj):
    shape = []
    while isinstance(obj, list):
        shape.append(len(obj))
        if not obj:
            break
        obj = obj[0]
    return shape


def format_series(values, digits=6):
    """A list compactly: whole when short, else head, '…', tail and the length."""

    def item(v):
        if isinstance(v, list):
            return inner(v)
        if is_number(v) or v is None or isinstance(v, bool):
            return format_short(v, digits)
        return json.dumps(v, ensure_ascii=False)

    def inner(lst):
        if len(lst) <= SERIES_SHORT:
            parts = [item(v) for v in lst]
        else:
            parts = [item(v) for v in lst[:SERIES_HEAD]] + ["…"]
            parts += [item(v) for v in lst[-SERIES_TAIL:]]
        return "[" + ", ".join(parts) + "]"

    text = inner(values)
    shape = _shape(values)
    truncated = any(n > SERIES_SHORT for n in shape) or _count(values) > SERIES_SHORT
    if len(shape) > 1:
        text += "  (" + "×".join(str(n) for n in shape) + ")"
    elif truncated:
        text += f"  ({len(values)} values)"
    return text


def format_value(x):
    """Any JSON value for a table cell."""
    if x is None:
        return "—"
    if is_number(x) or isinstance(x, bool):
        return format_exact(x)
    if isinstance(x, str):
        return x
    if isinstance(x, list):
        return format_series(x)
    text = json.dumps(x, ensure_ascii=False, sort_keys=True)
    return text if len(text) <= 200 else text[:199] + "…"


def format_seconds(s):
    if not is_number(s):
        return "—"
    s = float(s)
    if math.isnan(s) or math.isinf(s):
        return format_short(s)
    if s < 60:
        return f"{s:.3g} s"
    minutes, sec = divmod(s, 60)
    if minutes < 60:
        return f"{int(minutes)} min {sec:.0f} s"
    hours, minutes = divmod(minutes, 60)
    return f"{int(hours)} h {int(minutes)} min"
