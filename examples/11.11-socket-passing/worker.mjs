// The worker process of server.mjs (recipe 11.11's worker()): serves the sockets the
// primary passes to it with @net/tcp-server's lifecycle (serveWorker), echoing.
import { serveWorker } from '@net/ipc';

serveWorker(async (conn) => {
  console.log(`CHILD ${process.pid}: GOT CONNECTION from ${conn.remoteAddress}:${conn.remotePort}`);
  for await (const msg of conn) {
    console.log(`CHILD ${process.pid}: RECV ${JSON.stringify(String(msg))}`);
    await conn.write(msg);
  }
});
