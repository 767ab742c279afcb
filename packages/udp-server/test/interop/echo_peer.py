"""Plain-socket UDP peers for the interop tests.

echo_peer.py client HOST PORT SIZE...: sends one datagram of each SIZE (a byte pattern),
checks the echo is byte-identical and comes from (HOST, PORT); prints OK.
echo_peer.py server HOST: serves upper-cased echoes; prints its port on the first line
and stops after 30 s or when stdin closes.
"""
import select
import socket
import sys


def pattern(n):
    return bytes((i * 31 + 7) & 0xFF for i in range(n))


def family_of(host):
    return socket.AF_INET6 if ":" in host else socket.AF_INET


def client(host, port, sizes):
    s = socket.socket(family_of(host), socket.SOCK_DGRAM)
    s.settimeout(5)
    for size in sizes:
        payload = pattern(size)
        s.sendto(payload, (host, port))
        data, addr = s.recvfrom(70000)
        assert addr[0] == host and addr[1] == port, f"echo from {addr}"
        assert data == payload, f"echo of {size} bytes came back as {len(data)} different bytes"
    s.close()
    print("OK")


def server(host):
    s = socket.socket(family_of(host), socket.SOCK_DGRAM)
    s.bind((host, 0))
    print(s.getsockname()[1], flush=True)
    for _ in range(3000):
        ready, _, _ = select.select([s, sys.stdin], [], [], 0.01)
        if sys.stdin in ready and not sys.stdin.buffer.read1(1):
            break
        if s in ready:
            data, addr = s.recvfrom(70000)
            s.sendto(data.upper(), addr)
    s.close()


if sys.argv[1] == "client":
    client(sys.argv[2], int(sys.argv[3]), [int(a) for a in sys.argv[4:]])
else:
    server(sys.argv[2])
