#!/usr/bin/python3
"""The page's translations are complete: every string the scripts pass to
_(), gettext() or ngettext() is in the template cockpit/po/guestinfo.pot
(read by the project's extractor and, independently, by xgettext), the
template holds nothing else, and every language in cockpit/po/LINGUAS
translates every string of it, keeping its $0 placeholders, in a catalog
msgfmt accepts. A new untranslated string fails here."""

import glob
import os
import re
import subprocess
import sys
import tempfile

SOURCE = os.environ.get("MESON_SOURCE_ROOT", os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
PO = os.path.join(SOURCE, "cockpit", "po")
sys.path.insert(0, PO)
import extract  # noqa: E402
import po2js  # noqa: E402


def catalog(path):
    """{msgid: entry} of a .pot or .po, the header left out."""
    with open(path, encoding="utf-8") as f:
        return {e["msgid"]: e for e in po2js.entries(f.read()) if e["msgid"]}


def xgettext_ids(scripts):
    with tempfile.TemporaryDirectory() as d:
        out = os.path.join(d, "x.pot")
        subprocess.run(["xgettext", "--language=JavaScript", "--from-code=UTF-8", "--keyword=_", "--keyword=gettext",
                        "--keyword=ngettext:1,2", "--keyword=cockpit.gettext", "--keyword=cockpit.ngettext:1,2",
                        "-o", out] + scripts, check=True, timeout=60)
        return set(catalog(out)) if os.path.exists(out) else set()


def missing(scripts_dir, template):
    """The strings of scripts_dir/*.js that the template lacks."""
    found = extract.strings(scripts_dir)
    return sorted(set(found) - set(template))


def placeholders(s):
    return sorted(set(re.findall(r"\$\d", s)))


def self_test():
    # The checks catch what they are for: a new string, a call of a variable, a lost placeholder.
    with tempfile.TemporaryDirectory() as d:
        with open(os.path.join(d, "new.js"), "w") as f:
            f.write('const _ = cockpit.gettext;\nx(_("Known"), cockpit.ngettext("$0 apple", "$0 apples", n));\n'
                    'y(_("A new string"));\n')
        assert missing(d, {"Known": 1, "$0 apple": 1}) == ["A new string"], missing(d, {"Known": 1})
        assert xgettext_ids([os.path.join(d, "new.js")]) == {"Known", "$0 apple", "A new string"}
        with open(os.path.join(d, "new.js"), "w") as f:
            f.write("y(_(text));\n")
        try:
            extract.strings(d)
            raise AssertionError("a call of a variable was read")
        except ValueError:
            pass
    assert placeholders("$0 of $1") != placeholders("$0 von")


def main():
    self_test()
    template = catalog(extract.TEMPLATE)
    scripts = sorted(glob.glob(os.path.join(SOURCE, "cockpit", "*.js")))
    assert len(scripts) >= 5, "cockpit/*.js not found under %s" % SOURCE
    errors = []
    for s in missing(os.path.join(SOURCE, "cockpit"), template):
        errors.append("not in cockpit/po/guestinfo.pot: %r (run cockpit/po/extract.py)" % s)
    for s in sorted(xgettext_ids(scripts) - set(template)):
        errors.append("xgettext finds %r, the template lacks it" % s)
    for s in sorted(set(template) - set(extract.strings())):
        errors.append("in the template, no longer in the page: %r" % s)
    if subprocess.run([sys.executable, os.path.join(PO, "extract.py"), "--check"]).returncode != 0:
        errors.append("cockpit/po/guestinfo.pot differs from what cockpit/po/extract.py writes")

    with open(os.path.join(PO, "LINGUAS")) as f:
        langs = f.read().split()
    assert langs, "cockpit/po/LINGUAS names no language"
    for lang in langs:
        path = os.path.join(PO, lang + ".po")
        r = subprocess.run(["msgfmt", "--check", "-o", "/dev/null", path], capture_output=True, text=True, timeout=60)
        if r.returncode != 0:
            errors.append("%s.po: msgfmt --check: %s" % (lang, r.stderr.strip()))
        po = catalog(path)
        for msgid, e in template.items():
            t = po.get(msgid)
            if not t or t.get("fuzzy") or not t.get("msgstr") or not all(t["msgstr"]):
                errors.append("%s.po: %r is not translated" % (lang, msgid))
                continue
            if ("msgid_plural" in e) != ("msgid_plural" in t):
                errors.append("%s.po: %r: plural forms differ from the template" % (lang, msgid))
            for form in t["msgstr"]:
                if placeholders(form) != placeholders(msgid):
                    errors.append("%s.po: %r → %r: placeholders differ" % (lang, msgid, form))
        for msgid in sorted(set(po) - set(template)):
            errors.append("%s.po: %r is not in the template" % (lang, msgid))
        with open(path, encoding="utf-8") as f:
            _, n = po2js.convert(f.read(), lang)
        if n != len(template):
            errors.append("%s.po: the catalog holds %d of %d strings" % (lang, n, len(template)))
    if errors:
        print("\n".join(errors), file=sys.stderr)
        return 1
    print("%d strings in the template, translated in: %s" % (len(template), " ".join(langs)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
