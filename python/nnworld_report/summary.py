"""Reading and validating DIR/summary.json (see the output contract in DESIGN.md)."""

import json
import math
import os
import re


class SummaryError(Exception):
    """summary.json is missing or does not follow the contract."""

    def __init__(self, path, what):
        super().__init__(f"{path}: {what}")
        self.path = path
        self.what = what


def summary_path(run_dir):
    return os.path.join(run_dir, "summary.json")


def _require(cond, path, what):
    if not cond:
        raise SummaryError(path, what)


def load_summary(run_dir):
    """Return the parsed summary of run_dir, or raise SummaryError.

    Only the structure the report depends on is validated: a JSON object with
    string "experiment" and "status"; "checks" (list of objects with "name"),
    "observables" (object), "config" (object) and "runs" (list of objects with
    "name") when present.
    """
    path = summary_path(run_dir)
    try:
        with open(path, "rb") as f:
            raw = f.read()
    except FileNotFoundError:
        raise SummaryError(path, "missing (no such file)") from None
    except IsADirectoryError:
        raise SummaryError(path, "is a directory, expected a JSON file") from None
    except OSError as e:
        raise SummaryError(path, f"cannot read: {e.strerror or e}") from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as e:
        raise SummaryError(path, f"not UTF-8 text ({e.reason} at byte {e.start})") from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as e:
        raise SummaryError(
            path, f"invalid JSON: {e.msg} at line {e.lineno} column {e.colno}"
        ) from None

    _require(isinstance(data, dict), path, "expected a JSON object at the top level")
    for key in ("experiment", "status"):
        _require(key in data, path, f'missing required key "{key}"')
        _require(isinstance(data[key], str), path, f'"{key}" must be a string')
    for key in ("observables", "config"):
        if key in data and data[key] is not None:
            _require(isinstance(data[key], dict), path, f'"{key}" must be an object')
    if data.get("checks") is not None:
        checks = data["checks"]
        _require(isinstance(checks, list), path, '"checks" must be a list')
        for i, check in enumerate(checks):
            _require(isinstance(check, dict), path, f"checks[{i}] must be an object")
            _require("name" in check, path, f'checks[{i}] has no "name"')
    if data.get("runs") is not None:
        runs = data["runs"]
        _require(isinstance(runs, list), path, '"runs" must be a list')
        for i, run in enumerate(runs):
            _require(isinstance(run, dict), path, f"runs[{i}] must be an object")
            _require(
                isinstance(run.get("name"), str) and run["name"],
                path,
                f'runs[{i}] needs a non-empty string "name"',
            )
    return data


def is_number(x):
    return isinstance(x, (int, float)) and not isinstance(x, bool)


# The comparison rules of docs/checks.md: how value, reference and tolerance decide "passed".
COMPARISONS = (
    "absolute",
    "relative",
    "z_score",
    "upper_bound",
    "lower_bound",
    "ratio_to_floor",
)

# Each rule written out, for a reader (a tooltip of the report's comparison column).
COMPARISON_RULES = {
    "absolute": "|value − reference| ≤ tolerance",
    "relative": "|value − reference| ≤ tolerance · |reference|",
    "z_score": "|value − reference| ≤ tolerance (value a z statistic, tolerance z*)",
    "upper_bound": "value ≤ reference + tolerance",
    "lower_bound": "value ≥ reference − tolerance",
    "ratio_to_floor": "value ≤ tolerance · reference (reference: the floor)",
}

# A claim's verdicts (docs/checks.md, "Controls and verdicts").
VERDICTS = ("held", "not held", "not resolved", "not measured")


def finite_float(x):
    """x as a float when it is a finite number (not a bool), else None: JSON null, NaN, ±inf,
    an integer too large for a double, and anything that is not a number give None."""
    if not is_number(x):
        return None
    try:
        f = float(x)
    except OverflowError:
        return None
    return f if math.isfinite(f) else None


