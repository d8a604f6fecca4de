"""nnworld_report: builds DIR/report.html (and DIR/figures/*.png) for an nnworld run
directory from DIR/summary.json and DIR/data.h5.

Usage: python3 -m nnworld_report DIR
"""

from .builder import BuildResult, build_report
from .summary import SummaryError, load_summary

__all__ = ["BuildResult", "SummaryError", "build_report", "load_summary"]
__version__ = "0.1.0"
