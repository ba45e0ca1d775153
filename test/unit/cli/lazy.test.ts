// Goal: hbctl loads only the command module a call names (issue 15 §3), without losing a command: the table of command names in src/cli/program.ts matches what each module registers, and --help still lists every command in order.
// Method: register each module on a fresh commander program and compare names; build the program for one command and for none.
import assert from "node:assert/strict";
import { test } from "node:test";
import { Command } from "commander";
import type { CliIo } from "../../../src/cli/io.js";
import { buildProgram, COMMAND_MODULES } from "../../../src/cli/program.js";

const io: CliIo = { out: () => undefined, err: () => undefined, exit: () => undefined };
const names = (p: Command): string[] => p.commands.map((c) => c.name());

test("each command module registers exactly the names the lazy table gives it", async () => {
  for (const [want, load] of COMMAND_MODULES) {
    const p = new Command("x");
    (await load())(p, io);
    assert.deepEqual(names(p), [...want]);
  }
});

test("a call naming a command builds only its module; no command or an unknown one builds them all", async () => {
  assert.deepEqual(names(await buildProgram(io, ["status", "--json"])), ["status"]);
  assert.deepEqual(names(await buildProgram(io, ["online", "n1"])), ["standby", "online"]);
  const all = COMMAND_MODULES.flatMap(([n]) => n);
  assert.deepEqual(names(await buildProgram(io, [])), all);
  assert.deepEqual(names(await buildProgram(io, ["--help"])), all);
  assert.deepEqual(names(await buildProgram(io, ["bogus"])), all);
});

test("hbctl status's commander-free path gives runStatus what commander gives, and leaves other forms to commander", async () => {
  const { parseFastStatus } = await import("../../../src/cli/fast-status.js");
  const viaCommander = async (argv: string[]): Promise<Record<string, unknown>> => {
    const p = await buildProgram(io, argv);
    const status = p.commands[0];
    assert.ok(status);
    status.action(() => undefined); // parse only
    await p.parseAsync(argv, { from: "user" });
    return { ...status.opts() };
  };
  for (const argv of [
    ["status"],
    ["status", "--json"],
    ["status", "--socket", "/tmp/x.sock", "--json"],
    ["status", "--socket=/tmp/y.sock", "--timeout", "750"],
    ["status", "--timeout=100", "--json", "--socket", "/s"],
  ])
    assert.deepEqual({ ...parseFastStatus(argv) }, await viaCommander(argv), argv.join(" "));
  for (const argv of [
    ["status", "--help"],
    ["status", "-w"],
    ["status", "--watch", "--count", "2"],
    ["status", "--socket"],
    ["status", "--socket", "--json"],
    ["status", "--bogus"],
    ["status", "extra"],
    ["standby", "n1"],
    [],
  ])
    assert.equal(parseFastStatus(argv), undefined, argv.join(" "));
});

test("hbctl simulate's commander-free path gives runSimulate what commander gives, and leaves other forms to commander", async () => {
  const { parseFastSimulate } = await import("../../../src/cli/fast-simulate.js");
  const viaCommander = async (argv: string[]): Promise<{ file: unknown; opts: Record<string, unknown> }> => {
    const p = await buildProgram(io, argv);
    const simulate = p.commands[0];
    assert.ok(simulate);
    let file: unknown;
    simulate.action((f: unknown) => {
      file = f;
    }); // parse only
    await p.parseAsync(argv, { from: "user" });
    return { file, opts: { ...simulate.opts() } };
  };
  for (const argv of [
    ["simulate", "cib.xml"],
    ["simulate", "cib.xml", "--now", "2024-01-01T00:00:00Z"],
    ["simulate", "--now=2024-01-01T00:00:00Z", "cib.xml", "--scores", "--all"],
    ["simulate", "cib.xml", "--json", "--node-fail", "n1", "--node-fail=n2", "--node-up", "n3"],
    ["simulate", "cib.xml", "--node-down", "n2", "--op-fail", "vip_monitor_10000@n1=7"],
    ["simulate", "--replay", "latest", "--state-dir", "/tmp/state"],
    ["simulate", "--list-inputs", "--json"],
    ["simulate"],
  ]) {
    const fast = parseFastSimulate(argv);
    assert.ok(fast, argv.join(" "));
    assert.deepEqual({ file: fast.file, opts: { ...fast.opts } }, await viaCommander(argv), argv.join(" "));
  }
  for (const argv of [
    ["simulate", "--help"],
    ["simulate", "-h"],
    ["simulate", "cib.xml", "--bogus"],
    ["simulate", "cib.xml", "--now"],
    ["simulate", "cib.xml", "--now", "--json"],
    ["simulate", "cib.xml", "other.xml"],
    ["simulate", "--", "cib.xml"],
    ["status"],
    [],
  ])
    assert.equal(parseFastSimulate(argv), undefined, argv.join(" "));
});
