/**
 * The state machines of membership, written as explicit tables
 * `Record<Input, Record<State, State>>` so the compiler checks that every
 * (input, state) pair has an answer. The Membership class never assigns a
 * state directly: it looks the next one up here.
 */

/** A normal (heartbeat-sending) node, as Heartbeat's `cl_status nodestatus` shows it. */
export type NodeState = "init" | "up" | "active" | "dead";

/**
 * What can happen to a peer:
 * - `heard-<st>`: an accepted, newest `status` message whose `st` field says so;
 * - `shutdown`: a `shutdone` message (or `st=dead`): the peer left cleanly;
 * - `silent`: no newest status for the dead interval (initdead before comm-up).
 */
export type NodeInput = "heard-init" | "heard-up" | "heard-active" | "shutdown" | "silent";

export const NODE_TRANSITIONS: Readonly<Record<NodeInput, Readonly<Record<NodeState, NodeState>>>> = {
  // A peer saying "init" has (re)started; we follow what it says about itself.
  "heard-init": { init: "init", up: "init", active: "init", dead: "init" },
  "heard-up": { init: "up", up: "up", active: "up", dead: "up" },
  "heard-active": { init: "active", up: "active", active: "active", dead: "active" },
  shutdown: { init: "dead", up: "dead", active: "dead", dead: "dead" },
  silent: { init: "dead", up: "dead", active: "dead", dead: "dead" },
};

/** A ping node: `ping` while it answers (Heartbeat's status value), `dead` after deadping. */
export type PingState = "init" | "ping" | "dead";
export type PingInput = "reply" | "silent";

export const PING_TRANSITIONS: Readonly<Record<PingInput, Readonly<Record<PingState, PingState>>>> = {
  reply: { init: "ping", ping: "ping", dead: "ping" },
  silent: { init: "dead", ping: "dead", dead: "dead" },
};

/** One medium towards one node. `init` means never heard on it. */
export type LinkState = "init" | "up" | "dead";
export type LinkInput = "packet" | "silent";

export const LINK_TRANSITIONS: Readonly<Record<LinkInput, Readonly<Record<LinkState, LinkState>>>> = {
  packet: { init: "up", up: "up", dead: "up" },
  silent: { init: "dead", up: "dead", dead: "dead" },
};

/**
 * The local node: `init` at start, `up` once the daemon says its children run,
 * `active` at comm-up (or when the daemon activates it after reqnodes/repnodes),
 * `dead` when shutting down.
 */
export type LocalState = NodeState;
export type LocalInput = "started" | "comm-up" | "shutdown";

export const LOCAL_TRANSITIONS: Readonly<Record<LocalInput, Readonly<Record<LocalState, LocalState>>>> = {
  started: { init: "up", up: "up", active: "active", dead: "dead" },
  // Comm-up before the daemon has started stays init; `started` is then followed by comm-up again.
  "comm-up": { init: "init", up: "active", active: "active", dead: "dead" },
  shutdown: { init: "dead", up: "dead", active: "dead", dead: "dead" },
};
