# Recipe 11.2's client, the recipe's interactive session as a script: connect, send
# b'Hello', print what comes back (b'Hello'). Changed only so that a test can run it: the
# port comes from argv (default 20000, the recipe's) and the reply is printed.
#
# usage: python3 recipe_client.py [PORT]
import sys
from socket import socket, AF_INET, SOCK_STREAM

port = int(sys.argv[1]) if len(sys.argv) > 1 else 20000
s = socket(AF_INET, SOCK_STREAM)
s.connect(('127.0.0.1', port))
s.send(b'Hello')
print(s.recv(8192))
