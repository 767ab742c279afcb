"""The recipe's send_from / recv_into (Python Cookbook 11.13), as a peer.

Usage: recipe_peer.py PORT COUNT
Connects, sends COUNT float64 values 0..COUNT-1 with send_from, then receives COUNT
float64 values with recv_into and checks they are the originals times 3.
"""
import socket
import sys

try:
    import numpy as np
except ImportError:
    sys.stderr.write("numpy is missing: install the Debian package python3-numpy\n")
    sys.exit(3)


def send_from(arr, dest):
    view = memoryview(arr).cast("B")
    while len(view):
        nsent = dest.send(view)
        view = view[nsent:]


def recv_into(arr, source):
    view = memoryview(arr).cast("B")
    while len(view):
        nrecv = source.recv_into(view)
        if nrecv == 0:
            raise EOFError("connection closed early")
        view = view[nrecv:]


port, count = int(sys.argv[1]), int(sys.argv[2])
sock = socket.create_connection(("127.0.0.1", port))
a = np.arange(count, dtype="<f8")
send_from(a, sock)
b = np.zeros(count, dtype="<f8")
recv_into(b, sock)
sock.close()
if np.array_equal(b, a * 3):
    print("ok", flush=True)
else:
    print(f"FAIL got {b[:5]}", flush=True)
    sys.exit(1)
