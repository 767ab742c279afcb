# Recipe 11.3's client, the recipe's interactive session as a script: send an empty
# datagram, print what recvfrom() returns: (b'Wed Aug 15 20:35:08 2012', ('127.0.0.1', PORT)).
# Changed only so that a test can run it: the port comes from argv (default 20000, the
# recipe's) and the reply is printed.
#
# usage: python3 recipe_client.py [PORT]
import sys
from socket import socket, AF_INET, SOCK_DGRAM

port = int(sys.argv[1]) if len(sys.argv) > 1 else 20000
s = socket(AF_INET, SOCK_DGRAM)
s.sendto(b'', ('127.0.0.1', port))
print(s.recvfrom(8192))
