/**
 * Tandem's version, read once from the package.json shipped next to dist/ (the
 * repository root in a checkout, /usr/lib/tandem in the Debian package), so
 * `--version`, the man pages, the .deb file name and every `--json` document's
 * `tandem` field agree with one source.
 */
import { readFileSync } from "node:fs";

function readVersion(): string {
  try {
    const pkg = JSON.parse(readFileSync(new URL("../../../package.json", import.meta.url), "utf8")) as {
      version?: unknown;
    };
    return typeof pkg.version === "string" ? pkg.version : "unknown";
  } catch {
    return "unknown";
  }
}

export const VERSION: string = readVersion();
