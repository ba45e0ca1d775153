/**
 * NODE_EXTRA_CA_CERTS and hbd (issue 15 §5, start-up). Node 20 reads that file
 * into its certificate store at every process start, before any code runs:
 * on the test machine ~60-100 ms of CPU and ~4 MB of RSS per start, for a
 * daemon that opens no TLS connection (its resource agents, fence agents and
 * respawned clients run with an environment of their own: exec/env.ts,
 * respawn.ts). The package's /usr/sbin/hbd wrapper (scripts/package.mjs)
 * therefore starts node without it, handing its value over as
 * TANDEM_NODE_EXTRA_CA_CERTS; hbd puts it back into its environment at once,
 * so that what does inherit hbd's environment (alert agents: alert-runner.ts)
 * sees the administrator's setting unchanged.
 */
export const CA_HANDOVER = "TANDEM_NODE_EXTRA_CA_CERTS";

/** The shell lines of the wrapper that start node without the variable (sh; `set -u` safe). */
export const WRAPPER_CA_LINES =
  `if [ -n "\${NODE_EXTRA_CA_CERTS:-}" ]; then ${CA_HANDOVER}=$NODE_EXTRA_CA_CERTS; export ${CA_HANDOVER}; fi\n` +
  "unset NODE_EXTRA_CA_CERTS\n";

/** Puts NODE_EXTRA_CA_CERTS back from the wrapper's hand-over (in `env`, normally process.env). */
export function restoreExtraCaCerts(env: NodeJS.ProcessEnv): void {
  const v = env[CA_HANDOVER];
  if (v === undefined) return;
  delete env[CA_HANDOVER];
  if (env.NODE_EXTRA_CA_CERTS === undefined && v !== "") env.NODE_EXTRA_CA_CERTS = v;
}
