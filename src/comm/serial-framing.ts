/**
 * Heartbeat's serial framing (reference 3.13): a serial link carries classic
 * text frames only, and the reader finds them line by line: it skips lines
 * until one is exactly `>>>`, then collects lines until one is exactly `<<<`.
 * There is no length prefix and no escaping, so a frame is carryable only if
 * it is a classic frame whose interior never holds a `>>>` or `<<<` line (the
 * classic encoder guarantees that: newlines inside values and nested structs
 * are replaced by bytes 0x13 and 20+depth).
 *
 * Pure. The writer side checks a frame and strips the NUL that UDP senders
 * append; the reader side is an incremental deframer with hard bounds.
 */

const NL = 0x0a;
const CR = 0x0d;
const NUL = 0x00;
const START = [0x3e, 0x3e, 0x3e]; // ">>>"
const END = [0x3c, 0x3c, 0x3c]; // "<<<"

/** Why a frame cannot go on a serial link. */
export type SerialFrameProblem = "empty" | "not-classic" | "nested-marker" | "contains-nul";

/**
 * The bytes to write for `frame`: the frame itself, minus one trailing NUL.
 * Returns a problem when the frame is not `>>>\n ... <<<\n` or could not be
 * found again by the line reader.
 */
export function serialPayload(frame: Uint8Array): Uint8Array | SerialFrameProblem {
  if (frame.length === 0) return "empty";
  const body = frame[frame.length - 1] === NUL ? frame.subarray(0, frame.length - 1) : frame;
  const n = body.length;
  if (n < 8 || !isMarkerLine(body, 0, 3, START) || body[3] !== NL) return "not-classic";
  if (body[n - 1] !== NL || !isMarkerLine(body, n - 4, n - 1, END) || body[n - 5] !== NL)
    return "not-classic";
  let lineStart = 4;
  for (let i = 4; i < n - 4; i++) {
    const b = body[i];
    if (b === NUL) return "contains-nul";
    if (b !== NL) continue;
    if (isMarkerLine(body, lineStart, stripCr(body, lineStart, i), START)) return "nested-marker";
    if (isMarkerLine(body, lineStart, stripCr(body, lineStart, i), END)) return "nested-marker";
    lineStart = i + 1;
  }
  return body;
}

export interface DeframerStats {
  /** Complete frames returned. */
  readonly frames: number;
  /** Frames abandoned because they grew beyond maxFrameBytes. */
  readonly oversize: number;
  /** Frames abandoned because a new `>>>` line came before `<<<`. */
  readonly truncated: number;
  /** Bytes skipped outside any frame (line noise, partial frames after a restart). */
  readonly skippedBytes: number;
}

/**
 * Finds classic frames in a serial byte stream. Feed it chunks as they come;
 * it returns the complete frames, each `>>>\n ... <<<\n` with `\n` line ends
 * (CRs and leading NULs of lines dropped). Memory use is bounded by
 * `maxFrameBytes` whatever the input.
 */
export class SerialDeframer {
  private line: number[] = [];
  /** Lines of the frame being collected, or undefined while hunting for `>>>`. */
  private frame: Uint8Array[] | undefined;
  private frameBytes = 0;
  /** True while skipping the rest of an over-long line. */
  private discarding = false;
  private readonly counters = { frames: 0, oversize: 0, truncated: 0, skippedBytes: 0 };

  constructor(readonly maxFrameBytes: number) {}

  get stats(): DeframerStats {
    return { ...this.counters };
  }

  /** Consumes a chunk and returns the frames it completed, oldest first. */
  push(chunk: Uint8Array): Uint8Array[] {
    const out: Uint8Array[] = [];
    for (const b of chunk) {
      if (b === NL) {
        if (!this.discarding) this.endLine(out);
        else this.counters.skippedBytes++;
        this.discarding = false;
        this.line = [];
        continue;
      }
      if (this.discarding || b === CR || (b === NUL && this.line.length === 0)) {
        this.counters.skippedBytes++;
        continue;
      }
      this.line.push(b);
      if (this.frameBytes + this.line.length + 1 > this.maxFrameBytes) this.overflow();
    }
    return out;
  }

  private endLine(out: Uint8Array[]): void {
    const line = Uint8Array.from(this.line);
    if (sameBytes(line, START)) {
      if (this.frame !== undefined) {
        this.counters.truncated++;
        this.counters.skippedBytes += this.frameBytes;
      }
      this.frame = [line];
      this.frameBytes = 4;
      return;
    }
    if (this.frame === undefined) {
      this.counters.skippedBytes += line.length + 1;
      return;
    }
    this.frame.push(line);
    this.frameBytes += line.length + 1;
    if (!sameBytes(line, END)) return;
    const bytes = new Uint8Array(this.frameBytes);
    let at = 0;
    for (const l of this.frame) {
      bytes.set(l, at);
      at += l.length;
      bytes[at++] = NL;
    }
    out.push(bytes);
    this.counters.frames++;
    this.frame = undefined;
    this.frameBytes = 0;
  }

  /** The current frame (or line) grew too long: drop it and hunt for the next `>>>`. */
  private overflow(): void {
    if (this.frame !== undefined) this.counters.oversize++;
    this.counters.skippedBytes += this.frameBytes + this.line.length;
    this.frame = undefined;
    this.frameBytes = 0;
    this.line = [];
    this.discarding = true;
  }
}

function isMarkerLine(b: Uint8Array, start: number, end: number, marker: readonly number[]): boolean {
  if (end - start !== 3) return false;
  return b[start] === marker[0] && b[start + 1] === marker[1] && b[start + 2] === marker[2];
}

function stripCr(b: Uint8Array, start: number, end: number): number {
  return end > start && b[end - 1] === CR ? end - 1 : end;
}

function sameBytes(a: Uint8Array, marker: readonly number[]): boolean {
  return a.length === marker.length && a.every((x, i) => x === marker[i]);
}
