import type { BatchStats } from "../engine/batch-scheduler.js";

/** Upper bounds (seconds) of the time-to-first-token histogram buckets. */
const TTFT_BUCKETS = [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];

/** The server's counters, written out in Prometheus' text exposition format (version 0.0.4). */
export class ServerMetrics {
  private readonly requests = new Map<string, number>();
  private promptTokens = 0;
  private generatedTokens = 0;
  private lastTokensPerSecond = 0;
  private readonly ttftCounts = new Array<number>(TTFT_BUCKETS.length).fill(0);
  private ttftCount = 0;
  private ttftSum = 0;

  countRequest(route: string, status: number): void {
    const key = `route="${route}",status="${status}"`;
    this.requests.set(key, (this.requests.get(key) ?? 0) + 1);
  }

  /** One finished generation: its token counts and decode speed. */
  countGeneration(promptTokens: number, generatedTokens: number, decodeMs: number): void {
    this.promptTokens += promptTokens;
    this.generatedTokens += generatedTokens;
    if (generatedTokens > 0 && decodeMs > 0) this.lastTokensPerSecond = (generatedTokens / decodeMs) * 1000;
  }

  observeTimeToFirstToken(seconds: number): void {
    this.ttftCount++;
    this.ttftSum += seconds;
    TTFT_BUCKETS.forEach((le, i) => {
      if (seconds <= le) this.ttftCounts[i]!++;
    });
  }

  /** The counters, with the queue's depth and the batched model's (slots: how many sequences it holds). */
  render(queueDepth: number, batch: BatchStats, slots: number): string {
    const lines: string[] = [];
    const metric = (name: string, type: string, help: string, samples: readonly string[]) => {
      lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`, ...samples);
    };
    metric("gemma_requests_total", "counter", "HTTP requests answered, by route and status.", [...this.requests].map(([k, v]) => `gemma_requests_total{${k}} ${v}`));
    metric("gemma_prompt_tokens_total", "counter", "Prompt tokens of finished generations.", [`gemma_prompt_tokens_total ${this.promptTokens}`]);
    metric("gemma_generated_tokens_total", "counter", "Tokens generated.", [`gemma_generated_tokens_total ${this.generatedTokens}`]);
    metric("gemma_queue_depth", "gauge", "Requests waiting for the model.", [`gemma_queue_depth ${queueDepth}`]);
    metric("gemma_last_tokens_per_second", "gauge", "Decode speed of the last generation.", [`gemma_last_tokens_per_second ${this.lastTokensPerSecond}`]);
    metric("gemma_slots", "gauge", "Sequences the model holds (--parallel).", [`gemma_slots ${slots}`]);
    metric("gemma_active_slots", "gauge", "Generations running now.", [`gemma_active_slots ${batch.active}`]);
    metric(
      "gemma_batch_steps_total",
      "counter",
      "Forward steps, by how many sequences they advanced together.",
      batch.stepsBySequences.flatMap((n, k) => (k === 0 ? [] : [`gemma_batch_steps_total{sequences="${k}"} ${n}`])),
    );
    metric("gemma_prompt_tokens_evaluated_total", "counter", "Prompt tokens evaluated (pre-filled).", [`gemma_prompt_tokens_evaluated_total ${batch.promptTokensEvaluated}`]);
    metric("gemma_prompt_tokens_cached_total", "counter", "Prompt tokens found in a slot's cache and not evaluated again.", [
      `gemma_prompt_tokens_cached_total ${batch.promptTokensCached}`,
    ]);
    const aggregate = batch.busyMs > 0 ? (batch.generatedTokens / batch.busyMs) * 1000 : 0;
    metric("gemma_tokens_per_second", "gauge", "Tokens generated per second of time with at least one generation running, all slots together.", [
      `gemma_tokens_per_second ${aggregate}`,
    ]);
    metric("gemma_time_to_first_token_seconds", "histogram", "Time from a request's arrival to its first generated token.", [
      ...TTFT_BUCKETS.map((le, i) => `gemma_time_to_first_token_seconds_bucket{le="${le}"} ${this.ttftCounts[i]}`),
      `gemma_time_to_first_token_seconds_bucket{le="+Inf"} ${this.ttftCount}`,
      `gemma_time_to_first_token_seconds_sum ${this.ttftSum}`,
      `gemma_time_to_first_token_seconds_count ${this.ttftCount}`,
    ]);
    return lines.join("\n") + "\n";
  }
}
