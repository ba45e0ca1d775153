/**
 * Parser for /etc/ha.d/authkeys (reference: shared heartbeat.md section 2).
 *
 * ```
 * auth N                 # the key that signs outgoing packets
 * N method [secret]      # one line per key, N from 0 to 15
 * ```
 *
 * Methods: `crc` (unkeyed checksum, no security), `md5` (HMAC-MD5), `sha1`
 * (HMAC-SHA1) as in Heartbeat, plus `sha256` (HMAC-SHA256), Tandem's
 * recommended method. Heartbeat peers only know crc, md5 and sha1: a cluster
 * that still has Heartbeat nodes must sign with sha1.
 *
 * Where we differ from Heartbeat, on purpose:
 * - a secret followed by more text is refused (Heartbeat silently cuts the
 *   secret at the first space, so nodes would disagree on the key), except
 *   that text starting with `#` after whitespace is a comment;
 * - every problem is reported with its line, not just the first.
 */
import { DiagnosticSink, type Parsed } from "../base/diag.js";
import type { AuthKey, AuthKeys, AuthMethod, SourceRef } from "./model.js";

/** Methods in the order they are listed in messages. */
export const AUTH_METHODS: readonly AuthMethod[] = ["crc", "md5", "sha1", "sha256"];
/** Key indexes are 0..MAX_AUTH_INDEX (Heartbeat's MAXAUTH is 16). */
export const MAX_AUTH_INDEX = 15;

const METHOD_LIST = AUTH_METHODS.join(", ");
const ADVICE = "use sha1 in clusters with Heartbeat nodes, or sha256 between Tandem nodes";

function isMethod(s: string): s is AuthMethod {
  return (AUTH_METHODS as readonly string[]).includes(s);
}

/** Drops a trailing comment: after the first `keep` words, a word starting with `#` begins a comment. */
function dropComment(words: readonly string[], keep: number): string[] {
  const at = words.findIndex((w, i) => i >= keep && w.startsWith("#"));
  return at < 0 ? [...words] : words.slice(0, at);
}

/** Mode as four octal digits, e.g. "0644". */
function octal(mode: number): string {
  return (mode & 0o7777).toString(8).padStart(4, "0");
}

/** Parses a key-number word: digits, 0..MAX_AUTH_INDEX. */
function parseIndex(sink: DiagnosticSink, line: number, word: string, what: string): number | undefined {
  if (!/^\d+$/.test(word)) {
    sink.error(line, "authkeys.index", `${what} "${word}" is not a number from 0 to ${MAX_AUTH_INDEX}`);
    return undefined;
  }
  const n = Number(word);
  if (n > MAX_AUTH_INDEX) {
    sink.error(
      line,
      "authkeys.index",
      `${what} ${word} is out of range: valid key numbers are 0 to ${MAX_AUTH_INDEX}`,
    );
    return undefined;
  }
  return n;
}

/** Checks the method and secret of key `index` (`words` = method, secret, anything after). */
function parseKey(
  sink: DiagnosticSink,
  at: SourceRef,
  index: number,
  words: readonly string[],
): AuthKey | undefined {
  const [method, secret, ...rest] = words;
  const { line } = at;
  if (method === undefined) {
    sink.error(
      line,
      "authkeys.method",
      `key ${index} has no method: write "${index} METHOD [SECRET]" with METHOD one of ${METHOD_LIST}`,
    );
    return undefined;
  }
  if (!isMethod(method)) {
    const lower = method.toLowerCase();
    const hint = isMethod(lower) ? ` (methods are lower case: did you mean "${lower}"?)` : "";
    sink.error(
      line,
      "authkeys.method",
      `key ${index} has unknown method "${method}"${hint}; valid methods are ${METHOD_LIST}`,
    );
    return undefined;
  }
  if (method === "crc") {
    if (secret === undefined) return { index, method, secret: "", at };
    sink.error(
      line,
      "authkeys.crc-key",
      `key ${index} uses crc, which takes no secret; remove the secret, or choose a keyed method (sha1 or sha256)`,
    );
    return undefined;
  }
  if (secret === undefined) {
    sink.error(
      line,
      "authkeys.no-secret",
      `key ${index} uses ${method}, which needs a secret: write "${index} ${method} SECRET"`,
    );
    return undefined;
  }
  if (rest.length > 0) {
    sink.error(
      line,
      "authkeys.secret-space",
      `the secret of key ${index} contains whitespace; Heartbeat would silently cut it at the first space, so nodes would use different keys and reject each other's packets; remove the space (a secret is one word)`,
    );
    return undefined;
  }
  return { index, method, secret, at };
}

