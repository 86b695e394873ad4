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
  /** The weight shard (Model.shards) holding it; undefined: the main arena (see weight-placement.ts). */
  readonly shard?: number | undefined;
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
  /** Projections of a pooled embedding, applied in order (empty for text generators). */
  readonly dense: readonly Matrix[];
}

/** The roles of a layer's tensors; each file format's name table maps them to its own names. */
export type LayerRole = keyof LayerWeights;

export interface WeightNames {
  readonly tokenEmbedding: string;
  readonly outputNorm: string;
  /** The untied LM head, used when the file has it. */
  readonly output: string;
  /** The projections after pooling, in order; those the file has are used. */
  readonly dense: readonly string[];
  layer(index: number, role: LayerRole): string;
}

/**
 * The model's weights by role from the loaded tensors by file name. Which optional norms exist follows the
 * configuration's features (QK-norm, post-norms), whatever the file format.
 */
export function assembleWeights(
  c: { readonly nLayers: number; readonly qkNorm: boolean; readonly postNorms: boolean },
  names: WeightNames,
  matrices: ReadonlyMap<string, Matrix>,
  vectors: ReadonlyMap<string, Vector>,
): ModelWeights {
  const m = (name: string) => matrices.get(name)!;
  const v = (name: string) => vectors.get(name)!;
  const layers: LayerWeights[] = [];
  for (let i = 0; i < c.nLayers; i++) {
    const n = (role: LayerRole) => names.layer(i, role);
    layers.push({
      attnNorm: v(n("attnNorm")),
      wq: m(n("wq")),
      wk: m(n("wk")),
      wv: m(n("wv")),
      wo: m(n("wo")),
      qNorm: c.qkNorm ? v(n("qNorm")) : undefined,
      kNorm: c.qkNorm ? v(n("kNorm")) : undefined,
      postAttnNorm: c.postNorms ? v(n("postAttnNorm")) : undefined,
      ffnNorm: v(n("ffnNorm")),
      wGate: m(n("wGate")),
      wUp: m(n("wUp")),
      wDown: m(n("wDown")),
      postFfnNorm: c.postNorms ? v(n("postFfnNorm")) : undefined,
    });
  }
  const tokenEmbedding = m(names.tokenEmbedding);
  const dense = names.dense.flatMap((name) => matrices.get(name) ?? []);
  return { tokenEmbedding, outputNorm: v(names.outputNorm), output: matrices.get(names.output) ?? tokenEmbedding, layers, dense };
}
