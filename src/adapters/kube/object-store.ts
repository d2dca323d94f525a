/**
 * The in-memory store of a metadata informer: objects (namespace, name, labels) by namespace, replaced
 * by a list and changed by watch events. Answers "names in namespace N matching selector S" from memory,
 * and remembers each answer until that namespace changes (the HPA asks the same question every sync).
 */
import { matches, type Selector, tryParseSelector } from "../../core/labels/selector.js";

export interface StoredObject {
  namespace: string;
  name: string;
  labels: Record<string, string>;
}

/** The `metadata` of a PartialObjectMetadata as list and watch send it. */
export interface ObjectMeta {
  name?: string;
  namespace?: string;
  labels?: Record<string, string>;
  resourceVersion?: string;
}

interface Bucket {
  objects: Map<string, StoredObject>;
  /** Answers by selector text, dropped on any change in the namespace. */
  answers: Map<string, StoredObject[]>;
}

const ANSWERS_MAX = 64;
const EMPTY: Record<string, string> = Object.freeze({}) as Record<string, string>;

export class ObjectStore {
  private buckets = new Map<string, Bucket>();
  private selectors = new Map<string, Selector>();
  private count = 0;

  get size(): number {
    return this.count;
  }

  /** Replaces everything (a LIST). */
  replace(items: readonly ObjectMeta[]): void {
    this.buckets = new Map();
    this.count = 0;
    for (const m of items) this.put(m);
  }

  /** Adds or updates one object (ADDED, MODIFIED). */
  put(m: ObjectMeta): void {
    if (!m.name) return;
    const ns = m.namespace ?? "";
    let b = this.buckets.get(ns);
    if (!b) {
      b = { objects: new Map(), answers: new Map() };
      this.buckets.set(ns, b);
    }
    const prev = b.objects.get(m.name);
    const labels = m.labels && Object.keys(m.labels).length > 0 ? m.labels : EMPTY;
    if (prev && sameLabels(prev.labels, labels)) return;
    if (!prev) this.count++;
    b.objects.set(m.name, { namespace: ns, name: m.name, labels });
    b.answers.clear();
  }

  /** Removes one object (DELETED). */
  remove(m: ObjectMeta): void {
    if (!m.name) return;
    const b = this.buckets.get(m.namespace ?? "");
    if (!b?.objects.delete(m.name)) return;
    this.count--;
    b.answers.clear();
  }

  /**
   * Objects in `namespace` (every namespace when undefined) matching `selectorText`, sorted by namespace
   * then name (the apiserver's list order). The text must parse (the caller validated it).
   */
  list(namespace: string | undefined, selectorText: string): readonly StoredObject[] {
    if (namespace === undefined) {
      const out: StoredObject[] = [];
      for (const ns of [...this.buckets.keys()].sort()) out.push(...this.list(ns, selectorText));
      return out;
    }
    const b = this.buckets.get(namespace);
    if (!b) return [];
    const hit = b.answers.get(selectorText);
    if (hit) return hit;
    const sel = this.selector(selectorText);
    const out: StoredObject[] = [];
    for (const o of b.objects.values()) if (matches(sel, o.labels)) out.push(o);
    out.sort((x, y) => (x.name < y.name ? -1 : x.name > y.name ? 1 : 0));
    if (b.answers.size >= ANSWERS_MAX) b.answers.clear();
    b.answers.set(selectorText, out);
    return out;
  }

  private selector(text: string): Selector {
    let s = this.selectors.get(text);
    if (!s) {
      const r = tryParseSelector(text);
      if (!r.ok) throw new Error(`invalid label selector ${JSON.stringify(text)}: ${r.error.message}`);
      s = r.value;
      if (this.selectors.size >= ANSWERS_MAX) this.selectors.clear();
      this.selectors.set(text, s);
    }
    return s;
  }
}

function sameLabels(a: Record<string, string>, b: Record<string, string>): boolean {
  const ka = Object.keys(a);
  if (ka.length !== Object.keys(b).length) return false;
  for (const k of ka) if (a[k] !== b[k]) return false;
  return true;
}
