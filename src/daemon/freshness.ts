/**
 * Freshness proof between Tandem peers (issue 13 item 4): a frame recorded
 * earlier must not make a restarted node believe a dead peer is alive.
 *
 * Each node picks a random nonce at start (through the Prng port) and carries
 * it in every status (`tnonce`). Every status also echoes the newest nonce it
 * has seen from each peer (`techo="a:NONCE b:NONCE"`). The frame is signed, so
 * the echo is signed with it. A status of a Tandem peer (one that carries
 * `tnonce`) counts as a sign of life only when it echoes this incarnation's
 * nonce: that proves it was written after this node started. A recording made
 * before cannot contain the echo, whatever its generation and sequence numbers.
 *
 * - A status without the echo is `unproven`: it is kept out of sequence tracking
 *   (so it cannot advance the high-water marks nor be re-played as a gap fill),
 *   it keeps an already live peer alive (a peer restarting within deadtime
 *   echoes one keepalive later), it never makes a peer alive.
 * - Its nonce is learned all the same when the frame is newer than anything
 *   accepted from the peer (membership decides), else two restarted nodes would
 *   wait for each other's echo forever. A changed nonce is answered with a
 *   status at once, so the proof takes one round trip, not a keepalive.
 * - Other sequenced messages (CRM, resource protocol) of a Tandem peer are taken
 *   only in a generation it has proven; before that they are dropped before
 *   sequence tracking and asked for again (NS_rexmit) once it is proven.
 * - Heartbeat peers (and Tandem before this protocol) send no `tnonce`: their
 *   frames are taken as before (docs/FAILURE-MODES.md: Heartbeat accepts any
 *   newer generation or sequence number). A status without `tnonce` of a peer
 *   that sent one is taken only in a newer generation (a downgrade is a restart).
 * - A peer known from the previous run (its marks, peer-marks.ts) but not heard
 *   in this one: its non-status messages wait for its first status.
 *
 * Pure: the nonce comes from the caller.
 */
import type { Prng } from "../base/prng.js";

/** This incarnation's nonce, in every Tandem status. */
export const NONCE_FIELD = "tnonce";
/** `peer:nonce` pairs (space separated): the newest nonce seen from each peer. */
export const ECHO_FIELD = "techo";

/** 64 random bits as 16 hex digits. */
export function newNonce(prng: Prng): string {
  const hex = () => prng.nextUint32().toString(16).padStart(8, "0");
  return hex() + hex();
}

export type Gate = "ok" | "unproven";

/** What the gate reads from one authenticated sequenced frame. */
export interface FrameFacts {
  readonly status: boolean;
  readonly generation: number;
  /** The `tnonce` field, if any. */
  readonly nonce: string | undefined;
  /** The `techo` field, if any. */
  readonly echo: string | undefined;
}

interface PeerFreshness {
  /** Newest nonce seen from it (echoed in our statuses) and the generation it came with. */
  nonce?: string;
  nonceGeneration?: number;
  /** Highest generation of an accepted status with `tnonce`. */
  capableGeneration?: number;
  /** Generation of the newest accepted status without `tnonce`. */
  legacyGeneration?: number;
  /** Highest generation in which an accepted status echoed our nonce. */
  provenGeneration?: number;
  /** Known from the previous run's marks, not yet heard in this one. */
  seeded: boolean;
}

export class Freshness {
  private readonly peers = new Map<string, PeerFreshness>();

  constructor(
    readonly localNode: string,
    readonly nonce: string,
  ) {}

  private peer(name: string): PeerFreshness {
    let p = this.peers.get(name);
    if (p === undefined) {
      p = { seeded: false };
      this.peers.set(name, p);
    }
    return p;
  }

  /** Peers known from the previous run (their marks were loaded). */
  seed(names: Iterable<string>): void {
    for (const n of names) this.peer(n).seeded = true;
  }

  /** Whether the echo names this incarnation's nonce. */
  echoesUs(echo: string | undefined): boolean {
    return echo?.split(" ").includes(`${this.localNode}:${this.nonce}`) === true;
  }

  /** Decides, before sequence tracking, whether the frame may be taken. */
  gate(name: string, f: FrameFacts): Gate {
    const p = this.peer(name);
    if (f.status) {
      if (f.nonce !== undefined) return this.echoesUs(f.echo) ? "ok" : "unproven";
      return p.capableGeneration === undefined || f.generation > p.capableGeneration ? "ok" : "unproven";
    }
    if (p.provenGeneration === f.generation || p.legacyGeneration === f.generation) return "ok";
    const unknown = p.capableGeneration === undefined && p.legacyGeneration === undefined;
    return unknown && !p.seeded ? "ok" : "unproven";
  }

  /**
   * A status newer than anything accepted from the peer: remember its nonce
   * for our echo. True when it changed (answer with a status at once).
   */
  learn(name: string, generation: number, nonce: string | undefined): boolean {
    if (nonce === undefined || !/^[0-9a-f]{1,32}$/.test(nonce)) return false;
    const p = this.peer(name);
    if (p.nonceGeneration !== undefined && generation < p.nonceGeneration) return false;
    p.nonceGeneration = generation;
    if (p.nonce === nonce) return false;
    p.nonce = nonce;
    return true;
  }

  /** Sequence tracking accepted the frame (fresh, or a gap filled). */
  accepted(name: string, f: FrameFacts): void {
    if (!f.status) return;
    const p = this.peer(name);
    p.seeded = false;
    if (f.nonce === undefined) {
      p.legacyGeneration = Math.max(p.legacyGeneration ?? f.generation, f.generation);
      return;
    }
    p.capableGeneration = Math.max(p.capableGeneration ?? f.generation, f.generation);
    if (this.echoesUs(f.echo))
      p.provenGeneration = Math.max(p.provenGeneration ?? f.generation, f.generation);
  }

  /** The `techo` value: every peer's newest nonce; undefined before any. */
  echo(): string | undefined {
    const pairs = [...this.peers]
      .filter(([, p]) => p.nonce !== undefined)
      .map(([n, p]) => `${n}:${p.nonce}`)
      .sort();
    return pairs.length === 0 ? undefined : pairs.join(" ");
  }

  /** For `hbctl status --json`-like diagnostics and tests: whether `name` proved itself in `generation`. */
  proven(name: string, generation: number): boolean {
    return this.peers.get(name)?.provenGeneration === generation;
  }
}
