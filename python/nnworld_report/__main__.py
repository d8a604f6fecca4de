"""Command line: python3 -m nnworld_report DIR.

Exit codes: 0 report written (figures may be unavailable), 2 bad input (missing or
invalid DIR/summary.json, wrong arguments; nothing written), 1 internal error.
"""

import argparse
import sys

from .builder import build_report
from .summary import SummaryError


def main(argv=None):
    parser = argparse.ArgumentParser(
        prog="python3 -m nnworld_report",
        description="Build DIR/report.html and DIR/figures/ from DIR/summary.json and "
        "DIR/data.h5 (for a world run, also every sub-run's report).",
    )
    parser.add_argument("dir", metavar="DIR", help="run directory")
    parser.add_argument("-q", "--quiet", action="store_true", help="do not print the report path")
    args = parser.parse_args(argv)
    try:
        result = build_report(args.dir)
    except SummaryError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    except Exception as e:
        print(f"error: internal: {type(e).__name__}: {e}", file=sys.stderr)
        return 1
    if not args.quiet:
        print(result.report_path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
