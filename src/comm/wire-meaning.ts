/**
 * What a Heartbeat message means, in one line for `hbctl wire decode`
 * (reference heartbeat.md §3.7, §4 and §5): membership, flow control,
 * the haresources resource protocol (starting, resource, ask_resources,
 * hb_takeover, ip-request, ip-request-resp, shutdone) and Tandem's own.
 * Pure: message type and string fields in, text out.
 */
type Get = (name: string) => string | undefined;

const STANDBY_PHASE: Record<string, string> = {
  me: "phase 1, the sender asks to go standby",
  other: "phase 2, the sender can take them",
  done: "phase 3, the sender has finished releasing or acquiring",
};

const HOLDS: Record<string, string> = {
  none: "no group",
  local: "its own groups (local)",
  foreign: "the other node's groups (foreign)",
  all: "all groups",
};

const MEANINGS: Record<string, (f: Get) => string> = {
  status: (f) =>
    `heartbeat: the sender is ${f("st") ?? "?"}${f("tandem") === undefined ? "" : " (a Tandem node)"}${f("techo") === undefined ? "" : `; echoes ${f("techo")}`}`,
  NS_ackmsg: (f) => `flow control: ${f("dest") ?? "?"} has received up to seq ${f("ackseq") ?? "?"}`,
  NS_rexmit: (f) =>
    `retransmit request to ${f("dest") ?? "?"} for seq ${f("firstseq") ?? "?"}..${f("lastseq") ?? "?"}`,
  NS_nak_rexmit: (f) => `cannot retransmit seq ${f("firstseq") ?? "?"} (${f("info") ?? "?"})`,
  NS_st: (f) => `ping node reply (${f("src") ?? "?"})`,
  reqnodes: (f) => `comm-up: asks ${f("dest") ?? "?"} for the node list`,
  repnodes: (f) => `node list for ${f("dest") ?? "?"}: ${(f("nodelist") ?? "").trim()}`,
  starting: () => "haresources: the sender has just come up; peers answer with what they hold (resource)",
  resource: (f) =>
    `haresources: the sender holds ${HOLDS[f("rsc_hold") ?? ""] ?? `rsc_hold=${f("rsc_hold") ?? "?"}`} (${f("isstable") === "1" ? "stable" : f("isstable") === "0" ? "in transition" : "no stable flag"}${f("info") === undefined ? "" : `, ${f("info")}`})`,
  ask_resources: (f) =>
    `standby [${f("rsc_hold") ?? "all"}]: ${STANDBY_PHASE[f("info") ?? ""] ?? `info=${f("info") ?? "?"}`}`,
  hb_takeover: (f) =>
    `hb_takeover [${f("rsc_hold") ?? "all"}]: the receiver runs hb_standby with local and foreign swapped`,
  "ip-request": (f) => `legacy failback: the sender asks for group ${f("ipaddr") ?? "?"}`,
  "ip-request-resp": (f) =>
    `answer for group ${f("ipaddr") ?? "?"} to ${f("dest") ?? "?"}: ${f("weown") === "yes" ? "released it" : "did not hold it"}, ${f("ok") === "OK" ? "take it" : `ok=${f("ok") ?? "?"}`}`,
  shutdone: () => "the sender finished shutting down and holds nothing: peers take over at once",
  stonith: (f) => `STONITH of ${f("node") ?? "?"}: ${f("result") ?? "?"}`,
  "hbapi-clstat": (f) => `API client ${f("from_id") ?? "?"} ${f("st") ?? "?"}`,
  num_ping_nodes: (f) =>
    `ipfail: the sender reaches ${f("num_ping") ?? "?"} ping nodes${f("tfresh") === undefined ? "" : ` (${f("tfresh")} answered it within half of deadping: Tandem's fast path)`}`,
  you_are_dead: (f) =>
    `ipfail: ${f("dest") ?? "the receiver"} reaches fewer ping nodes and should give its resources up`,
  abort_giveup: () => "ipfail: the giveup is called off",
  "query-cstatus": (f) => `API: asks for the status of client ${f("client_id") ?? f("from_id") ?? "?"}`,
  "tandem-crm": () => "Tandem resource manager message (CIB, transitions)",
};

/** One line on what a message of type `t` with these fields means; undefined for a type we do not know. */
export function messageMeaning(t: string | undefined, get: Get): string | undefined {
  if (t === undefined) return undefined;
  return MEANINGS[t]?.(get);
}
