# A client for the echo servers of recipe 11.11 (the book tries its server with telnet):
# sends each message, prints what comes back, then closes.
#
# Usage: python3 echo_client.py PORT MESSAGE...
import socket
import sys

port, messages = int(sys.argv[1]), sys.argv[2:]
with socket.create_connection(('127.0.0.1', port), timeout=10) as s:
    for message in messages:
        data = message.encode()
        s.sendall(data)
        echo = b''
        while len(echo) < len(data):
            chunk = s.recv(1024)
            if not chunk:
                sys.exit('the server closed the connection')
            echo += chunk
        print('Got:', echo)
