/** An in-memory director backend for unit tests: the table is whatever was last applied. */

import { NFT_CAPABILITIES } from "../../../src/lvs/backends/nft.js";
import type { ConnCounts, DirectorBackend } from "../../../src/lvs/backends/nft-adapter.js";
import type { Table, TableChange } from "../../../src/lvs/model.js";

export class MemoryBackend implements DirectorBackend {
  readonly name = "memory";
  readonly capabilities = NFT_CAPABILITIES;
  table: Table = { services: [] };
  readonly batches: TableChange[][] = [];
  lastBatch = "";
  async read(): Promise<Table> {
    return this.table;
  }
  async apply(changes: readonly TableChange[], desired: Table): Promise<void> {
    this.batches.push([...changes]);
    this.table = desired;
  }
  async clear(): Promise<void> {
    this.table = { services: [] };
  }
  async connections(): Promise<Map<string, Map<string, ConnCounts>>> {
    return new Map();
  }
}
