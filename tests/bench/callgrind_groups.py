#!/usr/bin/env python3
"""callgrind_groups.py - a callgrind dump's instructions grouped by library.

  callgrind_groups.py [-n MESSAGES] [-t TOP] [-p PROGRAM] DUMP

Used by tests/bench/profile_milter.sh (a measurement, not a test). Reads a callgrind
output file (events: Ir; positions: line) and sorts every object file into a group:
libmilter, libopendkim, OpenSSL (libcrypto, libssl), ours (the program binary, -p, by
default the "cmd:" line's first word, and any object under the build tree), libc (libc,
libm, ld.so, the vDSO) and other (every other library: libresolv, liblmdb, hiredis ...;
"???" are PLT stubs and code valgrind could not name).

Prints, per message (the counts divided by MESSAGES, default 1):
- per group: self Ir (instructions executed in the group's own code), the libc and
  other-group Ir of the calls the group makes directly into libc (so malloc, memcpy,
  locks and system call wrappers count for whoever called them), and their sum, with its
  share of the total; the remainder is libc reached from libc itself (thread start-up),
  negative when libc calls back into a group (pthread_once, qsort) whose self Ir then
  count twice;
- the inclusive Ir of the calls from each group into each other non-libc group (libmilter
  -> ours is our callbacks; ours -> libopendkim is DKIM verification ...);
- the TOP (default 8) functions of each group by inclusive Ir (self plus every call it
  makes, recursion left out).

What can go wrong: a dump with other events or positions than Ir/line (the first event
is used, extra position columns are skipped); names compressed before their definition
(a truncated dump: exit 1).
"""
import argparse
import collections
import os
import re
import sys

GROUPS = ["libmilter", "libopendkim", "OpenSSL", "ours", "libc", "other"]


