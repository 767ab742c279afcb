# Recipe 11.9 of the Python Cookbook (3rd ed.), "Authenticating Clients Simply": the
# recipe's server_authenticate() and its authenticating echo server, as printed. Changed
# only where it must be:
# - hmac.new() is given digestmod='sha256': the recipe's implicit MD5 default was removed
#   in Python 3.8 (hmac.new(key, msg) raises TypeError); SHA-256 is @net/hmac-auth's default;
# - it binds 127.0.0.1 (not '') on the port given in argv (0: a free one; default 18000,
#   the recipe's) and prints the bound port on its first line;
# - with a second argument it serves that many connections, then exits (the recipe serves
#   forever).
#
# usage: python3 recipe_server.py [PORT] [CONNECTIONS]
import hmac
import os
import sys
from socket import socket, AF_INET, SOCK_STREAM

def server_authenticate(connection, secret_key):
    '''
    Request client authentication.
    '''
    message = os.urandom(32)
    connection.send(message)
    hash = hmac.new(secret_key, message, digestmod='sha256')
    digest = hash.digest()
    response = connection.recv(len(digest))
    return hmac.compare_digest(digest,response)

secret_key = b'peekaboo'
def echo_handler(client_sock):
    if not server_authenticate(client_sock, secret_key):
        client_sock.close()
        return
    while True:

        msg = client_sock.recv(8192)
        if not msg:
            break
        client_sock.sendall(msg)

def echo_server(address, connections=None):
    s = socket(AF_INET, SOCK_STREAM)
    s.bind(address)
    s.listen(5)
    print(s.getsockname()[1], flush=True)  # added: the bound port
    served = 0
    while connections is None or served < connections:  # was: while True
        served += 1
        c,a = s.accept()
        echo_handler(c)

port = int(sys.argv[1]) if len(sys.argv) > 1 else 18000
connections = int(sys.argv[2]) if len(sys.argv) > 2 else None
echo_server(('127.0.0.1', port), connections)
