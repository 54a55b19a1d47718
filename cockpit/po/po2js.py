#!/usr/bin/python3
"""Turns one translation (cockpit/po/LANG.po) into the catalog Cockpit loads
for the page: po.LANG.js, a call of cockpit.locale() with every translated
string, as Cockpit's own packages ship it. The bridge serves it when the page
asks for po.js and the user's language (the CockpitLang cookie, else the
browser's Accept-Language) is LANG.

usage: po2js.py LANG.po po.LANG.js

Fuzzy and untranslated entries are left out (the page shows the English);
a Plural-Forms expression is checked to be arithmetic on n before it is
written as a function."""

import json
import os
import re
import sys

RTL = {"ar", "fa", "he", "ur", "yi"}


def unquote(s):
    return json.loads('"' + s[1:-1].replace("\\'", "'") + '"')


def entries(text):
    """[{"msgctxt", "msgid", "msgid_plural", "msgstr": [..], "fuzzy"}], one per block (blank-line separated)."""
    out = []
    for block in re.split(r"\n[ \t]*\n", text):
        cur, key = {}, None
        for line in block.splitlines():
            line = line.strip()
            if line.startswith("#,") and "fuzzy" in [f.strip() for f in line[2:].split(",")]:
                cur["fuzzy"] = True
            if not line or line.startswith("#"):
                continue
            m = re.match(r'(msgctxt|msgid_plural|msgid|msgstr(?:\[(\d+)\])?)\s+(".*")$', line)
            if m and m.group(1).startswith("msgstr"):
                i = int(m.group(2) or 0)
                cur.setdefault("msgstr", [])
                cur["msgstr"] += [""] * (i + 1 - len(cur["msgstr"]))
                key = ("msgstr", i)
                cur["msgstr"][i] = unquote(m.group(3))
            elif m:
                key = (m.group(1), None)
                cur[key[0]] = unquote(m.group(3))
            elif line.startswith('"') and key and key[0] == "msgstr":
                cur["msgstr"][key[1]] += unquote(line)
            elif line.startswith('"') and key:
                cur[key[0]] += unquote(line)
            else:
                raise ValueError("cannot read %r" % line)
        if "msgid" in cur:
            out.append(cur)
    return out


def header(entry):
    h = {}
    for line in entry["msgstr"][0].split("\n"):
        if ":" in line:
            k, v = line.split(":", 1)
            h[k.strip().lower()] = v.strip()
    return h


def plural_function(forms):
    m = re.fullmatch(r"\s*nplurals\s*=\s*(\d+)\s*;\s*plural\s*=\s*(.+?)\s*;?\s*", forms or "")
    if not m:
        raise ValueError("Plural-Forms %r is not nplurals=N; plural=EXPR;" % forms)
    expr = m.group(2)
    # Only n, numbers and C's arithmetic, comparison, logic and ?: : nothing that runs code.
    if not re.fullmatch(r"[n0-9\s()!=<>?:%&|+\-*/]+", expr):
        raise ValueError("Plural-Forms expression %r is not arithmetic on n" % expr)
    return int(m.group(1)), "(n) => " + expr


def convert(text, lang):
    es = entries(text)
    head = next((e for e in es if e["msgid"] == "" and "msgctxt" not in e), None)
    if not head:
        raise ValueError("no header entry")
    h = header(head)
    nplurals, plural = plural_function(h.get("plural-forms", "nplurals=2; plural=(n != 1);"))
    lang = h.get("language") or lang
    items = []
    for e in es:
        if e is head or e.get("fuzzy") or not e.get("msgstr") or not all(e["msgstr"]):
            continue
        if "msgid_plural" in e and len(e["msgstr"]) != nplurals:
            raise ValueError("%r has %d plural forms, the header says %d" % (e["msgid"], len(e["msgstr"]), nplurals))
        key = (e["msgctxt"] + "\u0004" if "msgctxt" in e else "") + e["msgid"]
        items.append((key, [None] + e["msgstr"]))
    lines = ["cockpit.locale({",
             ' "": {',
             '  "plural-forms": %s,' % plural,
             '  "language": %s,' % json.dumps(lang),
             '  "language-direction": %s' % json.dumps("rtl" if lang.split("_")[0] in RTL else "ltr"),
             " }" + ("," if items else "")]
    for i, (key, value) in enumerate(items):
        lines.append(" %s: %s%s" % (json.dumps(key, ensure_ascii=False), json.dumps(value, ensure_ascii=False),
                                    "," if i + 1 < len(items) else ""))
    lines.append("});")
    return "\n".join(lines) + "\n", len(items)


def main():
    if len(sys.argv) != 3:
        print(__doc__.split("\n\n")[1], file=sys.stderr)
        return 2
    src, dst = sys.argv[1:]
    with open(src, encoding="utf-8") as f:
        js, _ = convert(f.read(), os.path.splitext(os.path.basename(src))[0])
    with open(dst, "w", encoding="utf-8") as f:
        f.write(js)
    return 0


if __name__ == "__main__":
    sys.exit(main())
