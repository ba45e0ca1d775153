/**
 * `openTransport`: the one place that maps a configured Medium to its
 * Transport implementation. The serial adapter (and with it the serialport
 * native binding) is loaded only when a serial medium is opened.
 */
import type { Medium } from "../config/model.js";
import type { SerialOptions } from "./serial.js";
import type { Transport } from "./transport.js";
import { openUdpTransport, type UdpOptions } from "./udp.js";

export type OpenOptions = UdpOptions & SerialOptions;

/**
 * Opens `medium`. Rejects with a TransportError ("no-device", "no-address",
 * "address-in-use", "permission", "io") and never leaves a socket or port open
 * when it does.
 */
export async function openTransport(medium: Medium, opts: OpenOptions = {}): Promise<Transport> {
  if (medium.kind === "serial") {
    const { openSerialTransport } = await import("./serial.js");
    return openSerialTransport(medium, opts);
  }
  return openUdpTransport(medium, opts);
}
