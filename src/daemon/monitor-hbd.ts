/**
 * hbd's metrics and status page from one snapshot (pure): the status report
 * `hbctl status` shows, the CIB (fail counts), the director status files
 * found on this node, and the event counts of monitor-events.ts. Names and
 * units follow Prometheus' conventions: `tandem_` prefix, seconds, `_total`
 * counters, state sets for enumerations. docs/MONITORING.md lists them.
 */
import type { Cib } from "../cib/model.js";
import { nvMap, parseFailAttributeName } from "../cib/query.js";
import type { NodeReport, StatusReport } from "../ipc/protocol.js";
import { type DirectorView, directorFamilies, directorSection } from "../lvs/monitor.js";
import { type Cell, htmlPage, humanMs, type Section, table } from "../monitor/html.js";
import { type Family, renderExposition, type Sample, stateSet } from "../monitor/prom.js";
import type { MonitorRecorder, RecentEvent } from "./monitor-events.js";

export interface HbdSnapshot {
  readonly status: StatusReport;
  /** This node's copy of the CIB (fail counts); absent without the resource manager. */
  readonly cib?: Cib;
  readonly directors: readonly DirectorView[];
  /** Wall clock, ms since the epoch. */
  readonly nowMs: number;
}

/** Seconds the status page waits before reloading itself. */
export const PAGE_REFRESH_S = 5;

const NODE_STATES = ["init", "up", "active", "dead"] as const;
const PING_STATES = ["init", "ping", "dead"] as const;
const LINK_STATES = ["init", "up", "dead"] as const;

/** fail-count-<rsc>[#op_interval] summed per resource and node; INFINITY is +Inf. */
export function failCounts(cib: Cib | undefined): { rsc: string; node: string; count: number }[] {
  const out = new Map<string, { rsc: string; node: string; count: number }>();
  for (const ns of cib?.status ?? []) {
    const node = ns.uname ?? ns.id;
    for (const [name, value] of Object.entries(nvMap(ns.transientAttributes))) {
      const a = parseFailAttributeName(name);
      if (a?.kind !== "fail-count") continue;
      const n = /^\+?INFINITY$/i.test(value) ? Number.POSITIVE_INFINITY : Number(value);
      if (!Number.isFinite(n) && n !== Number.POSITIVE_INFINITY) continue;
      const key = `${a.rsc}\u0000${node}`;
      const e = out.get(key) ?? { rsc: a.rsc, node, count: 0 };
      e.count += n;
      out.set(key, e);
    }
  }
  return [...out.values()];
}

function nodeFamilies(s: StatusReport): Family[] {
  const peers = s.nodes.filter((n) => !n.local);
  const links = s.nodes.flatMap((n) => n.links.map((l) => ({ n, l })));
  return [
    {
      name: "tandem_node_state",
      help: "Each node's membership state as a state set (normal nodes: init, up, active, dead; ping nodes: init, ping, dead).",
      type: "gauge",
      samples: s.nodes.flatMap((n) =>
        stateSet(
          { node: n.name, type: n.type },
          "state",
          n.type === "ping" ? PING_STATES : NODE_STATES,
          n.status,
        ),
      ),
    },
    {
      name: "tandem_node_last_heard_age_seconds",
      help: "Seconds since a peer or ping node was last heard on any link (absent: never heard).",
      type: "gauge",
      samples: peers.flatMap((n) =>
        n.lastHeardAgeMs === undefined ? [] : [{ labels: { node: n.name }, value: n.lastHeardAgeMs / 1000 }],
      ),
    },
    {
      name: "tandem_node_dead_interval_seconds",
      help: "The deadtime in force for a peer (its advertised deadtime).",
      type: "gauge",
      samples: peers.flatMap((n) =>
        n.deadIntervalMs === undefined ? [] : [{ labels: { node: n.name }, value: n.deadIntervalMs / 1000 }],
      ),
    },
    {
      name: "tandem_link_state",
      help: "Each heartbeat link towards each node as a state set (init: never heard, up, dead); the local node's links are its open media.",
      type: "gauge",
      samples: links.flatMap(({ n, l }) =>
        stateSet({ node: n.name, link: l.name }, "state", LINK_STATES, l.status),
      ),
    },
    {
      name: "tandem_link_last_heard_age_seconds",
      help: "Seconds since a peer was last heard on one link (absent: never heard).",
      type: "gauge",
      samples: links.flatMap(({ n, l }) =>
        l.lastHeardAgeMs === undefined
          ? []
          : [{ labels: { node: n.name, link: l.name }, value: l.lastHeardAgeMs / 1000 }],
      ),
    },
  ];
}

