/**
 * The typed CIB (cluster information base) model: what `parseCib` returns,
 * what `serializeCib` writes and what the policy engine reads.
 *
 * One model for both schemas: a Heartbeat 2.1 (crm-1.0.dtd) document is
 * normalised on parse into the same values as the equivalent current
 * Pacemaker document (see `legacy.ts`). Values are kept close to the XML:
 * ids and names as written, attribute values as strings where Pacemaker
 * itself interprets them lazily, plus parsed numbers where every consumer
 * needs them (scores, intervals in ms, epochs, rc codes).
 *
 * Round trips: every modelled element carries `extra`, the attributes and
 * child elements we do not understand, re-emitted verbatim by the serialiser
 * (unknown children after the known ones).
 *
 * Contract: this file only grows (fields are added, never renamed or removed).
 */

/** A score: an integer clamped to ±`INFINITY` (1 000 000), see `score.ts`. */
export type Score = number;

// ---------------------------------------------------------------- raw XML

/** An XML element kept verbatim (one we do not model). */
export interface XmlElement {
  readonly name: string;
  /** Attributes in document order (insertion order of the record). */
  readonly attrs: Readonly<Record<string, string>>;
  readonly children: readonly XmlElement[];
  /** Concatenated text content, when the element has any. */
  readonly text?: string;
  /** 1-based line in the parsed document (diagnostics only; not serialised). */
  readonly line?: number;
}

/** Unknown attributes and child elements of a modelled element, kept for round trips. */
export interface Extra {
  readonly attrs?: Readonly<Record<string, string>>;
  readonly children?: readonly XmlElement[];
}

// ---------------------------------------------------------------- name/value sets

/** `<nvpair id name value>` (Heartbeat 2 had it inside an `<attributes>` wrapper). */
export interface NvPair {
  readonly id?: string;
  readonly name: string;
  /** Absent `value` is legal in Pacemaker (it unsets the attribute). */
  readonly value?: string;
  readonly extra?: Extra;
}

/** Which element a set was written as. */
export type NvSetKind = "instance_attributes" | "meta_attributes" | "cluster_property_set" | "utilization";

/**
 * A set of nvpairs: `instance_attributes`, `meta_attributes`,
 * `cluster_property_set` or `utilization`. Optional `rule` makes the set
 * conditional; `score` orders several sets (higher first).
 */
export interface NvSet {
  readonly kind: NvSetKind;
  readonly id?: string;
  /** `id-ref` to another set (values are then taken from it). */
  readonly idRef?: string;
  readonly score?: Score;
  readonly rule?: Rule;
  readonly nvpairs: readonly NvPair[];
  readonly extra?: Extra;
}

// ---------------------------------------------------------------- rules

/** Comparison operators of `<expression operation>`. */
export type ExpressionOp = "lt" | "gt" | "lte" | "gte" | "eq" | "ne" | "defined" | "not_defined";

/** `<expression attribute operation value type value-source>`: a test on a node attribute (or `#uname`, `#id`, `#kind`, `#is_dc`). */
export interface Expression {
  readonly kind: "expression";
  readonly id?: string;
  readonly attribute: string;
  readonly operation: ExpressionOp;
  readonly value?: string;
  /** `string` (default), `number`/`integer`, `version`. */
  readonly type?: string;
  /** `literal` (default), `param`, `meta`. */
  readonly valueSource?: string;
  readonly extra?: Extra;
}

/** A `<date_expression>` (or other rule child we do not evaluate), kept verbatim. */
export interface RawRuleItem {
  readonly kind: "raw";
  readonly element: XmlElement;
}

/** A rule item: expression, nested rule or something kept verbatim. */
export type RuleItem = Expression | RuleRef | RawRuleItem;

/** A nested rule inside a rule. */
export interface RuleRef {
  readonly kind: "rule";
  readonly rule: Rule;
}

/**
 * `<rule id score|score-attribute boolean-op role>`: matches a node when its
 * items combine (and/or) to true. In an rsc_location the rule's score (or the
 * node's value of `scoreAttribute`) is added to matching nodes.
 */
export interface Rule {
  readonly id?: string;
  /** `id-ref` to a rule defined elsewhere. */
  readonly idRef?: string;
  readonly score?: Score;
  readonly scoreAttribute?: string;
  /** Default "and". */
  readonly booleanOp: "and" | "or";
  readonly role?: string;
  readonly items: readonly RuleItem[];
  readonly extra?: Extra;
}

// ---------------------------------------------------------------- crm_config

/** `no-quorum-policy` values. */
export type NoQuorumPolicy = "stop" | "freeze" | "ignore" | "demote" | "suicide";

