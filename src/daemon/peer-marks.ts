/**
 * Peers' high-water marks across restarts (issue 13 item 4): the newest
 * generation and sequence number accepted from each peer, in the state dir
 * (`hb_peer_marks`, one `node generation seq` line per peer). A restarted
 * node seeds its membership with them, so a recording of frames it had
 * already accepted is dropped as a replay instead of reviving a dead peer.
 *
 * Saved at most every `intervalMs` while they change, and at once when a peer
 * dies and at shutdown (the moments a recording becomes dangerous). Heartbeat
 * keeps no such file; it is Tandem's own.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { PeerMark } from "../membership/types.js";
import { writeFileAtomic } from "./state.js";

export const PEER_MARKS_FILE = "hb_peer_marks";

export function formatPeerMarks(marks: ReadonlyMap<string, PeerMark>): string {
  return [...marks].map(([n, m]) => `${n} ${m.generation} ${m.seq}\n`).join("");
}

/** Parses the file; lines that are not `node generation seq` are skipped (a torn file loses only them). */
export function parsePeerMarks(text: string): Map<string, PeerMark> {
  const out = new Map<string, PeerMark>();
  for (const line of text.split("\n")) {
    const m = /^(\S+) (\d{1,15}) (\d{1,15})$/.exec(line.trim());
    if (m !== null) out.set(m[1]!, { generation: Number(m[2]), seq: Number(m[3]) });
  }
  return out;
}

/** The stored marks; an unreadable file gives none and the reason (logged by the caller). */
export function readPeerMarks(stateDir: string): { marks: Map<string, PeerMark>; error?: string } {
  try {
    return { marks: parsePeerMarks(readFileSync(join(stateDir, PEER_MARKS_FILE), "utf8")) };
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    if (err.code === "ENOENT") return { marks: new Map() };
    return { marks: new Map(), error: `${join(stateDir, PEER_MARKS_FILE)}: ${err.message}` };
  }
}

/** Writes the marks when they changed, at most every `intervalMs` unless forced. */
export class PeerMarksWriter {
  private last = "";
  private lastAtMs = Number.NEGATIVE_INFINITY;

  constructor(
    private readonly stateDir: string,
    private readonly intervalMs: number,
    private readonly onError: (message: string) => void,
    private readonly write: (path: string, data: string) => void = (p, d) => writeFileAtomic(p, d, 0o600),
  ) {}

  /** Saves `marks` if changed and due (or `force`); a failure is reported, never thrown. */
  save(marks: ReadonlyMap<string, PeerMark>, nowMs: number, force = false): void {
    // the interval first: hbd calls this every tick (every 5 ms at keepalive 10 ms)
    if (!force && nowMs - this.lastAtMs < this.intervalMs) return;
    const text = formatPeerMarks(marks);
    if (text === this.last) return;
    try {
      this.write(join(this.stateDir, PEER_MARKS_FILE), text);
      this.last = text;
      this.lastAtMs = nowMs;
    } catch (e) {
      this.lastAtMs = nowMs; // retry at the next interval, not at every tick
      this.onError(`cannot save ${join(this.stateDir, PEER_MARKS_FILE)}: ${(e as Error).message}`);
    }
  }
}
