/**
 * hb-director --metrics-listen: the director's own /metrics and status page
 * (monitor/http.ts), from Director.status() when asked. For a director run
 * without hbd; under hbd, hbd's listener shows the same from the status file
 * (scrape one of the two, or sums count every real twice).
 */
import type { ListenAddress } from "../config/values.js";
import { formatListenAddress } from "../config/values.js";
import { htmlPage } from "../monitor/html.js";
import { type MonitorServer, startMonitorServer } from "../monitor/http.js";
import { renderExposition } from "../monitor/prom.js";
import type { Director, DirectorLogger } from "./director.js";
import { type DirectorView, directorFamilies, directorSection } from "./monitor.js";

/** Starts the listener; undefined (logged) when it cannot bind: the director runs on without it. */
export async function serveDirectorMonitor(
  at: ListenAddress,
  director: Director,
  name: string,
  log: DirectorLogger,
): Promise<MonitorServer | undefined> {
  const view = async (): Promise<DirectorView> => ({ name, status: await director.status(), ageMs: 0 });
  const where = formatListenAddress(at);
  try {
    const server = await startMonitorServer(at, {
      metrics: async () => renderExposition(directorFamilies([await view()])),
      page: async () => {
        const v = await view();
        const meta = [
          `hb-director pid ${v.status.pid}, backend ${v.status.backend}, ${v.status.phase}, config ${v.status.configFile}.`,
          `Generated ${new Date(v.status.updatedAt).toISOString()}; this page reloads every 5 s. Metrics: /metrics`,
        ];
        return htmlPage(`hb-director: ${name}`, meta, [directorSection([v], Date.now())], 5);
      },
      onError: (e) => log.error({ err: e.message }, `status page / metrics: ${e.message}`),
    });
    log.info({ address: where }, `metrics and status page on http://${where}/`);
    return server;
  } catch (e) {
    log.error(
      { address: where, err: (e as Error).message },
      `--metrics-listen ${where}: ${(e as Error).message}`,
    );
    return undefined;
  }
}