def group_of(obj, program, build_dir):
    """The group of object file OBJ."""
    base = os.path.basename(obj)
    if obj == "???":
        return "???"
    if obj == program or (build_dir and obj.startswith(build_dir + "/")):
        return "ours"
    if base.startswith("libmilter."):
        return "libmilter"
    if base.startswith("libopendkim."):
        return "libopendkim"
    if base.startswith(("libcrypto.", "libssl.")):
        return "OpenSSL"
    if base.startswith(("libc.", "libm.", "ld-linux", "libpthread.")) or "vdso" in base:
        return "libc"
    return "other"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("-n", type=int, default=1)
    ap.add_argument("-t", type=int, default=8)
    ap.add_argument("-p", default="")
    ap.add_argument("dump")
    a = ap.parse_args()

    names = {"ob": {}, "fn": {}, "fl": {}}
    kinds = {"ob": "ob", "cob": "ob", "fn": "fn", "cfn": "fn", "fl": "fl", "fi": "fl",
             "fe": "fl", "cfi": "fl", "cfl": "fl"}
    comp = re.compile(r"^\((\d+)\)(?: (.*))?$")
    program = a.p
    self_ir = collections.Counter()		# (obj, fn) -> Ir
    call_ir = collections.Counter()		# (obj, fn, cobj, cfn) -> inclusive Ir
    total = 0
    ob = fn = None
    cob = cfn = None
    pending_call = False
    with open(a.dump, errors="replace") as f:
        for line in f:
            line = line.rstrip("\n")
            if not line or line[0] == "#":
                continue
            c0 = line[0]
            if c0.isdigit() or c0 in "+-*":
                parts = line.split()
                ir = int(parts[1]) if len(parts) > 1 else 0
                if pending_call:
                    call_ir[(ob, fn, cob if cob is not None else ob, cfn)] += ir
                    pending_call = False
                    cob = cfn = None
                else:
                    self_ir[(ob, fn)] += ir
                continue
            key, sep, val = line.partition("=")
            if not sep:
                if key.startswith(("summary:", "totals:")):
                    total = int(key.split(":")[1].split()[0])
                elif key.startswith("cmd:") and not program:
                    program = key[4:].split()[0]
                continue
            if key == "calls":
                pending_call = True
                continue
            if key not in kinds:
                if key.startswith("summary") or key.startswith("totals"):
                    pass
                continue
            table = names[kinds[key]]
            m = comp.match(val)
            if m:
                if m.group(2) is not None:
                    table[m.group(1)] = m.group(2)
                elif m.group(1) not in table:
                    sys.exit("callgrind_groups.py: %s: name (%s) used before defined"
                             % (a.dump, m.group(1)))
                val = table[m.group(1)]
            if key == "ob":
                ob = val
            elif key == "fn":
                fn = val
            elif key == "cob":
                cob = val
            elif key == "cfn":
                cfn = val
    if not total:
        total = sum(self_ir.values())
    build_dir = os.path.dirname(program) if program else ""
    grp = {}

    def g(obj):
        if obj not in grp:
            grp[obj] = group_of(obj or "???", program, build_dir)
        return grp[obj]

    # Code valgrind placed in no object (stubs, trampolines) belongs to the group that
    # calls it most: it sits inside that group's call chains (d2i_PUBKEY_ex -> ??? ->
    # d2i_X509_PUBKEY in OpenSSL).
    unplaced = {}
    for _ in range(3):
        best = {}
        for (o, fname, co, cf), ir in call_ir.items():
            if g(co) != "???":
                continue
            src = unplaced.get(fname, "???") if g(o) == "???" else g(o)
            if src != "???" and ir > best.get(cf, ("", -1))[1]:
                best[cf] = (src, ir)
        unplaced.update({k: v[0] for k, v in best.items()})

    def gf(o, fname):
        return unplaced.get(fname, "other") if g(o) == "???" else g(o)

    n = max(a.n, 1)
    gself = collections.Counter()
    glibc = collections.Counter()
    gcalls = collections.Counter()
    fincl = collections.Counter()
    for (o, fname), ir in self_ir.items():
        gself[gf(o, fname)] += ir
        fincl[(o, fname)] += ir
    for (o, fname, co, cf), ir in call_ir.items():
        if (co, cf) != (o, fname):
            fincl[(o, fname)] += ir
        src, dst = gf(o, fname), gf(co, cf)
        if src == dst:
            continue
        if dst == "libc" and src != "libc":
            glibc[src] += ir
        elif dst != "libc":
            gcalls[(src, dst)] += ir
    print("# Ir per message by group: self, + libc called directly, = own (share of %.0f)"
          % (total / n))
    print("%-12s %12s %12s %12s %7s" % ("group", "self", "+libc", "own", "share"))
    own_sum = 0
    for name in GROUPS:
        own = gself[name] + glibc[name] if name != "libc" else 0
        own_sum += own
        if name == "libc":
            continue
        print("%-12s %12.0f %12.0f %12.0f %6.1f%%" % (name, gself[name] / n, glibc[name] / n,
              own / n, 100.0 * own / total if total else 0))
    rest = total - own_sum
    print("%-12s %12s %12s %12.0f %6.1f%%" % ("libc (rest)", "", "", rest / n,
          100.0 * rest / total if total else 0))
    print()
    print("# inclusive Ir per message of calls from one group into another (not libc)")
    for (src, dst), ir in sorted(gcalls.items(), key=lambda kv: -kv[1]):
        if ir / n >= 1:
            print("%-12s -> %-12s %12.0f" % (src, dst, ir / n))
    print()
    print("# top %d functions by inclusive Ir per message, by group" % a.t)
    byg = collections.defaultdict(list)
    for (o, fname), ir in fincl.items():
        byg[gf(o, fname)].append((ir, fname))
    for name in GROUPS:
        rows = sorted(byg.get(name, []), reverse=True)[:a.t]
        if not rows:
            continue
        print("## %s" % name)
        for ir, fname in rows:
            print("%12.0f %6.1f%%  %s" % (ir / n, 100.0 * ir / total if total else 0, fname))
    return 0


if __name__ == "__main__":
    sys.exit(main())
