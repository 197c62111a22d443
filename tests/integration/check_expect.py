#!/usr/bin/env python3
"""check_expect.py - compare posture-check's JSON with a fixture zone's expectations.

The header comments of tests/fixtures/zones/<origin>.zone (also described in README.md):
  ; domain: NAME          name(s) to evaluate (default: the zone origin); may repeat
  ; expect: CODE ...      codes that MUST be raised for every evaluated name
  ; absent: CODE ...      codes that must NOT be raised for any evaluated name
  ; result: fam=word ...  family result words that must match
  ; clean: fam ...        no finding of severity warn or error in these families
  ; rounds: N             dns.rounds must equal N
  ; grade: G              the grade must be G (A..F, or temperror)
  ; max-queries: N        dns.queries must be at most N (bounded work, e.g. SPF trees)
  ; exit: N               posture-check's exit status (default 0)
  ; selector: S ...       DKIM selectors, passed as --selector S (may repeat)
Directives may repeat; their values accumulate (exit, rounds, grade, max-queries: the last
wins).

usage:
  check_expect.py domains ZONEFILE
      print the names to evaluate, one per line
  check_expect.py selectors ZONEFILE
      print the DKIM selectors to pass as --selector, one per line (maybe none)
  check_expect.py check --codes CODES_H --exit RC --json FILE ZONEFILE
      check; print one line per unmet expectation ("<zone>: <domain>: expected ..., got ...")
      and a context line with the codes that were raised. Exit 0 when every expectation
      holds, 1 when some does not, 2 when the fixture header itself is wrong (an unknown
      code or family, a code both expected and absent, a misspelt directive).

What can go wrong: posture-check printing no or invalid JSON (reported as an unmet
expectation with the first bytes it printed); a fixture naming a code that does not exist
(which would make "absent" pass vacuously: rejected, exit 2).
"""
import json
import os
import re
import sys

FAMILIES = {"mx", "spf", "dkim", "dmarc", "mta-sts", "tls-rpt", "bimi"}
WORDS = {"ok", "weak", "broken", "none", "unknown", "temperror"}
KEYS = {"domain", "expect", "absent", "result", "clean", "rounds", "exit", "selector",
        "max-queries", "grade"}
GRADES = {"A", "B", "C", "D", "E", "F", "temperror"}
DIRECTIVE = re.compile(r"^\s*;\s*([a-z][a-z-]*)\s*:(.*)$")


class HeaderError(Exception):
    """The fixture's header comments are malformed."""


def zone_origin(path):
    """The zone origin from the file name: good.test.zone -> good.test."""
    base = os.path.basename(path)
    return base[:-len(".zone")] if base.endswith(".zone") else base


def known_codes(codes_h):
    """Every code name in lib/codes.h (X(NAME, FAMILY, SEVERITY) entries)."""
    with open(codes_h, encoding="utf-8") as f:
        return set(re.findall(r"X\(\s*([A-Z0-9_]+)\s*,", f.read()))


def parse_header(path, codes=None):
    """Read the directives of a zone file; codes (a set) validates code names."""
    spec = {"selector": [], "domain": [], "expect": [], "absent": [], "result": {},
            "clean": [],
            "rounds": None, "exit": 0, "directives": 0, "max-queries": None, "grade": None}
    with open(path, encoding="utf-8") as f:
        lines = f.read().splitlines()
    for num, line in enumerate(lines, 1):
        m = DIRECTIVE.match(line)
        if not m:
            continue
        key, words = m.group(1), m.group(2).split()
        where = "%s:%d" % (os.path.basename(path), num)
        if key not in KEYS:
            # A misspelt directive ("; absnt: MX_NONE") would silently test nothing.
            if words and codes and all(w in codes for w in words):
                raise HeaderError("%s: unknown directive '%s:'" % (where, key))
            continue
        spec["directives"] += 1
        if key == "domain":
            spec["domain"] += words
        elif key == "selector":
            spec["selector"] += words
        elif key in ("expect", "absent"):
            for w in words:
                if codes is not None and w not in codes:
                    raise HeaderError("%s: unknown code %s (not in lib/codes.h)" % (where, w))
            spec[key] += words
        elif key == "result":
            for w in words:
                fam, _, word = w.partition("=")
                if fam not in FAMILIES or word not in WORDS:
                    raise HeaderError("%s: bad result '%s' (family=word)" % (where, w))
                spec["result"][fam] = word
        elif key == "clean":
            for w in words:
                if w not in FAMILIES:
                    raise HeaderError("%s: unknown family '%s'" % (where, w))
            spec["clean"] += words
        elif key == "grade":
            if len(words) != 1 or words[0] not in GRADES:
                raise HeaderError("%s: grade needs one of %s" % (where, " ".join(sorted(GRADES))))
            spec["grade"] = words[0]
        elif key in ("rounds", "exit", "max-queries"):
            if len(words) != 1 or not words[0].isdigit():
                raise HeaderError("%s: %s needs one number" % (where, key))
            spec[key] = int(words[0])
    both = set(spec["expect"]) & set(spec["absent"])
    if both:
        raise HeaderError("%s: both expected and absent: %s"
                          % (os.path.basename(path), " ".join(sorted(both))))
    if not spec["domain"]:
        spec["domain"] = [zone_origin(path)]
    return spec


def a_label(name):
    """The name as posture-check should report it: lower-case A-labels, no final dot."""
    name = name.rstrip(".").lower()
    try:
        name.encode("ascii")
        return name
    except UnicodeEncodeError:
        try:
            return name.encode("idna").decode("ascii")
        except UnicodeError:
            return name


