"""NumPy client of createBulkServer's echo (the README's example), for the interop tests.

Usage: echo_client.py PORT
Sends arrays with np.save, reads each echo with np.load on the same stream and checks it.
Prints "ok NAME" per good echo; exits 1 on any mismatch.
"""
import socket
import sys

try:
    import numpy as np
except ImportError:
    sys.stderr.write("numpy is missing: install the Debian package python3-numpy\n")
    sys.exit(3)


class SockFile:
    """The minimal file object np.save writes to and np.load reads from: np.load peeks at
    the magic string and seeks back over it, so the last bytes read can be pushed back."""

    def __init__(self, sock):
        self.sock = sock
        self.file = sock.makefile("rb")
        self.pushed = b""
        self.last = b""

    def write(self, data):
        self.sock.sendall(data)
        return len(data)

    def read(self, size=-1):
        data = self.pushed[:size] if size >= 0 else self.pushed
        self.pushed = self.pushed[len(data):]
        if size < 0 or len(data) < size:
            data += self.file.read(-1 if size < 0 else size - len(data))
        self.last = data
        return data

    def seek(self, offset, whence=0):
        if whence != 1 or offset > 0 or -offset > len(self.last):
            raise OSError("only a step back over the last read is supported")
        if offset < 0:
            self.pushed = self.last[offset:] + self.pushed
            self.last = self.last[:offset]
        return 0


CASES = [
    ("float64 matrix", np.arange(250_000, dtype="<f8").reshape(500, 500) / 3),
    ("big-endian int32", np.arange(-5, 5, dtype=">i4")),
    ("bool", np.array([True, False, True])),
    ("uint64", np.array([0, 2**64 - 1], dtype="<u8")),
    ("0-d", np.array(2.5)),
]


def main():
    sock = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
    stream = SockFile(sock)
    failed = 0
    for name, array in CASES:
        np.save(stream, array)
        back = np.load(stream)
        if back.shape == array.shape and np.array_equal(back, array):
            print(f"ok {name}", flush=True)
        else:
            failed += 1
            print(f"FAIL {name}: got {back.dtype} {back.shape}", flush=True)
    sock.close()
    sys.exit(1 if failed else 0)


main()
