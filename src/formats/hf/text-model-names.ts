/**
 * Names of a multimodal Gemma 3 checkpoint (Gemma3ForConditionalGeneration) as the text-only
 * model sees them. Two layouts exist: the one transformers wrote before v4.52
 * (`language_model.model.*`, `language_model.lm_head.*`, `vision_tower.*`, `multi_modal_projector.*`)
 * and the later one (`model.language_model.*`, `model.vision_tower.*`, `model.multi_modal_projector.*`,
 * `lm_head.*`); transformers maps the first onto the second (huggingface/transformers:
 * src/transformers/conversion_mapping.py, the "llava" renamings that gemma3 uses).
 */

const RENAMES: readonly (readonly [from: string, to: string])[] = [
  ["language_model.model.", "model."],
  ["model.language_model.", "model."],
  ["language_model.lm_head.", "lm_head."],
];

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
  return stored;
}
