# The recipe's clients (Python Cookbook 11.12): one datagram to the UDP time server, then
# b'Hello\n' to the TCP echo server. Changed only so that a test can run it: 127.0.0.1
# (not 'localhost') and one port from argv for both servers (default 16000; the book
# uses 14000 and 16000).
#
# usage: python3 recipe_client.py [PORT]
import sys
from socket import *

port = int(sys.argv[1]) if len(sys.argv) > 1 else 16000

s = socket(AF_INET, SOCK_DGRAM)
s.sendto(b'', ('127.0.0.1', port))
print(s.recvfrom(128))

s = socket(AF_INET, SOCK_STREAM)
s.connect(('127.0.0.1', port))
s.send(b'Hello\n')
print('Got:', s.recv(8192))
s.close()
