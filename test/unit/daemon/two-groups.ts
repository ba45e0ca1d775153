/** A shared fixture: haresources `n1 IPaddr2::10.0.0.1/24/eth0` and `n2 IPaddr2::10.0.0.2/24/eth0`, converted. */
import type { Cib } from "../../../src/cib/model.js";
import { convertHaresources } from "../../../src/config/to-cib.js";

const at = { file: "haresources", line: 1 };
/** Group ids (from the haresources keys) and their primitives. */
export const G1 = "IPaddr2_10.0.0.1";
export const G2 = "IPaddr2_10.0.0.2";
export const P1 = "IPaddr2_10_0_0_1";
export const P2 = "IPaddr2_10_0_0_2";

export const twoGroupsCib = (): Cib =>
  convertHaresources(
    [1, 2].map((i) => ({
      key: `IPaddr2::10.0.0.${i}`,
      node: `n${i}`,
      at,
      resources: [{ type: "IPaddr2", args: [`10.0.0.${i}/24/eth0`], at }],
    })),
    { autoFailback: "on", nodes: ["n1", "n2"] },
  );
