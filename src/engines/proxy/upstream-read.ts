// How a relay reads from the real server: through onread, so no Buffer is made per read and the stream
// machinery (push, 'data') is skipped. A write that the kernel does not take at once keeps referring to
// the bytes it was given, so a read buffer may be read into again only once no write holds it:
// - at first a socket reads into one buffer that every relay of this process shares, and each chunk is
//   copied out before the callback returns (small copies come from Node's Buffer pool);
// - a socket that reads a large chunk (a bulk transfer) gets a buffer of its own and writes from it
//   without a copy; when such a write is left pending, the next read goes into a fresh buffer.
import type { OnReadOpts, Socket } from 'node:net';

const READ_SIZE = 64 * 1024;
const OWN_BUFFER_AT = 16 * 1024;
const SHARED = Buffer.allocUnsafeSlow(READ_SIZE);

// Node asks readBuffer() for a socket's first buffer and again right after every read callback, where
// a non-buffer keeps the current one: the callback leaves its answer in swapTo.
let afterRead = false;
let swapTo: Uint8Array | undefined;
function readBuffer(): Uint8Array {
  if (!afterRead) return SHARED;
  afterRead = false;
  const next = swapTo;
  swapTo = undefined;
  return next as Uint8Array; // undefined: keep reading into the same buffer
}

/** onread options for an upstream socket whose bytes go to peerOf(socket); false from write() pauses it. */
export function upstreamOnread(peerOf: (socket: Socket) => Socket | undefined): OnReadOpts {
  return {
    buffer: readBuffer,
    callback(this: Socket, nread: number, buf: Uint8Array): boolean {
      const peer = peerOf(this);
      let ok = true;
      if (peer !== undefined) {
        if (buf === SHARED) {
          ok = peer.write(Buffer.copyBytesFrom(buf, 0, nread));
          if (nread >= OWN_BUFFER_AT) swapTo = Buffer.allocUnsafeSlow(READ_SIZE);
        } else {
          ok = peer.write(buf.subarray(0, nread));
          if (peer.writableLength !== 0) swapTo = Buffer.allocUnsafeSlow(READ_SIZE);
        }
      }
      afterRead = true;
      return ok;
    },
  };
}
