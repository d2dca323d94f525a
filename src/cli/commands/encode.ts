/**
 * `tidescale encode`: convert attack results between JSON lines and CSV (vegeta's columns plus ours).
 */
import { Command } from "commander";
import { BufferedWriter, openOutput, readResults } from "../../adapters/loadgen/results-io.js";
import { invalidInput } from "../../core/errors.js";
import { createResultJsonEncoder, encodeResultCsv } from "../../core/loadgen/result.js";
import { acceptSingleDashFlags } from "../vegeta-flags.js";

export function register(program: Command): void {
  const cmd = new Command("encode")
    .summary("Convert attack results between JSON lines and CSV")
    .description(
      "Convert attack results (JSON lines or CSV, from stdin or files) to JSON lines or CSV.\n" +
        "CSV has vegeta's 12 columns (unix ns timestamp, code, latency ns, bytes out, bytes in, error,\n" +
        "base64 body, attack, seq, method, url, base64 headers) then lateness ns and dropped.",
    )
    .argument("[files...]", "results files (default: stdin)")
    .option("--to <format>", "csv or json", "json")
    .option("--output <file>", "output file (default: stdout)")
    .addHelpText("after", "\nExample:\n  tidescale encode -to csv results.jsonl > results.csv")
    .action(async (files: string[], o) => {
      if (o.to !== "csv" && o.to !== "json") throw invalidInput("-to", `want csv or json, got "${o.to}"`);
      const encode = o.to === "csv" ? encodeResultCsv : createResultJsonEncoder();
      const out = new BufferedWriter(openOutput(o.output ?? ""));
      try {
        await readResults(files, (r) => out.write(encode(r)));
      } finally {
        await out.close();
      }
    });
  acceptSingleDashFlags(cmd);
  program.addCommand(cmd);
}
