"""Python multiprocessing.connection peer for @net/ipc's interop tests.

Usage:
  mp_peer.py listen <authkey-hex|-> [family]   -> prints "PORT <n>" then serves one connection
  mp_peer.py client <port|path> <authkey-hex|-> -> connects (TCP, or a Unix socket path) and runs the script below

The script (both roles): receive messages and answer each with a description
"<len> <sha256-hex>" followed by an echo of the same bytes; a message b"BIG:<n>" makes
the peer send an n-byte message of a known pattern instead; b"QUIT" ends.
"""
import hashlib
import sys
from multiprocessing.connection import Client, Listener


def pattern(n):
    block = bytes(range(256)) * 4096  # 1 MiB
    whole, rest = divmod(n, len(block))
    return b"".join([block] * whole) + block[:rest]


def serve(conn):
    while True:
        try:
            msg = conn.recv_bytes()
        except EOFError:
            return
        if msg == b"QUIT":
            conn.close()
            return
        if msg.startswith(b"BIG:"):
            conn.send_bytes(pattern(int(msg[4:])))
            continue
        conn.send_bytes(f"{len(msg)} {hashlib.sha256(msg).hexdigest()}".encode())
        conn.send_bytes(msg)
        del msg


def key(arg):
    return None if arg == "-" else bytes.fromhex(arg)


def main():
    role = sys.argv[1]
    if role == "listen":
        with Listener(("127.0.0.1", 0), authkey=key(sys.argv[2])) as listener:
            print(f"PORT {listener.address[1]}", flush=True)
            try:
                conn = listener.accept()
            except Exception as error:  # wrong key: report and stop
                print(f"ERROR {type(error).__name__}", flush=True)
                return
            print("ACCEPTED", flush=True)
            serve(conn)
    else:
        try:
            target = sys.argv[2]
            address = ("127.0.0.1", int(target)) if target.isdigit() else target
            conn = Client(address, authkey=key(sys.argv[3]))
        except Exception as error:
            print(f"ERROR {type(error).__name__}", flush=True)
            return
        print("CONNECTED", flush=True)
        serve(conn)


if __name__ == "__main__":
    main()
