"""Reference for bench/suites/ipc.mjs: Python's multiprocessing.connection on both ends.

  ipc-pingpong.py server <authkey-hex>                  -> prints "PORT <n>", echoes every message
  ipc-pingpong.py client <port> <authkey-hex> <size> <ms> <window>
      -> ping-pong (window 1) or pipelined (window N in flight) for <ms>, prints "<trips> <ns>"
"""
import sys
import threading
import time
from multiprocessing.connection import Client, Listener


def echo(conn):
    try:
        while True:
            conn.send_bytes(conn.recv_bytes())
    except (EOFError, OSError):
        pass
    finally:
        conn.close()


def server(key):
    listener = Listener(("127.0.0.1", 0), authkey=key)
    print(f"PORT {listener.address[1]}", flush=True)
    while True:
        conn = listener.accept()
        threading.Thread(target=echo, args=(conn,), daemon=True).start()


def client(port, key, size, ms, window):
    conn = Client(("127.0.0.1", port), authkey=key)
    msg = b"x" * size
    for _ in range(200):  # warm-up
        conn.send_bytes(msg)
        conn.recv_bytes()
    trips = 0
    start = time.perf_counter_ns()
    end = start + ms * 1_000_000
    for _ in range(window):
        conn.send_bytes(msg)
    while True:
        conn.recv_bytes()
        trips += 1
        if trips % 64 == 0 and time.perf_counter_ns() >= end:
            break
        conn.send_bytes(msg)
    elapsed = time.perf_counter_ns() - start
    for _ in range(window - 1):
        conn.recv_bytes()
    conn.close()
    print(f"{trips} {elapsed}", flush=True)


if __name__ == "__main__":
    if sys.argv[1] == "server":
        server(bytes.fromhex(sys.argv[2]))
    else:
        client(int(sys.argv[2]), bytes.fromhex(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5]), int(sys.argv[6]))
