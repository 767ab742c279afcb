"""Independent peer for python.test.ts: Python's socket module against our servers.

usage: echo_client.py echo <port>   many concurrent echo clients (random slices, half-close)
       echo_client.py lines <port>  a line client against the readLine handler
Prints OK and exits 0 when every check passed.
"""
import random
import socket
import sys
import threading


def recv_all(sock):
    parts = []
    while True:
        data = sock.recv(65536)
        if not data:
            return b"".join(parts)
        parts.append(data)


def echo_client(port, seed, failures):
    rng = random.Random(seed)
    payload = bytes(rng.getrandbits(8) for _ in range(rng.randint(1, 200_000)))
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
            # The recipe's client: send, then read the echo back. Sent in random slices, and
            # read concurrently so neither side's buffers fill up.
            received = []
            reader = threading.Thread(target=lambda: received.append(recv_all(sock)))
            reader.start()
            offset = 0
            while offset < len(payload):
                size = rng.randint(1, 20_000)
                sock.sendall(payload[offset:offset + size])
                offset += size
            sock.shutdown(socket.SHUT_WR)  # half-close: the server must still echo the rest
            reader.join(10)
            if not received or received[0] != payload:
                failures.append(f"client {seed}: echo differs ({len(received[0]) if received else 'none'} of {len(payload)} bytes)")
    except Exception as error:  # noqa: BLE001 - report every failure to the test
        failures.append(f"client {seed}: {error!r}")


def run_echo(port):
    failures = []
    threads = [threading.Thread(target=echo_client, args=(port, seed, failures)) for seed in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    return failures


def run_lines(port):
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        rfile = sock.makefile("rb")
        sock.sendall(b"hello\r\nw")
        sock.sendall(b"orld\n")
        first = rfile.readline()
        second = rfile.readline()
        sock.sendall(b"no newline at the end")
        sock.shutdown(socket.SHUT_WR)
        rest = rfile.read()
    expected = (b"HELLO\n", b"WORLD\n", b"NO NEWLINE AT THE END\n")
    got = (first, second, rest)
    return [] if got == expected else [f"lines: got {got!r}, expected {expected!r}"]


def main():
    mode, port = sys.argv[1], int(sys.argv[2])
    failures = run_echo(port) if mode == "echo" else run_lines(port)
    if failures:
        print("\n".join(failures))
        sys.exit(1)
    print("OK")


if __name__ == "__main__":
    main()
