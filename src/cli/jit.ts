/**
 * One V8 setting for the process, made before any capture is read: how much bytecode TurboFan
 * inlines into one optimized function in all (V8's default 920 bytes, here 300). Inspection adds
 * many functions that a capture calls a few thousand times each; with the default, optimizing them
 * and recompiling them after deoptimizations cost about 2.2 CPU s of compile jobs on the 1 M-packet
 * header-only bench capture, against 0.9 s without inspection; with 300, about 1.5 s, and the
 * optimized code runs as fast (bench/RESULTS.md, sixth session). V8 flags are per process, so the
 * decode workers get it too. A value given on node's own command line (or NODE_OPTIONS) is kept.
 */
import { setFlagsFromString } from 'node:v8';

const FLAG = 'max-inlined-bytecode-size-cumulative';
export const INLINE_BUDGET = 300;

/** Whether node was started with its own inlining budget (`--max-inlined-bytecode-size-cumulative`, or with underscores). */
export function inlineBudgetGiven(execArgv: readonly string[], nodeOptions: string): boolean {
  return [...execArgv, ...nodeOptions.split(/\s+/)].some((a) => a.replace(/_/g, '-').startsWith(`--${FLAG}`));
}

/** Sets the budget unless node was given one; returns the V8 flag set, or null. (`set` and `argv` are for tests.) */
export function tuneJit(set: (flags: string) => void = setFlagsFromString, argv: readonly string[] = process.execArgv,
  nodeOptions: string = process.env.NODE_OPTIONS ?? ''): string | null {
  if (inlineBudgetGiven(argv, nodeOptions)) return null;
  const flag = `--${FLAG}=${INLINE_BUDGET}`;
  set(flag);
  return flag;
}
