/**
 * The director's metrics and status-page section, from its status
 * (DirectorStatus: what `hbctl lvs status` reads). Pure. Used by
 * hb-director's own listener (--metrics-listen) and by hbd's, which reads
 * the status files the ldirectord agent has hb-director write.
 *
 * Label `director`: the configuration file's name (ldirectord.cf), so two
 * instances on one node stay apart; `service`: the virtual (tcp:VIP:PORT);
 * `real`: the real server (IP:PORT).
 */
import { type Cell, esc, humanMs, type Section, table } from "../monitor/html.js";
import type { Family, Sample } from "../monitor/prom.js";
import { stateSet } from "../monitor/prom.js";
import type { DirectorStatus } from "./director.js";

export interface DirectorView {
  /** The configuration file's base name. */
  readonly name: string;
  readonly status: DirectorStatus;
  /** Age of the status (now - updatedAt), ms. */
  readonly ageMs: number;
}

/** A status older than this is from a director that stopped writing it (it writes every check period). */
export const STALE_STATUS_MS = 60_000;

const HEALTH = ["up", "down", "maintenance", "fallback"] as const;

export function directorRunning(v: DirectorView): boolean {
  return v.status.phase === "running" && v.ageMs <= STALE_STATUS_MS;
}

function perReal(
  views: readonly DirectorView[],
  value: (
    v: DirectorView,
    s: string,
    r: DirectorStatus["services"][number]["reals"][number],
  ) => number | undefined,
): Sample[] {
  const out: Sample[] = [];
  for (const v of views)
    for (const s of v.status.services)
      for (const r of s.reals) {
        const x = value(v, s.key, r);
        if (x !== undefined)
          out.push({ labels: { director: v.name, service: s.key, real: r.key }, value: x });
      }
  return out;
}

/** Prometheus families for every director view given (tandem_director_*). */
export function directorFamilies(views: readonly DirectorView[]): Family[] {
  return [...daemonFamilies(views), ...realFamilies(views)];
}

function daemonFamilies(views: readonly DirectorView[]): Family[] {
  const d = (v: DirectorView) => ({ director: v.name });
  return [
    {
      name: "tandem_director_up",
      help: "1 while hb-director runs and its status is fresh (written within 60 s), else 0.",
      type: "gauge",
      samples: views.map((v) => ({ labels: d(v), value: directorRunning(v) ? 1 : 0 })),
    },
    {
      name: "tandem_director_status_age_seconds",
      help: "Seconds since hb-director last wrote its status.",
      type: "gauge",
      samples: views.map((v) => ({ labels: d(v), value: Math.max(0, v.ageMs) / 1000 })),
    },
    {
      name: "tandem_director_table_changes_total",
      help: "Changes applied to the IPVS/nftables table since hb-director started (service or real added, edited, removed).",
      type: "counter",
      samples: views.map((v) => ({ labels: d(v), value: v.status.tableChanges ?? 0 })),
    },
    {
      name: "tandem_director_table_update_failed",
      help: "1 when the last table update failed (hb-director retries), else 0.",
      type: "gauge",
      samples: views.map((v) => ({ labels: d(v), value: v.status.lastApplyError === undefined ? 0 : 1 })),
    },
    {
      name: "tandem_director_check_round_duration_seconds",
      help: "Duration of the last check period's checks, first start to last end.",
      type: "gauge",
      samples: views.flatMap((v) =>
        v.status.lastRound ? [{ labels: d(v), value: v.status.lastRound.durationMs / 1000 }] : [],
      ),
    },
    {
      name: "tandem_director_service_quorum_up",
      help: "1 when real servers carry the virtual service's traffic, 0 when none is up (the fallback serves, if any).",
      type: "gauge",
      samples: views.flatMap((v) =>
        v.status.services.map((s) => ({ labels: { ...d(v), service: s.key }, value: s.quorumUp ? 1 : 0 })),
      ),
    },
  ];
}

