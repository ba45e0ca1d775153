// Goal: the status section read straight from the text (status-scan.ts) gives exactly the model the tree
// readers give, diagnostics included, or steps aside; and it is taken on the status sections Pacemaker writes.
// Method: parseCib with and without { generalReaders: true } compared as JSON (field order included) on odd
// status shapes and on thousands of random one-character mutations of a status section; the reader alone on
// plain bodies (it must read them, not give them back to the tree).
import assert from "node:assert/strict";
import { test } from "node:test";
import { parseCib } from "../../../src/cib/parse.js";
import { lrmResourcesReader } from "../../../src/cib/status-scan.js";
import { lcg, mutateOne } from "./mutate.js";

const OP_START =
  '<lrm_rsc_op id="a_last_0" operation="start" call-id="12" rc-code="0" op-status="0" interval="0" transition-key="12:1:0:00000000-0000-0000-0000-000000000000" last-rc-change="1704066600" op-digest="f2317cad3d54cec5d7d7aa7d0bf35cf8"/>';
const OP_MON =
  '<lrm_rsc_op id="a_monitor_10000" operation="monitor" call-id="13" rc-code="0" op-status="0" interval="10000" transition-key="13:1:0:00000000-0000-0000-0000-000000000000" last-rc-change="1704066600" op-digest="4811cef7f7f94e3a35a70be7916cb2fd"/>';
const RSC = (body: string, attrs = 'id="a" class="ocf" provider="pacemaker" type="Dummy"'): string =>
  `<lrm_resource ${attrs}>${body}</lrm_resource>`;
const B_RSC = `<lrm_resource id="b" class="ocf" provider="pacemaker" type="Dummy">${OP_START.replaceAll("a_", "b_")}</lrm_resource>`;

const cib = (lrm: string): string =>
  '<cib epoch="1" num_updates="0" admin_epoch="0" validate-with="pacemaker-3.9"><configuration><crm_config/><nodes><node id="1" uname="n1"/></nodes><resources>' +
  '<primitive id="a" class="ocf" provider="pacemaker" type="Dummy"/><primitive id="b" class="ocf" provider="pacemaker" type="Dummy"/>' +
  `</resources><constraints/></configuration><status><node_state id="1" uname="n1" in_ccm="true" crmd="online" join="member" expected="member"><lrm id="1"><lrm_resources>${lrm}</lrm_resources></lrm></node_state></status></cib>`;

function sameAsTree(text: string, what: string): void {
  const fast = parseCib(text, "f.xml");
  const general = parseCib(text, "f.xml", { generalReaders: true });
  assert.equal(JSON.stringify(fast), JSON.stringify(general), what);
}

test("plain bodies are read from the text, whatever the attribute order and spacing", () => {
  const bodies = [
    RSC(OP_START + OP_MON) + B_RSC,
    `\n  ${RSC(`\n    ${OP_START}\n    ${OP_MON}\n  `)}\n  ${B_RSC}\n`,
    // the second operation's attributes in another order than the first's
    RSC(OP_START + OP_MON.replace(/ (call-id="13") (rc-code="0")/, " $2 $1")),
    RSC("", 'id="a"') + RSC("", 'type="Dummy" id="b"'),
    '<lrm_resource id="a"/>',
    "",
    RSC(OP_START.replace("/>", ' crm-debug-origin="do_update_resource" exit-reason="x &amp; y"/>')),
    RSC(OP_START.replace('call-id="12"', 'call-id="-1"').replace('interval="0"', 'interval="007"')),
    // every modelled attribute
    RSC(
      OP_START.replace(
        "/>",
        ' operation_key="a_start_0" transition-magic="0:0;12:1:0:u" last-run="1704066500" exec-time="10" queue-time="0" exit-reason="" on_node="n1" crm_feature_set="3.16.1"/>',
      ),
    ),
  ];
  for (const body of bodies) {
    const text = `<lrm_resources>${body}</lrm_resources>`;
    const got = lrmResourcesReader(text)(15);
    assert.ok(got !== undefined, body);
    assert.equal(got.end, text.length, body);
    sameAsTree(cib(body), body);
  }
});

