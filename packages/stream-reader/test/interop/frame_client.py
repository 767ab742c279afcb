"""Independent peer for the @net/stream-reader interop test.

Sends length-prefixed frames (struct '!I', as multiprocessing and most framed protocols
do) and CRLF lines in random slices, and checks the Node side's answers.
"""
import hashlib
import random
import socket
import struct
import sys

port = int(sys.argv[1])
rng = random.Random(1109)
frames = [rng.randbytes(rng.choice([0, 1, 3, 1000, 65535, 65536, 200_000])) for _ in range(60)]
stream = b"".join(struct.pack("!I", len(f)) + f for f in frames)
stream += b"".join(f"line {i}\r\n".encode() for i in range(50))

with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    pos = 0
    while pos < len(stream):  # random slices so frames and lines straddle segments
        step = rng.choice([1, 2, 3, 7, 100, 4096, 70_000])
        sock.sendall(stream[pos:pos + step])
        pos += step
    sock.shutdown(socket.SHUT_WR)
    answer = b""
    while chunk := sock.recv(65536):
        answer += chunk

lines = answer.decode().split("\n")
expected = [hashlib.sha256(f).hexdigest() for f in frames] + [f"LINE {i}" for i in range(50)] + ["END", ""]
if lines != expected:
    print(f"mismatch: got {len(lines)} lines, first difference at "
          f"{next(i for i, (a, b) in enumerate(zip(lines, expected)) if a != b)}", file=sys.stderr)
    sys.exit(1)
print("OK")
