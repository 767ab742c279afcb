"""http endpoint from Python's urllib.

usage: http_client.py PORT MAX_BODY_BYTES
"""
import json
import sys
import urllib.error
import urllib.request

port, max_body = int(sys.argv[1]), int(sys.argv[2])
base = f'http://127.0.0.1:{port}'

def status_of(req):
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            return r.status, r.headers, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.headers, e.read()

code, headers, body = status_of(base + '/')
assert code == 200 and b'net-echo' in body, (code, body[:100])
assert int(headers['Content-Length']) == len(body)
hcode, hheaders, hbody = status_of(urllib.request.Request(base + '/', method='HEAD'))
assert hcode == 200 and hbody == b''
for name in ('Content-Type', 'Content-Length', 'Last-Modified'):
    assert hheaders[name] == headers[name], (name, hheaders[name], headers[name])
code, _, body = status_of(base + '/health')
assert code == 200 and json.loads(body) == {'status': 'ok'}, body
code, _, body = status_of(base + '/stats')
stats = json.loads(body)
assert code == 200 and set(stats['endpoints']) >= {'tcp', 'tls', 'udp', 'time', 'http', 'bulk', 'ipc'}
assert 'delayP99Ms' in stats['loop'] and 'utilization' in stats['loop']
data = b'{"hello": "echo"}'
code, headers, body = status_of(urllib.request.Request(
    base + '/echo', data=data, headers={'Content-Type': 'application/json'}, method='POST'))
assert code == 200 and body == data, (code, body)
assert headers['Content-Type'] == 'application/octet-stream', headers['Content-Type']
assert headers['X-Content-Type-Options'] == 'nosniff', headers
for path in ('/health', '/stats', '/metrics'):
    code, _, body = status_of(urllib.request.Request(base + path, method='HEAD'))
    assert code == 200 and body == b'', (path, code, body)
code, _, _ = status_of(urllib.request.Request(base + '/echo', data=b'x' * (max_body + 1), method='POST'))
assert code == 413, code
code, _, _ = status_of(base + '/nowhere')
assert code == 404, code
code, headers, _ = status_of(urllib.request.Request(base + '/health', data=b'', method='POST'))
assert code == 405, code
print('OK http')
