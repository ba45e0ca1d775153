/** Generated CIBs for bench:policy (also usable alone: `node dist/bench/policy-gen.js PRIMS NODES [plain]`). */

/**
 * Pacemaker's parameter digests of a parameterless ocf:pacemaker:Dummy (from
 * `crm_resource --digests`): without them Pacemaker 2.1 would restart every
 * running resource ("resource definition change").
 */
const DIGEST_START = "f2317cad3d54cec5d7d7aa7d0bf35cf8";
const DIGEST_MONITOR = "4811cef7f7f94e3a35a70be7916cb2fd";

/**
 * A generated CIB: `prims` primitives in groups of 5 on `nodes` nodes, all running where they prefer;
 * `plain`: no groups and no constraints (the end-to-end comparison of issue 17).
 */
export function generateCib(prims: number, nodes: number, plain = false): string {
  const names = Array.from({ length: nodes }, (_, i) => `node${i + 1}`);
  const groups = Math.ceil(prims / 5);
  const res: string[] = [];
  const cons: string[] = [];
  const hist: string[][] = names.map(() => []);
  let call = 10;
  const key = (rc: number): string => `${++call}:1:${rc}:00000000-0000-0000-0000-000000000000`;
  let made = 0;
  for (let g = 0; g < groups; g++) {
    const members: string[] = [];
    const home = g % nodes;
    for (let m = 0; m < 5 && made < prims; m++, made++) {
      const id = `r${g}_${m}`;
      members.push(
        `<primitive id="${id}" class="ocf" provider="pacemaker" type="Dummy"><operations><op id="${id}-mon" name="monitor" interval="10s" timeout="20s"/></operations></primitive>`,
      );
      const ops = [
        `<lrm_rsc_op id="${id}_last_0" operation="start" call-id="${call + 1}" rc-code="0" op-status="0" interval="0" transition-key="${key(0)}" last-rc-change="1704066600" op-digest="${DIGEST_START}"/>`,
        `<lrm_rsc_op id="${id}_monitor_10000" operation="monitor" call-id="${call + 1}" rc-code="0" op-status="0" interval="10000" transition-key="${key(0)}" last-rc-change="1704066600" op-digest="${DIGEST_MONITOR}"/>`,
      ];
      const lrm = (body: string): string =>
        `<lrm_resource id="${id}" class="ocf" provider="pacemaker" type="Dummy">${body}</lrm_resource>`;
      const probe = `<lrm_rsc_op id="${id}_last_0" operation="monitor" call-id="${call + 1}" rc-code="7" op-status="0" interval="0" transition-key="${key(7)}" last-rc-change="1704066600" op-digest="${DIGEST_START}"/>`;
      // running where it prefers, probed "not running" everywhere else (a steady-state cluster)
      hist.forEach((h, n) => {
        h.push(lrm(n === home ? ops.join("") : probe));
      });
    }
    if (plain) {
      res.push(...members);
      continue;
    }
    res.push(`<group id="g${g}">${members.join("")}</group>`);
    cons.push(`<rsc_location id="loc-g${g}" rsc="g${g}" node="${names[home]}" score="100"/>`);
    // short, non-chaining colocations: pairs (10k+1 with 10k) and anti-pairs (10k+5 apart from 10k+2)
    if (g % 10 === 1)
      cons.push(`<rsc_colocation id="col-g${g}" rsc="g${g}" with-rsc="g${g - 1}" score="50"/>`);
    if (g % 10 === 5)
      cons.push(`<rsc_colocation id="anti-g${g}" rsc="g${g}" with-rsc="g${g - 3}" score="-INFINITY"/>`);
  }
  const status = names
    .map(
      (n, i) =>
        `<node_state id="${i + 1}" uname="${n}" in_ccm="true" crmd="online" join="member" expected="member"><lrm id="${i + 1}"><lrm_resources>${(hist[i] ?? []).join("")}</lrm_resources></lrm></node_state>`,
    )
    .join("\n");
  return `<?xml version="1.0"?>
<cib crm_feature_set="3.16.1" validate-with="pacemaker-3.9" epoch="1" num_updates="0" admin_epoch="0" have-quorum="1" dc-uuid="1">
<configuration><crm_config><cluster_property_set id="cib-bootstrap-options"><nvpair id="o1" name="stonith-enabled" value="false"/><nvpair id="o2" name="no-quorum-policy" value="ignore"/></cluster_property_set></crm_config>
<nodes>${names.map((n, i) => `<node id="${i + 1}" uname="${n}"/>`).join("")}</nodes>
<resources>${res.join("\n")}</resources>
<constraints>${cons.join("\n")}</constraints>
${plain ? "" : '<rsc_defaults><meta_attributes id="rsc-options"><nvpair id="rsc-options-stickiness" name="resource-stickiness" value="10"/></meta_attributes></rsc_defaults>'}
</configuration>
<status>${status}</status></cib>
`;
}

if (process.argv[1]?.endsWith("policy-gen.js") && process.argv[2] !== undefined) {
  process.stdout.write(
    generateCib(Number(process.argv[2]), Number(process.argv[3] ?? 16), process.argv[4] === "plain"),
  );
}
