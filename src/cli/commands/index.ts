import type { Command } from "../command.js";

/** Every `gemma` subcommand, in the order `gemma --help` lists them. */
export const commands: readonly Command[] = [];
