import { spawn } from "node:child_process";

export interface ServeProcess {
  /** "http://127.0.0.1:PORT" as the server printed it. */
  readonly url: string;
  /** Interrupts the server (SIGINT, as Ctrl-C) and waits for it to exit; resolves to its exit code. */
  stop(): Promise<number | null>;
}

/**
 * Starts the built `gemma serve` (bin/gemma.js; the test runner builds dist/ first) as a user would, on
 * 127.0.0.1 with a free port, and waits until it prints where it listens.
 */
export function startServe(args: readonly string[]): Promise<ServeProcess> {
  const child = spawn(process.execPath, ["bin/gemma.js", "serve", "--port", "0", ...args], { stdio: ["ignore", "ignore", "pipe"] });
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  return new Promise((resolve, reject) => {
    let stderr = "";
    const onData = (d: string) => {
      stderr += d;
      const url = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(stderr)?.[1];
      if (url === undefined) return;
      child.stderr.off("data", onData);
      // keep draining stderr so that the server never blocks on a full pipe
      child.stderr.resume();
      resolve({
        url,
        stop: () => {
          child.kill("SIGINT");
          return exited;
        },
      });
    };
    child.stderr.setEncoding("utf8").on("data", onData);
    void exited.then((code) => reject(new Error(`gemma serve exited (${code}) before listening:\n${stderr}`)));
  });
}
