// Goal: the pure pipeline health -> desiredTable -> reconcile -> ipvsadm batch reproduces the
// golden ldirectord 4.12 traces (same end tables, same commands except where we deliberately
// differ) and never leaves an empty pool, which ldirectord does.
// Method: parse ldirectord-traces.txt, replay each scenario's failures/recoveries through our
// functions against a simulated kernel table, compare with ldirectord's dumps and commands.
import assert from "node:assert/strict";
import { test } from "node:test";
import { parseIpvsadmList, parseIpvsadmSave, renderIpvsadmCommands } from "../../../src/lvs/backends/ipvs.js";
import { parseLdirectordCf } from "../../../src/lvs/config/ldirectord.js";
import { desiredTable } from "../../../src/lvs/desired.js";
import { applyCheckResult, initialHealth } from "../../../src/lvs/health.js";
import type {
  DirectorConfig,
  HealthState,
  Table,
  TableChange,
  TableService,
} from "../../../src/lvs/model.js";
import { activePool, applyChanges, reconcile, stopChanges } from "../../../src/lvs/reconcile.js";
import { readFixture } from "../../helpers.js";

const SVC = "tcp:10.88.0.10:80";
const RS = { rs1: "10.88.0.131:80", rs2: "10.88.0.132:80", rs3: "10.88.0.133:80" };

interface Scenario {
  quiescent: string;
  readd: string;
  /** `== name` -> table dump lines */
  dumps: Map<string, string>;
  /** `---- phase` -> ipvsadm commands (without the program name) */
  phases: Map<string, string[]>;
}

