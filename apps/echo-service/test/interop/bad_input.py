"""Bad clients for every stream port; each must be refused or timed out by the server.

usage: bad_input.py MODE PORT [SECRET_FILE]
  garbage   send 64 KiB of random bytes, expect the server to close
  silent    connect and send nothing, expect the server to close (auth/idle/handshake timeout)
  tls-stall send half a TLS ClientHello, then nothing, expect a close
  ipc-2gib  authenticate, announce a 2 GiB message, expect a close
  bulk-2gib announce a 2 GiB .npy array, expect a close
Waits at most 20 s for the close.
"""
import os
import socket
import struct
import sys
import time

mode, port = sys.argv[1], int(sys.argv[2])


def wait_closed(s):
    s.settimeout(20)
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            part = s.recv(65536)
        except (ConnectionResetError, BrokenPipeError):
            return
        except socket.timeout:
            break
        if not part:
            return
    sys.exit(f'{mode}: the server did not close the connection')


def send_quietly(s, data):
    try:
        s.sendall(data)
    except (ConnectionResetError, BrokenPipeError):
        pass


if mode == 'ipc-2gib':
    from multiprocessing.connection import Client
    c = Client(('127.0.0.1', port), authkey=open(sys.argv[3], 'rb').read())
    c._send(struct.pack('!i', 0x7fffffff))
    try:
        c.recv_bytes()
    except (EOFError, ConnectionResetError, OSError):
        print('OK ipc-2gib refused')
        sys.exit(0)
    sys.exit('ipc-2gib: the server answered')

s = socket.create_connection(('127.0.0.1', port), timeout=10)
if mode == 'garbage':
    send_quietly(s, os.urandom(65536))
elif mode == 'silent':
    pass
elif mode == 'tls-stall':
    # A TLS record header announcing a 512-byte handshake record, and only 40 bytes of it.
    send_quietly(s, bytes([0x16, 0x03, 0x01, 0x02, 0x00]) + bytes([0x01, 0x00, 0x01, 0xfc]) + os.urandom(36))
elif mode == 'bulk-2gib':
    header = "{'descr': '|u1', 'fortran_order': False, 'shape': (2147483648,), }"
    header += ' ' * (64 - (10 + len(header) + 1) % 64) + '\n'
    send_quietly(s, b'\x93NUMPY\x01\x00' + struct.pack('<H', len(header)) + header.encode('latin1'))
    send_quietly(s, b'\0' * 65536)
else:
    sys.exit(f'unknown mode {mode}')
wait_closed(s)
print('OK', mode, 'closed')