/**
 * Typed view of the cluster options (crm_config), with Pacemaker 2.1.5
 * defaults applied. Built by `clusterOptions(cib)`; the raw nvpairs stay in
 * `Configuration.crmConfig`.
 */
export interface ClusterOptions {
  readonly symmetricCluster: boolean;
  readonly stonithEnabled: boolean;
  /** "reboot" (default) or "off". */
  readonly stonithAction: string;
  readonly noQuorumPolicy: NoQuorumPolicy;
  readonly startFailureIsFatal: boolean;
  readonly stopOrphanResources: boolean;
  readonly stopOrphanActions: boolean;
  readonly maintenanceMode: boolean;
  readonly stopAllResources: boolean;
  readonly startupFencing: boolean;
  /** "default", "utilization", "minimal", "balanced". */
  readonly placementStrategy: string;
  readonly clusterDelayMs: number;
  /** 0 = no limit. */
  readonly batchLimit: number;
  /**
   * The crm_config `default-resource-stickiness` when present (Heartbeat 2.1 /
   * Pacemaker 1.x). Pacemaker 2.x ignores it in favour of rsc_defaults; a
   * Heartbeat 2 document has it moved into rsc_defaults on parse already.
   */
  readonly defaultResourceStickiness?: Score;
  /** All crm_config values by name (first set wins), for anything not typed above. */
  readonly raw: Readonly<Record<string, string>>;
}

// ---------------------------------------------------------------- nodes

/** `<node id uname type>` in configuration/nodes. */
export interface CibNode {
  /** Cluster-layer node id (a UUID under Heartbeat, a number under corosync). */
  readonly id: string;
  readonly uname: string;
  /** "member" (Heartbeat 2 "normal" is normalised to "member"), "ping", "remote". */
  readonly type?: string;
  /** Permanent node attributes, e.g. standby=on. */
  readonly instanceAttributes: readonly NvSet[];
  readonly utilization: readonly NvSet[];
  readonly extra?: Extra;
}

// ---------------------------------------------------------------- resources

/** Resource agent classes we know; other strings are kept (and warned about). */
export type ResourceClass =
  | "ocf"
  | "lsb"
  | "heartbeat"
  | "service"
  | "systemd"
  | "stonith"
  | "upstart"
  | "nagios";

/** `on-fail` values. */
export type OnFail = "ignore" | "block" | "stop" | "restart" | "standby" | "fence" | "demote";

/** `<op id name interval timeout on-fail role start-delay enabled ...>`. */
export interface Op {
  readonly id?: string;
  /** start, stop, monitor, promote, demote, migrate_to, ... */
  readonly name: string;
  /** As written ("10s", "PT10S", "0"). Required by the schema (missing only in a model with errors; legacy ops get "0"). */
  readonly interval?: string;
  /** Parsed interval in ms (0 for one-shot ops). */
  readonly intervalMs: number;
  /** As written. */
  readonly timeout?: string;
  /** Parsed timeout in ms when present. */
  readonly timeoutMs?: number;
  readonly onFail?: OnFail;
  /** Started, Stopped, Promoted, Unpromoted (Master/Slave in older files). */
  readonly role?: string;
  readonly startDelay?: string;
  /** Default true; false disables the op (Heartbeat 2 `disabled="true"`). */
  readonly enabled?: boolean;
  /** OCF_CHECK_LEVEL etc. */
  readonly instanceAttributes: readonly NvSet[];
  readonly metaAttributes: readonly NvSet[];
  readonly extra?: Extra;
}

/** `<primitive id class provider type>`. */
export interface Primitive {
  readonly kind: "primitive";
  readonly id: string;
  readonly class: ResourceClass | (string & {});
  /** Required for class ocf ("heartbeat", "pacemaker", ...). */
  readonly provider?: string;
  /** Agent name: the OCF agent, init script or Heartbeat resource.d script. */
  readonly type: string;
  /** Agent parameters. */
  readonly instanceAttributes: readonly NvSet[];
  /** Cluster options for this resource: target-role, is-managed, resource-stickiness, migration-threshold, failure-timeout, priority, ... */
  readonly metaAttributes: readonly NvSet[];
  readonly utilization: readonly NvSet[];
  readonly operations: readonly Op[];
  readonly extra?: Extra;
}

/** `<group id>`: primitives colocated and ordered in member order. */
export interface Group {
  readonly kind: "group";
  readonly id: string;
  /** Inherited by members (member's own values win). */
  readonly metaAttributes: readonly NvSet[];
  readonly instanceAttributes: readonly NvSet[];
  readonly members: readonly Primitive[];
  readonly extra?: Extra;
}

/**
 * `<clone id>` around one primitive or group. Meta: clone-max (default: node
 * count), clone-node-max (1), globally-unique (false = anonymous), interleave,
 * ordered, notify, promotable.
 */
