"""The recipe 11.3 client: asks a UDP time server for the time and parses the answer.

Usage: time_client.py HOST PORT COUNT. Sends COUNT empty datagrams (one at a time), checks
each answer came from (HOST, PORT), parses it with time.strptime in time.ctime()'s format
and checks it renders back to the same text and is close to this machine's clock.
Prints OK and the last answer, or fails with a traceback.
"""
import socket
import sys
import time

host, port, count = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
family = socket.AF_INET6 if ":" in host else socket.AF_INET
s = socket.socket(family, socket.SOCK_DGRAM)
s.settimeout(5)
text = ""
for _ in range(count):
    s.sendto(b"", (host, port))
    data, addr = s.recvfrom(8192)
    assert addr[0] == host and addr[1] == port, f"answer from {addr}, expected {(host, port)}"
    text = data.decode("ascii")
    parsed = time.strptime(text, "%a %b %d %H:%M:%S %Y")
    assert time.ctime(time.mktime(parsed)) == text, f"{text!r} is not what time.ctime() prints"
    skew = abs(time.mktime(parsed) - time.time())
    assert skew < 120, f"server time {text!r} is {skew:.0f} s away from ours"
s.close()
print("OK", text)
