# shellcheck shell=bash
# https.sh - a private nginx on loopback serving the HTTPS fixtures (MTA-STS policies).
#
# A bash library: source it, then
#   https_find_binary     set NGINX_BIN from $NGINX, PATH or /usr/sbin; 1 if absent
#   https_start HOSTDIR   make a test CA and one certificate per host (openssl), write an
#                         nginx.conf in a temp dir, start nginx (daemon off, in the
#                         background) on a free high port of 127.0.0.1, wait until it
#                         accepts TLS connections (bounded, ~10 s); on ::1 as well when
#                         this host has IPv6 on loopback. Sets HTTPS_PORT, HTTPS_DIR,
#                         HTTPS_CA (the CA certificate file), HTTPS_PID, HTTPS_V6 (1/0).
#                         Stops nginx at exit: through nsd.sh's nsd_at_exit when that
#                         library is loaded (its EXIT trap runs ours), else its own trap.
#   https_stop            stop nginx and remove the temp dir (safe to call twice)
# or run it: `bash https.sh run CMD ARGS...` starts nginx on tests/fixtures/https, runs
# CMD with HTTPS_PORT, HTTPS_CA, HTTPS_DIR and HTTPS_V6 exported, stops nginx and exits with
# CMD's status (77 when nginx or openssl is missing and CI is not set).
#
# Fixture layout: HOSTDIR/<host>/ per virtual host (its name is the server_name and
# the certificate's subject alternative name), holding
#   policy.txt    served at /.well-known/mta-sts.txt as text/plain (absent: 404)
#   server.conf   optional nginx directives for the server block, replacing that
#                 default location; @SHARED@ is replaced by a directory of generated
#                 files: big-policy.txt (a valid policy padded to 100 KiB, larger than
#                 the 64 KiB limit) and slow-policy.txt (a valid policy of 2 KiB)
#   cert-name     optional: the name the certificate is issued for instead of <host>
#   *.svg *.svgz *.pem  copied into the host's document root (BIMI logos, evidence);
#                 a server.conf serves them (location / { try_files $uri =404; })
#   evidence      optional (BIMI): "key: value" lines describing a mark certificate
#                 made at test time (openssl) into the document root as vmc.pem:
#                 domain: NAME (its DNS SAN), logo: FILE (the SVG of this directory
#                 it embeds in the RFC 3709 logotype extension, gzip'd data: URL),
#                 eku: bimi|serverAuth, dates: valid|expired, signer: ca|self.
#                 The issuing test mark-certificate CA is made once per start:
#                 HTTPS_MARK_CA (its PEM file, for --bimi-trust-anchors), "" when no
#                 host has an evidence file.
# Any other name (no SNI match) gets a default server whose certificate names
# "default.invalid" and which answers 421.
#
# Nothing runs with privileges it does not need: the configuration keeps every file
# (pid, logs, temp paths, keys) in the temp dir; as root the workers keep root's user
# (they must read the 0700 temp dir), as another user nginx runs as that user.
#
# What can go wrong, and what it then does: nginx or openssl missing (https_find_binary
# or https_start returns 1 naming it); a bad server.conf (nginx -t output, return 1);
# the port taken between the probe and nginx's bind (retried on another port, 3
# times); nginx not accepting connections within the bound (the tail of its error log,
# return 1).

HTTPS_PORT=""
HTTPS_DIR=""
HTTPS_CA=""
HTTPS_MARK_CA=""
HTTPS_PID=""
HTTPS_V6=0

# Print a message on stderr, prefixed so it stands out in test logs.
_https_say() {
	printf 'https.sh: %s\n' "$*" >&2
}

# Locate nginx; $NGINX wins when set.
https_find_binary() {
	NGINX_BIN="${NGINX:-}"
	if [ -z "$NGINX_BIN" ]; then
		NGINX_BIN="$(PATH="$PATH:/usr/sbin:/usr/local/sbin" command -v nginx || true)"
	fi
	[ -n "$NGINX_BIN" ] && [ -x "$NGINX_BIN" ] && command -v openssl >/dev/null
}

# A TCP port free on 127.0.0.1, below Linux's ephemeral range.
_https_free_port() {
	python3 - <<'PYEOF'
import random, socket
for _ in range(200):
    port = random.randrange(32000, 32700)
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        s.bind(("127.0.0.1", port))
    except OSError:
        continue
    finally:
        s.close()
    print(port)
    break
PYEOF
}

# Make the CA and a key and certificate for name $2 into $HTTPS_DIR/certs/$1.{key,pem}.
_https_cert() {
	local file="$1" name="$2" d="$HTTPS_DIR/certs"
	openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
		-keyout "$d/$file.key" -out "$d/$file.csr" -subj "/CN=$name" 2>/dev/null &&
	printf 'subjectAltName=DNS:%s\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n' \
		"$name" >"$d/$file.ext" &&
	openssl x509 -req -in "$d/$file.csr" -CA "$d/ca.pem" -CAkey "$d/ca.key" \
		-CAcreateserial -days 2 -sha256 -extfile "$d/$file.ext" \
		-out "$d/$file.pem" 2>/dev/null
}

