// Load target for bench/suites/http-client-h2.mjs, run in its own process: a node:http2
// TLS server (dev certificates from @net/tls, ALPN h2 only) answering every request with
// the same 1 KiB body. Sends its port and CA to the parent; exits when the parent disconnects.
import { mkdtemp, rm } from 'node:fs/promises';
import { createSecureServer } from 'node:http2';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateDevCertificates } from '@net/tls';

const BODY = Buffer.alloc(1024, 'x');
const dir = await mkdtemp(join(tmpdir(), 'bench-h2-'));
const certs = await generateDevCertificates({ dir, hosts: ['127.0.0.1'] });
const server = createSecureServer(
  { cert: certs.server.cert, key: certs.server.key },
  (_req, res) => {
    res.writeHead(200, {
      'content-type': 'application/octet-stream',
      'content-length': BODY.length,
    });
    res.end(BODY);
  },
);
server.listen({ port: 0, host: '127.0.0.1' }, () => {
  process.send?.({ port: server.address().port, ca: certs.caCert.toString() });
});
process.on('disconnect', async () => {
  server.close();
  await rm(dir, { recursive: true, force: true });
  process.exit(0);
});
