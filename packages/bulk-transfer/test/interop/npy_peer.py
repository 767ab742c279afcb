"""NumPy peer for @net/bulk-transfer's interop tests.

Usage: npy_peer.py connect PORT   |   npy_peer.py listen
(listen prints the port it listens on, then serves one connection.)

Sends every case with np.save, then reads as many arrays back with
numpy.lib.format.read_array and checks each against the same formula, which the
Node side implements independently. Prints "ok NAME" per good array; exits 1 on
any mismatch. np.save/np.load cannot use sock.makefile() directly (NumPy calls
tofile/fromfile on buffered files, which need a seekable file), so the socket is
wrapped in minimal file-like objects, exactly as NumPy's docs suggest for streams.
"""
import socket
import sys

try:
    import numpy as np
    from numpy.lib import format as npformat
except ImportError:
    sys.stderr.write("numpy is missing: install the Debian package python3-numpy\n")
    sys.exit(3)

# name, descr, shape
CASES = [(f"{d}", d, (5,)) for d in [
    "|b1", "|i1", "|u1", "<i2", ">i2", "<u2", ">u2", "<i4", ">i4", "<u4", ">u4",
    "<i8", ">i8", "<u8", ">u8", "<f2", ">f2", "<f4", ">f4", "<f8", ">f8",
]] + [
    ("empty", "<f8", (0,)),
    ("empty-2d", "<i4", (0, 3)),
    ("0-d", "<f8", ()),
    ("2-d float32", "<f4", (3, 4)),
    ("100 MB", "<f8", (12_500_000,)),
]

MULTIPLIER = {1: 1, 2: 257, 4: 0x01010101, 8: 0x0101010101010101}


def expected(descr, shape):
    dt = np.dtype(descr)
    n = int(np.prod(shape)) if shape else 1
    i = np.arange(n, dtype=np.int64)
    base = (i * 7 + 3) % 100
    if dt.kind == "b":
        values = (i % 3) == 0
    elif dt.kind == "u":
        values = base.astype(np.uint64) * np.uint64(MULTIPLIER[dt.itemsize])
    elif dt.kind == "i":
        values = (base - 50) * MULTIPLIER[dt.itemsize]
    else:
        values = (base - 50) / 4
    return values.astype(dt).reshape(shape)


class SockWriter:
    def __init__(self, sock):
        self.sock = sock

    def write(self, data):
        self.sock.sendall(data)
        return len(data)


class SockReader:
    def __init__(self, sock):
        self.file = sock.makefile("rb")

    def read(self, size=-1):
        return self.file.read(size)


def serve(sock):
    writer = SockWriter(sock)
    for _name, descr, shape in CASES:
        np.save(writer, expected(descr, shape))
    reader = SockReader(sock)
    failed = 0
    for name, descr, shape in CASES:
        got = npformat.read_array(reader)
        want = expected(descr, shape)
        # Node sends native (little-endian) order: compare the dtype up to byte order.
        same_type = got.dtype == want.dtype.newbyteorder("<") or got.dtype == want.dtype
        if same_type and got.shape == want.shape and np.array_equal(got, want):
            print(f"ok {name}", flush=True)
        else:
            failed += 1
            print(f"FAIL {name}: got {got.dtype} {got.shape} {got.ravel()[:5]}", flush=True)
    sock.close()
    sys.exit(1 if failed else 0)


def main():
    if sys.argv[1] == "connect":
        serve(socket.create_connection(("127.0.0.1", int(sys.argv[2]))))
    else:
        server = socket.create_server(("127.0.0.1", 0))
        print(server.getsockname()[1], flush=True)
        conn, _ = server.accept()
        server.close()
        serve(conn)


main()
