/**
 * Every `hbctl ... --json` document is one JSON object that starts with the
 * same two fields (README "JSON output"):
 *   version  the document format version (an integer, 1): it changes only when
 *            a field is removed or changes meaning, so scripts can check it;
 *   tandem   the version of the Tandem that printed it (hbctl's).
 * Versions of other things get their own names (status: `hbdVersion`, the
 * running daemon's; cib show: `cibVersion`, admin_epoch.epoch.num_updates).
 */
import { VERSION } from "../base/version.js";

export const JSON_FORMAT_VERSION = 1;

/** `body` with the common header first; a `version` key in body is not allowed (rename it). */
export function jsonDocument(body: object, indent: number | undefined = 2): string {
  return JSON.stringify({ version: JSON_FORMAT_VERSION, tandem: VERSION, ...body }, null, indent);
}
