/**
 * `tidescale ehpa convert FILE`: rewrites Crane EffectiveHorizontalPodAutoscaler manifests
 * (autoscaling.crane.io/v1alpha1) as tidescale ones (autoscaling.tidescale.dev/v1alpha1, autoscaling/v2
 * metric specs), validates them and prints YAML (several documents stay several documents). Notes on
 * changed meaning go to stderr; every problem is one `error: FILE: doc N: field: message` line, exit 2.
 */
import type { Command } from "commander";
import { stringify } from "yaml";
import { parseYamlDocuments, readTextFile } from "../../adapters/files/yaml-file.js";
import { convertCraneEhpa } from "../../core/ehpa/convert.js";
import { invalidInput } from "../../core/errors.js";

/** Converts every document of `text`; returns the YAML and the notes, or throws on the first problem. */
export function convertText(
  text: string,
  file: string,
): { yaml: string; notes: string[]; problems: string[] } {
  const docs = parseYamlDocuments(text, file).filter((d) => d !== null && d !== undefined);
  if (docs.length === 0) throw invalidInput(file, "no document in the file");
  const out: string[] = [];
  const notes: string[] = [];
  const problems: string[] = [];
  docs.forEach((doc, i) => {
    const where = docs.length > 1 ? `${file}: doc ${i + 1}` : file;
    const r = convertCraneEhpa(doc);
    if (!r.ok) {
      for (const p of r.error) problems.push(`${where}: ${p.field}: ${p.message}`);
      return;
    }
    out.push(stringify(r.value.manifest, { lineWidth: 0 }));
    for (const n of r.value.notes) notes.push(`${where}: ${n}`);
  });
  return { yaml: out.join("---\n"), notes, problems };
}

async function runConvert(file: string): Promise<void> {
  const r = convertText(await readTextFile(file), file);
  if (r.problems.length > 0) {
    for (const p of r.problems.slice(1)) process.stderr.write(`error: ${p}\n`);
    const first = r.problems[0]!;
    const cut = first.lastIndexOf(": ");
    throw invalidInput(first.slice(0, cut), first.slice(cut + 2));
  }
  for (const n of r.notes) process.stderr.write(`note: ${n}\n`);
  process.stdout.write(r.yaml);
}

export function register(program: Command): void {
  const ehpa = program
    .command("ehpa")
    .description(
      "Work with EffectiveHorizontalPodAutoscaler manifests (predictive autoscaling, docs/ehpa.md).",
    )
    .addHelpText("after", "\nExample:\n  tidescale ehpa convert examples/ehpa/crane-ehpa.yaml > ehpa.yaml");
  ehpa
    .command("convert")
    .summary("Rewrite Crane EHPA manifests as tidescale ones")
    .description(
      "Rewrite Crane EHPA manifests (autoscaling.crane.io/v1alpha1) as tidescale ones " +
        "(autoscaling.tidescale.dev/v1alpha1, autoscaling/v2 metric specs, Manual -> Preview, query " +
        "annotations renamed), validate them and print YAML. Notes on changed meaning go to stderr; a " +
        "problem names the document and field and exits 2.",
    )
    .argument("<file>", "YAML file with one or more EHPA documents (Crane's or tidescale's)")
    .addHelpText(
      "after",
      "\nExample:\n  tidescale ehpa convert examples/ehpa/crane-ehpa.yaml > ehpa.yaml\n" +
        "  tidescale ehpa convert examples/ehpa/crane-ehpa.yaml | kubectl apply -f -",
    )
    .action(async (file: string) => {
      await runConvert(file);
    });
}