def compare(comparison, value, reference, tolerance):
    """The rule `comparison` applied to the three numbers (docs/checks.md, "The rules").

    False when any of the three is null or not finite; None when `comparison` is not one of
    COMPARISONS (nothing to recompute)."""
    if comparison not in COMPARISONS:
        return None
    v, r, t = finite_float(value), finite_float(reference), finite_float(tolerance)
    if v is None or r is None or t is None:
        return False
    if comparison in ("absolute", "z_score"):
        return abs(v - r) <= t
    if comparison == "relative":
        return abs(v - r) <= t * abs(r)
    if comparison == "upper_bound":
        return v <= r + t
    if comparison == "lower_bound":
        return v >= r - t
    return v <= t * r  # ratio_to_floor


def comparison_of(check):
    """The row's comparison when it is a known rule, else None (an older summary)."""
    c = check.get("comparison")
    return c if isinstance(c, str) and c in COMPARISONS else None


def recompute_passed(check):
    """What "passed" must be: the row's comparison applied to its value, reference and
    tolerance. None when the row has no comparison or an unknown one."""
    c = check.get("comparison")
    if not isinstance(c, str):
        return None
    return compare(c, check.get("value"), check.get("reference"), check.get("tolerance"))


def control_passed(check):
    """Whether the control passes the row's comparison with the row's reference and tolerance.
    None when the row has no control (or no known comparison)."""
    control = check.get("control")
    if not isinstance(control, dict):
        return None
    c = check.get("comparison")
    if not isinstance(c, str):
        return None
    return compare(c, control.get("value"), check.get("reference"), check.get("tolerance"))


def claim_verdict(check):
    """A claim's verdict from its fields: "not measured" (value null or not finite), "not held"
    (the comparison fails), "not resolved" (it passes, and so does the control), else "held".
    None when the row has no known comparison (an older summary: nothing to recompute)."""
    passed = recompute_passed(check)
    if passed is None:
        return None
    if finite_float(check.get("value")) is None:
        return "not measured"
    if not passed:
        return "not held"
    if control_passed(check):
        return "not resolved"
    return "held"


def stored_verdict(check):
    """The verdict the run wrote, when it is one of VERDICTS, else None."""
    v = check.get("verdict")
    return v if isinstance(v, str) and v in VERDICTS else None


def inconsistencies(check):
    """Where the stored row disagrees with its recomputation: a list of texts, empty when it
    agrees or cannot be recomputed (no known comparison)."""
    out = []
    recomputed = recompute_passed(check)
    if recomputed is None:
        return out
    stored = check.get("passed")
    if isinstance(stored, bool) and stored != recomputed:
        out.append(f"stored passed = {str(stored).lower()}, the rule gives "
                   f"{str(recomputed).lower()}")
    control = check.get("control")
    ctl = control_passed(check)
    if ctl is not None and isinstance(control.get("passed"), bool) and control["passed"] != ctl:
        out.append(f"stored control passed = {str(control['passed']).lower()}, the rule gives "
                   f"{str(ctl).lower()}")
    if check.get("verdict") is not None:
        verdict = claim_verdict(check)
        if check.get("verdict") != verdict:
            out.append(f'stored verdict "{check.get("verdict")}", the fields give "{verdict}"')
    return out


# A claim's verdict -> row outcome.
VERDICT_OUTCOME = {
    "held": "pass",
    "not held": "finding",
    "not resolved": "unresolved",
    "not measured": "unmeasured",
}


def claim_verdict_or_legacy(check):
    """A claim's verdict for display: the stored one, else the recomputed one, else (an older
    summary) "held"/"not held" from a boolean "passed"; None when there is nothing to go on."""
    v = stored_verdict(check) or claim_verdict(check)
    if v is not None:
        return v
    passed = check.get("passed")
    if isinstance(passed, bool):
        return "held" if passed else "not held"
    return None