function commFamilies(s: StatusReport): Family[] {
  const c = s.counters;
  const counter = (name: string, help: string, value: number): Family => ({
    name,
    help,
    type: "counter",
    samples: [{ value }],
  });
  const drops: Sample[] = [
    { labels: { reason: "bad_auth" }, value: c.badAuth },
    { labels: { reason: "malformed" }, value: c.malformed },
    { labels: { reason: "replay" }, value: c.replays },
    { labels: { reason: "unknown_node" }, value: c.unknownNode },
    { labels: { reason: "duplicate" }, value: c.duplicates },
  ];
  const media = (f: (m: StatusReport["media"][number]) => number) =>
    s.media.map((m) => ({ labels: { medium: m.id, link: m.link }, value: f(m) }));
  return [
    {
      name: "tandem_frames_dropped_total",
      help: "Received frames dropped before membership, by reason (bad_auth, malformed, replay, unknown_node, duplicate).",
      type: "counter",
      samples: drops,
    },
    counter(
      "tandem_packets_lost_total",
      "Peers' sequence numbers never received (gaps not filled by retransmission).",
      c.packetsLost,
    ),
    counter(
      "tandem_retransmit_requests_sent_total",
      "Retransmission requests this node sent.",
      c.retransmitRequestsSent,
    ),
    counter(
      "tandem_retransmits_served_total",
      "Retransmissions this node sent on a peer's request.",
      c.retransmitsServed,
    ),
    counter("tandem_late_heartbeats_total", "Heartbeats that arrived later than warntime.", c.lateHeartbeats),
    {
      name: "tandem_medium_frames_sent_total",
      help: "Frames sent per medium.",
      type: "counter",
      samples: media((m) => m.framesSent),
    },
    {
      name: "tandem_medium_frames_received_total",
      help: "Frames received per medium.",
      type: "counter",
      samples: media((m) => m.framesReceived),
    },
    {
      name: "tandem_medium_send_errors_total",
      help: "Sends that failed or were refused per medium.",
      type: "counter",
      samples: media((m) => m.sendErrors),
    },
  ];
}

function crmFamilies(snap: HbdSnapshot): Family[] {
  const crm = snap.status.crm;
  if (crm === undefined) return [];
  const nodes = crm.nodes.map((n) => n.name);
  return [
    {
      name: "tandem_dc",
      help: "1 for the node this node believes is the DC (designated controller); no sample while none is elected.",
      type: "gauge",
      samples: crm.dc === undefined ? [] : [{ labels: { dc: crm.dc }, value: 1 }],
    },
    {
      name: "tandem_is_dc",
      help: "1 when this node is the DC, else 0.",
      type: "gauge",
      samples: [{ value: crm.dc === snap.status.node ? 1 : 0 }],
    },
    {
      name: "tandem_transitions_total",
      help: "Transitions (policy runs with actions) this node ran as DC.",
      type: "counter",
      samples: [{ value: crm.transitions }],
    },
    {
      name: "tandem_transition_in_progress",
      help: "1 while a transition executes, else 0.",
      type: "gauge",
      samples: [{ value: crm.busy ? 1 : 0 }],
    },
    {
      name: "tandem_crm_node_online",
      help: "1 when the resource manager counts the node online, else 0.",
      type: "gauge",
      samples: crm.nodes.map((n) => ({ labels: { node: n.name }, value: n.online ? 1 : 0 })),
    },
    {
      name: "tandem_crm_node_standby",
      help: "1 when the node is in standby, else 0.",
      type: "gauge",
      samples: crm.nodes.map((n) => ({ labels: { node: n.name }, value: n.standby ? 1 : 0 })),
    },
    {
      name: "tandem_resource_running",
      help: "1 when the resource runs on the node (its latest operation there says so), else 0.",
      type: "gauge",
      samples: crm.resources.flatMap((r) =>
        nodes.map((n) => ({ labels: { resource: r.id, node: n }, value: r.running.includes(n) ? 1 : 0 })),
      ),
    },
    {
      name: "tandem_resource_failed",
      help: "1 when the resource's latest operation on the node failed, else 0.",
      type: "gauge",
      samples: crm.resources.flatMap((r) =>
        nodes.map((n) => ({ labels: { resource: r.id, node: n }, value: r.failed.includes(n) ? 1 : 0 })),
      ),
    },
    {
      name: "tandem_resource_failcount",
      help: "The resource's fail count on the node (fail-count-* attributes; +Inf is INFINITY); absent when none.",
      type: "gauge",
      samples: failCounts(snap.cib).map((f) => ({
        labels: { resource: f.rsc, node: f.node },
        value: f.count,
      })),
    },
  ];
}

