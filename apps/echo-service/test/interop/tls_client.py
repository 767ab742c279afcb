"""tls endpoint from Python's ssl module: verify against the dev CA for a name, then echo.

usage: tls_client.py PORT CA_FILE SERVER_NAME
"""
import os
import socket
import ssl
import sys

port, ca, name = int(sys.argv[1]), sys.argv[2], sys.argv[3]
ctx = ssl.create_default_context(cafile=ca)
ctx.minimum_version = ssl.TLSVersion.TLSv1_2
with socket.create_connection(('127.0.0.1', port), timeout=10) as raw:
    with ctx.wrap_socket(raw, server_hostname=name) as s:
        payload = os.urandom(50_000)
        s.sendall(payload)
        back = b''
        while len(back) < len(payload):
            part = s.recv(65536)
            if not part:
                break
            back += part
        if back != payload:
            sys.exit(f'echo differs: {len(back)} of {len(payload)}')
        print('OK tls', s.version(), len(back))
