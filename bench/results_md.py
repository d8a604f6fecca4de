"""Rewrites the generated sections of bench/RESULTS.md (make bench).

A generated section sits between the lines
  <!-- make bench: NAME begin -->
  <!-- make bench: NAME end -->
and is replaced whole on every run; the text around it (method, discussion) is kept. A file
without the markers gets the section appended under `title`.
"""

from pathlib import Path


def replace_section(path, name, title, text):
    p = Path(path)
    doc = p.read_text() if p.exists() else ""
    begin, end = f"<!-- make bench: {name} begin -->", f"<!-- make bench: {name} end -->"
    block = f"{begin}\n{text.rstrip()}\n{end}"
    if begin in doc and end in doc:
        head, rest = doc.split(begin, 1)
        _, tail = rest.split(end, 1)
        doc = head + block + tail
    else:
        doc = doc.rstrip() + f"\n\n## {title}\n\n{block}\n"
    p.write_text(doc)
