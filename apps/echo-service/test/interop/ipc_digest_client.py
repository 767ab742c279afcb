"""ipc endpoint from this Python's multiprocessing.connection.Client, to see which HMAC
digest it authenticates with: Python <= 3.11 answers every challenge with legacy HMAC-MD5,
3.12+ with the digest the challenge names.

usage: ipc_digest_client.py PORT SECRET_FILE
prints "served 3.12" or "refused 3.11 AuthenticationError: <message>"
"""
import sys
from multiprocessing.connection import Client

port, secret_file = int(sys.argv[1]), sys.argv[2]
key = open(secret_file, 'rb').read()
version = '%d.%d' % sys.version_info[:2]
try:
    c = Client(('127.0.0.1', port), authkey=key)
except Exception as e:
    print('refused', version, '%s: %s' % (type(e).__name__, e))
    sys.exit(0)
c.send_bytes(b'digest check')
if c.recv_bytes() != b'digest check':
    sys.exit('ipc echo differs')
c.close()
print('served', version)
