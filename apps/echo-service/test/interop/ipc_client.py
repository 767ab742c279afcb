"""ipc endpoint from multiprocessing.connection.Client (recipe 11.7), authkey = the secret.

usage: ipc_client.py PORT SECRET_FILE [wrong]
"""
import os
import sys
from multiprocessing.connection import Client

port, secret_file = int(sys.argv[1]), sys.argv[2]
key = open(secret_file, 'rb').read()
if len(sys.argv) > 3 and sys.argv[3] == 'wrong':
    try:
        Client(('127.0.0.1', port), authkey=b'wrong' + key)
    except Exception as e:  # AuthenticationError, or the connection closed
        print('OK refused', type(e).__name__)
        sys.exit(0)
    sys.exit('a wrong authkey was accepted')
c = Client(('127.0.0.1', port), authkey=key)
for payload in (b'hello', os.urandom(300_000), b''):
    c.send_bytes(payload)
    if c.recv_bytes() != payload:
        sys.exit('ipc echo differs')
# The recipe's own session: send() / recv() pickles, echoed byte for byte.
for obj in ('hello', 42, [1, 2, 3, 4, 5]):
    c.send(obj)
    if c.recv() != obj:
        sys.exit(f'ipc echo of {obj!r} differs')
c.close()
print('OK ipc')