export interface Clone {
  readonly kind: "clone";
  readonly id: string;
  readonly metaAttributes: readonly NvSet[];
  readonly instanceAttributes: readonly NvSet[];
  readonly child: Primitive | Group;
  readonly extra?: Extra;
}

/** A top-level resource. */
export type Resource = Primitive | Group | Clone;

// ---------------------------------------------------------------- constraints

/** `<rsc_location id rsc node score role>` or with `<rule>` children. */
export interface LocationConstraint {
  readonly id: string;
  /** The constrained resource (primitive, group or clone id). */
  readonly rsc: string;
  /** With `score`: the node (uname) the score applies to. */
  readonly node?: string;
  readonly score?: Score;
  /** Alternatively: rules evaluated per node. */
  readonly rules: readonly Rule[];
  readonly role?: string;
  /** always / never / exclusive. */
  readonly resourceDiscovery?: string;
  readonly extra?: Extra;
}

/** `<rsc_colocation id rsc with-rsc score rsc-role with-rsc-role node-attribute>`: place `rsc` (dependent) relative to `withRsc` (primary). */
export interface ColocationConstraint {
  readonly id: string;
  readonly rsc: string;
  readonly withRsc: string;
  readonly score: Score;
  readonly rscRole?: string;
  readonly withRscRole?: string;
  readonly nodeAttribute?: string;
  readonly extra?: Extra;
}

/** `kind` of an rsc_order. */
export type OrderKind = "Mandatory" | "Optional" | "Serialize";

/** `<rsc_order id first then first-action then-action kind symmetrical>`: `thenAction` of `then` waits for `firstAction` of `first`. */
export interface OrderConstraint {
  readonly id: string;
  readonly first: string;
  readonly then: string;
  /** Default "start". */
  readonly firstAction: string;
  /** Default: `firstAction`. */
  readonly thenAction: string;
  /** Resolved: explicit `kind`, else the old `score="0"` = Optional, else Mandatory. */
  readonly kind: OrderKind;
  /** Resolved: default true (false for Serialize). */
  readonly symmetrical: boolean;
  /** The deprecated `score` attribute, when written. */
  readonly score?: Score;
  readonly extra?: Extra;
}

/** All constraints by type (constraint types we do not model, e.g. rsc_ticket or set-based ones, are kept in `extra`). */
export interface Constraints {
  readonly locations: readonly LocationConstraint[];
  readonly colocations: readonly ColocationConstraint[];
  readonly orders: readonly OrderConstraint[];
  readonly extra?: Extra;
}

// ---------------------------------------------------------------- configuration

export interface Configuration {
  /** `cluster_property_set`s of crm_config (typed view: `clusterOptions()`). */
  readonly crmConfig: readonly NvSet[];
  readonly nodes: readonly CibNode[];
  readonly resources: readonly Resource[];
  readonly constraints: Constraints;
  /** `rsc_defaults` meta_attributes sets: defaults for every resource's meta. */
  readonly rscDefaults: readonly NvSet[];
  /** `op_defaults` meta_attributes sets: defaults for every op (timeout, on-fail...). */
  readonly opDefaults: readonly NvSet[];
  /** Unknown attributes/children of each section element, and of `<configuration>` itself. */
  readonly sectionExtra?: SectionExtra;
}

/** A configuration with nothing in it. */
export const EMPTY_CONFIGURATION: Configuration = {
  crmConfig: [],
  nodes: [],
  resources: [],
  constraints: { locations: [], colocations: [], orders: [] },
  rscDefaults: [],
  opDefaults: [],
};

/** Extras per section element (for round trips). */
export interface SectionExtra {
  readonly configuration?: Extra;
  readonly crm_config?: Extra;
  readonly nodes?: Extra;
  readonly resources?: Extra;
  readonly rsc_defaults?: Extra;
  readonly op_defaults?: Extra;
  readonly status?: Extra;
}

// ---------------------------------------------------------------- status

/**
 * `<lrm_rsc_op>`: one entry of the executor's history of a resource on a node.
 * The op with the highest `callId` is the latest.
 */
export interface LrmRscOp {
  /** `<rsc>_last_0`, `<rsc>_last_failure_0`, `<rsc>_<op>_<interval>`. */
  readonly id: string;
  /** start, stop, monitor, ... */
  readonly operation: string;
  readonly operationKey?: string;
  /** -1 when absent. */
  readonly callId: number;
  /** Agent result (OCF numbering). */
  readonly rcCode: number;
  /** 0 done, 1 cancelled, 2 timeout, 3 not supported, 4 error, ... */
  readonly opStatus: number;
  /** Milliseconds (0 for one-shot ops). */
  readonly intervalMs: number;
  /** `action:transition:expected-rc:uuid` (expected rc parsed by `parseTransitionKey`). */
  readonly transitionKey?: string;
  readonly transitionMagic?: string;
  /** Epoch seconds. */
  readonly lastRcChange?: number;
  /** Epoch seconds (older Pacemaker). */
  readonly lastRun?: number;
  readonly execTime?: number;
  readonly queueTime?: number;
  readonly opDigest?: string;
  readonly exitReason?: string;
  readonly onNode?: string;
  readonly crmFeatureSet?: string;
  readonly extra?: Extra;
}

