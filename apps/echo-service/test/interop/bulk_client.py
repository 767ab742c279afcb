"""bulk endpoint from NumPy (Debian's /usr/bin/python3): np.save out, read_array back.

usage: bulk_client.py PORT
"""
import socket
import sys

import numpy as np
from numpy.lib import format as npformat


class Writer:
    def __init__(self, sock):
        self.sock = sock

    def write(self, data):
        self.sock.sendall(data)
        return len(data)


class Reader:
    def __init__(self, sock):
        self.file = sock.makefile('rb')

    def read(self, n=-1):
        return self.file.read(n)


port = int(sys.argv[1])
sock = socket.create_connection(('127.0.0.1', port), timeout=20)
reader = Reader(sock)
arrays = [
    np.arange(1_000_000, dtype='<f8').reshape(1000, 1000),
    np.arange(12, dtype='>i4').reshape(3, 4),
    np.array([True, False, True]),
    np.random.default_rng(1).integers(0, 2**31, size=(64, 64, 8), dtype=np.int64),
]
for a in arrays:
    np.save(Writer(sock), a)
    back = npformat.read_array(reader)
    if back.shape != a.shape or not np.array_equal(back, a):
        sys.exit(f'array differs: {a.dtype} {a.shape}')
sock.close()
print('OK bulk', len(arrays))