def check_one(zone, want, entry, spec, fails):
    """Check one domain's JSON object against the spec; append failure lines."""
    dom = want

    def fail(what):
        fails.append("%s: %s: %s" % (zone, dom, what))

    if not isinstance(entry, dict):
        fail("expected a JSON object, got %s" % type(entry).__name__)
        return
    got_dom = entry.get("domain")
    if got_dom != a_label(want):
        fail("expected domain field %r, got %r" % (a_label(want), got_dom))
    if "error" in entry:
        if spec["exit"] == 0 or spec["expect"] or spec["result"] or spec["clean"]:
            fail("expected an evaluation, got error %r" % entry["error"])
        return
    findings = entry.get("findings")
    checks = entry.get("checks")
    if not isinstance(findings, list) or not isinstance(checks, dict):
        fail("expected \"findings\" and \"checks\", got keys %s" % sorted(entry))
        return
    raised = [f.get("code") for f in findings if isinstance(f, dict)]
    for code in spec["expect"]:
        if code not in raised:
            fail("expected %s raised, got not raised" % code)
    for code in spec["absent"]:
        if code in raised:
            msg = next((f.get("message", "") for f in findings if f.get("code") == code), "")
            fail("expected %s absent, got raised (%s)" % (code, msg))
    for fam, word in sorted(spec["result"].items()):
        got = checks.get(fam, {}).get("result") if isinstance(checks.get(fam), dict) else None
        if got != word:
            fail("expected %s=%s, got %s" % (fam, word,
                                             got if got is not None else "(not reported)"))
    for fam in spec["clean"]:
        if fam not in checks:
            fail("expected %s clean, got family not reported" % fam)
        bad = ["%s(%s)" % (f.get("code"), f.get("severity")) for f in findings
               if isinstance(f, dict) and f.get("family") == fam
               and f.get("severity") in ("warn", "error")]
        if bad:
            fail("expected %s clean (no warn/error), got %s" % (fam, " ".join(bad)))
    if spec["grade"] is not None and entry.get("grade") != spec["grade"]:
        fail("expected grade %s, got %s" % (spec["grade"], entry.get("grade")))
    if spec["rounds"] is not None:
        got = entry.get("dns", {}).get("rounds") if isinstance(entry.get("dns"), dict) else None
        if got != spec["rounds"]:
            fail("expected dns.rounds=%d, got %s" % (spec["rounds"], got))
    if spec["max-queries"] is not None:
        got = entry.get("dns", {}).get("queries") if isinstance(entry.get("dns"), dict) else None
        if not isinstance(got, int) or got > spec["max-queries"]:
            fail("expected dns.queries <= %d, got %s" % (spec["max-queries"], got))


def check(zonefile, codes_h, rc, json_path):
    """Compare one posture-check run with the zone's expectations; exit status."""
    zone = zone_origin(zonefile)
    try:
        spec = parse_header(zonefile, known_codes(codes_h))
    except HeaderError as e:
        print("%s: fixture header: %s" % (zone, e))
        return 2
    fails = []
    if rc != spec["exit"]:
        fails.append("%s: %s: expected exit %d, got exit %d"
                     % (zone, " ".join(spec["domain"]), spec["exit"], rc))
    with open(json_path, encoding="utf-8", errors="replace") as f:
        text = f.read()
    data = None
    try:
        data = json.loads(text)
    except ValueError as e:
        if text.strip() or spec["exit"] == 0:
            fails.append("%s: %s: expected JSON, got %s (%s)"
                         % (zone, " ".join(spec["domain"]), repr(text[:80]), e))
    if data is not None:
        entries = data if isinstance(data, list) else [data]
        if len(entries) != len(spec["domain"]):
            fails.append("%s: expected %d JSON objects, got %d"
                         % (zone, len(spec["domain"]), len(entries)))
        for want, entry in zip(spec["domain"], entries):
            check_one(zone, want, entry, spec, fails)
    for line in fails:
        print(line)
    if fails and data is not None:
        for entry in (data if isinstance(data, list) else [data]):
            if isinstance(entry, dict):
                codes = " ".join("%s(%s)" % (f.get("code"), f.get("severity"))
                                 for f in entry.get("findings", []) if isinstance(f, dict))
                res = " ".join("%s=%s" % (k, v.get("result")) for k, v in
                               entry.get("checks", {}).items() if isinstance(v, dict))
                print("%s: %s: raised: %s; results: %s; dns: %s" % (
                    zone, entry.get("domain"), codes or "(none)", res or "(none)",
                    entry.get("dns")))
    return 1 if fails else 0


def main(argv):
    if len(argv) == 2 and argv[0] == "selectors":
        try:
            spec = parse_header(argv[1])
        except HeaderError as e:
            print("%s: fixture header: %s" % (zone_origin(argv[1]), e), file=sys.stderr)
            return 2
        for s in spec["selector"]:
            print(s)
        return 0
    if len(argv) == 2 and argv[0] == "domains":
        try:
            spec = parse_header(argv[1])
        except HeaderError as e:
            print("%s: fixture header: %s" % (zone_origin(argv[1]), e), file=sys.stderr)
            return 2
        for d in spec["domain"]:
            print(d)
        return 0
    if len(argv) == 8 and argv[0] == "check" and argv[1] == "--codes" \
            and argv[3] == "--exit" and argv[5] == "--json":
        return check(argv[7], argv[2], int(argv[4]), argv[6])
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
