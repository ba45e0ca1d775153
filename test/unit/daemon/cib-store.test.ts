// Goal: the on-disk CIB is written with a digest and bounded history, corrupt or truncated files are refused with a reason and the last good copy is used, versions compare as Pacemaker orders them, and haresources mode keeps standby and version.
// Method: a temp state dir per test; CIBs from convertHaresources; files damaged by hand.
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import type { Cib } from "../../../src/cib/model.js";
import { isStandby } from "../../../src/cib/query.js";
import { convertHaresources } from "../../../src/config/to-cib.js";
import {
  bumpEpoch,
  bumpUpdates,
  CibStore,
  compareCibVersions,
  decodeCibFile,
  encodeCibFile,
} from "../../../src/daemon/cib-store.js";
import { haresourcesCib, setNodeAttribute } from "../../../src/daemon/crm-cib.js";
import { nodeUp } from "../../../src/policy/inject.js";

const at = { file: "haresources", line: 1 };
const base = (ip = "10.0.0.100"): Cib =>
  convertHaresources(
    [
      {
        key: `IPaddr2::${ip}`,
        node: "n1",
        at,
        resources: [{ type: "IPaddr2", args: [`${ip}/24/eth0`], at }],
      },
    ],
    { autoFailback: "on", nodes: ["n1", "n2"] },
  );

