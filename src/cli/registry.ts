/**
 * The list of commands. Add one import and one entry per command file in `commands/`.
 */
import type { Command } from "commander";
import { register as backtest } from "./commands/backtest.js";
import { register as forecast } from "./commands/forecast.js";
import { register as simulate } from "./commands/simulate.js";

export type RegisterCommand = (program: Command) => void;

export const COMMANDS: RegisterCommand[] = [forecast, backtest, simulate];
