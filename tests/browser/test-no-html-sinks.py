#!/usr/bin/python3
"""No script of the Cockpit page may turn a string into markup or code:
guest data reaches the page as text only (cockpit/dom.js makes every
element). Fails on any use of these, comments included (a comment that
names one is rewritten, not excepted)."""

import glob
import os
import re
import sys

SOURCE = os.environ.get("MESON_SOURCE_ROOT", os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))

SINKS = [
    r"\binnerHTML\b", r"\bouterHTML\b", r"\binsertAdjacentHTML\b", r"\bdocument\s*\.\s*write(ln)?\b",
    r"\bcreateContextualFragment\b", r"\bDOMParser\b", r"\bsrcdoc\b", r"\beval\s*\(", r"\bnew\s+Function\b",
    r"\bsetTimeout\s*\(\s*[\"'`]", r"\bsetInterval\s*\(\s*[\"'`]", r"\bsetHTML\b", r"\bparseHTMLUnsafe\b",
]
PATTERN = re.compile("|".join(SINKS))


def sinks_in(text):
    return [(n, m.group(0)) for n, line in enumerate(text.splitlines(), 1) for m in PATTERN.finditer(line)]


def main():
    # The check itself must catch what it is for.
    assert sinks_in("a.innerHTML = x;\nb.insertAdjacentHTML('beforeend', y)\ndocument.write(z)") == \
        [(1, "innerHTML"), (2, "insertAdjacentHTML"), (3, "document.write")]
    assert sinks_in("e.textContent = s") == []

    files = sorted(glob.glob(os.path.join(SOURCE, "cockpit", "*.js")))
    names = {os.path.basename(f) for f in files}
    assert {"app.js", "dom.js", "list.js", "vm.js"} <= names, "cockpit/*.js not found under %s" % SOURCE
    bad = []
    for f in files:
        with open(f, encoding="utf-8") as fh:
            for n, what in sinks_in(fh.read()):
                bad.append("%s:%d: %s" % (os.path.relpath(f, SOURCE), n, what))
    if bad:
        print("strings become markup or code here:\n  " + "\n  ".join(bad), file=sys.stderr)
        return 1
    print("%d scripts, no HTML or code sinks" % len(files))
    return 0


if __name__ == "__main__":
    sys.exit(main())
