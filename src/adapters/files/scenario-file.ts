/**
 * Reads a simulation scenario from disk: the YAML document, the HPA inside it (validated by the engine's
 * `parseHpa`), and every CSV trace it names (paths relative to the scenario file). Errors are
 * INVALID_INPUT naming the file and field path, or `trace.csv:<line>` for trace defects.
 */
import { open, writeFile } from "node:fs/promises";
import { dirname, isAbsolute, resolve } from "node:path";
import { invalidInput, ToolkitError } from "../../core/errors.js";
import { type HpaObject, parseHpa } from "../../core/hpa/index.js";
import { parseQuantity } from "../../core/quantity/quantity.js";
import { type LoadComponent, type LoadFunction, loadFunction } from "../../core/sim/load.js";
import {
  checkRunLimits,
  parseScenario,
  resolveTraces,
  type ScenarioSpec,
  scenarioWarnings,
  traceFiles,
} from "../../core/sim/scenario.js";
import { writeFileError } from "./file-error.js";
import { parseYamlDocuments, parseYamlText, readTextFile } from "./yaml-file.js";

/** A scenario ready to run. */
export interface LoadedScenario {
  readonly spec: ScenarioSpec;
  readonly hpa: HpaObject;
  readonly components: readonly LoadComponent[];
  readonly load: LoadFunction;
  /** Valid but ineffective settings (`<file>: spec.load[0].spike.at: ... has no effect`), one per line. */
  readonly warnings: readonly string[];
}

/** Milli-units of a quantity (`MilliValue()`, rounding up); errors name `where`. */
export function quantityMilli(text: string, where: string): number {
  return parseQuantity(text, where).milliValue();
}

/**
 * Reads and validates `path`; `overrides` replace `spec.duration` / `spec.syncPeriod` (already in ms, from
 * the `--duration` / `--sync-period` flags, which then name the run-limit errors).
 */
export async function readScenarioFile(
  path: string,
  overrides: { durationMs?: number; syncPeriodMs?: number } = {},
): Promise<LoadedScenario> {
  const doc = parseYamlText(await readTextFile(path), path);
  if (doc === null || doc === undefined) throw invalidInput(path, "file is empty");
  let spec = parseScenario(doc, path, quantityMilli);
  if (overrides.durationMs !== undefined) spec = { ...spec, durationMs: overrides.durationMs };
  if (overrides.syncPeriodMs !== undefined) spec = { ...spec, syncPeriodMs: overrides.syncPeriodMs };
  checkRunLimits(spec, {
    ...(overrides.durationMs !== undefined ? { duration: "--duration" } : {}),
    ...(overrides.syncPeriodMs !== undefined ? { syncPeriod: "--sync-period" } : {}),
  });
  const hpa =
    spec.hpaFile !== undefined ? await readHpaManifest(spec.hpaFile, path) : parseEmbeddedHpa(spec.hpa, path);
  const texts = new Map<string, string>();
  for (const { file, where } of traceFiles(spec)) {
    const full = isAbsolute(file) ? file : resolve(dirname(path), file);
    texts.set(file, await readTextFile(full, `${where} (${file})`));
  }
  const components = resolveTraces(spec.load, texts);
  return { spec, hpa, components, load: loadFunction(components), warnings: scenarioWarnings(spec) };
}

/**
 * Reads the HPA from a manifest (`spec.hpaFile`, relative to the scenario): the one
 * HorizontalPodAutoscaler document of a possibly multi-document YAML file. Errors name that file.
 */
async function readHpaManifest(file: string, scenario: string): Promise<HpaObject> {
  const full = isAbsolute(file) ? file : resolve(dirname(scenario), file);
  const docs = parseYamlDocuments(await readTextFile(full, `${scenario}: spec.hpaFile (${file})`), file);
  const hpas = docs.filter(
    (d): d is Record<string, unknown> =>
      typeof d === "object" &&
      d !== null &&
      (d as Record<string, unknown>).kind === "HorizontalPodAutoscaler",
  );
  if (hpas.length !== 1)
    throw invalidInput(
      file,
      `expected exactly one document of kind HorizontalPodAutoscaler, found ${hpas.length} (in ${docs.length} document${docs.length === 1 ? "" : "s"})`,
    );
  return parseHpa(hpas[0], file);
}

/** The engine's `parseHpa`, with error positions rebased under `spec.hpa` of the scenario file. */
function parseEmbeddedHpa(obj: unknown, file: string): HpaObject {
  try {
    return parseHpa(obj, "");
  } catch (e) {
    if (e instanceof ToolkitError && e.code === "INVALID_INPUT") {
      const rel = e.where === "(root)" || e.where === "" ? "" : e.where;
      throw invalidInput(
        `${file}: spec.hpa${rel === "" || rel.startsWith("[") ? rel : `.${rel}`}`,
        e.message,
      );
    }
    throw e;
  }
}

/**
 * Writes an output file, from one string or from pieces (batched into about 1 MB writes, for documents
 * larger than one string can hold); failures are INVALID_INPUT naming the flag (`--csv: cannot write ...`).
 */
export async function writeOutputFile(
  path: string,
  text: string | Iterable<string>,
  flag: string,
): Promise<void> {
  try {
    if (typeof text === "string") await writeFile(path, text, "utf8");
    else {
      const fh = await open(path, "w");
      try {
        for (const batch of batchChunks(text)) await fh.write(batch, null, "utf8");
      } finally {
        await fh.close();
      }
    }
  } catch (e) {
    throw writeFileError(e, path, flag);
  }
}

/** Joins small pieces into strings of about `size` characters. */
export function* batchChunks(chunks: Iterable<string>, size = 1 << 20): Generator<string> {
  let parts: string[] = [];
  let length = 0;
  for (const c of chunks) {
    parts.push(c);
    length += c.length;
    if (length >= size) {
      yield parts.join("");
      parts = [];
      length = 0;
    }
  }
  if (parts.length) yield parts.join("");
}
