"""A stand-in for httpbin.org on loopback, so that recipe 11.1's clients run offline.

GET and POST answer 200 with what the request carried, as one line of JSON like httpbin's:
{"method", "path", "args" (the query), "form" (a form-encoded body), "headers" (names in
Title-Case, as httpbin shows them)}.

usage: python3 httpbin_server.py [PORT] [REQUESTS]
Binds 127.0.0.1:PORT (0: a free port; the default), prints the port on its first line and,
after REQUESTS requests (default: no limit), exits.
"""
import json
import sys
from http.server import BaseHTTPRequestHandler, HTTPServer
from urllib.parse import parse_qsl, urlsplit


class EchoHandler(BaseHTTPRequestHandler):
    def do_GET(self):
        self.echo(b'')

    def do_POST(self):
        self.echo(self.rfile.read(int(self.headers.get('Content-Length', 0))))

    def echo(self, body):
        url = urlsplit(self.path)
        is_form = self.headers.get_content_type() == 'application/x-www-form-urlencoded'
        reply = json.dumps({
            'method': self.command,
            'path': url.path,
            'args': dict(parse_qsl(url.query)),
            'form': dict(parse_qsl(body.decode())) if is_form else {},
            'headers': {name.title(): value for name, value in self.headers.items()},
        }).encode()
        self.send_response(200)
        self.send_header('Content-Type', 'application/json')
        self.send_header('Content-Length', str(len(reply)))
        self.end_headers()
        self.wfile.write(reply)

    def log_message(self, format, *args):
        pass  # stdout carries the port; no access log


port = int(sys.argv[1]) if len(sys.argv) > 1 else 0
requests = int(sys.argv[2]) if len(sys.argv) > 2 else None
server = HTTPServer(('127.0.0.1', port), EchoHandler)
print(server.server_address[1], flush=True)
if requests is None:
    server.serve_forever()
else:
    for _ in range(requests):
        server.handle_request()
    server.server_close()
