// Recipe 11.7, "Communicating Simply Between Interpreters", in Node: the recipe's echo
// server on @net/ipc's Listener. With codec: 'pickle', recv() and send() read and write
// the pickles of Python's conn.send() / conn.recv(), so the recipe's client runs unchanged
// against it. The same command line as recipe_server.py next to it:
//
//   node examples/11.07-ipc/server.mjs [PORT] [CONNECTIONS]
//
// It binds 127.0.0.1:PORT (0: a free port; default 25000, the recipe's), prints the bound
// port on its first line and, after CONNECTIONS clients (default: no limit), closes and
// exits. Then:
//
//   python3 examples/11.07-ipc/recipe_client.py PORT
import { listen } from '@net/ipc';

const port = Number(process.argv[2] ?? 25000);
const connections = Number(process.argv[3] ?? Number.POSITIVE_INFINITY);

// def echo_client(conn): send back every message until the client closes (EOFError).
async function echoClient(conn) {
  try {
    for (;;) await conn.send(await conn.recv());
  } catch (error) {
    if (error.code !== 'ERR_CONNECTION_CLOSED') throw error;
    console.log('Connection closed');
  }
}

// def echo_server(address, authkey): accept clients one at a time, as the recipe does.
const serv = await listen({ host: '127.0.0.1', port, authkey: 'peekaboo', codec: 'pickle' });
console.log(serv.address.port);
let served = 0;
for await (const client of serv) {
  try {
    await echoClient(client);
  } catch (error) {
    console.error(error); // traceback.print_exc()
  } finally {
    client.close();
  }
  if (++served === connections) await serv.close();
}
