#!/usr/bin/env python3
"""arc_chains.py - ARC chains made at test time with dkimpy (Debian python3-dkim).

    arc_chains.py OUTDIR

Writes into OUTDIR (which must exist):
  keys.txt        one line per key: "<selector>._domainkey.<domain> <TXT record>"
  NAME.eml        one message per case (CRLF line ends), see CASES below
  manifest.txt    one line per case: "NAME DKIMPY-VERDICT", dkimpy's own arc_verify()
                  of the message against the same keys (a second opinion the C test
                  prints next to ours)

Keys are RSA 2048 made by the openssl command line (dkimpy signs with them). The
cases: one hop; two hops; body changed after the seal; a seal tampered with; an
instance gap (i=2 renamed i=3); two hops with subject and body changed between them
(the newest AMS verifies, the oldest does not: header.oldest-pass=2); 51 instances (the 50th set copied as i=51); a
duplicated i= (a second AMS i=1); a missing AAR (i=2's removed); 50 hops (the maximum,
valid); a mailing list (original DKIM signature by example.com, then subject and body
changed, sealed by list.example whose AAR recorded dmarc=pass).

What can go wrong: openssl or dkimpy missing (exit 3 with a one-line reason on stderr),
dkimpy refusing to sign (an exception: the test then fails, loudly).
"""
import base64
import os
import subprocess
import sys

try:
    import dkim
except ImportError:
    sys.stderr.write("arc_chains.py: python3-dkim (dkimpy) is not installed\n")
    sys.exit(3)

KEYS = {}  # "<s>._domainkey.<d>" -> TXT record
PRIV = {}  # domain -> PEM


def keygen(domain, selector=b"s1"):
    """An RSA 2048 key for domain (PKCS#1 PEM for dkimpy) and its DNS record."""
    pem = subprocess.run(["openssl", "genrsa", "-traditional", "2048"],
                         check=True, capture_output=True).stdout
    der = subprocess.run(["openssl", "rsa", "-pubout", "-outform", "DER"], input=pem,
                         check=True, capture_output=True).stdout
    name = selector.decode() + "._domainkey." + domain.decode()
    KEYS[name] = "v=DKIM1; k=rsa; p=" + base64.b64encode(der).decode()
    PRIV[domain] = pem


def dnsfunc(name, timeout=5):
    """dkimpy's key lookup from our table."""
    n = name.decode() if isinstance(name, bytes) else name
    rec = KEYS.get(n.rstrip("."))
    return rec.encode() if rec else None


BASE = (b"From: Alice <alice@example.com>\r\n"
        b"To: list@list.example\r\n"
        b"Subject: hello\r\n"
        b"Date: Mon, 07 Dec 2026 10:00:00 +0000\r\n"
        b"Message-ID: <arc-test@example.com>\r\n"
        b"\r\n"
        b"Hello there.\r\n"
        b"  A line with  spaces.  \r\n"
        b"\r\n")


def seal(msg, domain, results, cv=None, srv_id=None):
    """One hop: the hop's Authentication-Results, then its ARC set on top."""
    srv_id = srv_id or domain  # dkimpy merges every AR of srv_id: one per hop
    ar = b"Authentication-Results: " + srv_id + b"; " + results
    if cv is not None:
        ar += b"; arc=" + cv
    msg = ar + b"\r\n" + msg
    hdrs = dkim.arc_sign(msg, b"s1", domain, PRIV[domain], srv_id,
                         include_headers=[b"from", b"to", b"subject", b"date", b"message-id"],
                         timestamp=1765000000)
    if not hdrs:
        raise SystemExit("arc_chains.py: dkimpy made no ARC set for " + domain.decode())
    return b"".join(hdrs) + msg


def hop1(msg=BASE):
    return seal(msg, b"relay.example",
                b"spf=pass smtp.mailfrom=alice@example.com; dmarc=pass header.from=example.com")


def hop2(msg):
    return seal(msg, b"list.example", b"spf=pass smtp.mailfrom=relay.example", cv=b"pass")


