/** The `connect` check: a TCP connection to the real server's check port within the timeout. */
import { connect } from "node:net";
import type { CheckOutcome, CheckSignal } from "./runner.js";

/** Opens and immediately closes one TCP connection; never throws. */
export function checkConnect(host: string, port: number, signal: CheckSignal): Promise<CheckOutcome> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve({ ok: false, message: "timed out" });
    const s = connect({ host, port });
    const done = (ok: boolean, message: string): void => {
      signal.removeEventListener("abort", onAbort);
      s.destroy();
      resolve({ ok, message });
    };
    const onAbort = (): void => done(false, "connect timed out");
    signal.addEventListener("abort", onAbort, { once: true });
    s.once("connect", () => done(true, "connected"));
    s.once("error", (e: NodeJS.ErrnoException) => done(false, `connect failed: ${e.code ?? e.message}`));
  });
}
