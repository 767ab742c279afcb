# Recipe 11.7 of the Python Cookbook (3rd ed.), "Communicating Simply Between
# Interpreters": the recipe's echo server on multiprocessing.connection.Listener, as
# printed. Changed only so that a test can run it:
# - it binds 127.0.0.1 (not '') on the port given in argv (0: a free one; default 25000,
#   the recipe's) and prints the bound port on its first line;
# - with a second argument it serves that many clients, then exits (the recipe serves
#   forever).
#
# usage: python3 recipe_server.py [PORT] [CONNECTIONS]
import sys
from multiprocessing.connection import Listener
import traceback

def echo_client(conn):
    try:
        while True:
            msg = conn.recv()
            conn.send(msg)
    except EOFError:
        print('Connection closed')

def echo_server(address, authkey, connections=None):
    serv = Listener(address, authkey=authkey)
    print(serv.address[1], flush=True)  # added: the bound port
    served = 0
    while connections is None or served < connections:  # was: while True
        served += 1
        try:
            client = serv.accept()

            echo_client(client)
        except Exception:
            traceback.print_exc()

port = int(sys.argv[1]) if len(sys.argv) > 1 else 25000
connections = int(sys.argv[2]) if len(sys.argv) > 2 else None
echo_server(('127.0.0.1', port), authkey=b'peekaboo', connections=connections)
