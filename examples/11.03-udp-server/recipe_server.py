# Recipe 11.3 of the Python Cookbook (3rd ed.), "Creating a UDP Server": the recipe's
# TimeHandler and UDPServer as printed. Changed only so that a test can run it:
# - it binds 127.0.0.1 (not '') on the port given in argv (0: a free one; default 20000,
#   the recipe's) and prints the bound port on its first line;
# - with a second argument it answers that many datagrams, then exits (the recipe serves
#   forever).
#
# usage: python3 recipe_server.py [PORT] [DATAGRAMS]
import sys
from socketserver import BaseRequestHandler, UDPServer
import time

class TimeHandler(BaseRequestHandler):
    def handle(self):
        print('Got connection from', self.client_address)
        # Get message and client socket
        msg, sock = self.request
        resp = time.ctime()
        sock.sendto(resp.encode('ascii'), self.client_address)

if __name__ == '__main__':
    port = int(sys.argv[1]) if len(sys.argv) > 1 else 20000
    datagrams = int(sys.argv[2]) if len(sys.argv) > 2 else None
    serv = UDPServer(('127.0.0.1', port), TimeHandler)
    print(serv.server_address[1], flush=True)  # added: the bound port
    if datagrams is None:
        serv.serve_forever()
    else:  # added: a bounded run
        for _ in range(datagrams):
            serv.handle_request()
        serv.server_close()
