/**
 * hbctl's commands (every method but status) turned into calls on the
 * controller: pure, shared by hbd's control socket and the simulator.
 */
import {
  type AdminRequest,
  type CibShowResult,
  type CommandResult,
  HB_WHICH,
  type HbWhich,
  type IpcMethod,
  IpcRefusal,
} from "../ipc/protocol.js";

/** What dispatchCommand needs of the controller. */
export interface AdminPort {
  setStandby(node: string, on: boolean): CommandResult;
  admin(req: AdminRequest): CommandResult | Promise<CommandResult>;
  fenceNode(node: string, action: string): Promise<CommandResult>;
  cibShow(): CibShowResult;
}

const RESOURCE_OPS = ["move", "ban", "clear", "cleanup", "start", "stop"] as const;

/**
 * Turns an hbctl request into a controller call: `standby` / `online` with
 * params.node (default `localNode`) set the standby attribute; `standby` with
 * params.which and `takeover` are Heartbeat's hb_standby / hb_takeover run on
 * `localNode`; `resource` (op, rsc, node) and `cib-apply` (xml, file) are
 * admin requests; `cib-show` reads. In haresources mode the configuration
 * comes from haresources at every start, so `cib-apply` is refused there.
 */
export function dispatchCommand(
  port: AdminPort,
  localNode: string,
  method: Exclude<IpcMethod, "status">,
  params: Readonly<Record<string, string>>,
  opts: { readonly haresources?: boolean } = {},
): CommandResult | CibShowResult | Promise<CommandResult> {
  const need = (name: string): string => {
    const v = params[name];
    if (v === undefined || v === "")
      throw new IpcRefusal(`${method}: parameter ${name} is missing`, "refused");
    return v;
  };
  const which = (): HbWhich => {
    const w = params.which ?? "all";
    if (!HB_WHICH.includes(w as HbWhich))
      throw new IpcRefusal(`${method}: ${w} is not one of ${HB_WHICH.join(", ")}`, "refused");
    return w as HbWhich;
  };
  // An admin change like the others: the DC's verdict is awaited (not confirmed within 3 s: exit 3).
  const standby = (on: boolean) =>
    port.admin({ op: "attr", node: params.node ?? localNode, name: "standby", value: on ? "on" : "off" });
  switch (method) {
    case "standby":
      if (params.which !== undefined)
        return port.admin({ op: "hb-standby", which: which(), node: localNode });
      return standby(true);
    case "online":
      return standby(false);
    case "takeover":
      return port.admin({ op: "hb-takeover", which: which(), node: localNode });
    case "cib-show":
      return port.cibShow();
    case "fence": {
      const action = params.action ?? "reboot";
      if (action !== "reboot" && action !== "off")
        throw new IpcRefusal(`fence: action ${action} is not reboot or off`, "refused");
      return port.fenceNode(need("node"), action);
    }
    case "cib-apply":
      if (opts.haresources)
        throw new IpcRefusal(
          "cib apply: this cluster runs in haresources mode (crm off): its configuration is converted from haresources at every start; edit haresources instead, or switch to crm on",
          "refused",
        );
      return port.admin({ op: "cib-apply", xml: need("xml"), ...(params.file ? { file: params.file } : {}) });
    case "resource": {
      const op = need("op");
      if (!(RESOURCE_OPS as readonly string[]).includes(op))
        throw new IpcRefusal(`resource: unknown operation ${op} (${RESOURCE_OPS.join(", ")})`, "refused");
      const rsc = need("rsc");
      const node = params.node;
      if (op === "clear" || op === "start" || op === "stop") {
        if (node !== undefined) throw new IpcRefusal(`resource ${op} takes no node`, "refused");
        return port.admin({ op, rsc } as AdminRequest);
      }
      return port.admin({ op, rsc, ...(node === undefined ? {} : { node }) } as AdminRequest);
    }
  }
}