# Generated bodies shared by the hosts: a too large and a slow-served policy.
_https_shared_files() {
	local d="$HTTPS_DIR/shared" i
	mkdir -p "$d"
	{
		printf 'version: STSv1\r\nmode: enforce\r\nmx: *.test\r\nmax_age: 604800\r\n'
		for i in $(seq 1 1600); do
			printf 'x_pad%04d: %s\r\n' "$i" "padding-padding-padding-padding-padding-padding-pad"
		done
	} >"$d/big-policy.txt"
	{
		printf 'version: STSv1\r\nmode: enforce\r\nmx: *.test\r\nmax_age: 604800\r\n'
		for i in $(seq 1 30); do
			printf 'x_pad%04d: %s\r\n' "$i" "padding-padding-padding-padding-padding-padding-pad"
		done
	} >"$d/slow-policy.txt"
}

# The test mark-certificate CA and an "openssl ca" configuration for it (BIMI).
_https_mark_ca() {
	local d="$HTTPS_DIR/mark"
	[ -n "$HTTPS_MARK_CA" ] && return 0
	mkdir -p "$d/new" && : >"$d/index.txt" && echo 1000 >"$d/serial" || return 1
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
		-keyout "$d/ca.key" -out "$d/ca.pem" -days 30 \
		-subj "/CN=posture-milter test mark CA" \
		-addext "basicConstraints=critical,CA:TRUE" \
		-addext "keyUsage=critical,keyCertSign,cRLSign" 2>"$d/openssl.err" || return 1
	cat >"$d/ca.cnf" <<EOF
[ ca ]
default_ca = mark
[ mark ]
dir = $d
database = $d/index.txt
new_certs_dir = $d/new
certificate = $d/ca.pem
private_key = $d/ca.key
serial = $d/serial
default_md = sha256
policy = anything
unique_subject = no
copy_extensions = none
email_in_dn = no
[ anything ]
commonName = supplied
EOF
	HTTPS_MARK_CA="$d/ca.pem"
}

