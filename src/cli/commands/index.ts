import type { Command } from "../command.js";
import { benchCommand } from "./bench.js";
import { chatCommand } from "./chat.js";
import { classifyCommand } from "./classify.js";
import { convertCommand } from "./convert.js";
import { embedCommand } from "./embed.js";
import { listCommand } from "./list.js";
import { pullCommand } from "./pull.js";
import { rmCommand } from "./rm.js";
import { infoCommand } from "./info.js";
import { inspectCommand } from "./inspect.js";
import { perplexityCommand } from "./perplexity.js";
import { runCommand } from "./run.js";
import { serveCommand } from "./serve.js";
import { tokenizeCommand } from "./tokenize.js";
import { webCommand } from "./web.js";

/** Every `gemma` subcommand, in the order `gemma --help` lists them. */
export const commands: readonly Command[] = [runCommand, chatCommand, perplexityCommand, classifyCommand, embedCommand, inspectCommand, infoCommand, tokenizeCommand, convertCommand, benchCommand, serveCommand, webCommand, pullCommand, listCommand, rmCommand];
