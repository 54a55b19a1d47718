#!/usr/bin/python3
"""The page's translatable strings, as the template guestinfo.pot holds them.

usage: extract.py            writes cockpit/po/guestinfo.pot
       extract.py --check    exits 1 when the template differs from the sources

Strings come from cockpit/*.js (every _(), gettext() and ngettext() call,
whose arguments must be plain string literals), from the elements of
index.html marked translate="yes", and from the manifest's labels. xgettext
(Debian's gettext) sees the same strings in the scripts: the test
tests/browser/test-translations.py checks that it does."""

import glob
import json
import os
import re
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
PAGE = os.path.dirname(HERE)
TEMPLATE = os.path.join(HERE, "guestinfo.pot")

# A JavaScript string literal in double or single quotes.
LITERAL = r'"(?:[^"\\\n]|\\.)*"|\'(?:[^\'\\\n]|\\.)*\''
CALL = re.compile(r'(?<![\w$.])(?:cockpit\s*\.\s*)?(_|gettext|ngettext)\s*\(')
JS_ESCAPES = {"n": "\n", "t": "\t", '"': '"', "'": "'", "\\": "\\"}


def unquote(lit):
    body = lit[1:-1]
    return re.sub(r"\\u\{?([0-9a-fA-F]{1,6})\}?|\\(.)",
                  lambda m: chr(int(m.group(1), 16)) if m.group(1) else JS_ESCAPES.get(m.group(2), m.group(2)), body)


def from_js(text, name):
    """[(msgid, msgid_plural or None, "file:line")]; raises ValueError on a call it cannot read."""
    found = []
    for m in CALL.finditer(text):
        line = text.count("\n", 0, m.start()) + 1
        rest = text[m.end():]
        args = []
        for _ in range(2 if m.group(1) == "ngettext" else 1):
            lit = re.match(r"\s*(" + LITERAL + r")\s*", rest)
            if not lit:
                raise ValueError("%s:%d: %s() of something that is not a string literal" % (name, line, m.group(1)))
            args.append(unquote(lit.group(1)))
            rest = rest[lit.end():]
            if rest.startswith(","):
                rest = rest[1:]
        found.append((args[0], args[1] if len(args) > 1 else None, "%s:%d" % (name, line)))
    return found


def from_html(text, name):
    found = []
    for m in re.finditer(r'<(\w+)[^>]*\btranslate="yes"[^>]*>([^<]*)</\1>', text):
        found.append((m.group(2).strip(), None, "%s:%d" % (name, text.count("\n", 0, m.start()) + 1)))
    return found


def from_manifest(text, name):
    found = []

    def walk(v):
        if isinstance(v, dict):
            for k, x in v.items():
                if k == "label" and isinstance(x, str):
                    found.append((x, None, name))
                else:
                    walk(x)
        elif isinstance(v, list):
            for x in v:
                walk(x)
    walk(json.loads(text))
    return found


def strings(page=PAGE):
    """{msgid: (msgid_plural, [references])}, in the order first seen."""
    out = {}
    sources = [(f, from_js) for f in sorted(glob.glob(os.path.join(page, "*.js")))]
    sources += [(os.path.join(page, "index.html"), from_html), (os.path.join(page, "manifest.json"), from_manifest)]
    for path, how in sources:
        if not os.path.exists(path):
            continue
        with open(path, encoding="utf-8") as f:
            text = f.read()
        for msgid, plural, ref in how(text, os.path.relpath(path, os.path.dirname(page))):
            entry = out.setdefault(msgid, [plural, []])
            if plural and not entry[0]:
                entry[0] = plural
            entry[1].append(ref)
    return out


def quote(s):
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("\t", "\\t") + '"'


def template(found):
    lines = ['# The Cockpit page\'s translatable strings (cockpit/po/extract.py writes this file).',
             'msgid ""', 'msgstr ""', '"Project-Id-Version: guestinfod\\n"', '"MIME-Version: 1.0\\n"',
             '"Content-Type: text/plain; charset=UTF-8\\n"', '"Content-Transfer-Encoding: 8bit\\n"', '']
    for msgid, (plural, refs) in found.items():
        lines.append("#: " + " ".join(refs))
        lines.append("msgid " + quote(msgid))
        if plural:
            lines += ["msgid_plural " + quote(plural), 'msgstr[0] ""', 'msgstr[1] ""']
        else:
            lines.append('msgstr ""')
        lines.append("")
    return "\n".join(lines)


def main():
    text = template(strings())
    if sys.argv[1:] == ["--check"]:
        with open(TEMPLATE, encoding="utf-8") as f:
            if f.read() != text:
                print("cockpit/po/guestinfo.pot is out of date: run cockpit/po/extract.py", file=sys.stderr)
                return 1
        return 0
    if sys.argv[1:]:
        print(__doc__.split("\n\n")[1], file=sys.stderr)
        return 2
    with open(TEMPLATE, "w", encoding="utf-8") as f:
        f.write(text)
    print("%s: %d strings" % (os.path.relpath(TEMPLATE), len(strings())))
    return 0


if __name__ == "__main__":
    sys.exit(main())