function withDir(f: (dir: string) => void): void {
  const dir = mkdtempSync(join(tmpdir(), "tandem-cib-"));
  try {
    f(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

test("save then load returns the configuration, without status, from cib.xml", () =>
  withDir((dir) => {
    const store = new CibStore(dir);
    const cib = bumpEpoch(nodeUp(base(), "n1"));
    store.save(cib);
    const got = store.load();
    assert.equal(got.file, store.path);
    assert.deepEqual(got.refused, []);
    assert.equal(got.cib?.epoch, 2);
    assert.deepEqual(got.cib?.status, []);
    assert.equal(got.cib?.configuration.resources[0]?.id, cib.configuration.resources[0]?.id);
    assert.match(readFileSync(store.path, "utf8"), /^<!-- tandem-cib sha256=[0-9a-f]{64} -->\n<cib /);
  }));

test("previous versions are kept, bounded", () =>
  withDir((dir) => {
    const store = new CibStore(dir, 3);
    let cib = base();
    for (let i = 0; i < 5; i++) {
      cib = bumpEpoch(cib);
      store.save(cib);
    }
    assert.deepEqual(store.history(), [5, 4, 3]);
    assert.equal(readdirSync(store.dir).filter((n) => n.startsWith("cib-")).length, 3);
    assert.equal(store.load().cib?.epoch, 6);
  }));

test("a truncated or edited cib.xml is refused with a reason and the last good copy is used", () =>
  withDir((dir) => {
    const store = new CibStore(dir);
    const v2 = bumpEpoch(base());
    const v3 = bumpEpoch(v2);
    store.save(v2);
    store.save(v3);
    const text = readFileSync(store.path, "utf8");
    writeFileSync(store.path, text.slice(0, text.length / 2)); // truncated
    let got = store.load();
    assert.equal(got.cib?.epoch, 3, "the newest previous version (same content) is used");
    assert.match(got.refused[0] ?? "", /cib\.xml: refused: digest mismatch/);
    // Damage the newest previous version too: the one before it is used.
    writeFileSync(join(store.dir, "cib-2.xml"), text.replace('epoch="3"', 'epoch="9"'));
    got = store.load();
    assert.equal(got.cib?.epoch, 2);
    assert.equal(got.refused.length, 1, "the refused cib.xml was moved aside by the first load");
    writeFileSync(store.path, "<cib/>");
    assert.match(store.load().refused[0] ?? "", /no tandem-cib digest line/);
  }));

test("after a fall-back the refused cib.xml is moved aside (kept) and not refused again at the next start", () =>
  withDir((dir) => {
    const store = new CibStore(dir);
    store.save(bumpEpoch(base()));
    const text = readFileSync(store.path, "utf8");
    writeFileSync(store.path, text.slice(0, 40));
    const got = store.load();
    assert.equal(got.cib?.epoch, 2);
    assert.equal(got.movedAside, `${store.path}.refused-1`);
    assert.equal(readFileSync(`${store.path}.refused-1`, "utf8"), text.slice(0, 40), "kept for inspection");
    const again = store.load();
    assert.deepEqual(again.refused, [], "nothing refused at the next start");
    assert.equal(again.movedAside, undefined);
    assert.equal(again.cib?.epoch, 2);
    // Nothing good to fall back to: the file stays where it is.
    rmSync(join(store.dir, "cib-1.xml"));
    writeFileSync(store.path, "junk");
    assert.equal(store.load().movedAside, undefined);
    assert.equal(readFileSync(store.path, "utf8"), "junk");
  }));

test("a save that fails leaves neither a temp file nor a new numbered version behind", () =>
  withDir((dir) => {
    const store = new CibStore(dir);
    store.save(bumpEpoch(base()));
    // cib.xml replaced by a non-empty directory: the rename of the temp file onto it fails.
    rmSync(store.path);
    mkdirSync(join(store.path, "x"), { recursive: true });
    assert.throws(() => store.save(bumpEpoch(bumpEpoch(base()))));
    assert.deepEqual(readdirSync(store.dir).sort(), ["cib-1.xml", "cib.xml"]);
    assert.equal(store.load().cib?.epoch, 2, "the previous version is still the newest");
  }));

test("a file with a valid digest but no valid CIB is refused", () => {
  assert.equal(decodeCibFile(encodeCibFile(base())).ok, true);
  const xml = "<not-a-cib/>\n";
  const r = decodeCibFile(
    `<!-- tandem-cib sha256=${createHash("sha256").update(xml).digest("hex")} -->\n${xml}`,
  );
  assert.equal(r.ok, false);
  assert.match(r.ok ? "" : r.reason, /not a valid CIB/);
});

test("versions order by admin_epoch, then epoch, then num_updates", () => {
  const v = (adminEpoch: number, epoch: number, numUpdates: number) => ({ adminEpoch, epoch, numUpdates });
  const cases: [ReturnType<typeof v>, ReturnType<typeof v>, number][] = [
    [v(0, 1, 0), v(0, 1, 0), 0],
    [v(1, 0, 0), v(0, 9, 9), 1],
    [v(0, 2, 0), v(0, 1, 50), 1],
    [v(0, 1, 3), v(0, 1, 4), -1],
    [v(0, 1, 0), v(1, 0, 0), -1],
  ];
  for (const [a, b, sign] of cases)
    assert.equal(Math.sign(compareCibVersions(a, b)), sign, JSON.stringify([a, b]));
  const c = base();
  assert.deepEqual([bumpEpoch(bumpUpdates(c)).epoch, bumpEpoch(bumpUpdates(c)).numUpdates], [c.epoch + 1, 0]);
  assert.equal(bumpUpdates(c).numUpdates, c.numUpdates + 1);
});

test("haresources mode keeps the stored standby and version, and bumps the epoch when haresources changed", () => {
  const stored = bumpEpoch(bumpEpoch(setNodeAttribute(base(), "n1", "standby", "on")));
  const same = haresourcesCib(base(), stored);
  assert.equal(isStandby(same, "n1"), true);
  assert.equal(same.epoch, stored.epoch);
  const edited = haresourcesCib(base("10.0.0.101"), stored);
  assert.equal(edited.epoch, stored.epoch + 1);
  assert.equal(isStandby(edited, "n1"), true);
  assert.equal(haresourcesCib(base(), undefined).epoch, 1);
});

test("haresources mode: a stored copy that differs only in dc-uuid is the same configuration", () => {
  const stored = { ...bumpEpoch(base()), dcUuid: "n2" };
  assert.equal(haresourcesCib(base(), stored).epoch, stored.epoch);
});
