// Recipe 11.11 ("Passing a Socket File Descriptor Between Processes") in Node: like the
// recipe's server process (recipe.py), the primary accepts connections and passes each
// socket to a worker process (worker.mjs), which echoes; with @net/ipc's spawnWorkers.
// Prints the bound port first, then its own pid; the workers print theirs with what they
// receive, as the recipe's CHILD does.
//
// Usage: node examples/11.11-socket-passing/server.mjs [PORT] [CONNECTIONS]
//   It binds 127.0.0.1:PORT (0: a free port; default 15000, the recipe's), prints the bound
//   port on its first line and exits once CONNECTIONS connections (default: no limit) were
//   passed to the workers and closed.
// With the Python echo client (the book tries its server with telnet):
//   node examples/11.11-socket-passing/server.mjs 0 1
//   python3 examples/11.11-socket-passing/echo_client.py PORT Hello World
import { spawnWorkers } from '@net/ipc';

const port = Number(process.argv[2] ?? 15000);
const connections = Number(process.argv[3] ?? Number.POSITIVE_INFINITY);
const pool = await spawnWorkers({
  module: new URL('./worker.mjs', import.meta.url),
  count: 2,
  host: '127.0.0.1',
  port,
});
console.log(pool.address.port);
console.log(`SERVER ${process.pid}: workers ${pool.pids.join(' ')}`);

// The bounded run: the workers report each closed connection to the primary.
if (Number.isFinite(connections)) {
  const timer = setInterval(() => {
    const { dispatched, active } = pool.stats();
    if (dispatched < connections || active > 0) return;
    clearInterval(timer);
    pool.close();
  }, 50);
}
