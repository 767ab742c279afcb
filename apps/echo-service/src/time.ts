/**
 * time endpoint: the recipe's UDP time server (11.12) as an `@net/event-loop` handler; any
 * datagram gets back the current time as Python's `time.ctime()` prints it.
 */
import { createSocket, type RemoteInfo } from 'node:dgram';
import { isIPv6 } from 'node:net';
import { EventLoop, UdpTimeServer } from '@net/event-loop';
import type { Logger } from './log.js';
import { createCounters, type EndpointCounters } from './stats.js';

/** `UdpTimeServer` that also counts what it serves. */
class CountingTimeServer extends UdpTimeServer {
  counters: EndpointCounters = createCounters();

  override handleReceive(datagram: Buffer, rinfo: RemoteInfo): void {
    this.counters.accepted++;
    this.counters.messages++;
    this.counters.bytesIn += datagram.length;
    this.counters.bytesOut += 24;
    super.handleReceive(datagram, rinfo);
  }
}

/** The running time endpoint. */
export interface TimeEndpoint {
  port: number;
  loop: EventLoop;
  counters: EndpointCounters;
  close(): Promise<void>;
}

/** Starts the time endpoint on its own event loop. */
export async function startTime(options: {
  host: string;
  port: number;
  logger: Logger;
}): Promise<TimeEndpoint> {
  const socket = createSocket(isIPv6(options.host) ? 'udp6' : 'udp4');
  await new Promise<void>((resolve, reject) => {
    socket.once('error', reject);
    socket.bind(options.port, options.host, () => {
      socket.off('error', reject);
      resolve();
    });
  });
  const handler = new CountingTimeServer(socket);
  const loop = new EventLoop({
    onError: (error) => {
      handler.counters.failed++;
      options.logger.failure('time', 'handler_failed', error);
    },
  });
  loop.add(handler);
  return {
    port: socket.address().port,
    loop,
    counters: handler.counters,
    close: () => loop.close(),
  };
}
