/**
 * A strict parser of the Prometheus text exposition format (0.0.4), enough to check what
 * Parley serves: every sample belongs to a family declared by # HELP and # TYPE, names and
 * labels are well-formed, values are numbers, histogram buckets are cumulative and end in +Inf.
 */
export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

export interface Family {
  name: string;
  type: "counter" | "gauge" | "histogram" | "summary" | "untyped";
  help: string;
  samples: Sample[];
}

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const SAMPLE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})?\s+(\S+)(\s+-?\d+)?$/;
const LABEL = /^\s*([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"\s*(,|$)/;

const parseLabels = (text: string, line: string): Record<string, string> => {
  const labels: Record<string, string> = {};
  let rest = text;
  while (rest.trim() !== "") {
    const match = LABEL.exec(rest);
    if (!match) throw new Error(`bad labels in: ${line}`);
    labels[match[1] as string] = (match[2] as string).replace(/\\n/g, "\n").replace(/\\(["\\])/g, "$1");
    rest = rest.slice(match[0].length);
  }
  return labels;
};

const parseValue = (raw: string, line: string): number => {
  // Prometheus reads values with Go's ParseFloat: Inf and NaN in any case (prom-client writes "Nan").
  if (/^\+?inf$/i.test(raw)) return Number.POSITIVE_INFINITY;
  if (/^-inf$/i.test(raw)) return Number.NEGATIVE_INFINITY;
  if (/^nan$/i.test(raw)) return Number.NaN;
  const value = Number(raw);
  if (raw === "" || Number.isNaN(value)) throw new Error(`bad value in: ${line}`);
  return value;
};

/** The family a sample name belongs to (histogram and summary samples carry suffixes). */
const familyOf = (name: string, families: Map<string, Family>): Family | undefined => {
  if (families.has(name)) return families.get(name);
  for (const suffix of ["_bucket", "_sum", "_count"]) {
    if (name.endsWith(suffix)) {
      const family = families.get(name.slice(0, -suffix.length));
      if (family && (family.type === "histogram" || family.type === "summary")) return family;
    }
  }
  return undefined;
};

export const parsePrometheus = (text: string): Map<string, Family> => {
  const families = new Map<string, Family>();
  for (const line of text.split("\n")) {
    if (line.trim() === "") continue;
    if (line.startsWith("# HELP ") || line.startsWith("# TYPE ")) {
      const [, kind, name, ...rest] = line.split(" ");
      if (!name || !NAME.test(name)) throw new Error(`bad metric name in: ${line}`);
      const family = families.get(name) ?? { name, type: "untyped", help: "", samples: [] };
      if (kind === "HELP") family.help = rest.join(" ");
      else {
        const type = rest[0] as Family["type"];
        if (!["counter", "gauge", "histogram", "summary", "untyped"].includes(type))
          throw new Error(`bad type: ${line}`);
        family.type = type;
      }
      families.set(name, family);
      continue;
    }
    if (line.startsWith("#")) continue;
    const match = SAMPLE.exec(line);
    if (!match) throw new Error(`not a sample line: ${line}`);
    const name = match[1] as string;
    const family = familyOf(name, families);
    if (!family) throw new Error(`sample before its # TYPE: ${line}`);
    family.samples.push({
      name,
      labels: parseLabels(match[3] ?? "", line),
      value: parseValue(match[4] as string, line),
    });
  }
  for (const family of families.values()) {
    if (family.type === "counter") {
      for (const s of family.samples) if (!(s.value >= 0)) throw new Error(`negative counter ${s.name}`);
    }
    if (family.type === "histogram") checkHistogram(family);
  }
  return families;
};

/** Per label set (without `le`): buckets cumulative, +Inf last and equal to _count, _sum present. */
const checkHistogram = (family: Family): void => {
  const series = new Map<string, { buckets: Sample[]; count?: Sample; sum?: Sample }>();
  for (const sample of family.samples) {
    const { le: _le, ...rest } = sample.labels;
    const key = JSON.stringify(Object.entries(rest).sort());
    const entry = series.get(key) ?? { buckets: [] };
    if (sample.name.endsWith("_bucket")) entry.buckets.push(sample);
    else if (sample.name.endsWith("_count")) entry.count = sample;
    else if (sample.name.endsWith("_sum")) entry.sum = sample;
    series.set(key, entry);
  }
  for (const { buckets, count, sum } of series.values()) {
    if (!count || !sum) throw new Error(`histogram ${family.name} lacks _sum or _count`);
    let previous = 0;
    for (const bucket of buckets) {
      if (bucket.value < previous) throw new Error(`histogram ${family.name} buckets are not cumulative`);
      previous = bucket.value;
    }
    const inf = buckets.at(-1);
    if (inf?.labels.le !== "+Inf" || inf.value !== count.value) {
      throw new Error(`histogram ${family.name}: the +Inf bucket must equal _count`);
    }
  }
};

/** The value of one sample: `name` with exactly these labels (0 when absent). */
export const sampleValue = (
  families: Map<string, Family>,
  name: string,
  labels: Record<string, string> = {},
): number => {
  const family = familyOf(name, families);
  const sample = family?.samples.find(
    (s) =>
      s.name === name &&
      Object.keys(s.labels).length === Object.keys(labels).length &&
      Object.entries(labels).every(([k, v]) => s.labels[k] === v),
  );
  return sample?.value ?? 0;
};
