/**
 * Alerts: ldirectord's email alerts (emailalert / emailalertfreq /
 * emailalertstatus, sent through the `smtp` relay with a minimal SMTP client)
 * and a generic notify-command hook run for every health event.
 */
import { spawn } from "node:child_process";
import { connect } from "node:net";
import { hostname } from "node:os";
import type { DaemonPhase, EmailAlertSettings } from "./model.js";

export interface MailMessage {
  readonly from: string;
  readonly to: readonly string[];
  readonly subject: string;
  readonly body: string;
}

/** Splits "host[:port]" (default port 25). */
export function smtpTarget(relay: string): { host: string; port: number } {
  const m = /^\[?([^\]]+?)\]?(?::(\d+))?$/.exec(relay.trim());
  return { host: m?.[1] ?? relay, port: m?.[2] ? Number(m[2]) : 25 };
}

/**
 * Sends one message: greeting, EHLO (HELO if refused), MAIL FROM, RCPT TO per
 * recipient, DATA with dot-stuffing, QUIT. Rejects on any unexpected reply or
 * after timeoutMs.
 */
export function sendMail(relay: string, msg: MailMessage, timeoutMs = 10_000): Promise<void> {
  const { host, port } = smtpTarget(relay);
  const me = hostname();
  const data = [
    `From: ${msg.from}`,
    `To: ${msg.to.join(", ")}`,
    `Subject: ${msg.subject}`,
    `Date: ${new Date().toUTCString()}`,
    "MIME-Version: 1.0",
    "Content-Type: text/plain; charset=utf-8",
    "",
    ...msg.body.split(/\r?\n/).map((l) => (l.startsWith(".") ? `.${l}` : l)),
  ].join("\r\n");
  // each step: the command to send (undefined = just read the greeting) and the reply codes accepted
  const steps: [string | undefined, RegExp][] = [
    [undefined, /^220/],
    [`EHLO ${me}`, /^250/],
    [`MAIL FROM:<${msg.from}>`, /^250/],
    ...msg.to.map((t): [string, RegExp] => [`RCPT TO:<${t}>`, /^25[01]/]),
    ["DATA", /^354/],
    [`${data}\r\n.`, /^250/],
    ["QUIT", /^221/],
  ];
  return new Promise((resolve, reject) => {
    const s = connect({ host, port });
    let buf = "";
    let i = 0;
    let heloTried = false;
    const timer = setTimeout(() => fail(new Error(`SMTP ${relay}: timed out`)), timeoutMs);
    const fail = (e: Error): void => {
      clearTimeout(timer);
      s.destroy();
      reject(e);
    };
    const send = (): void => {
      const cmd = steps[i]?.[0];
      if (cmd !== undefined) s.write(`${cmd}\r\n`);
    };
    s.on("error", (e) => fail(new Error(`SMTP ${relay}: ${e.message}`)));
    s.on("data", (b: Buffer) => {
      buf += b.toString("utf8");
      // a reply is complete at a line "NNN text" (no dash after the code)
      for (;;) {
        const lines = buf.split("\r\n");
        const end = lines.findIndex((l) => /^\d{3}( |$)/.test(l));
        if (end < 0 || end === lines.length - 1) return;
        const reply = lines[end] ?? "";
        buf = lines.slice(end + 1).join("\r\n");
        const step = steps[i];
        if (!step) return;
        if (!step[1].test(reply)) {
          if (step[0]?.startsWith("EHLO") && !heloTried) {
            heloTried = true;
            s.write(`HELO ${me}\r\n`);
            continue;
          }
          return fail(
            new Error(`SMTP ${relay}: "${step[0]?.split("\r\n")[0] ?? "greeting"}" got "${reply}"`),
          );
        }
        i++;
        if (i >= steps.length) {
          clearTimeout(timer);
          s.end();
          return resolve();
        }
        send();
      }
    });
  });
}

/** A health or table event worth telling someone about. */
export interface AlertEvent {
  /** "real-up", "real-down", "fallback-in", "fallback-out", "reminder", "phase". */
  readonly kind: string;
  readonly service: string;
  readonly real?: string;
  readonly message: string;
  readonly phase: DaemonPhase;
}

/** Subject line in ldirectord's spirit. */
export function alertSubject(e: AlertEvent): string {
  switch (e.kind) {
    case "real-up":
      return `hb-director: real server ${e.real} of ${e.service} is up`;
    case "real-down":
      return `hb-director: real server ${e.real} of ${e.service} is down`;
    case "reminder":
      return `hb-director: Inaccessible real server ${e.real} of ${e.service}`;
    case "fallback-in":
      return `hb-director: fallback server serves ${e.service}`;
    case "fallback-out":
      return `hb-director: fallback server left ${e.service}`;
    default:
      return `hb-director: ${e.message}`;
  }
}

