// Recipe 11.7's client in Node, on @net/ipc: the recipe's three objects go out as pickles
// (codec: 'pickle') and come back, printed as Node shows them: 'hello', 42,
// [ 1, 2, 3, 4, 5 ]. The same command line as recipe_client.py next to it; run it against
// the recipe's server:
//
//   python3 examples/11.07-ipc/recipe_server.py 0     (prints its port)
//   node examples/11.07-ipc/client.mjs PORT
import { inspect } from 'node:util';
import { connect } from '@net/ipc';

const port = Number(process.argv[2] ?? 25000);

// c = Client(('localhost', 25000), authkey=b'peekaboo')
const c = await connect({ host: '127.0.0.1', port, authkey: 'peekaboo', codec: 'pickle' });
for (const obj of ['hello', 42, [1, 2, 3, 4, 5]]) {
  await c.send(obj); // c.send(obj)
  console.log(inspect(await c.recv())); // c.recv()
}
c.close();
