/**
 * The real NotifySend for sd-notify.ts: runs `systemd-notify --pid=PID
 * VARIABLE=VALUE...` with NOTIFY_SOCKET set (see sd-notify.ts for why a
 * child process). A missing binary or a non-zero exit is reported, never thrown.
 */
import { execFile } from "node:child_process";
import type { NotifySend } from "./sd-notify.js";

const NOTIFY_TIMEOUT_MS = 5000;

export const systemdNotifySend: NotifySend = (socket, pid, assignments, done) => {
  execFile(
    "systemd-notify",
    [`--pid=${pid}`, ...assignments],
    {
      env: { PATH: process.env.PATH ?? "/usr/sbin:/usr/bin:/sbin:/bin", NOTIFY_SOCKET: socket },
      timeout: NOTIFY_TIMEOUT_MS,
    },
    (err, _stdout, stderr) => {
      if (err === null) done();
      else done(stderr.trim() || err.message);
    },
  );
};
