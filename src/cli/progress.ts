import type { Progress, ProgressListener } from "../platform/node/sources/progress.js";

/**
 * Renders Progress events on stderr. On a terminal: one line per task, redrawn at most every
 * REDRAW_MS. Elsewhere (CI logs, pipes): a line when a task starts, at each quarter and at the end.
 */
const REDRAW_MS = 100;
const BAR_WIDTH = 24;

interface Task {
  readonly startedAt: number;
  total: number | undefined;
  done: number;
  /** Bytes already there when the task began (a resumed download): not part of the rate. */
  base: number | undefined;
  lastDraw: number;
  lastQuarter: number;
}

export function formatBytes(n: number): string {
  if (n >= 1e9) return `${(n / 1e9).toFixed(2)} GB`;
  if (n >= 1e6) return `${(n / 1e6).toFixed(1)} MB`;
  if (n >= 1e3) return `${(n / 1e3).toFixed(1)} kB`;
  return `${n} B`;
}

function rate(task: Task, now: number): string {
  const seconds = (now - task.startedAt) / 1000;
  const moved = task.done - (task.base ?? 0);
  return seconds > 0.5 && moved > 0 ? `${formatBytes(moved / seconds)}/s` : "";
}

function barLine(label: string, task: Task, now: number, columns: number): string {
  const parts = [label];
  if (task.total) {
    const fraction = Math.min(1, task.done / task.total);
    const filled = Math.round(fraction * BAR_WIDTH);
    parts.push(`[${"#".repeat(filled)}${" ".repeat(BAR_WIDTH - filled)}]`, `${(fraction * 100).toFixed(0).padStart(3)}%`);
    parts.push(`${formatBytes(task.done)} / ${formatBytes(task.total)}`);
  } else parts.push(formatBytes(task.done));
  parts.push(rate(task, now));
  const line = parts.filter((p) => p !== "").join("  ");
  return line.length > columns - 1 ? line.slice(0, columns - 1) : line;
}

export interface RendererOptions {
  /** Default: whether the stream is a terminal. */
  readonly tty?: boolean;
  readonly now?: () => number;
}

export function progressRenderer(stream: NodeJS.WritableStream, opts: RendererOptions = {}): ProgressListener {
  const tty = opts.tty ?? (stream as NodeJS.WriteStream).isTTY === true;
  const now = opts.now ?? Date.now;
  const columns = () => (stream as NodeJS.WriteStream).columns || 100;
  const tasks = new Map<string, Task>();
  let lineOpen = false;

  const clearLine = () => {
    if (lineOpen) stream.write("\r\x1b[K");
    lineOpen = false;
  };
  const task = (label: string, total: number | undefined): Task => {
    let t = tasks.get(label);
    if (!t) {
      t = { startedAt: now(), total, done: 0, base: undefined, lastDraw: 0, lastQuarter: 0 };
      tasks.set(label, t);
      if (!tty) stream.write(`${label}: started${total ? ` (${formatBytes(total)})` : ""}\n`);
    }
    return t;
  };

  return (p: Progress) => {
    const t = now();
    switch (p.type) {
      case "start":
        task(p.label, p.total);
        return;
      case "advance": {
        const s = task(p.label, p.total);
        s.done = p.done;
        s.base ??= p.done;
        s.total = p.total ?? s.total;
        if (tty) {
          if (t - s.lastDraw < REDRAW_MS) return;
          s.lastDraw = t;
          stream.write(`\r\x1b[K${barLine(p.label, s, t, columns())}`);
          lineOpen = true;
        } else if (s.total) {
          const quarter = Math.floor((4 * s.done) / s.total);
          if (quarter > s.lastQuarter && quarter < 4) {
            s.lastQuarter = quarter;
            stream.write(`${p.label}: ${Math.floor((100 * s.done) / s.total)}% (${formatBytes(s.done)} of ${formatBytes(s.total)})\n`);
          }
        }
        return;
      }
      case "finish": {
        const s = tasks.get(p.label);
        tasks.delete(p.label);
        clearLine();
        const seconds = s ? ((t - s.startedAt) / 1000).toFixed(1) : undefined;
        stream.write(`${p.label}: done${s ? `, ${formatBytes(s.done)} in ${seconds} s` : ""}\n`);
        return;
      }
      case "note":
        clearLine();
        stream.write(`${p.message}\n`);
        return;
    }
  };
}
