/** udp endpoint: `@net/udp-server`; each datagram is echoed to its sender. */
import { createUdpServer, type UdpServer } from '@net/udp-server';
import type { Logger } from './log.js';
import { createCounters, type EndpointCounters } from './stats.js';

/** The running udp endpoint. */
export interface UdpEndpoint {
  port: number;
  server: UdpServer;
  counters: EndpointCounters;
  close(): Promise<void>;
}

/** Starts the udp echo endpoint. */
export async function startUdp(options: {
  host: string;
  port: number;
  logger: Logger;
}): Promise<UdpEndpoint> {
  const counters = createCounters();
  const server = createUdpServer(
    (msg) => {
      counters.accepted++;
      counters.messages++;
      counters.bytesIn += msg.data.byteLength;
      counters.bytesOut += msg.data.byteLength;
      return msg.reply(msg.data);
    },
    {
      maxInFlight: 1024,
      onError: (error, context) => {
        counters.failed++;
        options.logger.failure('udp', `${context.phase}_failed`, error, {
          remoteAddress: context.address,
          remotePort: context.port,
        });
      },
    },
  );
  const { port } = await server.bind({ host: options.host, port: options.port });
  return { port, server, counters, close: () => server.close() };
}
