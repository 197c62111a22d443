#!/usr/bin/env python3
"""dns_delay.py - a DNS forwarder on loopback that holds every answer N ms (UDP and TCP).

  dns_delay.py --upstream PORT [--delay-ms 20] [--port 0] [--stats FILE]

For tests/bench/cold_path.sh (a measurement, not a test): the kernel's netem is not
available here, so this puts a round-trip time in front of the fixture NSD. It listens on
127.0.0.1:PORT (UDP and TCP on the same port; 0: a free one), prints "port P" on stdout
once both listen, forwards each query to 127.0.0.1:UPSTREAM (UDP queries over one UDP
socket, with the message ID rewritten so that answers find their client; TCP queries
one upstream connection per client connection, in turn) and sends each answer back
DELAY ms after it came from upstream.

Signals: SIGUSR1 toggles "stopped": queries are read and counted but never forwarded or
answered (a DNS server that died behind a firewall: the client sees timeouts, not
refusals); SIGUSR2 writes the counters to FILE (--stats) at once; SIGTERM writes them and
exits. Counters: "queries_udp N queries_tcp N answered N dropped N max_inflight N".

What can go wrong: more than 65,536 UDP queries in flight (the oldest mapping is
overwritten: that query's answer is dropped and counted in dropped); an upstream that
does not answer (the query stays in flight; UDP mappings are never expired, TCP
connections close after 10 s); CPU: python handles a few thousand queries a second,
which is enough for this benchmark but takes CPU from the host being measured.
"""
import argparse
import asyncio
import signal
import socket
import struct
import sys


class Stats:
    def __init__(self):
        self.udp = self.tcp = self.answered = self.dropped = 0
        self.inflight = self.max_inflight = 0
        self.stopped = False

    def line(self):
        return ("queries_udp %d queries_tcp %d answered %d dropped %d max_inflight %d\n"
                % (self.udp, self.tcp, self.answered, self.dropped, self.max_inflight))

    def start(self):
        self.inflight += 1
        self.max_inflight = max(self.max_inflight, self.inflight)

    def done(self, answered):
        self.inflight -= 1
        if answered:
            self.answered += 1
        else:
            self.dropped += 1


class Upstream(asyncio.DatagramProtocol):
    """The one UDP socket to the upstream server; answers go back to Front."""

    def __init__(self, front):
        self.front = front

    def datagram_received(self, data, addr):
        self.front.answer(data)


class Front(asyncio.DatagramProtocol):
    """The UDP listener: queries in, delayed answers out."""

    def __init__(self, args, stats, loop):
        self.args, self.stats, self.loop = args, stats, loop
        self.pending = {}
        self.next_id = 0
        self.transport = self.up = None

    def connection_made(self, transport):
        self.transport = transport

    def datagram_received(self, data, addr):
        if len(data) < 12:
            return
        self.stats.udp += 1
        if self.stats.stopped:
            return
        pid = self.next_id
        self.next_id = (self.next_id + 1) & 0xFFFF
        if pid in self.pending:
            self.stats.done(False)
        self.pending[pid] = (addr, data[:2])
        self.stats.start()
        self.up.sendto(struct.pack(">H", pid) + data[2:])

    def answer(self, data):
        if len(data) < 12:
            return
        (pid,) = struct.unpack(">H", data[:2])
        entry = self.pending.pop(pid, None)
        if entry is None:
            return
        addr, qid = entry
        self.loop.call_later(self.args.delay_ms / 1000.0, self.send, addr, qid + data[2:])

    def send(self, addr, data):
        if not self.stats.stopped:
            self.transport.sendto(data, addr)
        self.stats.done(not self.stats.stopped)


async def tcp_client(reader, writer, args, stats):
    """One client connection: each query forwarded in turn, each answer held DELAY ms."""
    up_r = up_w = None
    try:
        while True:
            head = await asyncio.wait_for(reader.readexactly(2), 10)
            (n,) = struct.unpack(">H", head)
            query = await asyncio.wait_for(reader.readexactly(n), 10)
            stats.tcp += 1
            if stats.stopped:
                continue
            stats.start()
            ok = False
            try:
                if up_w is None:
                    up_r, up_w = await asyncio.open_connection("127.0.0.1", args.upstream)
                up_w.write(head + query)
                await up_w.drain()
                (m,) = struct.unpack(">H", await asyncio.wait_for(up_r.readexactly(2), 10))
                resp = await asyncio.wait_for(up_r.readexactly(m), 10)
                await asyncio.sleep(args.delay_ms / 1000.0)
                if not stats.stopped:
                    writer.write(struct.pack(">H", m) + resp)
                    await writer.drain()
                    ok = True
            finally:
                stats.done(ok)
    except (asyncio.IncompleteReadError, asyncio.TimeoutError, OSError):
        pass
    finally:
        for w in (up_w, writer):
            if w is not None:
                w.close()


def write_stats(path, stats):
    if path:
        with open(path, "w") as f:
            f.write(stats.line())


async def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--upstream", type=int, required=True)
    ap.add_argument("--delay-ms", type=float, default=20.0)
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--stats", default="")
    args = ap.parse_args()
    loop = asyncio.get_running_loop()
    stats = Stats()
    for _ in range(20):
        udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        udp.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
        udp.bind(("127.0.0.1", args.port))
        port = udp.getsockname()[1]
        try:
            server = await asyncio.start_server(
                lambda r, w: tcp_client(r, w, args, stats), "127.0.0.1", port, backlog=1024)
            break
        except OSError:
            udp.close()
            if args.port:
                raise
    else:
        sys.exit("dns_delay.py: no port free for both UDP and TCP")
    front = Front(args, stats, loop)
    await loop.create_datagram_endpoint(lambda: front, sock=udp)
    up_t, _ = await loop.create_datagram_endpoint(lambda: Upstream(front),
                                                 remote_addr=("127.0.0.1", args.upstream))
    front.up = up_t
    done = loop.create_future()

    def toggle():
        stats.stopped = not stats.stopped

    loop.add_signal_handler(signal.SIGUSR1, toggle)
    loop.add_signal_handler(signal.SIGUSR2, write_stats, args.stats, stats)
    loop.add_signal_handler(signal.SIGTERM, lambda: done.done() or done.set_result(None))
    print("port %d" % port, flush=True)
    await done
    write_stats(args.stats, stats)
    server.close()


if __name__ == "__main__":
    asyncio.run(main())