function realFamilies(views: readonly DirectorView[]): Family[] {
  return [
    {
      name: "tandem_director_real_health",
      help: "Health of each real server as a state set: 1 for the current state (up, down, maintenance, fallback).",
      type: "gauge",
      samples: views.flatMap((v) =>
        v.status.services.flatMap((s) =>
          s.reals.flatMap((r) =>
            stateSet({ director: v.name, service: s.key, real: r.key }, "health", HEALTH, r.health),
          ),
        ),
      ),
    },
    {
      name: "tandem_director_real_in_table",
      help: "1 when the real server is in the table (weight below), else 0.",
      type: "gauge",
      samples: perReal(views, (_v, _s, r) => (r.weight === undefined ? 0 : 1)),
    },
    {
      name: "tandem_director_real_weight",
      help: "The real server's weight in the table (0: quiescent); absent when it is not in the table.",
      type: "gauge",
      samples: perReal(views, (_v, _s, r) => r.weight),
    },
    {
      name: "tandem_director_real_active_connections",
      help: "Active connections to the real server (ipvsadm ActiveConn).",
      type: "gauge",
      samples: perReal(views, (_v, _s, r) => r.active),
    },
    {
      name: "tandem_director_real_inactive_connections",
      help: "Inactive connections to the real server (ipvsadm InActConn).",
      type: "gauge",
      samples: perReal(views, (_v, _s, r) => r.inactive),
    },
    {
      name: "tandem_director_real_check_duration_seconds",
      help: "Duration of the real server's last health check (latency of the check).",
      type: "gauge",
      samples: perReal(views, (_v, _s, r) =>
        r.lastCheck?.durationMs === undefined ? undefined : r.lastCheck.durationMs / 1000,
      ),
    },
    {
      name: "tandem_director_real_checks_total",
      help: "Health checks run against the real server since hb-director started (retries included).",
      type: "counter",
      samples: perReal(views, (_v, _s, r) => (r.role === "fallback" ? undefined : (r.checks ?? 0))),
    },
    {
      name: "tandem_director_real_check_failures_total",
      help: "Failed health checks of the real server since hb-director started.",
      type: "counter",
      samples: perReal(views, (_v, _s, r) => (r.role === "fallback" ? undefined : (r.checkFailures ?? 0))),
    },
  ];
}

const HEALTH_CLASS: Record<string, "ok" | "bad" | "warn" | "dim"> = {
  up: "ok",
  down: "bad",
  maintenance: "warn",
  fallback: "warn",
};

/** The "Real servers" section: one row per real of every director. */
export function directorSection(views: readonly DirectorView[], nowMs: number): Section {
  const rows: Cell[][] = [];
  const notes: string[] = [];
  for (const v of views) {
    if (!directorRunning(v))
      notes.push(
        `${v.name}: hb-director is ${v.status.phase === "running" ? "silent" : v.status.phase} (status ${humanMs(v.ageMs)} old)`,
      );
    if (v.status.lastApplyError !== undefined)
      notes.push(`${v.name}: last table update FAILED: ${v.status.lastApplyError}`);
    for (const s of v.status.services)
      for (const r of s.reals) {
        const last = r.lastCheck;
        rows.push([
          s.quorumUp ? s.key : { text: `${s.key} (no real up)`, cls: "bad" },
          r.key,
          { text: r.health, cls: HEALTH_CLASS[r.health] ?? "dim" },
          r.weight === undefined ? { text: "not in table", cls: "dim" } : String(r.weight),
          `${r.active} / ${r.inactive}`,
          last === undefined
            ? { text: r.role === "fallback" ? "-" : "not checked yet", cls: "dim" }
            : `${last.message} (${last.durationMs ?? "?"} ms, ${humanMs(Math.max(0, nowMs - last.at))} ago)`,
        ]);
      }
  }
  const html =
    notes.map((n) => `<p class="bad">${esc(n)}</p>`).join("\n") +
    table(
      "reals",
      ["Virtual service", "Real server", "Health", "Weight", "Active / inactive", "Last check"],
      rows,
      views.length === 0 ? "No hb-director status on this node." : "No real server configured.",
    );
  return { title: "Real servers (director)", html };
}
