/**
 * Names of a multimodal Gemma 3 checkpoint (Gemma3ForConditionalGeneration) as the text-only
 * model sees them. Two layouts exist: the one transformers wrote before v4.52
 * (`language_model.model.*`, `language_model.lm_head.*`, `vision_tower.*`, `multi_modal_projector.*`)
 * and the later one (`model.language_model.*`, `model.vision_tower.*`, `model.multi_modal_projector.*`,
 * `lm_head.*`); transformers maps the first onto the second (huggingface/transformers:
 * src/transformers/conversion_mapping.py, the "llava" renamings that gemma3 uses).
 * A base model saved on its own (Gemma3TextModel, as sentence-transformers saves EmbeddingGemma) has no `model.`
 * prefix: its base_model_prefix is only added by the *ForCausalLM heads.
 */

const RENAMES: readonly (readonly [from: string, to: string])[] = [
  ["language_model.model.", "model."],
  ["model.language_model.", "model."],
  ["language_model.lm_head.", "lm_head."],
];

/** Top-level modules of a bare base model (GemmaModel, Gemma2Model, Gemma3TextModel). */
const BASE_MODEL_PREFIXES: readonly string[] = ["embed_tokens.", "layers.", "norm."];

const VISION_PREFIXES: readonly string[] = [
  "vision_tower.",
  "multi_modal_projector.",
  "model.vision_tower.",
  "model.multi_modal_projector.",
];

/** The text model's name for a stored tensor name, or undefined for vision tensors the text model skips. */
export function textModelName(stored: string): string | undefined {
  if (VISION_PREFIXES.some((p) => stored.startsWith(p))) return undefined;
  for (const [from, to] of RENAMES) {
    if (stored.startsWith(from)) return to + stored.slice(from.length);
  }
  return BASE_MODEL_PREFIXES.some((p) => stored.startsWith(p)) ? `model.${stored}` : stored;
}
