/**
 * Cross-field rules of the cluster model, shared by ha.cf and cluster.yaml so
 * both styles are held to the same standard: Heartbeat's fatal rules (as
 * errors) plus the warnings Tandem adds where users get hurt.
 */
import type { DiagnosticSink } from "../base/diag.js";
import type { AutoFailback, Medium, PacemakerMode, PingNode, Timing } from "./model.js";

export interface RuleInput {
  readonly timing: Timing;
  /** Names of settings given explicitly (keepalive, deadtime, initdead, auto_failback, ...). */
  readonly explicit: ReadonlySet<string>;
  /** Settings whose value was rejected: relations involving them are not checked. */
  readonly failed: ReadonlySet<string>;
  readonly media: readonly Medium[];
  readonly pingNodes: readonly PingNode[];
  readonly nodes: readonly string[];
  readonly autojoin: "none" | "other" | "any";
  readonly pacemaker: PacemakerMode;
  readonly autoFailback: AutoFailback;
}

export interface RuleOptions {
  readonly localNode?: string;
  readonly haresourcesPresent?: boolean;
  readonly style: "ha.d" | "yaml";
}

/** Checks the rules; `lineOf(setting)` gives the line of a setting (0 when not written). */
export function checkClusterRules(
  r: RuleInput,
  sink: DiagnosticSink,
  lineOf: (setting: string) => number,
  opts: RuleOptions,
): void {
  const { keepaliveMs, deadtimeMs, warntimeMs, initdeadMs, deadpingMs } = r.timing;
  const yaml = opts.style === "yaml";
  const dtLine = lineOf("deadtime") || lineOf("keepalive");
  const timingFailed = ["keepalive", "deadtime", "warntime", "initdead", "deadping"].some((n) =>
    r.failed.has(n),
  );
  const deadtimeOk = deadtimeMs > 2 * keepaliveMs;
  if (timingFailed) {
    // a value error was already reported; relations between half-parsed values would only add noise
  } else if (!deadtimeOk) {
    sink.error(
      dtLine,
      "hacf.deadtime-too-small",
      `deadtime (${deadtimeMs} ms) must be more than twice keepalive (${keepaliveMs} ms)`,
    );
  }
  if (timingFailed || !deadtimeOk) {
    // see above
  } else if (initdeadMs < deadtimeMs) {
    sink.error(
      lineOf("initdead") || dtLine,
      "hacf.initdead-too-small",
      `initdead (${initdeadMs} ms) must not be smaller than deadtime (${deadtimeMs} ms)`,
    );
  } else if (r.explicit.has("initdead") && initdeadMs < 10000) {
    sink.warning(
      lineOf("initdead"),
      "hacf.initdead-small",
      `initdead (${initdeadMs} ms) may be too small: Heartbeat recommends at least 10 s so a booting peer's network (e.g. switch spanning tree) can settle`,
    );
  } else if (initdeadMs < 2 * deadtimeMs) {
    sink.warning(
      lineOf("initdead") || dtLine,
      "hacf.initdead-lt-2x-deadtime",
      `initdead (${initdeadMs} ms) is less than twice deadtime (${deadtimeMs} ms): at boot the peer may be declared dead before its links are up, and both nodes start the resources`,
    );
  }
  if (!timingFailed && r.explicit.has("deadping") && deadpingMs <= 2 * keepaliveMs) {
    sink.error(
      lineOf("deadping"),
      "hacf.deadping-too-small",
      `deadping (${deadpingMs} ms) must be more than twice keepalive (${keepaliveMs} ms)`,
    );
  }
  if (timingFailed || !deadtimeOk) {
    // see above
  } else if (warntimeMs >= deadtimeMs) {
    sink.warning(
      lineOf("warntime"),
      "hacf.warntime-ge-deadtime",
      `warntime (${warntimeMs} ms) is not below deadtime (${deadtimeMs} ms): a peer will be declared dead without any late-heartbeat warning first`,
    );
  } else if (warntimeMs <= keepaliveMs) {
    sink.warning(
      lineOf("warntime"),
      "hacf.warntime-le-keepalive",
      `warntime (${warntimeMs} ms) is not above keepalive (${keepaliveMs} ms): every heartbeat will be reported late`,
    );
  }

  if (r.media.length === 0) {
    sink.error(
      0,
      "hacf.no-media",
      `no heartbeat media defined: add ${yaml ? "entries under media (ucast, bcast, mcast or serial)" : "ucast, bcast, mcast or serial lines"}`,
    );
  } else if (r.media.length === 1 && r.pingNodes.length === 0) {
    const m = r.media[0]!;
    sink.warning(
      m.at.line,
      "hacf.single-medium",
      "only one heartbeat medium and no ping nodes: if that link fails, both nodes will take the resources (split brain); add a second link (another ucast or a serial cable) or ping nodes",
    );
  }
  if (r.nodes.length === 0 && r.autojoin !== "any") {
    sink.error(
      0,
      "hacf.no-nodes",
      `no nodes defined: ${yaml ? "list every cluster member under nodes" : 'add "node NAME" lines for every cluster member'}`,
    );
  }
  const local = opts.localNode?.toLowerCase();
  if (local !== undefined && r.nodes.length > 0 && !r.nodes.includes(local)) {
    sink.error(
      0,
      "hacf.local-node-missing",
      `this node "${local}" is not among the configured nodes (${r.nodes.join(", ")}); node names must match "uname -n" or /etc/ha.d/nodeinfo`,
    );
  }
  if (r.pacemaker === "off" && r.autojoin !== "none" && opts.haresourcesPresent) {
    sink.error(
      lineOf("autojoin"),
      "hacf.autojoin-r1",
      "autojoin conflicts with haresources resource management (as in Heartbeat): list the nodes and set autojoin none",
    );
  }
  if (
    r.autoFailback === "legacy" &&
    !r.failed.has("auto_failback") &&
    r.pacemaker === "off" &&
    opts.haresourcesPresent !== false
  ) {
    sink.warning(
      lineOf("auto_failback"),
      "hacf.legacy-failback",
      !r.explicit.has("auto_failback")
        ? 'auto_failback is not set, so it defaults to "legacy" (the preferred node always takes its groups back and hb_standby is refused); set "auto_failback on" or "off"'
        : 'auto_failback legacy is deprecated: use "on" (resources return to their preferred node) or "off" (they stay where they are)',
    );
  }
}
