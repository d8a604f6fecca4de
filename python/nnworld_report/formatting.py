"""Plain-text formatting of numbers, series and durations for the report tables."""

import json
import math

from .summary import COMPARISONS, control_passed, is_number

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


def format_key_number(check, digits=4):
    """A row's value against its reference and tolerance, compactly, in the form of its
    comparison, e.g. "0.0063 vs 0 ± 1e-06 (absolute)" or "3.2 vs ≥ 3 − 0 (lower_bound)";
    without a known comparison "value vs reference ± tolerance"."""
    v = format_short(check.get("value"), digits)
    r = format_short(check.get("reference"), digits)
    t = format_short(check.get("tolerance"), 3)
    comparison = check.get("comparison")
    if comparison not in COMPARISONS:
        return f"{v} vs {r} ± {t}"
    if comparison in ("absolute", "z_score"):
        text = f"{v} vs {r} ± {t}"
    elif comparison == "relative":
        text = f"{v} vs {r} ± {t}·|ref|"
    elif comparison == "upper_bound":
        text = f"{v} vs ≤ {r} + {t}"
    elif comparison == "lower_bound":
        text = f"{v} vs ≥ {r} − {t}"
    else:  # ratio_to_floor
        text = f"{v} vs ≤ {t} × floor {r}"
    return f"{text} ({comparison})"


def control_result(check):
    """Whether the row's control passes: the stored control "passed" when it is a boolean,
    else the rule recomputed; None without a control or without either."""
    control = check.get("control")
    if not isinstance(control, dict):
        return None
    stored = control.get("passed")
    return stored if isinstance(stored, bool) else control_passed(check)


def format_control(check, digits=4):
    """A row's control in one line: "control printed (7): 0.18, fails", "no control: why",
    or "—" when the row has neither."""
    control = check.get("control")
    if isinstance(control, dict):
        passed = control_result(check)
        label = control.get("label")
        head = f"control {label}" if label else "control"
        text = f"{head}: {format_short(control.get('value'), digits)}"
        if passed is not None:
            text += ", passes" if passed else ", fails"
        return text
    reason = check.get("no_control")
    if isinstance(reason, str) and reason:
        return f"no control: {reason}"
    return "—"


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
