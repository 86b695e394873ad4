import type { Command } from "../command.js";
import { benchCommand } from "./bench.js";
import { chatCommand } from "./chat.js";
import { classifyCommand } from "./classify.js";
import { listCommand } from "./list.js";
import { pullCommand } from "./pull.js";
import { rmCommand } from "./rm.js";
import { infoCommand } from "./info.js";
import { inspectCommand } from "./inspect.js";
import { perplexityCommand } from "./perplexity.js";
import { runCommand } from "./run.js";
import { serveCommand } from "./serve.js";
import { tokenizeCommand } from "./tokenize.js";

/** Every `gemma` subcommand, in the order `gemma --help` lists them. */
export const commands: readonly Command[] = [runCommand, chatCommand, perplexityCommand, classifyCommand, inspectCommand, infoCommand, tokenizeCommand, benchCommand, serveCommand, pullCommand, listCommand, rmCommand];