/** Every hbd family, then the recorder's, then the directors'. */
export function hbdFamilies(snap: HbdSnapshot, rec: MonitorRecorder): Family[] {
  const s = snap.status;
  return [
    {
      name: "tandem_build_info",
      help: "Always 1; the labels say the version, node and cluster.",
      type: "gauge",
      samples: [{ labels: { version: s.version, node: s.node, cluster: s.cluster }, value: 1 }],
    },
    {
      name: "tandem_uptime_seconds",
      help: "Seconds since hbd started.",
      type: "gauge",
      samples: [{ value: s.uptimeMs / 1000 }],
    },
    {
      name: "tandem_generation",
      help: "This node's generation (incremented at each start).",
      type: "gauge",
      samples: [{ value: s.generation }],
    },
    {
      name: "tandem_comm_up",
      help: "1 once every node was heard from or declared dead (Heartbeat's comm up), else 0.",
      type: "gauge",
      samples: [{ value: s.commUp ? 1 : 0 }],
    },
    {
      name: "tandem_event_loop_lag_seconds",
      help: "hbd's event-loop lag at the last tick (a late tick delays heartbeats).",
      type: "gauge",
      samples: [{ value: s.eventLoop.lagMs / 1000 }],
    },
    {
      name: "tandem_event_loop_lag_max_seconds",
      help: "The largest event-loop lag since hbd started.",
      type: "gauge",
      samples: [{ value: s.eventLoop.maxLagMs / 1000 }],
    },
    {
      name: "tandem_watchdog_armed",
      help: "1 when ha.cf's watchdog device is open and tickled, 0 when it could not be opened; absent without one.",
      type: "gauge",
      samples:
        s.watchdog === undefined
          ? []
          : [{ labels: { device: s.watchdog.device }, value: s.watchdog.armed ? 1 : 0 }],
    },
    ...nodeFamilies(s),
    ...commFamilies(s),
    ...crmFamilies(snap),
    ...rec.families(),
    ...directorFamilies(snap.directors),
  ];
}

export function hbdMetricsText(snap: HbdSnapshot, rec: MonitorRecorder): string {
  return renderExposition(hbdFamilies(snap, rec));
}

// ---------------------------------------------------------------- the status page

const STATE_CLASS: Record<string, "ok" | "bad" | "warn" | "dim"> = {
  active: "ok",
  up: "ok",
  ping: "ok",
  dead: "bad",
  init: "warn",
};

function age(ms: number | undefined): string {
  return ms === undefined ? "never" : `${humanMs(ms)} ago`;
}

function nodesSection(s: StatusReport): Section {
  const crm = s.crm;
  const rows = s.nodes.map((n: NodeReport): Cell[] => {
    const c = crm?.nodes.find((x) => x.name === n.name);
    const roles = [
      n.local ? "this node" : "",
      crm?.dc === n.name ? "DC" : "",
      c?.standby ? "standby" : "",
      n.type === "ping" ? "ping node" : "",
    ].filter((x) => x !== "");
    return [
      n.name,
      { text: n.status, cls: STATE_CLASS[n.status] ?? "dim" },
      roles.join(", "),
      n.local ? "-" : age(n.lastHeardAgeMs),
      n.links.map((l) => `${l.name} ${l.status}`).join(", ") || "-",
    ];
  });
  return {
    title: "Nodes",
    html: table("nodes", ["Node", "Status", "Role", "Last heard", "Links"], rows, "No node."),
  };
}

