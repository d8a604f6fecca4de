"""Reading and validating DIR/summary.json (see the output contract in DESIGN.md)."""

import json
import math
import os


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


def check_outcome(check):
    """Classify a check: 'pass', 'fail' (failed oracle: a bug), 'finding'
    (failed claim: a result about the paper) or 'unknown' (no boolean "passed")."""
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
    """Tally of oracles and claims by outcome."""

    def __init__(self, checks=()):
        self.oracle_passed = self.oracle_failed = 0
        self.claim_held = self.claim_not = 0
        self.other = 0
        for c in checks:
            self.add(c)

    def add(self, check):
        kind = check.get("kind")
        outcome = check_outcome(check)
        if kind == "claim" and outcome in ("pass", "finding"):
            if outcome == "pass":
                self.claim_held += 1
            else:
                self.claim_not += 1
        elif kind != "claim" and outcome in ("pass", "fail"):
            if outcome == "pass":
                self.oracle_passed += 1
            else:
                self.oracle_failed += 1
        else:
            self.other += 1

    @property
    def total(self):
        return (
            self.oracle_passed + self.oracle_failed + self.claim_held + self.claim_not + self.other
        )

    def line(self):
        text = (
            f"{self.oracle_passed} oracles passed, {self.oracle_failed} failed; "
            f"{self.claim_held} claims held, {self.claim_not} not"
        )
        if self.other:
            text += f"; {self.other} without a pass/fail result"
        return text


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
