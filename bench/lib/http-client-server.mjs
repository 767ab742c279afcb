// Load target for bench/suites/http-client.mjs, run in its own process: a keep-alive
// node:http server answering every request with the same 1 KiB body. Sends its port to
// the parent and exits when the parent disconnects.
import { createServer } from 'node:http';

const BODY = Buffer.alloc(1024, 'x');
const server = createServer((_req, res) => {
  res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': BODY.length });
  res.end(BODY);
});
server.keepAliveTimeout = 60_000;
server.headersTimeout = 65_000;
server.listen({ port: 0, host: '127.0.0.1', backlog: 1024 }, () => {
  process.send?.({ port: server.address().port });
});
process.on('disconnect', () => {
  server.closeAllConnections();
  server.close();
});
