import { GemmaError } from "../util/errors.js";
import type { ParsedValues } from "./command.js";

/** Typed accessors for parsed CLI values; a wrong value is a CLI_BAD_ARGS error naming the flag. */

export function stringArg(values: ParsedValues, name: string): string | undefined {
  const v = values[name];
  if (v === undefined) return undefined;
  if (typeof v !== "string") throw new GemmaError("CLI_BAD_ARGS", `--${name} takes a value`);
  return v;
}

export function requiredString(values: ParsedValues, name: string): string {
  const v = stringArg(values, name);
  if (v === undefined || v === "") throw new GemmaError("CLI_BAD_ARGS", `--${name} is required`);
  return v;
}

export function intArg(values: ParsedValues, name: string, min: number, max = Number.MAX_SAFE_INTEGER): number | undefined {
  const v = stringArg(values, name);
  if (v === undefined) return undefined;
  if (!/^-?\d+$/.test(v.trim())) throw new GemmaError("CLI_BAD_ARGS", `--${name} must be an integer, got "${v}"`);
  const n = Number(v);
  if (n < min || n > max) throw new GemmaError("CLI_BAD_ARGS", `--${name} must be between ${min} and ${max}, got ${n}`);
  return n;
}

export function floatArg(values: ParsedValues, name: string, min: number, max: number): number | undefined {
  const v = stringArg(values, name);
  if (v === undefined) return undefined;
  const n = Number(v);
  if (v.trim() === "" || !Number.isFinite(n)) throw new GemmaError("CLI_BAD_ARGS", `--${name} must be a number, got "${v}"`);
  if (n < min || n > max) throw new GemmaError("CLI_BAD_ARGS", `--${name} must be between ${min} and ${max}, got ${n}`);
  return n;
}

export function boolArg(values: ParsedValues, name: string): boolean {
  return values[name] === true;
}
