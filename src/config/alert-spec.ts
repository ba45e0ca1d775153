/**
 * Alerts for haresources setups (pure): Tandem's ha.cf extension
 *
 *   alert PATH [RECIPIENT] [timeout=DURATION] [timestamp-format=FMT]
 *         [select=nodes,fencing,resources,dc] [NAME=VALUE ...]
 *
 * (and cluster.yaml's `alerts:` list), turned into the CIB `<alerts>` section
 * Pacemaker reads, so both configuration styles end in one alert path (and
 * `hbctl convert` carries them to a Pacemaker CIB). `dc` selects the `#is_dc`
 * attribute alert Tandem sends when the DC changes; other NAME=VALUE pairs
 * are the agent's instance attributes (environment variables).
 */
import type { XmlElement } from "../cib/model.js";
import type { SourceRef } from "./model.js";

export type AlertSelect = "nodes" | "fencing" | "resources" | "dc";
export const ALERT_SELECTS: readonly AlertSelect[] = ["nodes", "fencing", "resources", "dc"];

export interface AlertSpec {
  readonly path: string;
  readonly recipient?: string;
  readonly timeout?: string;
  readonly timestampFormat?: string;
  /** Undefined: Pacemaker's default (nodes, fencing, resources). */
  readonly select?: readonly AlertSelect[];
  readonly attributes: Readonly<Record<string, string>>;
  readonly at?: SourceRef;
}

const DURATION = /^\d+(ms|msec|s|sec|m|min|h|hr)?$/;
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** One ha.cf `alert` line's value (everything after the directive name); an error text when wrong. */
export function parseAlertLine(value: string, at?: SourceRef): AlertSpec | string {
  const words = value.split(/\s+/).filter((w) => w !== "");
  const [path, ...rest] = words;
  if (path === undefined) return 'expected "alert /path/to/agent [recipient] [name=value ...]"';
  if (!path.startsWith("/")) return `the agent "${path}" must be an absolute path`;
  let recipient: string | undefined;
  let timeout: string | undefined;
  let timestampFormat: string | undefined;
  let select: AlertSelect[] | undefined;
  const attributes: Record<string, string> = {};
  for (const w of rest) {
    const eq = w.indexOf("=");
    if (eq <= 0) {
      if (recipient !== undefined)
        return `one recipient per line ("${recipient}", then "${w}"): write one alert line per recipient`;
      recipient = w;
      continue;
    }
    const name = w.slice(0, eq);
    const v = w.slice(eq + 1);
    if (name === "timeout") {
      if (!DURATION.test(v)) return `timeout "${v}" is not a duration (e.g. 30s)`;
      timeout = v;
    } else if (name === "timestamp-format") timestampFormat = v;
    else if (name === "select") {
      const kinds = v.split(",").filter((k) => k !== "");
      const badKind = kinds.find((k) => !ALERT_SELECTS.includes(k as AlertSelect));
      if (badKind !== undefined || kinds.length === 0)
        return `select "${v}": a comma-separated list of ${ALERT_SELECTS.join(", ")}`;
      select = kinds as AlertSelect[];
    } else if (ENV_NAME.test(name)) attributes[name] = v;
    else return `"${name}" is not a valid attribute name (letters, digits, _)`;
  }
  return {
    path,
    attributes,
    ...(recipient === undefined ? {} : { recipient }),
    ...(timeout === undefined ? {} : { timeout }),
    ...(timestampFormat === undefined ? {} : { timestampFormat }),
    ...(select === undefined ? {} : { select }),
    ...(at === undefined ? {} : { at }),
  };
}

function el(name: string, attrs: Record<string, string>, children: XmlElement[] = []): XmlElement {
  return { name, attrs, children };
}

function set(kind: string, id: string, pairs: [string, string][]): XmlElement[] {
  if (pairs.length === 0) return [];
  return [
    el(
      kind,
      { id },
      pairs.map(([n, v]) => el("nvpair", { id: `${id}-${n}`.replace(/[^\w.-]/g, "_"), name: n, value: v })),
    ),
  ];
}

const SELECT_ELEMENT: Readonly<Record<AlertSelect, string>> = {
  nodes: "select_nodes",
  fencing: "select_fencing",
  resources: "select_resources",
  dc: "select_attributes",
};

/** The CIB `<alerts>` element for these specs (ids alert-1, alert-2, ... in order). */
export function alertsXml(specs: readonly AlertSpec[]): XmlElement {
  return el(
    "alerts",
    {},
    specs.map((s, i) => {
      const id = `alert-${i + 1}`;
      const meta: [string, string][] = [];
      if (s.timeout !== undefined) meta.push(["timeout", s.timeout]);
      if (s.timestampFormat !== undefined) meta.push(["timestamp-format", s.timestampFormat]);
      // Pacemaker's schema order: select, then the attribute sets, then recipients
      const children: XmlElement[] = [];
      if (s.select !== undefined)
        children.push(
          el(
            "select",
            {},
            s.select.map((k) =>
              k === "dc"
                ? el("select_attributes", {}, [el("attribute", { id: `${id}-is-dc`, name: "#is_dc" })])
                : el(SELECT_ELEMENT[k], {}),
            ),
          ),
        );
      children.push(
        ...set("instance_attributes", `${id}-instance_attributes`, Object.entries(s.attributes)),
        ...set("meta_attributes", `${id}-meta_attributes`, meta),
      );
      if (s.recipient !== undefined)
        children.push(el("recipient", { id: `${id}-recipient`, value: s.recipient }));
      return el("alert", { id, path: s.path }, children);
    }),
  );
}