/**
 * Decides who gets what: mails per virtual (recipients, phases, repeat
 * frequency for down reals) and the notify command for every event.
 * Failures are reported through `warn`, never thrown.
 */
export class Alerter {
  /** service|real -> when the last mail about it being down went out (ms). */
  private readonly lastDownMail = new Map<string, number>();
  readonly sent: MailMessage[] = [];

  constructor(
    private readonly opts: {
      readonly notifyCommand?: string | undefined;
      readonly warn: (msg: string) => void;
      /** Test hook: deliver instead of SMTP. */
      readonly deliver?: (relay: string, msg: MailMessage) => Promise<void>;
    },
  ) {}

  /** Handles one event for a virtual with these alert settings. */
  async emit(e: AlertEvent, settings: EmailAlertSettings, now: number): Promise<void> {
    const tasks: Promise<void>[] = [];
    if (this.opts.notifyCommand) tasks.push(this.notify(e));
    if (settings.to.length > 0 && settings.status.includes(e.phase)) {
      const k = `${e.service}|${e.real ?? ""}`;
      if (e.kind === "real-down") this.lastDownMail.set(k, now);
      if (e.kind === "real-up") this.lastDownMail.delete(k);
      tasks.push(this.mail(e, settings));
    }
    await Promise.all(tasks);
  }

  /** Repeats "inaccessible" mails for reals still down every emailalertfreq. */
  async remind(
    down: readonly { service: string; real: string; settings: EmailAlertSettings }[],
    phase: DaemonPhase,
    now: number,
  ): Promise<void> {
    const tasks: Promise<void>[] = [];
    const stillDown = new Set(down.map((d) => `${d.service}|${d.real}`));
    for (const k of this.lastDownMail.keys()) if (!stillDown.has(k)) this.lastDownMail.delete(k);
    for (const d of down) {
      const k = `${d.service}|${d.real}`;
      const last = this.lastDownMail.get(k);
      if (d.settings.freqMs <= 0 || d.settings.to.length === 0 || !d.settings.status.includes(phase))
        continue;
      if (last === undefined || now - last < d.settings.freqMs) continue;
      this.lastDownMail.set(k, now);
      tasks.push(
        this.mail(
          { kind: "reminder", service: d.service, real: d.real, message: "still down", phase },
          d.settings,
        ),
      );
    }
    await Promise.all(tasks);
  }

  private async mail(e: AlertEvent, s: EmailAlertSettings): Promise<void> {
    const msg: MailMessage = {
      from: s.from ?? `hb-director@${hostname()}`,
      to: s.to,
      subject: alertSubject(e),
      body: `${e.message}\n\nservice: ${e.service}\n${e.real ? `real server: ${e.real}\n` : ""}phase: ${e.phase}\ntime: ${new Date().toISOString()}\n`,
    };
    try {
      if (this.opts.deliver) await this.opts.deliver(s.smtp ?? "127.0.0.1:25", msg);
      else await sendMail(s.smtp ?? "127.0.0.1:25", msg);
      this.sent.push(msg);
    } catch (err) {
      this.opts.warn(`email alert to ${s.to.join(", ")} failed: ${(err as Error).message}`);
    }
  }

  /** Runs `notifyCommand KIND SERVICE REAL` with HB_DIRECTOR_* variables; bounded to 10 s. */
  private notify(e: AlertEvent): Promise<void> {
    const cmd = this.opts.notifyCommand ?? "";
    return new Promise((resolve) => {
      const c = spawn(cmd, [e.kind, e.service, e.real ?? ""], {
        stdio: "ignore",
        env: {
          ...process.env,
          HB_DIRECTOR_EVENT: e.kind,
          HB_DIRECTOR_SERVICE: e.service,
          HB_DIRECTOR_REAL: e.real ?? "",
          HB_DIRECTOR_MESSAGE: e.message,
          HB_DIRECTOR_PHASE: e.phase,
        },
      });
      const t = setTimeout(() => c.kill("SIGKILL"), 10_000);
      c.on("error", (err) => {
        clearTimeout(t);
        this.opts.warn(`notify command ${cmd} failed: ${err.message}`);
        resolve();
      });
      c.on("close", (code) => {
        clearTimeout(t);
        if (code !== 0) this.opts.warn(`notify command ${cmd} exited ${code}`);
        resolve();
      });
    });
  }
}
