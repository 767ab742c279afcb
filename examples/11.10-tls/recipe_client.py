# echoclient.py
#
# An example of a client that connects to an SSL server
# and verifies its certificate
#
# Recipe 11.10 of the Python Cookbook (3rd ed.), as the book gives it, changed only where a
# test needs it: 127.0.0.1 and the port from argv, the CA file from argv (the book trusts
# server_cert.pem itself; here the server's certificate is signed by a dev CA), and
# ssl.wrap_socket(), gone from Python 3.12, replaced by an SSLContext. The context also
# checks that the certificate names the server ('localhost'), which wrap_socket did not.
#
# Usage: python3 recipe_client.py PORT CAFILE

from socket import socket, AF_INET, SOCK_STREAM
import ssl
import sys

PORT = int(sys.argv[1])
CAFILE = sys.argv[2]

s = socket(AF_INET, SOCK_STREAM)

# Wrap with an SSL layer and require the server to present its certificate
context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)  # cert_reqs=ssl.CERT_REQUIRED
context.load_verify_locations(cafile=CAFILE)
ssl_s = context.wrap_socket(s, server_hostname='localhost')

ssl_s.connect(('127.0.0.1', PORT))

# Communicate with the server
ssl_s.send(b'Hello World!')
resp = ssl_s.recv(8192)
print('Got:', resp)

# Done
ssl_s.close()
