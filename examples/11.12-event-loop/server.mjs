// Recipe 11.12 ("Understanding Event-Driven I/O") in Node: the recipe's handlers on
// @net/event-loop's EventLoop, which mirrors them (wantsToReceive / handleReceive /
// wantsToSend / handleSend). A UDP time server and a TCP echo server share one port number,
// as in recipe_server.py; the bound port is printed first.
//
// Usage: node examples/11.12-event-loop/server.mjs [PORT] [REQUESTS]
//   It binds 127.0.0.1:PORT (0: a free port; default 16000, the recipe's), prints the bound
//   port on its first line and exits after REQUESTS requests (time requests answered, echo
//   connections closed; default: no limit).
// With the recipe's Python clients:
//   node examples/11.12-event-loop/server.mjs 0 2
//   python3 examples/11.12-event-loop/recipe_client.py PORT
import { createSocket } from 'node:dgram';
import { once } from 'node:events';
import { createServer } from 'node:net';
import { EventLoop, formatCtime, TcpEchoClient, TcpServer, UdpServer } from '@net/event-loop';

const port = Number(process.argv[2] ?? 16000);
const requests = Number(process.argv[3] ?? Number.POSITIVE_INFINITY);
const loop = new EventLoop({ onError: (error) => console.error(error.code, error.message) });

// The bounded run: the recipe's handlers, counting what they served.
let remaining = requests;
const served = () => {
  if (--remaining === 0) loop.close();
};

class CountingTimeServer extends UdpServer {
  handleReceive(_datagram, rinfo) {
    this.socket.send(formatCtime(), rinfo.port, rinfo.address, served); // time.ctime()
  }
}

class CountingEchoClient extends TcpEchoClient {
  close() {
    super.close();
    served();
  }
}

const tcp = createServer().listen(port, '127.0.0.1');
await once(tcp, 'listening');
const udp = createSocket('udp4').bind(tcp.address().port, '127.0.0.1');
await once(udp, 'listening');

loop.add(new TcpServer(tcp, (client, l) => new CountingEchoClient(client, l), loop));
loop.add(new CountingTimeServer(udp));
console.log(tcp.address().port);