function parseTraces(text: string): Scenario[] {
  const out: Scenario[] = [];
  for (const part of text.split(/^#{16} /m).slice(1)) {
    const head = /^quiescent=(\w+) readdquiescent=(\w+)/.exec(part);
    assert.ok(head);
    const s: Scenario = { quiescent: head[1]!, readd: head[2]!, dumps: new Map(), phases: new Map() };
    let dump: string | undefined;
    let phase: string | undefined;
    for (const line of part.split("\n")) {
      const d = /^== (.*)$/.exec(line);
      if (d) {
        dump =
          d[1]!.startsWith("ipvsadm commands") || d[1]!.startsWith("ldirectord messages") ? undefined : d[1]!;
        if (dump !== undefined) s.dumps.set(dump, "");
        phase = undefined;
        continue;
      }
      const p = /^ {3}---- (.*?) \(/.exec(line);
      if (p) {
        phase = p[1]!;
        s.phases.set(phase, []);
        continue;
      }
      const cmd = /^ {3}ipvsadm (.*)$/.exec(line);
      if (phase !== undefined && cmd) s.phases.get(phase)!.push(cmd[1]!);
      else if (dump !== undefined) s.dumps.set(dump, `${s.dumps.get(dump)}${line.slice(3)}\n`);
    }
    out.push(s);
  }
  return out;
}

/** A dumped `ipvsadm -L -n` table as "rip:port method weight" lines, sorted. */
function dumpRows(text: string): string[] {
  const fwd: Record<string, string> = { Masq: "masq", Route: "gate", Tunnel: "ipip" };
  return parseIpvsadmList(text)
    .map((r) => `${r.service} ${r.real} ${fwd[r.forward ?? ""]} ${r.numbers[0]}`)
    .sort();
}
function tableRows(t: Table): string[] {
  return t.services.flatMap((s) => s.reals.map((r) => `${s.key} ${r.key} ${r.method} ${r.weight}`)).sort();
}

/** Replays ipvsadm commands on a table; returns the state after each command. */
function replayIpvsadm(start: Table, cmds: readonly string[]): Table[] {
  const states: Table[] = [];
  let t = start;
  for (const c of cmds) {
    const op = c.slice(0, 2);
    const asSave = `${op === "-e" ? "-a" : op === "-E" ? "-A" : op}${c.slice(2)}`;
    let change: TableChange;
    const find = (key: string): TableService => t.services.find((s) => s.key === key)!;
    if (op === "-A" || op === "-E" || op === "-D") {
      const parsed = op === "-D" ? undefined : parseIpvsadmSave(asSave).value.services[0];
      const key = parsed?.key ?? SVC;
      const { reals: _r, ...spec } = parsed ?? find(key);
      change =
        op === "-A"
          ? { op: "add-service", service: spec }
          : op === "-E"
            ? { op: "edit-service", service: spec, previous: spec }
            : { op: "delete-service", service: spec };
    } else {
      const svcText = /^-\w (-[tuf] \S+)/.exec(c)![1]!;
      const { reals: _r, ...spec } = find(parseIpvsadmSave(`-A ${svcText} -s wrr`).value.services[0]!.key);
      const real = parseIpvsadmSave(`-A ${svcText} -s wrr\n-a ${c.slice(3)}${op === "-d" ? " -g" : ""}`).value
        .services[0]!.reals[0]!;
      const prev = find(spec.key).reals.find((r) => r.key === real.key);
      change =
        op === "-a"
          ? { op: "add-real", service: spec, real }
          : op === "-e"
            ? { op: "edit-real", service: spec, real, previous: prev ?? real }
            : { op: "delete-real", service: spec, real: prev ?? real };
    }
    t = applyChanges(t, [change]);
    states.push(t);
  }
  return states;
}

/** ldirectord omits -x/-y on some -a/-e; we always pass them. */
function withThresholds(cmd: string): string {
  return /^-[ae] /.test(cmd) && !cmd.includes(" -x ") ? cmd.replace(/ -r /, " -x 0 -y 0 -r ") : cmd;
}

/** The director loop, pure: apply each health change as one batch to a simulated kernel. */
class Director {
  health: HealthState;
  table: Table = { services: [] };
  /** Every batch applied, as ipvsadm commands. */
  batches: string[][] = [];
  /** Whether the service ever had no serving destination after a step, once it had one. */
  emptyAfterServing = false;
  t = 0;
  constructor(readonly config: DirectorConfig) {
    this.health = initialHealth(config);
  }
  apply(changes: TableChange[]): void {
    if (changes.length === 0) return;
    let t = this.table;
    for (const c of changes) {
      const before = activePool(t, SVC).length;
      t = applyChanges(t, [c]);
      if (before > 0 && activePool(t, SVC).length === 0) this.emptyAfterServing = true;
    }
    this.table = t;
    this.batches.push(renderIpvsadmCommands(changes));
  }
  sync(): void {
    this.apply(reconcile(desiredTable(this.config, this.health), this.table));
  }
  check(real: string, ok: boolean): void {
    this.t += 1000;
    this.health = applyCheckResult(this.health, this.config, SVC, real, {
      ok,
      at: this.t,
      message: ok ? "ok" : "fail",
    }).state;
    this.sync();
  }
  stop(): void {
    this.apply(stopChanges(this.config, this.table));
  }
}

const scenarios = parseTraces(readFixture("lvs", "ldirectord-traces.txt"));
const template = readFixture("lvs", "trace.cf.in");

test("the trace fixture holds three scenarios with five phases each", () => {
  assert.deepEqual(
    scenarios.map((s) => `${s.quiescent}/${s.readd}`),
    ["no/no", "yes/no", "yes/yes"],
  );
  for (const s of scenarios) assert.equal(s.phases.size, 5);
});

const X = "-t 10.88.0.10:80 -x 0 -y 0";
const FB = "10.88.0.2:8080";

for (const s of scenarios) {
  const q = s.quiescent === "yes";
  const name = `quiescent=${s.quiescent} readdquiescent=${s.readd}`;
  test(`golden trace ${name}: batches, end tables, never an empty pool`, () => {
    const parsed = parseLdirectordCf(
      template.replaceAll("@Q@", s.quiescent).replaceAll("@RQ@", s.readd),
      "trace.cf",
    );
    assert.deepEqual(parsed.diagnostics, []);
    const d = new Director(parsed.value);
    const mark = (): number => d.batches.length;
    const since = (n: number): string[][] => d.batches.slice(n);

    // start: the table for "nothing checked yet", then the first round of checks
    let n = mark();
    d.sync();
    d.check(RS.rs1, true);
    d.check(RS.rs2, true);
    d.check(RS.rs3, true);
    const down = (rip: string): string => (q ? `-e ${X} -r ${rip} -m -w 0` : `-d -t 10.88.0.10:80 -r ${rip}`);
    const up = (rip: string, w: number): string => `${q ? "-e" : "-a"} ${X} -r ${rip} -m -w ${w}`;
    assert.deepEqual(since(n), [
      [
        "-A -t 10.88.0.10:80 -s wrr",
        `-a ${X} -r ${FB} -m -w 1`,
        ...(q
          ? [`-a ${X} -r ${RS.rs1} -m -w 0`, `-a ${X} -r ${RS.rs2} -m -w 0`, `-a ${X} -r ${RS.rs3} -m -w 0`]
          : []),
      ],
      [up(RS.rs1, 3), `-d -t 10.88.0.10:80 -r ${FB}`],
      [up(RS.rs2, 1)],
      [up(RS.rs3, 1)],
    ]);
    assert.deepEqual(tableRows(d.table), dumpRows(s.dumps.get("after start, all real servers healthy")!));
    if (s.readd === "yes") {
      // With readdquiescent=yes ldirectord's start-up is our sequence, command for command
      // (it leaves -x/-y off when adding at weight 0).
      assert.deepEqual(since(n).flat(), phaseOf(s, "start").map(withThresholds));
    }

    // rs2 stops: identical to ldirectord (we add -x 0 -y 0 to a quiesce, ipvsadm -e would reset thresholds)
    n = mark();
    d.check(RS.rs2, false);
    assert.deepEqual(since(n).flat(), phaseOf(s, "stop nginx on rs2").map(withThresholds));
    assert.deepEqual(since(n).flat(), [down(RS.rs2)]);
    assert.deepEqual(tableRows(d.table), dumpRows(s.dumps.get("rs2 down")!));

    // rs1 and rs3 stop: the same commands, but the fallback goes in BEFORE the last real leaves
    n = mark();
    d.check(RS.rs1, false);
    d.check(RS.rs3, false);
    assert.deepEqual(since(n), [[down(RS.rs1)], [`-a ${X} -r ${FB} -m -w 1`, down(RS.rs3)]]);
    const theirs = phaseOf(s, "stop nginx on rs1 and rs3").map(withThresholds);
    assert.deepEqual([...since(n).flat()].sort(), [...theirs].sort());
    assert.notDeepEqual(since(n).flat(), theirs);
    assert.deepEqual(tableRows(d.table), dumpRows(s.dumps.get("all down")!));

    // rs2 back: identical to ldirectord (real in, then fallback out)
    n = mark();
    d.check(RS.rs2, true);
    assert.deepEqual(since(n).flat(), phaseOf(s, "start nginx on rs2").map(withThresholds));
    assert.deepEqual(since(n).flat(), [up(RS.rs2, 1), `-d -t 10.88.0.10:80 -r ${FB}`]);
    assert.deepEqual(tableRows(d.table), dumpRows(s.dumps.get("rs2 back")!));

    assert.equal(
      d.emptyAfterServing,
      false,
      "our batches never leave the service without a serving destination",
    );

    // SIGTERM with cleanstop=yes: ldirectord deletes the up reals then the service; -D alone does both
    n = mark();
    d.stop();
    assert.deepEqual(since(n), [["-D -t 10.88.0.10:80"]]);
    assert.deepEqual(tableRows(d.table), dumpRows(s.dumps.get("after stop")!));
    assert.equal(phaseOf(s, "SIGTERM ldirectord").at(-1), "-D -t 10.88.0.10:80");
  });

  test(`golden trace ${name}: ldirectord's own sequence has an empty-pool window`, () => {
    // Replay ldirectord's commands after start-up: when rs1 and rs3 stop it deletes the last
    // serving real before adding the fallback.
    let table: Table = { services: [] };
    for (const cmd of phaseOf(s, "start")) table = replayIpvsadm(table, [cmd]).at(-1)!;
    assert.deepEqual(tableRows(table), dumpRows(s.dumps.get("after start, all real servers healthy")!));
    for (const p of ["stop nginx on rs2"]) table = replayIpvsadm(table, phaseOf(s, p)).at(-1) ?? table;
    const states = replayIpvsadm(table, phaseOf(s, "stop nginx on rs1 and rs3"));
    assert.ok(states.some((t) => activePool(t, SVC).length === 0));
    assert.deepEqual(tableRows(states.at(-1)!), dumpRows(s.dumps.get("all down")!));
  });
}

function phaseOf(s: Scenario, prefix: string): string[] {
  for (const [k, v] of s.phases) if (k.startsWith(prefix)) return v;
  return assert.fail(`no phase ${prefix}`);
}
