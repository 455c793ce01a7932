// Prometheus text exposition, as far as the benchmarks read it from the processes' metrics
// ports: the samples of one metric, their sum over several processes, a histogram's buckets,
// and histogram_quantile over the difference of two scrapes.

/** Every sample of metric `name` in `text`: its label text (`a="1",le="0.5"`) and value. */
export function samples(text, name) {
  const found = [];
  for (const line of text.split('\n')) {
    if (!line.startsWith(name) || (line[name.length] !== ' ' && line[name.length] !== '{')) continue;
    const labels = line[name.length] === '{' ? line.slice(name.length + 1, line.lastIndexOf('}')) : '';
    found.push({ labels, value: Number(line.slice(line.lastIndexOf(' ') + 1)) });
  }
  return found;
}

/** The sum of every sample of `name` over the scrapes `texts`; undefined when none has it. */
export function sumOf(texts, name) {
  const all = texts.flatMap((text) => samples(text, name));
  return all.length === 0 ? undefined : all.reduce((sum, s) => sum + s.value, 0);
}

/**
 * Histogram `name`'s cumulative bucket counts by upper bound (+Inf as Infinity), summed over
 * the scrapes and over any other labels; undefined when no scrape has the histogram.
 */
export function buckets(texts, name) {
  const byBound = new Map();
  for (const text of texts) {
    for (const { labels, value } of samples(text, `${name}_bucket`)) {
      const le = /(?:^|,)le="([^"]+)"/.exec(labels)?.[1];
      if (le === undefined) continue;
      const bound = le === '+Inf' ? Infinity : Number(le);
      byBound.set(bound, (byBound.get(bound) ?? 0) + value);
    }
  }
  return byBound.size === 0 ? undefined : byBound;
}

/**
 * The q-quantile of the observations made between two scrapes' `buckets` (`before` may be
 * undefined: from zero), interpolated within its bucket as Prometheus' histogram_quantile
 * does: { observations, seconds, bucket } (bucket: the upper bound it fell in), { observations,
 * seconds: the last finite bound, above: true } when it lies in the +Inf bucket, or
 * { observations: 0 }.
 */
export function quantile(q, before, after) {
  const bounds = [...after.keys()].sort((a, b) => a - b);
  const counts = bounds.map((b) => after.get(b) - (before?.get(b) ?? 0));
  const total = counts[counts.length - 1];
  if (!(total > 0)) return { observations: 0 };
  const rank = q * total;
  const i = counts.findIndex((c) => c >= rank);
  const upper = bounds[i];
  const lower = i === 0 ? 0 : bounds[i - 1];
  if (upper === Infinity) return { observations: total, seconds: lower, above: true };
  const below = i === 0 ? 0 : counts[i - 1];
  return {
    observations: total,
    seconds: lower + (upper - lower) * ((rank - below) / (counts[i] - below)),
    bucket: upper,
  };
}
