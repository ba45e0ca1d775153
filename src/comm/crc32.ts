/**
 * Heartbeat's `crc` auth method: CRC-32 with polynomial 0x04C11DB7, MSB
 * first (not reflected), initial value 0, final value complemented and no
 * length appended (CRC-32/CKSUM without cksum's length step). Check value
 * for "123456789" is 765e7680. Unkeyed: it detects corruption, not forgery.
 */

const TABLE: Uint32Array = (() => {
  const t = new Uint32Array(256);
  for (let i = 0; i < 256; i++) {
    let c = i << 24;
    for (let k = 0; k < 8; k++) c = c & 0x80000000 ? (c << 1) ^ 0x04c11db7 : c << 1;
    t[i] = c >>> 0;
  }
  return t;
})();

/** The CRC as an unsigned 32-bit number. */
export function crc32Heartbeat(data: Uint8Array): number {
  let crc = 0;
  for (const byte of data) crc = ((crc << 8) ^ TABLE[((crc >>> 24) ^ byte) & 0xff]!) >>> 0;
  return ~crc >>> 0;
}

/** The CRC as Heartbeat prints it: `%lx`, lower-case hex without leading zeros. */
export function crc32HeartbeatHex(data: Uint8Array): string {
  return crc32Heartbeat(data).toString(16);
}
