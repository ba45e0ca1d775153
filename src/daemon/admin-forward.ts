/**
 * A non-DC node's side of an hbctl change handed to the DC: the request is
 * numbered, and hbctl's answer waits for the DC's verdict (`admin-result`),
 * which only the DC it was sent to can give. Without a verdict in time the
 * change is reported unconfirmed (hbctl exit 3), never as done: it may still
 * be applied.
 */
import type { TimerPort } from "../exec/types.js";
import { type AdminRequest, type CommandResult, IpcRefusal } from "../ipc/protocol.js";

/** How long hbctl waits for the DC's verdict on a change handed to it (below hbctl's 5 s timeout). */
export const ADMIN_ANSWER_MS = 3000;

/** A change handed to the DC without its verdict in time: an error (hbctl exit 3), not a success. */
export function adminUnconfirmed(change: string, dc: string, waitedMs: number): string {
  return (
    `${change}: not confirmed by the DC ${dc} within ${waitedMs / 1000} s; it was sent and may still be ` +
    `applied: check with "hbctl status" or "hbctl cib show" before asking again`
  );
}

export interface AdminForwardPorts {
  readonly timers: TimerPort;
  /** Sends the numbered request to the DC. */
  readonly send: (msg: { k: "admin"; req: AdminRequest; rid: number }, dc: string) => void;
}

export class AdminForward {
  private readonly waits = new Map<number, { dc: string; done: (ok: boolean, message: string) => void }>();
  private seq = 0;

  constructor(private readonly ports: AdminForwardPorts) {}

  /** Hands `req` (described by `change`) to `dc`; resolves with its verdict, rejects with IpcRefusal. */
  forward(req: AdminRequest, change: string, dc: string): Promise<CommandResult> {
    const rid = ++this.seq;
    this.ports.send({ k: "admin", req, rid }, dc);
    return new Promise<CommandResult>((resolve, reject) => {
      const timer = this.ports.timers.setTimeout(() => {
        this.waits.delete(rid);
        reject(new IpcRefusal(adminUnconfirmed(change, dc, ADMIN_ANSWER_MS), "unavailable"));
      }, ADMIN_ANSWER_MS);
      this.waits.set(rid, {
        dc,
        done: (ok, message) => {
          this.ports.timers.clearTimeout(timer);
          if (ok) resolve({ message: `${message} (applied by the DC ${dc})` });
          else reject(new IpcRefusal(`the DC ${dc} refused: ${message}`, "refused"));
        },
      });
    });
  }

  /** The verdict `rid` from `from`: it settles the wait when `from` is the DC the request went to. */
  verdict(from: string, rid: number, ok: boolean, message: string): void {
    const w = this.waits.get(rid);
    if (w === undefined || from !== w.dc) return;
    this.waits.delete(rid);
    w.done(ok, message);
  }
}
