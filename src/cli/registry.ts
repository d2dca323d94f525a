/**
 * The list of commands. Add one import and one entry per command file in `commands/`.
 */
import type { Command } from "commander";
import { register as adapter } from "./commands/adapter.js";
import { register as attack } from "./commands/attack.js";
import { register as backtest } from "./commands/backtest.js";
import { register as encode } from "./commands/encode.js";
import { register as forecast } from "./commands/forecast.js";
import { register as hpa } from "./commands/hpa.js";
import { register as plot } from "./commands/plot.js";
import { register as report } from "./commands/report.js";
import { register as rules } from "./commands/rules.js";
import { register as sampleApp } from "./commands/sample-app.js";
import { register as simulate } from "./commands/simulate.js";

export type RegisterCommand = (program: Command) => void;

export const COMMANDS: RegisterCommand[] = [
  forecast,
  backtest,
  simulate,
  sampleApp,
  attack,
  report,
  plot,
  encode,
  adapter,
  rules,
  hpa,
];
