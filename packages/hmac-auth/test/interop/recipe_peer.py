"""Recipe 11.9's client and server, as printed in the Python Cookbook (with digestmod).

usage: recipe_peer.py server KEY_HEX          listens on 127.0.0.1:0, prints the port,
                                              authenticates one client, echoes one message
       recipe_peer.py client PORT KEY_HEX     authenticates, sends b'Hello World' right
                                              after its digest, prints the echo
"""
import hmac
import os
import sys
from socket import AF_INET, SOCK_STREAM, socket


def client_authenticate(connection, secret_key):
    message = connection.recv(32)
    hash = hmac.new(secret_key, message, digestmod='sha256')
    digest = hash.digest()
    connection.send(digest)


def server_authenticate(connection, secret_key):
    message = os.urandom(32)
    connection.send(message)
    hash = hmac.new(secret_key, message, digestmod='sha256')
    digest = hash.digest()
    response = connection.recv(len(digest))
    return hmac.compare_digest(digest, response)


def main():
    role = sys.argv[1]
    if role == 'server':
        key = bytes.fromhex(sys.argv[2])
        s = socket(AF_INET, SOCK_STREAM)
        s.bind(('127.0.0.1', 0))
        s.listen(1)
        s.settimeout(10)
        print(s.getsockname()[1], flush=True)
        c, _ = s.accept()
        c.settimeout(10)
        if not server_authenticate(c, key):
            print('AUTH False', flush=True)
            c.close()
            return
        print('AUTH True', flush=True)
        msg = c.recv(1024)
        c.sendall(msg)
        c.close()
    else:
        port, key = int(sys.argv[2]), bytes.fromhex(sys.argv[3])
        s = socket(AF_INET, SOCK_STREAM)
        s.settimeout(10)
        s.connect(('127.0.0.1', port))
        client_authenticate(s, key)
        s.send(b'Hello World')
        resp = s.recv(1024)
        print('ECHO', resp.decode(), flush=True)
        s.close()


main()
