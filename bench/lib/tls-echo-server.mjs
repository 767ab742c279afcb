// Echo servers of bench/suites/tls.mjs, each run in its own process:
//   node tls-echo-server.mjs node <certs dir>   tls.createServer with noDelay, socket.pipe(socket) (the baseline)
//   node tls-echo-server.mjs ours <certs dir>   @net/tls createTlsServer, for await + write
//   node tls-echo-server.mjs plain              net.createServer, no TLS (the load check)
// Each prints "PORT <n>" once listening on 127.0.0.1 and runs until killed. The certificates
// are the suite's dev certificates (generateDevCertificates reuses them from the dir).
import { once } from 'node:events';
import { createServer as createNetServer } from 'node:net';
import { createServer as createNodeTlsServer } from 'node:tls';
import { createTlsServer, generateDevCertificates } from '@net/tls';

const [mode, dir] = process.argv.slice(2);

const echo = (socket) => {
  socket.on('error', () => undefined);
  socket.pipe(socket);
};

async function listening(server) {
  server.listen({ host: '127.0.0.1', port: 0, backlog: 1024 });
  await once(server, 'listening');
  return server.address().port;
}

async function start() {
  if (mode === 'plain') return listening(createNetServer({ noDelay: true }, echo));
  const certs = await generateDevCertificates({ dir });
  const tlsOptions = { cert: certs.server.cert, key: certs.server.key };
  if (mode === 'node') {
    // noDelay as @net/tls sets it by default: like with like.
    const server = createNodeTlsServer(
      { ...tlsOptions, minVersion: 'TLSv1.2', noDelay: true },
      echo,
    );
    server.on('tlsClientError', (_error, socket) => socket.destroy());
    return listening(server);
  }
  if (mode === 'ours') {
    // A failed handshake also fails the generator's measurement, which checks every one.
    const server = createTlsServer(
      async (conn) => {
        for await (const chunk of conn) await conn.write(chunk);
      },
      { ...tlsOptions, onError: () => undefined },
    );
    return (await server.listen({ host: '127.0.0.1', port: 0 })).port;
  }
  console.error('usage: tls-echo-server.mjs node|ours <certs dir> | plain');
  process.exit(2);
}

console.log(`PORT ${await start()}`);
