import { classify, shieldPromptIds } from "../../engine/classify.js";
import { Context } from "../../engine/context.js";
import { TokenSequence } from "../../engine/sequence.js";
import { GemmaError } from "../../util/errors.js";
import { boolArg, requiredString, stringArg } from "../args.js";
import type { Command } from "../command.js";
import { MODEL_OPTIONS, loadModelFromArgs } from "../model-options.js";

/**
 * `gemma classify`: ShieldGemma's scoring mode (engine/classify.ts). Prints P(violation) of the prompt (or of the
 * response to it, with --response) against one policy; --json adds the Yes/No logits and the template used.
 */
export const classifyCommand: Command = {
  name: "classify",
  summary: "ShieldGemma: probability that a prompt (or response) violates a policy",
  usage: "gemma classify [-m MODEL] --policy TEXT -p PROMPT [--response TEXT] [--json]",
  options: {
    ...MODEL_OPTIONS,
    policy: { type: "string" },
    prompt: { type: "string", short: "p" },
    response: { type: "string" },
    json: { type: "boolean" },
  },
  async run(values, _positionals, io) {
    const policy = requiredString(values, "policy");
    const prompt = requiredString(values, "prompt");
    if (policy.trim() === "") throw new GemmaError("CLI_BAD_ARGS", "--policy is empty");
    const model = await loadModelFromArgs(values, io);
    const input = { policy, prompt, response: stringArg(values, "response") };
    const r = classify(new TokenSequence(new Context(model, { contextSize: shieldPromptIds(model.tokenizer, input).length })), input);
    if (boolArg(values, "json")) {
      io.stdout.write(
        JSON.stringify({ violation_probability: r.violationProbability, yes_logit: r.yesLogit, no_logit: r.noLogit, template: r.template }) + "\n",
      );
    } else {
      io.stdout.write(`${r.violationProbability.toFixed(6)}\n`);
    }
    return 0;
  },
};
