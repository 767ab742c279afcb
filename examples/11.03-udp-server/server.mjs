// Recipe 11.3, "Creating a UDP Server", in Node: the recipe's time server on
// @net/udp-server, answering every datagram with the time as time.ctime() writes it. The
// same command line as recipe_server.py next to it:
//
//   node examples/11.03-udp-server/server.mjs [PORT] [DATAGRAMS]
//
// It binds 127.0.0.1:PORT (0: a free port; default 20000, the recipe's), prints the bound
// port on its first line and, after answering DATAGRAMS datagrams (default: no limit),
// closes and exits. The recipe's client talks to it unchanged:
//
//   python3 examples/11.03-udp-server/recipe_client.py PORT
import { createUdpServer, formatCtime } from '@net/udp-server';

const port = Number(process.argv[2] ?? 20000);
const datagrams = Number(process.argv[3] ?? Number.POSITIVE_INFINITY);
let answered = 0;

// class TimeHandler(BaseRequestHandler): handle() gets the datagram and its sender.
const server = createUdpServer(async (msg) => {
  console.log('Got connection from', [msg.address, msg.port]);
  await msg.reply(formatCtime(new Date())); // sock.sendto(time.ctime().encode(), address)
  if (++answered === datagrams) await server.close();
});

const address = await server.bind({ host: '127.0.0.1', port }); // UDPServer(('', 20000), ...)
console.log(address.port);