def drop_line(msg, prefix):
    """Remove the first field starting with prefix (with its folded lines)."""
    lines = msg.split(b"\r\n")
    out, skipping, done = [], False, False
    for ln in lines:
        if not done and ln.startswith(prefix):
            skipping, done = True, True
            continue
        if skipping and ln[:1] in (b" ", b"\t"):
            continue
        skipping = False
        out.append(ln)
    return b"\r\n".join(out)


def field(msg, prefix):
    """The first field starting with prefix, folded lines and CRLF included."""
    lines = msg.split(b"\r\n")
    for i, ln in enumerate(lines):
        if ln.startswith(prefix):
            j = i + 1
            while j < len(lines) and lines[j][:1] in (b" ", b"\t"):
                j += 1
            return b"\r\n".join(lines[i:j]) + b"\r\n"
    raise SystemExit("arc_chains.py: no field " + prefix.decode())


def main():
    if len(sys.argv) != 2 or not os.path.isdir(sys.argv[1]):
        sys.stderr.write("usage: arc_chains.py OUTDIR\n")
        sys.exit(2)
    out = sys.argv[1]
    for d in (b"relay.example", b"list.example", b"example.com"):
        keygen(d)
    cases = {}
    one = hop1()
    two = hop2(one)
    cases["one_hop"] = one
    cases["two_hops"] = two
    cases["body_changed"] = one.replace(b"Hello there.", b"Hello there!")
    cases["changed_between"] = hop2(one.replace(b"Subject: hello", b"Subject: [list] hello")
                                    .replace(b"Hello there.", b"Hello there.\r\n-- \r\nlist footer"))
    s1 = field(two, b"ARC-Seal: i=1")
    pos = s1.index(b" b=") + 10
    bad = s1[:pos] + (b"A" if s1[pos:pos + 1] != b"A" else b"B") + s1[pos + 1:]
    cases["tampered_seal"] = two.replace(s1, bad)
    gap = two
    for p in (b"ARC-Seal: i=2", b"ARC-Message-Signature: i=2",
              b"ARC-Authentication-Results: i=2"):
        f = field(gap, p)
        gap = gap.replace(f, f.replace(b"i=2", b"i=3", 1))
    cases["instance_gap"] = gap
    dup = field(one, b"ARC-Message-Signature: i=1")
    cases["duplicate_instance"] = dup.replace(b"s=s1", b"s=s2") + one
    cases["missing_aar"] = drop_line(two, b"ARC-Authentication-Results: i=2")
    fifty = BASE
    for i in range(50):
        fifty = (hop1 if i == 0 else hop2)(fifty) if i < 2 else seal(
            fifty, b"list.example", b"spf=pass smtp.mailfrom=relay.example", cv=b"pass",
            srv_id=b"hop%d.list.example" % (i + 1))
    cases["fifty_hops"] = fifty
    extra = b""
    for p in (b"ARC-Seal: i=50", b"ARC-Message-Signature: i=50",
              b"ARC-Authentication-Results: i=50"):
        extra += field(fifty, p).replace(b"i=50", b"i=51", 1)
    cases["fifty_one"] = extra + fifty
    signed = dkim.sign(BASE, b"s1", b"example.com", PRIV[b"example.com"],
                       include_headers=[b"from", b"to", b"subject", b"date"]) + BASE
    changed = signed.replace(b"Subject: hello", b"Subject: [list] hello").replace(
        b"Hello there.", b"Hello there.\r\n-- \r\nlist footer")
    cases["mailing_list"] = seal(
        changed, b"list.example",
        b"dkim=pass header.d=example.com header.s=s1; "
        b"spf=fail smtp.mailfrom=alice@example.com; dmarc=pass header.from=example.com")
    with open(os.path.join(out, "keys.txt"), "w") as f:
        for name, rec in sorted(KEYS.items()):
            f.write(name + " " + rec + "\n")
    with open(os.path.join(out, "manifest.txt"), "w") as man:
        for name, msg in cases.items():
            with open(os.path.join(out, name + ".eml"), "wb") as f:
                f.write(msg)
            try:
                cv, _, _ = dkim.arc_verify(msg, dnsfunc=dnsfunc)
                verdict = cv.decode()
            except Exception as e:  # dkimpy raises on some broken chains
                verdict = "error:" + type(e).__name__
            man.write(name + " " + verdict + "\n")


if __name__ == "__main__":
    main()