def check_outcome(check):
    """Classify a check: 'pass', 'fail' (failed oracle: a bug), 'finding' (claim not held: a
    result about the paper), 'unresolved' (claim passed but so did its control),
    'unmeasured' (claim whose value is not finite) or 'unknown' (no result).

    A claim is classified by its stored verdict, else the verdict recomputed from its fields;
    an older row without either goes by its boolean "passed" as before."""
    if check.get("kind") == "claim":
        v = stored_verdict(check) or claim_verdict(check)
        if v is not None:
            return VERDICT_OUTCOME[v]
    passed = check.get("passed")
    if not isinstance(passed, bool):
        return "unknown"
    if passed:
        return "pass"
    return "finding" if check.get("kind") == "claim" else "fail"


def abs_difference(check):
    """|value - reference| when both are finite-or-infinite numbers, else None."""
    value, reference = check.get("value"), check.get("reference")
    if not (is_number(value) and is_number(reference)):
        return None
    try:
        d = abs(float(value) - float(reference))
    except OverflowError:
        return math.inf
    return d


class CheckCounts:
    """Tally of oracles (passed / failed) and claims (held / not held / not resolved /
    not measured)."""

    def __init__(self, checks=()):
        self.oracle_passed = self.oracle_failed = 0
        self.claim_held = self.claim_not = 0  # claim_not: not held
        self.claim_unresolved = self.claim_unmeasured = 0
        self.other = 0
        for c in checks:
            self.add(c)

    def add(self, check):
        kind = check.get("kind")
        outcome = check_outcome(check)
        if kind == "claim" and outcome in ("pass", "finding", "unresolved", "unmeasured"):
            if outcome == "pass":
                self.claim_held += 1
            elif outcome == "finding":
                self.claim_not += 1
            elif outcome == "unresolved":
                self.claim_unresolved += 1
            else:
                self.claim_unmeasured += 1
        elif kind != "claim" and outcome in ("pass", "fail"):
            if outcome == "pass":
                self.oracle_passed += 1
            else:
                self.oracle_failed += 1
        else:
            self.other += 1

    @property
    def claims(self):
        return self.claim_held + self.claim_not + self.claim_unresolved + self.claim_unmeasured

    @property
    def total(self):
        return self.oracle_passed + self.oracle_failed + self.claims + self.other

    def claims_text(self, noun=""):
        """'H held, N not held' and, when there are any, ', R not resolved', ', M not measured';
        noun goes after H ("7 claims held, …")."""
        text = f"{self.claim_held} {noun + ' ' if noun else ''}held, {self.claim_not} not held"
        if self.claim_unresolved:
            text += f", {self.claim_unresolved} not resolved"
        if self.claim_unmeasured:
            text += f", {self.claim_unmeasured} not measured"
        return text

    def line(self):
        text = (
            f"{self.oracle_passed} oracles passed, {self.oracle_failed} failed; "
            f"{self.claims_text('claims')}"
        )
        if self.other:
            text += f"; {self.other} without a pass/fail result"
        return text


_FOLLOW_UP = re.compile(r"follow-up claim\s*(\d+)", re.IGNORECASE)
_EQUATION = re.compile(r"\s*(?:eqs?\.?\s*)?\(\s*(\d+)|\s*(\d+)\b", re.IGNORECASE)


def equation_sort_key(equation):
    """Order of a row in the Findings: the paper's equations by their (first) number
    ("(12)" -> 12, "(91)–(92)" -> 91), then the follow-up claims by N ("follow-up claim N"),
    then the rest."""
    if isinstance(equation, str):
        m = _FOLLOW_UP.search(equation)
        if m:
            return (1, int(m.group(1)))
        m = _EQUATION.match(equation)
        if m:
            return (0, int(m.group(1) or m.group(2)))
    return (2, 0)


def claims_in_order(checks):
    """The claim rows of checks, ordered by equation_sort_key (stable otherwise)."""
    claims = [c for c in checks if c.get("kind") == "claim"]
    return sorted(claims, key=lambda c: equation_sort_key(c.get("equation")))


def flatten_observables(obj, prefix=""):
    """Yield (dotted_path, leaf) for nested observables; lists are leaves."""
    if isinstance(obj, dict):
        if not obj and prefix:
            yield prefix, obj
        for key, val in obj.items():
            path = f"{prefix}.{key}" if prefix else str(key)
            yield from flatten_observables(val, path)
    else:
        yield prefix, obj
