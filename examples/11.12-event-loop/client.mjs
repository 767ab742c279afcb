// Recipe 11.12's clients in Node, written as handlers on @net/event-loop's EventLoop: one
// datagram to the UDP time server, then 'Hello\n' to the TCP echo server (same port number
// for both, as in recipe_server.py); each prints what comes back.
//
// Usage: node examples/11.12-event-loop/client.mjs [PORT]   (default 16000, the recipe's)
// Against the recipe's Python server:
//   python3 examples/11.12-event-loop/recipe_server.py 0 2
//   node examples/11.12-event-loop/client.mjs PORT
import { createSocket } from 'node:dgram';
import { once } from 'node:events';
import { connect } from 'node:net';
import { EventHandler, EventLoop, TcpClient } from '@net/event-loop';

const port = Number(process.argv[2] ?? 16000);
const loop = new EventLoop({
  onError: (error) => {
    console.error(error.code, error.message, error.cause?.code ?? '');
    process.exitCode = 1;
  },
});

class TimeRequest extends EventHandler {
  constructor(socket) {
    super();
    this.socket = socket;
  }
  wantsToReceive() {
    return true;
  }
  handleReceive(datagram) {
    console.log('time:', String(datagram));
    loop.remove(this);
    this.socket.close();
    echo.send(Buffer.from('Hello\n')); // then the TCP part
  }
}

class HelloClient extends TcpClient {
  received = '';
  wantsToReceive() {
    return true;
  }
  handleReceive(chunk) {
    this.received += chunk;
    if (chunk.length === 0 || this.received.endsWith('\n')) {
      console.log('Got:', JSON.stringify(this.received));
      this.close();
    }
  }
}

const echo = new HelloClient(connect(port, '127.0.0.1'), loop);
loop.add(echo);
const udp = createSocket('udp4').bind(0, '127.0.0.1');
await once(udp, 'listening');
loop.add(new TimeRequest(udp));
udp.send(Buffer.alloc(0), port, '127.0.0.1');
