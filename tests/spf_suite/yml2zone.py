#!/usr/bin/env python3
"""yml2zone.py - turn the RFC 7208 test suite (rfc7208-tests.yml) into plain lines.

The openspf.org suite, shipped by Debian's python3-spf as
/usr/share/doc/python3-spf/rfc7208-tests.yml.gz, is a YAML stream of scenarios, each
with zone data and tests. tests/unit/test_spf_suite.c (C, no YAML parser) reads this
script's output, one record per line:

  scenario N DESCRIPTION          starts scenario N (its zone replaces the previous one)
  zone NAME TYPE VALUE...         a record (a NAME with spaces is quoted): TXT/SPF values are one or more quoted
                                  strings ("..." with \\" \\\\ and \\xHH escapes), MX is
                                  "PREF HOST", A/AAAA/PTR/CNAME one value
  zone NAME TIMEOUT               every query for NAME without records of its type
                                  before this line times out
  zone NAME TYPE TIMEOUT          queries of TYPE at NAME time out
  test ID DOMAIN RESULTS SPEC     a test: the MAIL FROM (or HELO) domain, the expected
                                  SPF result(s) joined by ",", the RFC section(s)
  client ID HOST MAILFROM HELO    the same test's inputs as given (three quoted strings,
                                  MAILFROM may be ""), for check_host() itself
                                  (tests/unit/test_spf_eval_suite.c)

The zone lines follow the suite driver's own rules (python3-spf testspf.py getrdata):
SPF records are copied to TXT when the name has no TXT entry, and "TXT: NONE" only
suppresses that copy. Names are lower-cased, trailing dots dropped.

usage: yml2zone.py [--yml FILE] [--out FILE]
Without --yml, the Debian locations are tried (.yml, then .yml.gz). When no suite file
or no PyYAML is found, the output is one line "# missing: REASON" and the exit status
is 0, so the build goes on and the C test decides (fail under CI, skip otherwise).

What can go wrong: a suite value holding bytes a line cannot carry (newline, quote,
non-ASCII): they are escaped as \\xHH, never dropped.
"""
import gzip
import os
import sys

DEFAULT_YML = [
    "/usr/share/doc/python3-spf/rfc7208-tests.yml",
    "/usr/share/doc/python3-spf/rfc7208-tests.yml.gz",
]


def quote(value):
    """A string as a double-quoted token with C-like escapes (UTF-8 bytes as \\xHH)."""
    out = ['"']
    for b in str(value).encode("utf-8"):
        if b == 0x22:
            out.append('\\"')
        elif b == 0x5C:
            out.append("\\\\")
        elif 0x20 <= b < 0x7F:
            out.append(chr(b))
        else:
            out.append("\\x%02x" % b)
    out.append('"')
    return "".join(out)


def name_of(name):
    """A zone name as the C side compares it: lower case, no trailing dot."""
    return str(name).rstrip(".").lower()


def token(value):
    """A single-word value (address, host name) made safe for a line."""
    text = str(value)
    if not text or any(c.isspace() or ord(c) > 0x7E or c == '"' for c in text):
        return quote(text)
    return text


def records(name, entries):
    """The zone lines of one name, following testspf.py getrdata()."""
    lines, generated, has_txt = [], [], False
    for entry in entries:
        if not isinstance(entry, dict):
            lines.append("zone %s %s" % (name, str(entry)))     # bare TIMEOUT
            continue
        for rtype, value in entry.items():
            if rtype in ("TXT", "SPF") and not isinstance(value, list):
                value = [value]
            if rtype == "TXT":
                has_txt = True
            is_none = isinstance(value, list) and value == ["NONE"]
            if rtype == "SPF" and not is_none:
                generated.append(value)
            if is_none:
                continue
            if value == "TIMEOUT" or value == ["TIMEOUT"]:
                lines.append("zone %s %s TIMEOUT" % (name, rtype))
            elif rtype in ("TXT", "SPF"):
                lines.append("zone %s %s %s" % (name, rtype, " ".join(quote(s) for s in value)))
            elif rtype == "MX":
                lines.append("zone %s MX %d %s" % (name, int(value[0]), token(name_of(value[1]))))
            elif rtype in ("PTR", "CNAME"):
                lines.append("zone %s %s %s" % (name, rtype, token(name_of(value))))
            else:
                lines.append("zone %s %s %s" % (name, rtype, token(value)))
    if not has_txt:
        for value in generated:
            lines.append("zone %s TXT %s" % (name, " ".join(quote(s) for s in value)))
    return lines


def test_domain(test):
    """The domain check_host() starts from: MAIL FROM's, else HELO (RFC 7208 2.3, 2.4)."""
    sender = str(test.get("mailfrom") or "")
    if "@" in sender:
        return sender.rsplit("@", 1)[1]
    return str(test.get("helo") or "")


def convert(stream, out):
    """Write every scenario of a YAML stream; returns (scenarios, tests)."""
    import yaml  # pylint: disable=import-outside-toplevel
    nscen = ntests = 0
    for num, scen in enumerate(yaml.safe_load_all(stream), 1):
        if not isinstance(scen, dict):
            continue
        nscen += 1
        desc = " ".join(str(scen.get("description", "")).split())
        out.write("scenario %d %s\n" % (num, desc))
        for name, entries in (scen.get("zonedata") or {}).items():
            for line in records(token(name_of(name)), entries or []):
                out.write(line + "\n")
        for tid, test in (scen.get("tests") or {}).items():
            result = test.get("result")
            results = ",".join(result) if isinstance(result, list) else str(result)
            spec = str(test.get("spec", "")).replace(" ", "")
            out.write("test %s %s %s %s\n" % (tid, token(test_domain(test)), results,
                                             spec or "-"))
            out.write("client %s %s %s %s\n" % (tid, quote(test.get("host") or ""),
                                                quote(test.get("mailfrom") or ""),
                                                quote(test.get("helo") or "")))
            ntests += 1
    return nscen, ntests


def main(argv):
    yml, outpath, i = None, None, 0
    while i < len(argv):
        if argv[i] in ("--yml", "--out") and i + 1 < len(argv):
            if argv[i] == "--yml":
                yml = argv[i + 1]
            else:
                outpath = argv[i + 1]
            i += 2
        else:
            print(__doc__, file=sys.stderr)
            return 2
    out = open(outpath, "w", encoding="ascii") if outpath else sys.stdout
    try:
        candidates = [yml] if yml else DEFAULT_YML
        found = next((p for p in candidates if os.path.exists(p)), None)
        if found is None:
            out.write("# missing: no RFC 7208 suite at %s (Debian package python3-spf)\n"
                      % " or ".join(candidates))
            return 0
        try:
            import yaml  # noqa: F401 pylint: disable=import-outside-toplevel,unused-import
        except ImportError:
            out.write("# missing: PyYAML not installed (Debian package python3-yaml)\n")
            return 0
        opener = gzip.open if found.endswith(".gz") else open
        with opener(found, "rb") as stream:
            out.write("# converted from %s by yml2zone.py\n" % found)
            nscen, ntests = convert(stream, out)
        out.write("# %d scenarios, %d tests\n" % (nscen, ntests))
        return 0
    finally:
        if outpath:
            out.close()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
