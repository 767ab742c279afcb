// Recipe 11.13 ("Sending and Receiving Large Arrays") in Node: the recipe's receiving side
// (recipe_client.py) with @net/bulk-transfer. recvInto is the recipe's recv_into: it fills
// the preallocated array in place, and on a connection made by connectForBulk the kernel
// writes straight into the array's memory (no copy at all). Then it checks every element
// and prints the sum, as recipe_client.py does.
//
// Usage: node examples/11.13-bulk-transfer/client.mjs [PORT] [COUNT]
//   PORT default 25000 (the recipe's); COUNT doubles, default 50,000,000 (400 MB).
// Against the recipe's Python server (Debian's python3 has NumPy):
//   /usr/bin/python3 examples/11.13-bulk-transfer/recipe_server.py 0 2000000
//   node examples/11.13-bulk-transfer/client.mjs PORT 2000000
import { connectForBulk, recvInto } from '@net/bulk-transfer';

const port = Number(process.argv[2] ?? 25000);
const c = await connectForBulk({ host: '127.0.0.1', port });

const show = (values) => console.log(`[${values.join(' ')}]`);
const a = new Float64Array(Number(process.argv[3] ?? 50_000_000)); // numpy.zeros(shape=count, dtype=float)
show(a.subarray(0, 10));
await recvInto(c, a, { timeout: 60_000 });
show(a.subarray(0, 10));
show(a.subarray(-10));
c.socket.destroy();

console.log(
  'arange:',
  a.every((x, i) => x === i),
);
console.log(
  'sum:',
  a.reduce((sum, x) => sum + x, 0),
);
