import { ANY_CHAR, type CodepointSet } from "./codepoint-set.js";

/** A nondeterministic automaton over characters without empty moves: state i moves on edges[i]. */
export interface CharAutomaton {
  readonly start: number;
  readonly accepting: readonly boolean[];
  readonly edges: readonly (readonly CharEdge[])[];
}

export interface CharEdge {
  readonly set: CodepointSet;
  readonly to: number;
}

/** Any sequence of characters. */
export const ANY_TEXT: CharAutomaton = { start: 0, accepting: [true], edges: [[{ set: ANY_CHAR, to: 0 }]] };
