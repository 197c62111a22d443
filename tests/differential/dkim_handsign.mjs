// dkim_handsign.mjs - a minimal DKIM signer (rsa-sha256, relaxed/relaxed) whose h= is
// taken exactly as given, for the differential cases the test signer cannot make: a
// field named in h= that the message lacks (RFC 6376 5.4: signs its absence) and a field
// named more often than it occurs (oversigning, 5.4.2). Used by mailauth.sh only.
//
//   node dkim_handsign.mjs KEY.pem DOMAIN SELECTOR H-LIST FILE [EXTRA-TAGS]
//   (H-LIST: from:subject; EXTRA-TAGS: tags put before h=, e.g. "i=@sub.example;")
//
// Prints the message (LF line ends, as read) with the DKIM-Signature on top.
// Canonicalization follows RFC 6376 3.4.2 (header) and 3.4.4 (body); header instances
// are taken from the bottom up, one per name in h=, none once a name runs out (5.4.2).
// What can go wrong: a bad key or file (exit 1, one line on stderr). It signs test
// messages only: no folding of long values, no l=, no other algorithms.

import { readFileSync } from 'node:fs';
import { createHash, createPrivateKey, sign } from 'node:crypto';

// Relaxed header canonicalization of one field (RFC 6376 3.4.2), without CRLF.
function relaxedHeader(field) {
    const colon = field.indexOf(':');
    const name = field.slice(0, colon).trim().toLowerCase();
    const value = field
        .slice(colon + 1)
        .replace(/\r?\n/g, '')
        .replace(/[ \t]+/g, ' ')
        .trim();
    return `${name}:${value}`;
}

// Relaxed body canonicalization (RFC 6376 3.4.4) of LF- or CRLF-separated lines.
function relaxedBody(body) {
    const lines = body.split(/\r?\n/).map(l => l.replace(/[ \t]+/g, ' ').replace(/ $/, ''));
    while (lines.length && lines[lines.length - 1] === '') {
        lines.pop();
    }
    return lines.length ? lines.join('\r\n') + '\r\n' : '';
}

// Split a header block into fields (continuation lines joined with their line ends).
function fields(head) {
    const out = [];
    for (const line of head.split(/(?<=\n)/)) {
        if (/^[ \t]/.test(line) && out.length) {
            out[out.length - 1] += line;
        } else {
            out.push(line);
        }
    }
    return out.map(f => f.replace(/\r?\n$/, ''));
}

const [keyFile, domain, selector, hlist, file, extra] = process.argv.slice(2);
if (!file) {
    process.stderr.write('usage: dkim_handsign.mjs KEY.pem DOMAIN SELECTOR H-LIST FILE [EXTRA-TAGS]\n');
    process.exit(1);
}
try {
    const key = createPrivateKey(readFileSync(keyFile));
    const msg = readFileSync(file, 'latin1');
    const split = msg.search(/\r?\n\r?\n/);
    const head = msg.slice(0, split) + "\n";
    const body = msg.slice(split).replace(/^\r?\n\r?\n/, '');
    const all = fields(head);
    const used = new Set();
    const names = hlist.split(':');
    let canon = '';
    for (const n of names) {
        for (let i = all.length - 1; i >= 0; i--) {
            if (!used.has(i) && all[i].slice(0, all[i].indexOf(':')).trim().toLowerCase() === n.toLowerCase()) {
                used.add(i);
                canon += relaxedHeader(all[i]) + '\r\n';
                break;
            }
        }
    }
    const bh = createHash('sha256').update(relaxedBody(body), 'latin1').digest('base64');
    const t = Math.floor(Date.now() / 1000);
    const sigField = `DKIM-Signature: v=1; a=rsa-sha256; c=relaxed/relaxed; d=${domain}; s=${selector}; t=${t}; ${extra ? `${extra} ` : ''}h=${names.join(':')}; bh=${bh}; b=`;
    canon += relaxedHeader(sigField);
    const b = sign('sha256', Buffer.from(canon, 'latin1'), key).toString('base64');
    process.stdout.write(`${sigField}${b}\n${msg}`);
} catch (err) {
    process.stderr.write(`dkim_handsign.mjs: ${err.message}\n`);
    process.exit(1);
}
