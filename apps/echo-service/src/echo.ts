/**
 * The one byte-stream echo of the service, for tcp (after the HMAC handshake) and tls:
 * every chunk received is written back with backpressure until the client ends its side.
 * The connection's lifecycle (limits, deadlines, idle timeout, shutdown, byte counts) is
 * the package's; this only counts the chunks it echoed, for /stats.
 */
import type { Connection } from '@net/tcp-server';

/** Chunks echoed, per endpoint. */
export interface EchoCount {
  messages: number;
}

/** Echoes `conn` until the client ends its side (or the connection's signal aborts). */
export async function echoStream(conn: Connection, count: EchoCount): Promise<void> {
  for await (const chunk of conn) {
    await conn.write(chunk);
    count.messages++;
  }
}