function linksSection(s: StatusReport): Section {
  const rows = s.nodes
    .filter((n) => n.type === "normal")
    .flatMap((n) =>
      n.links.map((l): Cell[] => [
        n.name,
        l.name,
        { text: l.status, cls: STATE_CLASS[l.status] ?? "dim" },
        n.local ? "(local medium)" : age(l.lastHeardAgeMs),
      ]),
    );
  return { title: "Links", html: table("links", ["Node", "Link", "Status", "Last heard"], rows, "No link.") };
}

function resourcesSection(snap: HbdSnapshot): Section[] {
  const crm = snap.status.crm;
  if (crm === undefined) return [{ title: "Resources", html: '<p class="dim">No resource manager.</p>' }];
  const counts = failCounts(snap.cib);
  const rows = crm.resources.map((r): Cell[] => [
    r.id,
    r.group ?? "",
    r.agent,
    r.running.length > 0 ? { text: r.running.join(", "), cls: "ok" } : { text: "stopped", cls: "warn" },
    r.failed.length > 0 ? { text: r.failed.join(", "), cls: "bad" } : "",
  ]);
  const failures = [
    ...crm.resources.flatMap((r) => r.failed.map((n): Cell[] => [r.id, n, "latest operation failed"])),
    ...counts.map((f): Cell[] => [
      f.rsc,
      f.node,
      `fail count ${f.count === Number.POSITIVE_INFINITY ? "INFINITY" : f.count}`,
    ]),
  ];
  return [
    {
      title: "Resources",
      html: table(
        "resources",
        ["Resource", "Group", "Agent", "Running on", "Failed on"],
        rows,
        "No resource configured.",
      ),
    },
    {
      title: "Failures",
      html: table("failures", ["Resource", "Node", "What"], failures, "No failure recorded."),
    },
  ];
}

function eventsSection(events: readonly RecentEvent[]): Section {
  const rows = [...events].reverse().map((e): Cell[] => [
    new Date(e.timeMs)
      .toISOString()
      .replace("T", " ")
      .replace(/\.\d+Z$/, "Z"),
    { text: e.level, cls: e.level === "error" ? "bad" : e.level === "warn" ? "warn" : "dim" },
    e.repeats === undefined ? e.event : `${e.event} (${e.repeats} times, latest shown)`,
    e.msg,
  ]);
  return {
    title: "Recent events",
    html: table("events", ["Time (UTC)", "Level", "Event", "Message"], rows, "Nothing logged yet."),
  };
}

/** The whole status page of hbd. */
export function hbdPage(snap: HbdSnapshot, rec: MonitorRecorder): string {
  const s = snap.status;
  const crm = s.crm;
  const drops = s.counters.badAuth + s.counters.malformed + s.counters.replays + s.counters.unknownNode;
  const meta = [
    `Node ${s.node} of cluster ${s.cluster}; hbd ${s.version} (pid ${s.pid}), up ${humanMs(s.uptimeMs)}, ${s.managedBy}.`,
    `DC: ${crm?.dc ?? "none elected"}${crm?.busy ? " (a transition is running)" : ""}. Event-loop lag ${s.eventLoop.lagMs} ms (max ${s.eventLoop.maxLagMs} ms); frames dropped ${drops}.`,
    `Generated ${new Date(snap.nowMs).toISOString()}; this page reloads every ${PAGE_REFRESH_S} s. Metrics: /metrics`,
  ];
  const sections = [
    nodesSection(s),
    linksSection(s),
    ...resourcesSection(snap),
    directorSection(snap.directors, snap.nowMs),
    eventsSection(rec.recent()),
  ];
  return htmlPage(`Tandem: ${s.cluster} (${s.node})`, meta, sections, PAGE_REFRESH_S);
}