/**
 * Parses an authkeys file. `mode` is the file's permission bits from stat(2)
 * (pass it when the text came from a real file): a file readable by group or
 * others is refused, exactly Heartbeat's rule (write and execute bits do not
 * matter). The value is undefined when no usable `auth` line names a defined
 * key; it may be returned alongside errors, so callers must check the
 * diagnostics.
 */
export function parseAuthkeys(text: string, file: string, mode?: number): Parsed<AuthKeys | undefined> {
  const sink = new DiagnosticSink(file);
  if (mode !== undefined && (mode & 0o044) !== 0) {
    sink.error(
      0,
      "authkeys.mode",
      `file mode ${octal(mode)} lets group or others read the secrets; Heartbeat refuses such a file and so does Tandem: run chmod 600 ${file}`,
    );
  }
  const keys = new Map<number, AuthKey>();
  /** Line of the first definition of each key number, valid or not. */
  const defined = new Map<number, number>();
  let auth: { index: number | undefined; line: number } | undefined;

  text.split("\n").forEach((raw, i) => {
    const line = i + 1;
    const words = raw.split(/\s+/).filter((w) => w !== "");
    if (words.length === 0 || words[0]?.startsWith("#")) return;
    // Words count up to the secret (which may start with `#`): 2 for auth and crc lines, 3 for keyed
    // methods. After those, a word starting with `#` begins a comment.
    const tokens = dropComment(words, words[0] === "auth" || words[1] === "crc" ? 2 : 3);
    const [first = "", second, ...more] = tokens;

    if (first === "auth") {
      if (auth !== undefined) {
        sink.error(
          line,
          "authkeys.auth-twice",
          `second "auth" line (the first is on line ${auth.line}); keep only one`,
        );
      } else if (second === undefined) {
        sink.error(line, "authkeys.auth", `"auth" needs the number of the signing key, e.g. "auth 1"`);
        auth = { index: undefined, line };
      } else {
        if (more.length > 0) {
          sink.error(
            line,
            "authkeys.auth",
            `"auth" takes one key number, but more follows: "${more.join(" ")}"`,
          );
        }
        auth = { index: parseIndex(sink, line, second, "auth key number"), line };
      }
      return;
    }
    if (!/^\d+$/.test(first)) {
      sink.error(
        line,
        "authkeys.syntax",
        `unexpected "${first}": lines read "auth N" or "N method [secret]"`,
      );
      return;
    }
    const index = parseIndex(sink, line, first, "key number");
    if (index === undefined) return;
    const earlier = defined.get(index);
    if (earlier !== undefined) {
      sink.error(
        line,
        "authkeys.duplicate",
        `key ${index} is defined twice (first on line ${earlier}); remove one`,
      );
      return;
    }
    defined.set(index, line);
    const key = parseKey(sink, { file, line }, index, tokens.slice(1));
    if (key !== undefined) keys.set(index, key);
  });

  let value: AuthKeys | undefined;
  if (auth === undefined) {
    sink.error(
      0,
      "authkeys.no-auth",
      `no "auth N" line: add one naming the key that signs outgoing packets, e.g. "auth 1"`,
    );
  } else if (auth.index !== undefined) {
    const { index, line } = auth;
    const active = keys.get(index);
    // A key whose own line was refused already has its error; do not add "not defined".
    if (active === undefined && !defined.has(index)) {
      sink.error(
        line,
        "authkeys.undefined-key",
        `auth ${index} names key ${index}, which is not defined in this file`,
      );
    }
    if (active?.method === "crc") {
      sink.warning(
        line,
        "authkeys.crc",
        `auth ${index} selects key ${index}, which uses crc: a checksum, not a signature, so anyone on the network can forge cluster messages; ${ADVICE}`,
      );
    } else if (active?.method === "md5") {
      sink.warning(
        line,
        "authkeys.md5",
        `auth ${index} selects key ${index}, which uses md5, a weak digest; ${ADVICE}`,
      );
    }
    if (active !== undefined) {
      value = { active: index, keys: [...keys.values()].sort((a, b) => a.index - b.index) };
    }
  }
  return { value, diagnostics: sink.items };
}
