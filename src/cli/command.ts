import type { ParseArgsConfig } from "node:util";

export type OptionSpec = NonNullable<ParseArgsConfig["options"]>;
export type ParsedValues = Record<string, string | boolean | (string | boolean)[] | undefined>;

/** Where a command writes: stdout carries only the result, stderr the rest (see conventions). */
export interface CommandIo {
  readonly stdout: NodeJS.WritableStream;
  readonly stderr: NodeJS.WritableStream;
  readonly stdin: NodeJS.ReadableStream;
  /** Set when the user presses Ctrl-C; long-running commands stop cleanly. */
  readonly signal: AbortSignal;
}

export interface Command {
  readonly name: string;
  readonly summary: string;
  readonly usage: string;
  readonly options: OptionSpec;
  /** Whether the command takes positional arguments. */
  readonly positionals?: boolean;
  run(values: ParsedValues, positionals: string[], io: CommandIo): Promise<number>;
}
