/**
 * Diagnostics: problems found in configuration or input, each tied to a file
 * and line. Parsers are pure: they take text and a file name and return values
 * plus diagnostics; they never throw for bad input.
 */

export type Severity = "error" | "warning" | "info";

export interface Diagnostic {
  /** File name as given by the caller (a path, or a label such as "<stdin>"). */
  readonly file: string;
  /** 1-based line number; 0 when the problem concerns the file as a whole. */
  readonly line: number;
  readonly severity: Severity;
  /** One sentence, saying what is wrong and, where it helps, how to fix it. */
  readonly message: string;
  /** Stable machine-readable code, e.g. "hacf.unknown-directive". */
  readonly code: string;
}

/** Renders `file:line: severity: message` (the format `hbctl verify` prints). */
export function formatDiagnostic(d: Diagnostic): string {
  const where = d.line > 0 ? `${d.file}:${d.line}` : d.file;
  return `${where}: ${d.severity}: ${d.message}`;
}

/** Collects diagnostics for one file. */
export class DiagnosticSink {
  readonly items: Diagnostic[] = [];
  constructor(readonly file: string) {}

  error(line: number, code: string, message: string): void {
    this.items.push({ file: this.file, line, severity: "error", code, message });
  }
  warning(line: number, code: string, message: string): void {
    this.items.push({ file: this.file, line, severity: "warning", code, message });
  }
  info(line: number, code: string, message: string): void {
    this.items.push({ file: this.file, line, severity: "info", code, message });
  }
  get hasErrors(): boolean {
    return this.items.some((d) => d.severity === "error");
  }
}

export function hasErrors(ds: readonly Diagnostic[]): boolean {
  return ds.some((d) => d.severity === "error");
}

/**
 * Sorts by file, then line, keeping insertion order for ties. File names compare by code unit, not
 * localeCompare: ICU's collator costs every hbd start ~2 MB of RSS (issue 15) for paths alike in both.
 */
export function sortDiagnostics(ds: readonly Diagnostic[]): Diagnostic[] {
  const byName = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
  return ds
    .map((d, i) => ({ d, i }))
    .sort((a, b) => byName(a.d.file, b.d.file) || a.d.line - b.d.line || a.i - b.i)
    .map((x) => x.d);
}

/** Result of a pure parser: a value (possibly partial when there are errors) plus diagnostics. */
export interface Parsed<T> {
  readonly value: T;
  readonly diagnostics: Diagnostic[];
}
