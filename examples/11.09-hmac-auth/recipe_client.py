# Recipe 11.9's client: client_authenticate() and the recipe's client, as printed. Changed
# only where it must be:
# - hmac.new() is given digestmod='sha256' (the implicit MD5 default was removed in
#   Python 3.8), as in recipe_server.py;
# - the port comes from argv (default 18000, the recipe's), and an optional second
#   argument replaces the key b'peekaboo' (to watch a server refuse a wrong one);
# - the reply is printed: b'Hello World', or b'' when the server refused us.
#
# usage: python3 recipe_client.py [PORT] [KEY]
import hmac
import sys
from socket import socket, AF_INET, SOCK_STREAM

def client_authenticate(connection, secret_key):
    '''
    Authenticate client to a remote service.
    connection represents a network connection.
    secret_key is a key known only to both client/server.
    '''
    message = connection.recv(32)
    hash = hmac.new(secret_key, message, digestmod='sha256')
    digest = hash.digest()
    connection.send(digest)

port = int(sys.argv[1]) if len(sys.argv) > 1 else 18000
secret_key = sys.argv[2].encode() if len(sys.argv) > 2 else b'peekaboo'

s = socket(AF_INET, SOCK_STREAM)
s.connect(('127.0.0.1', port))
client_authenticate(s, secret_key)
s.send(b'Hello World')
resp = s.recv(1024)
print(resp)
