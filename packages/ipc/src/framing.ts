/**
 * multiprocessing.connection's framing on sockets: a 4-byte big-endian signed length, then
 * the body; over 0x7fffffff bytes, the header is -1 followed by an 8-byte big-endian
 * unsigned length (`Connection._send_bytes` / `_recv_bytes` in CPython 3.8+).
 */

/** Largest length the 4-byte header carries; longer messages use the -1 escape. */
export const MAX_SHORT_LENGTH = 0x7fffffff;

/** The header announcing a body of `length` bytes. */
export function encodeHeader(length: number): Buffer {
  if (length <= MAX_SHORT_LENGTH) {
    const header = Buffer.allocUnsafe(4);
    header.writeInt32BE(length, 0);
    return header;
  }
  const header = Buffer.allocUnsafe(12);
  header.writeInt32BE(-1, 0);
  header.writeBigUInt64BE(BigInt(length), 4);
  return header;
}

/** Reads the 4-byte header: the length, or -1 when an 8-byte length follows. */
export function decodeShortHeader(bytes: Uint8Array): number {
  return (
    ((bytes[0] as number) << 24) |
    ((bytes[1] as number) << 16) |
    ((bytes[2] as number) << 8) |
    (bytes[3] as number)
  );
}

/** Reads the 8-byte length that follows a -1 header (beyond 2^53 it saturates, which any limit refuses). */
export function decodeLongHeader(bytes: Uint8Array): number {
  const view = new DataView(bytes.buffer, bytes.byteOffset, 8);
  return view.getUint32(0) * 0x1_0000_0000 + view.getUint32(4);
}
