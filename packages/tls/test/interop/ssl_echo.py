"""Recipe 11.10's echo client and server, written with SSLContext (ssl.wrap_socket is gone).

Usage:
  ssl_echo.py client PORT CAFILE SERVER_HOSTNAME [CERTFILE KEYFILE]
      connects, verifies the server, sends b'Hello World', prints the echo and the TLS version
      (or VERIFY_FAILED <reason> when verification fails)
  ssl_echo.py server CERTFILE KEYFILE [CLIENT_CAFILE]
      prints its port, serves one client: echoes until EOF, then prints the client's subject
  ssl_echo.py starttls CERTFILE KEYFILE
      prints its port, serves one plain client: reads b'STARTTLS\\r\\n', answers b'OK\\r\\n',
      upgrades the connection to TLS and echoes until EOF
"""
import socket
import ssl
import sys


def client(port, cafile, hostname, certfile=None, keyfile=None):
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)  # check_hostname and CERT_REQUIRED
    ctx.load_verify_locations(cafile)
    if certfile:
        ctx.load_cert_chain(certfile, keyfile)
    with socket.create_connection(("127.0.0.1", port), timeout=10) as raw:
        try:
            s = ctx.wrap_socket(raw, server_hostname=hostname)
        except ssl.SSLCertVerificationError as e:
            print("VERIFY_FAILED", e.verify_message)
            return
        with s:
            s.sendall(b"Hello World")
            data = b""
            while len(data) < 11:
                chunk = s.recv(8192)
                if not chunk:
                    break
                data += chunk
            print(data.decode(), s.version())


def serve_one(sock_ctx, listener, starttls=False):
    conn, _ = listener.accept()
    conn.settimeout(10)
    if starttls:
        line = b""
        while not line.endswith(b"\r\n"):
            line += conn.recv(1)
        assert line == b"STARTTLS\r\n", line
        conn.sendall(b"OK\r\n")
    with sock_ctx.wrap_socket(conn, server_side=True) as s:
        while True:
            data = s.recv(8192)
            if not data:
                break
            s.sendall(data)
        cert = s.getpeercert()
        subject = dict(x[0] for x in cert["subject"]) if cert else {}
        print("PEER", subject.get("commonName", "none"), flush=True)


def server(certfile, keyfile, cafile=None, starttls=False):
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(certfile, keyfile)
    if cafile:
        ctx.verify_mode = ssl.CERT_REQUIRED
        ctx.load_verify_locations(cafile)
    with socket.create_server(("127.0.0.1", 0)) as listener:
        listener.settimeout(20)
        print(listener.getsockname()[1], flush=True)
        serve_one(ctx, listener, starttls)


if __name__ == "__main__":
    mode = sys.argv[1]
    if mode == "client":
        client(int(sys.argv[2]), sys.argv[3], sys.argv[4], *sys.argv[5:7])
    elif mode == "server":
        server(sys.argv[2], sys.argv[3], *sys.argv[4:5])
    elif mode == "starttls":
        server(sys.argv[2], sys.argv[3], starttls=True)
    else:
        sys.exit(f"unknown mode {mode}")
