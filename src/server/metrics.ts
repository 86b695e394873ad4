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

  render(queueDepth: number): string {
    const lines: string[] = [];
    const metric = (name: string, type: string, help: string, samples: readonly string[]) => {
      lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`, ...samples);
    };
    metric("gemma_requests_total", "counter", "HTTP requests answered, by route and status.", [...this.requests].map(([k, v]) => `gemma_requests_total{${k}} ${v}`));
    metric("gemma_prompt_tokens_total", "counter", "Prompt tokens of finished generations.", [`gemma_prompt_tokens_total ${this.promptTokens}`]);
    metric("gemma_generated_tokens_total", "counter", "Tokens generated.", [`gemma_generated_tokens_total ${this.generatedTokens}`]);
    metric("gemma_queue_depth", "gauge", "Requests waiting for the model.", [`gemma_queue_depth ${queueDepth}`]);
    metric("gemma_last_tokens_per_second", "gauge", "Decode speed of the last generation.", [`gemma_last_tokens_per_second ${this.lastTokensPerSecond}`]);
    metric("gemma_time_to_first_token_seconds", "histogram", "Time from a request's arrival to its first generated token.", [
      ...TTFT_BUCKETS.map((le, i) => `gemma_time_to_first_token_seconds_bucket{le="${le}"} ${this.ttftCounts[i]}`),
      `gemma_time_to_first_token_seconds_bucket{le="+Inf"} ${this.ttftCount}`,
      `gemma_time_to_first_token_seconds_sum ${this.ttftSum}`,
      `gemma_time_to_first_token_seconds_count ${this.ttftCount}`,
    ]);
    return lines.join("\n") + "\n";
  }
}
