/**
 * Reads a Crane DSP configuration for `tidescale forecast --crane-dsp FILE`: either the `dsp` block of
 * `spec.prediction.predictionAlgorithm` on its own, or a whole Crane EffectiveHorizontalPodAutoscaler
 * (autoscaling.crane.io/v1alpha1) from which that block and `predictionWindowSeconds` are taken.
 * Unknown fields and invalid values are errors naming the field (Crane logs and falls back to defaults).
 */
import { dspSchema } from "../../core/ehpa/spec.js";
import { invalidInput } from "../../core/errors.js";
import { type CraneDspConfig, type CraneDspSpec, parseCraneDspSpec } from "../../core/predict/crane-dsp.js";
import { parseWith } from "../../core/validation.js";
import { parseYamlText, readTextFile } from "../files/yaml-file.js";

/** A parsed Crane DSP configuration plus the EHPA's prediction window, when the file was an EHPA. */
export interface CraneDspFile {
  config: CraneDspConfig;
  predictionWindowSeconds?: number;
}

function dropUndefined<T>(v: T): T {
  return JSON.parse(JSON.stringify(v)) as T;
}

/** Reads and validates the file. */
export async function readCraneDspFile(path: string): Promise<CraneDspFile> {
  const doc = parseYamlText(await readTextFile(path), path) as Record<string, unknown> | null;
  if (!doc || typeof doc !== "object") throw invalidInput(path, "expected a Crane dsp block or an EHPA");
  let block: unknown = doc;
  let prefix = path;
  let window: number | undefined;
  if (doc.kind === "EffectiveHorizontalPodAutoscaler") {
    const prediction = (doc.spec as Record<string, unknown> | undefined)?.prediction as
      | Record<string, unknown>
      | undefined;
    const algo = prediction?.predictionAlgorithm as Record<string, unknown> | undefined;
    if (algo?.algorithmType !== "dsp")
      throw invalidInput(`${path}: spec.prediction.predictionAlgorithm.algorithmType`, 'must be "dsp"');
    block = algo.dsp ?? {};
    prefix = `${path}: spec.prediction.predictionAlgorithm.dsp`;
    const w = prediction?.predictionWindowSeconds;
    if (w !== undefined && w !== null) {
      // Crane's field is an *int32 of seconds; anything else would silently change the served window.
      if (typeof w !== "number" || !Number.isInteger(w) || w <= 0 || w > 2_147_483_647)
        throw invalidInput(
          `${path}: spec.prediction.predictionWindowSeconds`,
          `must be a positive integer number of seconds, got ${JSON.stringify(w)}`,
        );
      window = w;
    }
  }
  const spec = dropUndefined(parseWith(dspSchema, block, prefix)) as CraneDspSpec;
  const r = parseCraneDspSpec(spec);
  if (!r.ok) {
    const p = r.error[0]!;
    throw invalidInput(`${prefix}: ${p.field.replace(/^dsp\./, "")}`, p.message);
  }
  return window === undefined ? { config: r.value } : { config: r.value, predictionWindowSeconds: window };
}
