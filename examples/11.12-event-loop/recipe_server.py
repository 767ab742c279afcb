# Recipe 11.12 of the Python Cookbook (3rd ed.), "Understanding Event-Driven I/O": the
# recipe's EventHandler, its select() event loop, its UDP time server and its TCP echo
# server, as the book gives them. Changed only so that a test can run it, in __main__:
# - the servers bind 127.0.0.1 (not '') on the port given in argv (0: a free one; default
#   16000, the recipe's TCP port) and the bound port is printed on the first line; the UDP
#   time server takes the same port number (the book's is 14000): TCP and UDP ports are
#   separate, so one number is enough for a client to find both;
# - with a second argument the loop ends after that many requests (time requests
#   answered, echo connections closed); the recipe runs forever. The book's
#   UDPEchoServer is left out, as no client here uses it.
#
# usage: python3 recipe_server.py [PORT] [REQUESTS]
import sys

class EventHandler:
    def fileno(self):
        'Return the associated file descriptor'
        raise NotImplemented('must implement')

    def wants_to_receive(self):
        'Return True if receiving is allowed'
        return False

    def handle_receive(self):
        'Perform the receive operation'
        pass

    def wants_to_send(self):
        'Return True if sending is requested'
        return False

    def handle_send(self):
        'Send outgoing data'
        pass

import select

def event_loop(handlers):
    while True:
        wants_recv = [h for h in handlers if h.wants_to_receive()]
        wants_send = [h for h in handlers if h.wants_to_send()]
        can_recv, can_send, _ = select.select(wants_recv, wants_send, [])
        for h in can_recv:
            h.handle_receive()
        for h in can_send:
            h.handle_send()

import socket
import time

class UDPServer(EventHandler):
    def __init__(self, address):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(address)

    def fileno(self):
        return self.sock.fileno()

    def wants_to_receive(self):
        return True

class UDPTimeServer(UDPServer):
    def handle_receive(self):
        msg, addr = self.sock.recvfrom(1)
        self.sock.sendto(time.ctime().encode('ascii'), addr)

class TCPServer(EventHandler):
    def __init__(self, address, client_handler, handler_list):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, True)
        self.sock.bind(address)
        self.sock.listen(1)
        self.client_handler = client_handler
        self.handler_list = handler_list

    def fileno(self):
        return self.sock.fileno()

    def wants_to_receive(self):
        return True

    def handle_receive(self):
        client, addr = self.sock.accept()
        # Add the client to the event loop's handler list
        self.handler_list.append(self.client_handler(client, self.handler_list))

class TCPClient(EventHandler):
    def __init__(self, sock, handler_list):
        self.sock = sock
        self.handler_list = handler_list
        self.outgoing = bytearray()

    def fileno(self):
        return self.sock.fileno()

    def close(self):
        self.sock.close()
        # Remove myself from the event loop's handler list
        self.handler_list.remove(self)

    def wants_to_send(self):
        return True if self.outgoing else False

    def handle_send(self):
        nsent = self.sock.send(self.outgoing)
        self.outgoing = self.outgoing[nsent:]

class TCPEchoClient(TCPClient):
    def wants_to_receive(self):
        return True

    def handle_receive(self):
        data = self.sock.recv(8192)
        if not data:
            self.close()
        else:
            self.outgoing.extend(data)

if __name__ == '__main__':
    port = int(sys.argv[1]) if len(sys.argv) > 1 else 16000
    requests = int(sys.argv[2]) if len(sys.argv) > 2 else None

    # added: a bounded run, with the recipe's handlers counting what they served
    def served():
        global requests
        if requests is not None:
            requests -= 1
            if requests == 0:
                raise SystemExit

    class CountingTimeServer(UDPTimeServer):
        def handle_receive(self):
            super().handle_receive()
            served()

    class CountingEchoClient(TCPEchoClient):
        def close(self):
            super().close()
            served()

    handlers = []
    tcp = TCPServer(('127.0.0.1', port), CountingEchoClient, handlers)
    port = tcp.sock.getsockname()[1]
    handlers.append(tcp)
    handlers.append(CountingTimeServer(('127.0.0.1', port)))
    print(port, flush=True)  # added: the bound port
    event_loop(handlers)
