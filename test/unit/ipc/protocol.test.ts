// Goal: the hbd <-> hbctl line protocol round-trips, rejects bad input with a reason, and never buffers without bound.
// Method: table-driven calls of the pure codec functions.
import assert from "node:assert/strict";
import { test } from "node:test";
import {
  answer,
  encodeLine,
  IPC_VERSION,
  LineSplitter,
  parseRequest,
  parseResponse,
  type StatusReport,
} from "../../../src/ipc/protocol.js";

const report = { version: "x", node: "a", nodes: [] } as unknown as StatusReport;

test("a request and its response round-trip through one line each", () => {
  const line = encodeLine({ v: IPC_VERSION, id: 7, method: "status" });
  assert.ok(line.endsWith("\n") && !line.slice(0, -1).includes("\n"));
  const req = parseRequest(line.trim());
  assert.deepEqual(req, { ok: true, value: { v: 1, id: 7, method: "status" } });
  assert.ok(req.ok);
  const res = answer(req.value, () => report);
  const back = parseResponse(encodeLine(res).trim());
  assert.ok(back.ok && back.value.ok);
  assert.equal(back.value.id, 7);
  assert.deepEqual(back.value.result, report);
});

test("bad request lines are refused with a reason", () => {
  const cases: [string, string][] = [
    ["not json", "not JSON"],
    ["[1,2]", "not a JSON object"],
    ['{"id":1,"method":"status"}', "no version v"],
    ['{"v":1,"method":"status"}', "no numeric id"],
    ['{"v":1,"id":1}', "no method"],
  ];
  for (const [line, reason] of cases) assert.deepEqual(parseRequest(line), { ok: false, reason }, line);
});

test("another protocol version and an unknown method get typed errors; a throwing handler becomes 'internal'", () => {
  const v2 = answer({ v: 2, id: 1, method: "status" }, () => report);
  assert.ok(!v2.ok && v2.error.code === "version");
  const unknown = answer({ v: 1, id: 2, method: "reboot" as "status" }, () => report);
  assert.ok(!unknown.ok && unknown.error.code === "unknown-method");
  const boom = answer({ v: 1, id: 3, method: "status" }, () => {
    throw new Error("boom");
  });
  assert.ok(!boom.ok && boom.error.code === "internal" && boom.error.message === "boom");
});

test("responses that are not hbd's are refused", () => {
  for (const line of ['{"v":1}', '{"v":1,"id":1,"ok":true}', '{"v":1,"id":1,"ok":false,"error":{}}', "42"])
    assert.equal(parseResponse(line).ok, false, line);
});

test("the line splitter joins chunks, skips blank lines and stops at an oversized line", () => {
  const s = new LineSplitter(16);
  assert.deepEqual(s.push('{"a"'), []);
  assert.deepEqual(s.push(':1}\n\n{"b":2}\n{"c"'), ['{"a":1}', '{"b":2}']);
  assert.deepEqual(s.push(":3}\n"), ['{"c":3}']);
  assert.equal(s.overflow, false);
  assert.deepEqual(s.push("x".repeat(17)), []);
  assert.equal(s.overflow, true);
  assert.deepEqual(s.push("\n{}\n"), [], "nothing more once overflowed");
});

test("admin requests validate their fields; a handler's IpcRefusal is answered with its code", async () => {
  const { IpcRefusal, parseAdminRequest } = await import("../../../src/ipc/protocol.js");
  assert.deepEqual(parseAdminRequest({ op: "ban", rsc: "g" }), { op: "ban", rsc: "g" });
  assert.deepEqual(
    parseAdminRequest({ op: "hb-takeover", which: "failback", node: "n1" })?.op,
    "hb-takeover",
  );
  for (const bad of [
    null,
    [],
    { op: "ban" },
    { op: "move", rsc: "g", node: 2 },
    { op: "attr", node: "n1", name: "x" },
    { op: "hb-standby", which: "half", node: "n1" },
    { op: "zap", rsc: "g" },
  ])
    assert.equal(parseAdminRequest(bad), undefined, JSON.stringify(bad));
  const req = { v: IPC_VERSION, id: 3, method: "resource" as const };
  const refused = answer(req, () => {
    throw new IpcRefusal("no resource x", "refused");
  });
  assert.deepEqual(refused, {
    v: IPC_VERSION,
    id: 3,
    ok: false,
    error: { code: "refused", message: "no resource x" },
  });
  const internal = answer(req, () => {
    throw new Error("boom");
  });
  assert.equal(!internal.ok && internal.error.code, "internal");
});
