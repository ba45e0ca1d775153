/**
 * The few asynchronous file calls hbd makes, as promises over node:fs's
 * callback API: node:fs/promises loads node's FileHandle, streams and
 * readline modules, ~1 MB of hbd's RSS (issue 15), for these four calls.
 */
import {
  access as accessCb,
  readdir as readdirCb,
  readFile as readFileCb,
  type Stats,
  stat as statCb,
} from "node:fs";

export function stat(path: string): Promise<Stats> {
  return new Promise((resolve, reject) => statCb(path, (e, s) => (e === null ? resolve(s) : reject(e))));
}

export function access(path: string, mode?: number): Promise<void> {
  return new Promise((resolve, reject) => accessCb(path, mode, (e) => (e === null ? resolve() : reject(e))));
}

export function readdir(path: string): Promise<string[]> {
  return new Promise((resolve, reject) =>
    readdirCb(path, (e, names) => (e === null ? resolve(names) : reject(e))),
  );
}

export function readFile(path: string, encoding: BufferEncoding): Promise<string> {
  return new Promise((resolve, reject) =>
    readFileCb(path, encoding, (e, text) => (e === null ? resolve(text) : reject(e))),
  );
}
