// A frame (what the page draws after an epoch) from the WebSocket message that carries it.
//
// The server sends frames as binary messages:
//   bytes 0-3       the header's length n, uint32 little-endian
//   bytes 4..4+n    the header, UTF-8 JSON ({"type": "frame", "epoch", ..., "arrays": [...]})
//   then zero bytes up to a multiple of 4, then the arrays one after another, each starting at a
//   multiple of 4 from the start of the message, in the order "arrays" lists them
//   ({"name", "dtype": "u8" | "f4", "length"}).
// The arrays become views on the message's own bytes (no copy): `weights` (Float32Array),
// `boundary` and `neurons` (Uint8Array, q in 0..255 standing for q / 127.5 - 1 in [-1, 1]).

const TYPES = { u8: Uint8Array, f4: Float32Array };
const align4 = (n) => Math.ceil(n / 4) * 4;

// ArrayBuffer -> {...header, weights, boundary, neurons}. Throws on a message that does not
// hold what its header says (the page shows the error; nothing is drawn from half a frame).
export function decodeFrame(buffer) {
  const data = new DataView(buffer);
  const n = data.getUint32(0, true);
  if (4 + n > buffer.byteLength) throw new Error("a frame shorter than its header");
  const header = JSON.parse(new TextDecoder().decode(new Uint8Array(buffer, 4, n)));
  const frame = { ...header };
  let at = align4(4 + n);
  for (const { name, dtype, length } of header.arrays || []) {
    const Type = TYPES[dtype];
    if (!Type) throw new Error(`a frame array of unknown type ${dtype}`);
    if (at + length * Type.BYTES_PER_ELEMENT > buffer.byteLength) {
      throw new Error(`a frame shorter than its array ${name}`);
    }
    frame[name] = new Type(buffer, at, length);
    at = align4(at + length * Type.BYTES_PER_ELEMENT);
  }
  delete frame.arrays;
  return frame;
}

// A value in [-1, 1] (clipped) as the byte that stands for it, as the server's frames.to_u8.
export const toU8 = (v) => Math.round((Math.min(1, Math.max(-1, v)) + 1) * 127.5);
// ...and back.
export const fromU8 = (q) => q / 127.5 - 1;
