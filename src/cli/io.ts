/** What a command may touch: output streams and the exit code. Injected so commands are testable. */
export interface CliIo {
  out(text: string): void;
  err(text: string): void;
  /** Sets the process exit code (the highest value set wins). */
  exit(code: number): void;
}

export function processIo(): CliIo & { code: number } {
  const io = {
    code: 0,
    out: (t: string) => void process.stdout.write(t.endsWith("\n") ? t : `${t}\n`),
    err: (t: string) => void process.stderr.write(t.endsWith("\n") ? t : `${t}\n`),
    exit(c: number) {
      io.code = Math.max(io.code, c);
    },
  };
  return io;
}
