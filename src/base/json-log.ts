/**
 * hbd's logger: pino's JSON records, written without pino (issue 15: loading
 * pino and its helpers was about 55 ms of CPU, a fifth of hbd's start-up, and
 * its modules stayed in the heap). It writes what
 * `pino({ base, timestamp: isoTime, level }, stream)` writes for the calls hbd
 * makes, `log.<level>(fields, message)`, byte for byte (checked against pino
 * in test/unit/base/json-log.test.ts):
 *
 *     {"level":30,"time":"<ISO 8601>",<base fields>,<fields>,"msg":"<message>"}\n
 *
 * Levels are pino's numbers (debug 20, info 30, warn 40, error 50); fields
 * whose value is undefined or a function are left out; an `err` field holding
 * an Error is written as pino's serializer writes it ({type, message, stack}).
 * The stream gets one string per record, synchronously (LogSink).
 */
import { isoTime } from "./iso-time.js";
import type { Logger } from "./ports.js";

export const LEVELS = { debug: 20, info: 30, warn: 40, error: 50 } as const;
export type LevelName = keyof typeof LEVELS;

export interface JsonLogOptions {
  /** Fields written into every record after `time` (pino's `base`). */
  readonly base: Readonly<Record<string, string | number>>;
  /** Records below this level are not formatted at all. */
  readonly level: LevelName;
  /** Wall clock, ms since the epoch (tests fix it). */
  readonly now?: () => number;
}

export interface JsonLogger extends Logger {
  /** pino's flush: the stream writes synchronously, so there is nothing to flush. */
  flush(): void;
}

function fieldValue(key: string, value: unknown): string | undefined {
  if (value === undefined || typeof value === "function" || typeof value === "symbol") return undefined;
  const v = key === "err" && value instanceof Error ? errorFields(value) : value;
  try {
    return JSON.stringify(v);
  } catch {
    return '"[unable to serialize, circular reference is too complex to analyze]"';
  }
}

/** pino-std-serializers' err for the errors hbd might log: type, message, stack and own fields. */
function errorFields(e: Error): Record<string, unknown> {
  const out: Record<string, unknown> = {
    type: e.constructor?.name ?? "Error",
    message: e.message,
    stack: e.stack,
  };
  for (const [k, v] of Object.entries(e)) if (!(k in out)) out[k] = v;
  return out;
}

export function jsonLogger(o: JsonLogOptions, stream: { write(chunk: string): unknown }): JsonLogger {
  const now = o.now ?? Date.now;
  let bindings = "";
  for (const [k, v] of Object.entries(o.base)) bindings += `,${JSON.stringify(k)}:${JSON.stringify(v)}`;
  const min = LEVELS[o.level];
  const write = (level: number, fields: object, msg: string): void => {
    if (level < min) return;
    let line = `{"level":${level},"time":"${isoTime(now())}"${bindings}`;
    for (const [k, v] of Object.entries(fields)) {
      const value = fieldValue(k, v);
      if (value !== undefined) line += `,${JSON.stringify(k)}:${value}`;
    }
    stream.write(`${line},"msg":${JSON.stringify(msg)}}\n`);
  };
  return {
    debug: (f, m) => write(LEVELS.debug, f, m),
    info: (f, m) => write(LEVELS.info, f, m),
    warn: (f, m) => write(LEVELS.warn, f, m),
    error: (f, m) => write(LEVELS.error, f, m),
    flush: () => {},
  };
}