/** `<lrm_resource id class provider type>` with its op history. */
export interface LrmResource {
  /** Primitive id (bare id also for anonymous clone instances). */
  readonly id: string;
  readonly class?: string;
  readonly provider?: string;
  readonly type?: string;
  readonly ops: readonly LrmRscOp[];
  readonly extra?: Extra;
}

/**
 * `<node_state>`: one per known node. Online = inCcm "true" (or a timestamp),
 * crmd "online", join "member"; see `nodeStateOnline()`.
 */
export interface NodeState {
  readonly id: string;
  readonly uname?: string;
  /** "true"/"false" (newer Pacemaker: a timestamp when true). */
  readonly inCcm?: string;
  /** "online"/"offline" (newer: a timestamp when online). */
  readonly crmd?: string;
  /** member / down / pending / banned. */
  readonly join?: string;
  /** member / down: a node lost while expected=member is unclean. */
  readonly expected?: string;
  /** Heartbeat 2 only: active / dead. */
  readonly ha?: string;
  /** `<transient_attributes id>`. */
  readonly transientId?: string;
  /** Transient node attributes: fail counts, last failures, pingd, ... */
  readonly transientAttributes: readonly NvSet[];
  /** `<lrm id>`. */
  readonly lrmId?: string;
  readonly lrmResources: readonly LrmResource[];
  readonly extra?: Extra;
  /** Extras of the `<transient_attributes>`, `<lrm>`, `<lrm_resources>` wrappers. */
  readonly wrapperExtra?: {
    readonly transient_attributes?: Extra;
    readonly lrm?: Extra;
    readonly lrm_resources?: Extra;
  };
}

// ---------------------------------------------------------------- root

/** The whole CIB. */
export interface Cib {
  readonly adminEpoch: number;
  readonly epoch: number;
  readonly numUpdates: number;
  /** Absent in Heartbeat 2 documents (DTD-validated). */
  readonly validateWith?: string;
  /** e.g. "3.16.1"; below 3.0.13 fail counts are per resource (`fail-count-<rsc>`). */
  readonly crmFeatureSet?: string;
  readonly haveQuorum?: boolean;
  readonly dcUuid?: string;
  /** Other root attributes (cib-last-written, update-origin, execution-date, ...). */
  readonly extra?: Extra;
  readonly configuration: Configuration;
  /** node_state entries; empty when the status section is empty or absent. */
  readonly status: readonly NodeState[];
}

// ---------------------------------------------------------------- derived views

/** A primitive with the chain of containers it sits in (outermost first). */
export interface PrimitiveInfo {
  readonly primitive: Primitive;
  /** Enclosing group, if any. */
  readonly group?: Group;
  /** Enclosing clone, if any. */
  readonly clone?: Clone;
  /** The top-level resource (the clone, group or the primitive itself). */
  readonly top: Resource;
}

/** A parsed transient attribute name: `fail-count-<rsc>[#<op>_<interval>]` or `last-failure-...`. */
export interface FailAttributeName {
  readonly kind: "fail-count" | "last-failure";
  readonly rsc: string;
  /** Present in the current (`#op_interval`) form. */
  readonly op?: string;
  readonly intervalMs?: number;
}

/**
 * Typed view of a resource's effective meta attributes (own > group/clone >
 * rsc_defaults), with Pacemaker defaults. Built by `resourceOptions()`.
 */
export interface ResourceOptions {
  /** Started (default), Stopped, Promoted, Unpromoted (Master/Slave normalised). */
  readonly targetRole: string;
  readonly isManaged: boolean;
  /** Default 0. */
  readonly resourceStickiness: Score;
  /** Default INFINITY; 0 = never ban. */
  readonly migrationThreshold: Score;
  /** 0 = failures never expire. */
  readonly failureTimeoutMs: number;
  readonly priority: Score;
  /** stop_start (default), stop_only, block, stop_unexpected. */
  readonly multipleActive: string;
  readonly allowMigrate: boolean;
  /** Heartbeat 2 `resource-failure-stickiness` when set (legacy failure model). */
  readonly resourceFailureStickiness?: Score;
  /** All effective meta values by name. */
  readonly raw: Readonly<Record<string, string>>;
}
