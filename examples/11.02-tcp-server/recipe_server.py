# Recipe 11.2 of the Python Cookbook (3rd ed.), "Creating a TCP Server": the recipe's
# EchoHandler and TCPServer as printed. Changed only so that a test can run it:
# - it binds 127.0.0.1 (not '') on the port given in argv (0: a free one; default 20000,
#   the recipe's) and prints the bound port on its first line;
# - with a second argument it serves that many connections, then exits (the recipe
#   serves forever).
#
# usage: python3 recipe_server.py [PORT] [CONNECTIONS]
import sys
from socketserver import BaseRequestHandler, TCPServer

class EchoHandler(BaseRequestHandler):
    def handle(self):
        print('Got connection from', self.client_address)
        while True:

            msg = self.request.recv(8192)
            if not msg:
                break
            self.request.send(msg)

if __name__ == '__main__':
    port = int(sys.argv[1]) if len(sys.argv) > 1 else 20000
    connections = int(sys.argv[2]) if len(sys.argv) > 2 else None
    serv = TCPServer(('127.0.0.1', port), EchoHandler)
    print(serv.server_address[1], flush=True)  # added: the bound port
    if connections is None:
        serv.serve_forever()
    else:  # added: a bounded run
        for _ in range(connections):
            serv.handle_request()
        serv.server_close()
