/**
 * commander, loaded with require() instead of an ES import. commander is a
 * CommonJS package: importing it from an ES module makes Node run its
 * CommonJS export scanner (cjs-module-lexer) over every file and build an ES
 * facade, which cost about 20 ms of CPU of every hbctl call (52 ms against
 * 31 ms for require(), measured over 30 runs). hbctl, hbd and hb-director take
 * Command, Option and CommanderError from here; types still come from
 * "commander" (`import type`).
 */
import { createRequire } from "node:module";
import type * as C from "commander";

const commander = createRequire(import.meta.url)("commander") as typeof C;

export const Command: typeof C.Command = commander.Command;
export type Command = C.Command;
export const Option: typeof C.Option = commander.Option;
export type Option = C.Option;
export const CommanderError: typeof C.CommanderError = commander.CommanderError;
export type CommanderError = C.CommanderError;
