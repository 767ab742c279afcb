# Recipe 11.10 of the Python Cookbook (3rd ed.), "Adding SSL to Network Services": the
# recipe's echo server, as the book gives it, changed only where a test needs it:
#   - it binds 127.0.0.1 (not '') on the port given in argv (0: a free one; the recipe's
#     is 20000) and prints the bound port on its first line;
#   - the certificate and key files come from argv (the book's server_cert.pem and
#     server_key.pem; make them with certs.mjs);
#   - with a fourth argument it serves that many connections, then exits (the recipe
#     serves forever);
#   - ssl.wrap_socket() is gone from Python 3.12: an SSLContext that means the same
#     (a server certificate and key, no client certificate asked for).
#
# usage: python3 recipe_server.py PORT CERTFILE KEYFILE [CONNECTIONS]
from socket import socket, AF_INET, SOCK_STREAM
from socket import SOL_SOCKET, SO_REUSEADDR
import itertools
import ssl
import sys

PORT = int(sys.argv[1])
CERTFILE = sys.argv[2]  # Server certificate (given to client)
KEYFILE = sys.argv[3]   # Private key of the server
CONNECTIONS = int(sys.argv[4]) if len(sys.argv) > 4 else None

def echo_client(s):
    while True:
        data = s.recv(8192)
        if data == b'':
            break
        s.send(data)
    s.close()
    print('Connection closed')

def echo_server(address):
    s = socket(AF_INET, SOCK_STREAM)
    s.setsockopt(SOL_SOCKET, SO_REUSEADDR, 1)
    s.bind(address)
    s.listen(1)
    print(s.getsockname()[1], flush=True)  # added: the bound port

    # Wrap with an SSL layer (the book: ssl.wrap_socket(s, keyfile=KEYFILE,
    # certfile=CERTFILE, server_side=True)); accept() then runs the handshake
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(certfile=CERTFILE, keyfile=KEYFILE)
    s_ssl = context.wrap_socket(s, server_side=True)
    # Wait for connections
    for _ in itertools.count() if CONNECTIONS is None else range(CONNECTIONS):  # added: bounded
        try:
            c,a = s_ssl.accept()
            print('Got connection', c, a)
            echo_client(c)
        except Exception as e:
            print('{}: {}'.format(e.__class__.__name__, e))

echo_server(('127.0.0.1', PORT))
