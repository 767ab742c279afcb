"""Python stdlib clients for the ported recipe 11.12 servers. Usage: recipe_clients.py MODE PORT.

Prints OK on success; any failed check raises (non-zero exit, traceback on stderr).
"""
import os
import random
import socket
import sys
import threading
import time

HOST = '127.0.0.1'


def udp_time(port):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.settimeout(5)
    s.sendto(b'', (HOST, port))  # as in the recipe: any datagram asks for the time
    reply, addr = s.recvfrom(128)
    assert addr[1] == port, addr
    text = reply.decode('ascii')
    stamp = time.mktime(time.strptime(text, '%a %b %d %H:%M:%S %Y'))
    assert abs(stamp - time.time()) < 5, (text, time.ctime())
    assert len(text) == len(time.ctime()), (text, time.ctime())
    s.close()


def udp_echo(port):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.settimeout(5)
    rng = random.Random(11)
    for size in [0, 1, 2, 100, 1400, 8192] + [rng.randrange(1, 8192) for _ in range(40)]:
        msg = os.urandom(size)
        s.sendto(msg, (HOST, port))
        reply, _ = s.recvfrom(65536)
        assert reply == msg, (size, len(reply))
    s.close()


def tcp_echo(port):
    errors = []

    def client(seed):
        try:
            rng = random.Random(seed)
            data = os.urandom(rng.randrange(1, 1 << 20))
            c = socket.create_connection((HOST, port), timeout=10)
            sent = 0
            while sent < len(data):  # random slices, as a real client writes
                n = rng.randrange(1, 65536)
                c.sendall(data[sent:sent + n])
                sent += n
            c.shutdown(socket.SHUT_WR)
            chunks = []
            while True:
                chunk = c.recv(65536)
                if not chunk:
                    break
                chunks.append(chunk)
            c.close()
            got = b''.join(chunks)
            assert got == data, (seed, len(got), len(data))
        except Exception as e:  # reported by the main thread
            errors.append(repr(e))

    threads = [threading.Thread(target=client, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert not errors, errors
    assert not any(t.is_alive() for t in threads), 'a client hung'


def udp_pool(port):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.settimeout(10)
    cases = {b'0': b'0', b'10': b'55', b'20': b'6765', b'27': b'196418', b'abc': b'error: ERR_TASK_FAILED'}
    for msg in cases:  # all in flight at once: the loop answers as the pool finishes
        s.sendto(msg, (HOST, port))
    answers = sorted(s.recvfrom(128)[0] for _ in cases)
    assert answers == sorted(cases.values()), answers
    s.close()


if __name__ == '__main__':
    mode, port = sys.argv[1], int(sys.argv[2])
    {'udp-time': udp_time, 'udp-echo': udp_echo, 'tcp-echo': tcp_echo, 'udp-pool': udp_pool}[mode](port)
    print('OK')