test("odd status shapes: the same model and diagnostics as the tree readers", () => {
  const odd = [
    RSC(`<!-- c -->${OP_START}`),
    RSC(OP_START.replace("/>", "></lrm_rsc_op>")),
    RSC(OP_START.replace("/>", "><x/></lrm_rsc_op>")),
    RSC(OP_START, 'id="a" class="ocf" extra="1"'),
    RSC(OP_START, 'id="a" id="a"'),
    RSC(OP_START, 'class="ocf"'),
    RSC(OP_START, 'id=""'),
    RSC(OP_START, "id='a'"),
    RSC(OP_START, 'id="a"class="ocf"'),
    RSC(OP_START, 'id = "a"'),
    RSC(OP_START.replace('rc-code="0"', 'rc-code="0" rc-code="1"')),
    RSC(OP_START.replace("/>", ' x="1" x="2"/>')),
    RSC(OP_START.replace("/>", ' __proto__="1"/>')),
    RSC(OP_START.replace('interval="0"', 'interval="10s"')),
    RSC(OP_START.replace('interval="0"', 'interval="-1"')),
    RSC(OP_START.replace('call-id="12"', 'call-id=" 12"')),
    RSC(OP_START.replace('call-id="12"', 'call-id="&#49;2"')),
    RSC(OP_START.replace('call-id="12"', 'call-id="12345678901234567890"')),
    RSC(OP_START.replace('call-id="12"', 'call-id=""')),
    RSC(OP_START.replace('call-id="12"', 'call-id="-"')),
    RSC(OP_START.replace('operation="start"', 'operation="st&lt;art"')),
    RSC(OP_START.replace('operation="start"', 'operation="st&bogus;art"')),
    RSC(OP_START.replace('operation="start"', 'operation="st>art"')),
    RSC(OP_START.replace('operation="start" ', "")),
    RSC(OP_START.replace('id="a_last_0" ', "")),
    RSC(`${OP_START}text`),
    `<lrm_resourcex id="a"/>`,
    `<lrm_rsc_op id="a"/>`,
    RSC(OP_START.replace("<lrm_rsc_op ", "<lrm_rsc_op2 ")),
    `${RSC(OP_START)}<other/>`,
    `${RSC(OP_START)}</lrm_resources >`,
    RSC(OP_START.replace('op-digest="', 'op-digest ="')),
    RSC(OP_START.replace(" call-id", "\n\tcall-id")),
    RSC(OP_START.replace(' call-id="12"', ' 1call-id="12"')),
  ];
  for (const o of odd) sameAsTree(cib(o + B_RSC), o);
  // the path: a lrm_resources element anywhere else is kept as the tree readers keep it
  sameAsTree(
    cib(RSC(OP_START)).replace(
      "<lrm id",
      `<foo><lrm_resources>${RSC(OP_START)}</lrm_resources></foo><lrm id`,
    ),
    "lrm_resources under another element",
  );
  // a Heartbeat 2 document (no validate-with): upgraded from a tree read whole
  sameAsTree(cib(RSC(OP_START)).replace(' validate-with="pacemaker-3.9"', ""), "legacy document");
});

test("mutated status sections: never a different model from the tree readers", () => {
  const rnd = lcg(23);
  const alphabet = ['"', "'", "<", ">", "/", "=", " ", "\n", "&", "!", "-", "a", "1", ";", "_", ":"];
  const text = cib(RSC(OP_START + OP_MON) + B_RSC);
  const from = text.indexOf("<lrm_resources>");
  const to = text.indexOf("</lrm_resources>") + 16;
  for (let k = 0; k < 3000; k++) {
    const at = from + rnd(to - from);
    const ch = alphabet[rnd(alphabet.length)] as string;
    const mode = rnd(3);
    const mutated = mutateOne(text, at, ch, mode);
    sameAsTree(mutated, JSON.stringify(mutated.slice(Math.max(0, at - 60), at + 60)));
  }
});
