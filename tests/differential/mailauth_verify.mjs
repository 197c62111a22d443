// mailauth_verify.mjs - verify one message with the npm package mailauth (an
// implementation independent of ours) and print its SPF, DKIM and DMARC verdicts as one
// JSON line, for tests/differential/mailauth.sh.
//
//   node mailauth_verify.mjs --modules DIR --resolver IP:PORT --client-ip IP
//        [--mail-from ADDR] [--helo NAME] [--arc] FILE
//
// DIR is the node_modules directory mailauth was installed into (npm install --prefix).
// Every DNS question goes to the one server given (our NSD on loopback), through a
// node:dns Resolver; mailauth's resolver contract is dns.promises.resolve's: an async
// (name, rrtype) returning the records, throwing errors with code ENOTFOUND / ENODATA
// for "no such name" / "no data" and other codes for failures (lib/tools.js getPublicKey,
// lib/spf/index.js limitedResolver). BIMI is turned off, and ARC unless --arc is given.
// Output: {"mailauth":"X.Y.Z","spf":{"result","domain","reason"},
//          "dkim":[{"result","domain","selector","algorithm","reason"}],
//          "dmarc":{"result","policy","reason"}}, with --arc also
//          "arc":{"result","i","reason"} (i: the newest instance, 0 without ARC fields,
//          null when mailauth names none); dkim is [] for an unsigned message
// (mailauth reports "none" then), dmarc.result is "none" with reason "no single From
// address" when mailauth skips DMARC (it returns false for several From addresses).
//
// What can go wrong: a bad argument or an unreadable file (exit 2, one line on stderr);
// mailauth throwing (exit 1, the message on stderr). A resolver that never answers is
// bounded by the Resolver's timeout and tries (2 s x 2 per question).

import { createRequire } from 'node:module';
import { readFileSync } from 'node:fs';
import { Resolver } from 'node:dns/promises';
import path from 'node:path';

// Print a usage error and exit 2.
function usage(msg) {
    process.stderr.write(`mailauth_verify.mjs: ${msg}\n`);
    process.exit(2);
}

// Parse argv into an options object.
function parseArgs(argv) {
    const opts = {};
    const names = { '--modules': 'modules', '--resolver': 'resolver', '--client-ip': 'ip', '--mail-from': 'mailFrom', '--helo': 'helo' };
    for (let i = 0; i < argv.length; i++) {
        const a = argv[i];
        if (a === '--arc') {
            opts.arc = true;
        } else if (names[a]) {
            if (i + 1 >= argv.length) {
                usage(`${a} needs a value`);
            }
            opts[names[a]] = argv[++i];
        } else if (a.startsWith('--')) {
            usage(`unknown option ${a}`);
        } else if (opts.file === undefined) {
            opts.file = a;
        } else {
            usage('more than one FILE');
        }
    }
    for (const need of ['modules', 'resolver', 'ip', 'file']) {
        if (!opts[need]) {
            usage(`missing ${need}`);
        }
    }
    return opts;
}

// The resolver function mailauth calls: only our server, answers as dns.promises.resolve.
function makeResolver(server) {
    const r = new Resolver({ timeout: 2000, tries: 2 });
    r.setServers([server]);
    return async (name, rrtype) => r.resolve(name, rrtype || 'A');
}

// The text of a status comment, or null.
function reasonOf(status) {
    if (!status) {
        return null;
    }
    const parts = [];
    if (typeof status.comment === 'string' && status.comment) {
        parts.push(status.comment);
    }
    if (status.policy && typeof status.policy === 'object') {
        for (const [k, v] of Object.entries(status.policy)) {
            parts.push(`${k}=${v}`);
        }
    }
    return parts.length ? parts.join('; ') : null;
}

const opts = parseArgs(process.argv.slice(2));
// mailauth prints debugging lines with console.log (l= mismatches): keep stdout one line.
console.log = (...args) => process.stderr.write(`mailauth: ${args.join(' ')}\n`);
const require = createRequire(path.join(path.resolve(opts.modules), 'noop.js'));
const { authenticate } = require('mailauth');
const version = require('mailauth/package.json').version;

let raw;
try {
    raw = readFileSync(opts.file, 'latin1');
} catch (err) {
    usage(`cannot read ${opts.file}: ${err.message}`);
}
// A leading mbox "From " line is not part of the message (posture-check skips it too);
// line ends become CRLF as on the wire (RFC 5322 2.1).
raw = raw.replace(/^From [^\n]*\n/, '').replace(/\r?\n/g, '\r\n');

let mailFrom = opts.mailFrom;
if (mailFrom !== undefined) {
    mailFrom = mailFrom.replace(/^<(.*)>$/, '$1');
}

try {
    const res = await authenticate(Buffer.from(raw, 'latin1'), {
        ip: opts.ip,
        helo: opts.helo,
        // The null sender: no address; mailauth then checks postmaster@HELO (RFC 7208 2.3).
        sender: mailFrom ? mailFrom : undefined,
        mta: 'mailauth.invalid',
        resolver: makeResolver(opts.resolver),
        disableArc: !opts.arc,
        disableBimi: true
    });
    const dkim = (res.dkim?.results || [])
        .filter(r => r.status?.result !== 'none' || r.signingDomain)
        .map(r => ({
            result: r.status.result,
            domain: r.signingDomain || null,
            selector: r.selector || null,
            algorithm: r.algo || null,
            reason: reasonOf(r.status)
        }));
    const spf = res.spf
        ? { result: res.spf.status.result, domain: res.spf.domain || null, reason: reasonOf(res.spf.status) }
        : { result: 'none', domain: null, reason: 'not checked' };
    let dmarc;
    if (res.dmarc) {
        dmarc = {
            result: res.dmarc.status.result,
            policy: res.dmarc.policy || null,
            reason: reasonOf(res.dmarc.status) || res.dmarc.error || null
        };
    } else {
        dmarc = { result: 'none', policy: null, reason: 'no single From address' };
    }
    const out = { mailauth: version, spf, dkim, dmarc };
    if (opts.arc) {
        out.arc = res.arc
            ? { result: res.arc.status.result, i: typeof res.arc.i === 'number' ? res.arc.i : null, reason: reasonOf(res.arc.status) }
            : { result: 'none', i: 0, reason: 'not checked' };
    }
    process.stdout.write(JSON.stringify(out) + '\n');
} catch (err) {
    process.stderr.write(`mailauth_verify.mjs: mailauth failed: ${err && err.stack ? err.stack.split('\n')[0] : err}\n`);
    process.exit(1);
}
