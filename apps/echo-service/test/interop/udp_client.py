"""udp and time endpoints from Python's socket module (the recipe's client for time).

usage: udp_client.py UDP_PORT TIME_PORT
"""
import os
import socket
import sys
import time

udp_port, time_port = int(sys.argv[1]), int(sys.argv[2])
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(2)
payload = os.urandom(1200)
for attempt in range(3):
    s.sendto(payload, ('127.0.0.1', udp_port))
    try:
        data, addr = s.recvfrom(8192)
        break
    except socket.timeout:
        continue
else:
    sys.exit('no udp echo')
if data != payload:
    sys.exit('udp echo differs')
for attempt in range(3):
    s.sendto(b'', ('127.0.0.1', time_port))
    try:
        text = s.recvfrom(8192)[0].decode()
        break
    except socket.timeout:
        continue
else:
    sys.exit('no time answer')
parsed = time.strptime(text, '%a %b %d %H:%M:%S %Y')
if abs(time.mktime(parsed) - time.time()) > 120:
    sys.exit(f'time is off: {text}')
print('OK udp+time', text)
