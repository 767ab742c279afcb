"""tcp endpoint from Python's stdlib: recipe 11.9's client (socket + hmac), then echo.

usage: tcp_client.py PORT SECRET_FILE [wrong]
With 'wrong', answers with a wrong key and expects the server to close the connection.
"""
import hmac
import os
import socket
import sys

port, secret_file = int(sys.argv[1]), sys.argv[2]
wrong = len(sys.argv) > 3 and sys.argv[3] == 'wrong'
key = open(secret_file, 'rb').read()
if wrong:
    key = b'not the key' + key

s = socket.create_connection(('127.0.0.1', port), timeout=10)
challenge = b''
while len(challenge) < 32:
    part = s.recv(32 - len(challenge))
    if not part:
        sys.exit('closed before the challenge')
    challenge += part
s.sendall(hmac.new(key, challenge, 'sha256').digest())
payload = os.urandom(100_000)
try:
    s.sendall(payload)
    s.shutdown(socket.SHUT_WR)
    back = b''
    while True:
        part = s.recv(65536)
        if not part:
            break
        back += part
except OSError:  # reset, broken pipe, not connected: the server hung up
    back = None
if wrong:
    if back:
        sys.exit('the server echoed to a client with a wrong key')
    print('OK refused')
else:
    if back != payload:
        sys.exit(f'echo differs: {0 if back is None else len(back)} bytes back of {len(payload)}')
    print('OK tcp', len(back))
