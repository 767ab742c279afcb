# Example of file descriptor passing using multiprocessing
#
# Recipe 11.11 of the Python Cookbook (3rd ed.), "Passing a Socket File Descriptor Between
# Processes", as the book gives it: the server process accepts connections and hands each
# socket to the worker process with send_handle(); the worker echoes. Changed only so that
# a test can run it:
# - the server binds 127.0.0.1 (not '') on the port given in argv (0: a free one; default
#   15000, the recipe's) and prints the bound port on its first line;
# - with a second argument both processes stop after that many connections (the recipe
#   loops forever).
#
# usage: python3 recipe.py [PORT] [CONNECTIONS]

import itertools
import multiprocessing
from multiprocessing.reduction import recv_handle, send_handle
import socket
import sys

def bounded(connections):  # added: a bounded run
    return itertools.count() if connections is None else range(connections)

def worker(in_p, out_p, connections):
    out_p.close()
    for _ in bounded(connections):
        fd = recv_handle(in_p)
        print('CHILD: GOT FD', fd)
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM, fileno=fd) as s:
            while True:
                msg = s.recv(1024)
                if not msg:
                    break
                print('CHILD: RECV {!r}'.format(msg))
                s.send(msg)

def server(address, in_p, out_p, worker_pid, connections):
    in_p.close()
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, True)
    s.bind(address)
    s.listen(1)
    print(s.getsockname()[1], flush=True)  # added: the bound port
    for _ in bounded(connections):
        client, addr = s.accept()
        print('SERVER: Got connection from', addr)
        send_handle(out_p, client.fileno(), worker_pid)
        client.close()

if __name__ == '__main__':
    port = int(sys.argv[1]) if len(sys.argv) > 1 else 15000
    connections = int(sys.argv[2]) if len(sys.argv) > 2 else None
    c1, c2 = multiprocessing.Pipe()
    worker_p = multiprocessing.Process(target=worker, args=(c1,c2,connections))
    worker_p.start()

    server_p = multiprocessing.Process(target=server,
                  args=(('127.0.0.1', port), c1, c2, worker_p.pid, connections))
    server_p.start()

    c1.close()
    c2.close()