# The hex DER of an RFC 3709 logotype extension embedding SVG file $1 as issuers do:
# subjectLogo [2] direct [0] image LogotypeDetails { "image/svg+xml", SHA-256, a
# data:image/svg+xml;base64 URL of the gzip'd file }.
_https_logotype_hex() {
	python3 - "$1" <<'EOF'
import base64, gzip, hashlib, sys
svg = open(sys.argv[1], "rb").read()
gz = gzip.compress(svg, mtime=0)
def tlv(tag, body):
    n = len(body)
    if n < 128:
        head = bytes([n])
    else:
        b = n.to_bytes((n.bit_length() + 7) // 8, "big")
        head = bytes([0x80 | len(b)]) + b
    return bytes([tag]) + head + body
alg = tlv(0x30, bytes.fromhex("0609608648016503040201") + b"\x05\x00")
hashes = tlv(0x30, tlv(0x30, alg + tlv(0x04, hashlib.sha256(gz).digest())))
uris = tlv(0x30, tlv(0x16, b"data:image/svg+xml;base64," + base64.b64encode(gz)))
details = tlv(0x30, tlv(0x16, b"image/svg+xml") + hashes + uris)
ext = tlv(0x30, tlv(0xA2, tlv(0xA0, tlv(0x30, tlv(0x30, details)))))
print(ext.hex())
EOF
}

# Make vmc.pem for host $1 from the evidence file of its fixture directory $2.
_https_evidence() {
	local host="$1" dir="$2" d="$HTTPS_DIR/mark" domain logo eku dates signer hex from to
	domain="$(sed -n 's/^domain:[[:space:]]*//p' "$dir/evidence")"
	logo="$(sed -n 's/^logo:[[:space:]]*//p' "$dir/evidence")"
	eku="$(sed -n 's/^eku:[[:space:]]*//p' "$dir/evidence")"
	dates="$(sed -n 's/^dates:[[:space:]]*//p' "$dir/evidence")"
	signer="$(sed -n 's/^signer:[[:space:]]*//p' "$dir/evidence")"
	[ "$eku" = serverAuth ] || eku=1.3.6.1.5.5.7.3.31
	_https_mark_ca || return 1
	hex="$(_https_logotype_hex "$dir/${logo:-logo.svg}")" || return 1
	printf 'basicConstraints=CA:FALSE\nsubjectAltName=DNS:%s\nextendedKeyUsage=%s\n1.3.6.1.5.5.7.1.12=DER:%s\n' \
		"$domain" "$eku" "$hex" >"$d/$host.ext"
	openssl ecparam -name prime256v1 -genkey -noout -out "$d/$host.key" 2>>"$d/openssl.err" || return 1
	if [ "$signer" = self ]; then
		printf '[ req ]\ndistinguished_name = dn\nx509_extensions = ext\nprompt = no\n[ dn ]\nCN = %s\n[ ext ]\n' \
			"$domain" >"$d/$host.req.cnf"
		cat "$d/$host.ext" >>"$d/$host.req.cnf"
		openssl req -x509 -new -key "$d/$host.key" -config "$d/$host.req.cnf" -days 30 \
			-sha256 -out "$HTTPS_DIR/www/$host/vmc.pem" 2>>"$d/openssl.err"
		return
	fi
	if [ "$dates" = expired ]; then
		from="$(date -u -d '-30 days' +%Y%m%d%H%M%SZ)"
		to="$(date -u -d '-1 day' +%Y%m%d%H%M%SZ)"
	else
		from="$(date -u -d '-1 day' +%Y%m%d%H%M%SZ)"
		to="$(date -u -d '+30 days' +%Y%m%d%H%M%SZ)"
	fi
	openssl req -new -key "$d/$host.key" -subj "/CN=$domain" -out "$d/$host.csr" \
		2>>"$d/openssl.err" &&
	openssl ca -batch -notext -config "$d/ca.cnf" -in "$d/$host.csr" \
		-out "$HTTPS_DIR/www/$host/vmc.pem" -startdate "$from" -enddate "$to" \
		-extfile "$d/$host.ext" 2>>"$d/openssl.err" >/dev/null
}

# Write $HTTPS_DIR/nginx.conf for port $1 and the hosts under $2.
_https_write_conf() {
	local port="$1" hostdir="$2" h host name
	{
		if [ "$(id -u)" = 0 ]; then
			echo "user root root;"
		fi
		echo "daemon off;"
		echo "worker_processes 1;"
		echo "pid $HTTPS_DIR/nginx.pid;"
		echo "error_log $HTTPS_DIR/error.log info;"
		echo "events { worker_connections 128; }"
		echo "http {"
		echo "	access_log $HTTPS_DIR/access.log;"
		for t in client_body proxy fastcgi uwsgi scgi; do
			echo "	${t}_temp_path $HTTPS_DIR/tmp/$t;"
		done
		echo "	types { }"
		echo "	default_type text/plain;"
		echo "	server_tokens off;"
		echo "	ssl_protocols TLSv1.2 TLSv1.3;"
		echo "	server {"
		echo "		listen 127.0.0.1:$port ssl default_server;"
		if [ "$HTTPS_V6" = 1 ]; then
			echo "		listen [::1]:$port ssl default_server;"
		fi
		echo "		server_name _;"
		echo "		ssl_certificate $HTTPS_DIR/certs/default.pem;"
		echo "		ssl_certificate_key $HTTPS_DIR/certs/default.key;"
		echo "		return 421;"
		echo "	}"
		for h in "$hostdir"/*/; do
			host="$(basename "$h")"
			echo "	server {"
			echo "		listen 127.0.0.1:$port ssl;"
			if [ "$HTTPS_V6" = 1 ]; then
				echo "		listen [::1]:$port ssl;"
			fi
			echo "		server_name $host;"
			echo "		ssl_certificate $HTTPS_DIR/certs/$host.pem;"
			echo "		ssl_certificate_key $HTTPS_DIR/certs/$host.key;"
			echo "		root $HTTPS_DIR/www/$host;"
			if [ -f "$h/server.conf" ]; then
				sed "s|@SHARED@|$HTTPS_DIR/shared|g; s/^/		/" "$h/server.conf"
			else
				echo "		location = /.well-known/mta-sts.txt { try_files /policy.txt =404; }"
				echo "		location / { return 404; }"
			fi
			echo "	}"
		done
		echo "}"
	} >"$HTTPS_DIR/nginx.conf"
}

# Whether nginx accepts a TCP connection on 127.0.0.1:$1.
_https_ready() {
	python3 -c '
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=1)
s.close()
' "$1" 2>/dev/null
}

# Stop nginx and remove the temp dir.
https_stop() {
	if [ -n "$HTTPS_PID" ]; then
		kill "$HTTPS_PID" 2>/dev/null
		wait "$HTTPS_PID" 2>/dev/null
		HTTPS_PID=""
	fi
	if [ -n "$HTTPS_DIR" ] && [ -d "$HTTPS_DIR" ]; then
		rm -rf "$HTTPS_DIR"
	fi
	HTTPS_DIR=""
	HTTPS_MARK_CA=""
}

# Start nginx over the fixture hosts in $1.
https_start() {
	local hostdir="$1" h host name try port
	if ! https_find_binary; then
		_https_say "nginx or openssl not found (Debian packages nginx, openssl)"
		return 1
	fi
	HTTPS_DIR="$(mktemp -d "${TMPDIR:-/tmp}/posture-https.XXXXXX")" || return 1
	if declare -F nsd_at_exit >/dev/null; then
		nsd_at_exit https_stop
	else
		trap https_stop EXIT
	fi
	mkdir -p "$HTTPS_DIR/certs" "$HTTPS_DIR/www" "$HTTPS_DIR/tmp"
	if ! openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
		-keyout "$HTTPS_DIR/certs/ca.key" -out "$HTTPS_DIR/certs/ca.pem" -days 2 \
		-subj "/CN=posture-milter test CA" \
		-addext "basicConstraints=critical,CA:TRUE" \
		-addext "keyUsage=critical,keyCertSign,cRLSign" 2>"$HTTPS_DIR/openssl.err"; then
		_https_say "openssl could not make the test CA: $(head -n 2 "$HTTPS_DIR/openssl.err")"
		return 1
	fi
	HTTPS_CA="$HTTPS_DIR/certs/ca.pem"
	_https_cert default default.invalid || { _https_say "openssl: default certificate"; return 1; }
	for h in "$hostdir"/*/; do
		host="$(basename "$h")"
		name="$host"
		if [ -f "$h/cert-name" ]; then
			name="$(head -n 1 "$h/cert-name")"
		fi
		if ! _https_cert "$host" "$name"; then
			_https_say "openssl: certificate for $host"
			return 1
		fi
		mkdir -p "$HTTPS_DIR/www/$host"
		if [ -f "$h/policy.txt" ]; then
			cp "$h/policy.txt" "$HTTPS_DIR/www/$host/policy.txt"
		fi
		for f in "$h"/*.svg "$h"/*.svgz "$h"/*.pem; do
			[ -f "$f" ] && cp "$f" "$HTTPS_DIR/www/$host/"
		done
		if [ -f "$h/evidence" ] && ! _https_evidence "$host" "$h"; then
			_https_say "openssl: BIMI evidence for $host: $(tail -n 2 "$HTTPS_DIR/mark/openssl.err" 2>/dev/null)"
			return 1
		fi
	done
	_https_shared_files
	if python3 -c 'import socket; s = socket.socket(socket.AF_INET6); s.bind(("::1", 0))' \
		2>/dev/null; then
		HTTPS_V6=1
	fi
	for try in 1 2 3; do
		port="$(_https_free_port)"
		[ -n "$port" ] || { _https_say "no free port"; return 1; }
		_https_write_conf "$port" "$hostdir"
		if ! "$NGINX_BIN" -t -q -p "$HTTPS_DIR" -c "$HTTPS_DIR/nginx.conf" \
			-e "$HTTPS_DIR/error.log" 2>"$HTTPS_DIR/test.err"; then
			_https_say "nginx rejects the configuration:"
			sed 's/^/    /' "$HTTPS_DIR/test.err" >&2
			return 1
		fi
		"$NGINX_BIN" -p "$HTTPS_DIR" -c "$HTTPS_DIR/nginx.conf" -e "$HTTPS_DIR/error.log" \
			2>>"$HTTPS_DIR/stderr.log" &
		HTTPS_PID=$!
		for _ in $(seq 1 100); do
			if _https_ready "$port"; then
				HTTPS_PORT="$port"
				return 0
			fi
			if ! kill -0 "$HTTPS_PID" 2>/dev/null; then
				break
			fi
			sleep 0.1
		done
		kill "$HTTPS_PID" 2>/dev/null
		wait "$HTTPS_PID" 2>/dev/null
		HTTPS_PID=""
		_https_say "nginx did not start on port $port (try $try): $(tail -n 3 "$HTTPS_DIR/error.log" 2>/dev/null)"
	done
	return 1
}

# Executed rather than sourced: "run CMD ARGS..." under a fresh nginx.
if [ "${BASH_SOURCE[0]}" = "$0" ]; then
	if [ "${1:-}" != run ] || [ $# -lt 2 ]; then
		echo "usage: $0 run CMD [ARGS...]" >&2
		exit 2
	fi
	shift
	here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
	if ! https_find_binary || ! command -v python3 >/dev/null; then
		if [ -n "${CI:-}" ]; then
			echo "FAIL: nginx, openssl or python3 not installed, and CI is set"
			exit 1
		fi
		echo "SKIP: nginx, openssl or python3 not installed (Debian packages nginx, openssl, python3)"
		exit 77
	fi
	if ! https_start "$here/../fixtures/https"; then
		echo "FAIL: nginx did not start"
		exit 99
	fi
	export HTTPS_PORT HTTPS_CA HTTPS_DIR HTTPS_V6 HTTPS_MARK_CA
	"$@"
	exit $?
fi
