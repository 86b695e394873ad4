/** A weight matrix in its stored encoding inside the arena: `rows` rows of `cols` elements, row-major. */
export interface Matrix {
  readonly name: string;
  /** ggml type id of the stored encoding. */
  readonly type: number;
  readonly rows: number;
  readonly cols: number;
  /** Byte address in the arena. */
  readonly ptr: number;
  readonly rowBytes: number;
}

/** An f32 vector in the arena (norm weights, already the effective multiplier 1 + w). */
export interface Vector {
  readonly name: string;
  /** Byte address in the arena (4-byte aligned). */
  readonly ptr: number;
  readonly n: number;
}

export interface LayerWeights {
  readonly attnNorm: Vector;
  readonly wq: Matrix; // [nHeads·headDim, dModel]
  readonly wk: Matrix; // [nKvHeads·headDim, dModel]
  readonly wv: Matrix; // [nKvHeads·headDim, dModel]
  readonly wo: Matrix; // [dModel, nHeads·headDim]
  readonly qNorm: Vector | undefined; // [headDim]
  readonly kNorm: Vector | undefined; // [headDim]
  readonly postAttnNorm: Vector | undefined;
  readonly ffnNorm: Vector;
  readonly wGate: Matrix; // [dFfn, dModel]
  readonly wUp: Matrix; // [dFfn, dModel]
  readonly wDown: Matrix; // [dModel, dFfn]
  readonly postFfnNorm: Vector | undefined;
}

export interface ModelWeights {
  readonly tokenEmbedding: Matrix; // [vocab, dModel]
  readonly outputNorm: Vector;
  /** The LM head; the token embedding itself when tied (every Gemma). */
  readonly output: Matrix;
  readonly layers: readonly LayerWeights[];
}
