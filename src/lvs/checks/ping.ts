/** The `ping` check: up to `count` ICMP echo attempts (the system `ping`), each bounded by the timeout. */
import { checkExternal } from "./external.js";
import type { CheckOutcome } from "./runner.js";

/** One attempt per signal; the caller's signal bounds the whole check. */
export async function checkPing(
  host: string,
  count: number,
  timeoutMs: number,
  signal: AbortSignal,
): Promise<CheckOutcome> {
  const wait = String(Math.max(1, Math.ceil(timeoutMs / 1000)));
  let last: CheckOutcome = { ok: false, message: "no attempt" };
  for (let i = 0; i < Math.max(1, count) && !signal.aborted; i++) {
    const attempt = AbortSignal.any([signal, AbortSignal.timeout(timeoutMs)]);
    last = await checkExternal("ping", ["-n", "-q", "-c", "1", "-W", wait, host], attempt);
    if (last.ok) return { ok: true, message: "echo reply" };
  }
  return { ok: false, message: `no echo reply (${last.message})` };
}
