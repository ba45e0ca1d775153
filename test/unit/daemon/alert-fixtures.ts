// A CIB with two nodes (ids 101, 102) and the given <alert> elements, for the alert tests.
import type { Cib } from "../../../src/cib/model.js";
import { parseCib } from "../../../src/cib/parse.js";

export function cibWithAlerts(alerts: string): Cib {
  const xml = `<cib admin_epoch="0" epoch="1" num_updates="0" validate-with="pacemaker-3.7"><configuration>
<crm_config/><nodes><node id="101" uname="n1"/><node id="102" uname="n2"/></nodes><resources/><constraints/>
<alerts>${alerts}</alerts></configuration><status/></cib>`;
  const p = parseCib(xml);
  if (p.value === undefined) throw new Error(JSON.stringify(p.diagnostics));
  return p.value;
}
