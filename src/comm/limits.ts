/**
 * Hard bounds the wire decoders enforce before they allocate anything. Every
 * frame that exceeds one of them is refused with a typed error; none of them
 * can be exceeded by a frame Heartbeat 3.0.6 itself produces.
 *
 * - `maxFrameBytes`: Heartbeat's MAXMSG for UDP is 256 KiB, so no valid
 *   datagram is larger. We refuse anything above it before looking inside.
 * - `maxFields`: fields across the whole message, nested ones included. Real
 *   control messages carry 5 to 15; Heartbeat grows its field arrays without
 *   a fixed limit, but a 256 KiB frame of empty fields would otherwise cost
 *   tens of thousands of objects.
 * - `maxDepth`: nesting of struct fields. Heartbeat's classic format has one
 *   newline substitute per depth and gives up at MAXDEPTH 10; 8 leaves room.
 * - `maxNameBytes`: Heartbeat's MAX_NAME_LEN is 255.
 * - `maxValueBytes`: any single value; bounded by the frame anyway, kept
 *   separate so callers of the encoder get a precise error.
 * - `maxListItems`: items of one list field (type 3).
 */
export interface WireLimits {
  readonly maxFrameBytes: number;
  readonly maxFields: number;
  readonly maxDepth: number;
  readonly maxNameBytes: number;
  readonly maxValueBytes: number;
  readonly maxListItems: number;
}

/** Heartbeat's MAXMSG (256 KiB): the largest datagram a real node sends or accepts. */
export const HEARTBEAT_MAXMSG = 256 * 1024;

export const DEFAULT_WIRE_LIMITS: WireLimits = {
  maxFrameBytes: HEARTBEAT_MAXMSG,
  maxFields: 1024,
  maxDepth: 8,
  maxNameBytes: 255,
  maxValueBytes: HEARTBEAT_MAXMSG,
  maxListItems: 1024,
};
