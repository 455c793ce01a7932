/** One scrape of a metrics endpoint: the exposition text, its content type and its status. */
export async function scrape(url: string): Promise<{ status: number; contentType: string; text: string }> {
  const response = await fetch(url);
  return {
    status: response.status,
    contentType: response.headers.get('content-type') ?? '',
    text: await response.text(),
  };
}

/** Every sample line (`name{labels} value`) keyed by `name{labels}`. */
export function samples(text: string): Map<string, number> {
  const found = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const split = line.lastIndexOf(' ');
    found.set(line.slice(0, split), Number(line.slice(split + 1)));
  }
  return found;
}

/** The series of our own metrics (orderops_*), whose label sets this service chooses. */
export function ownSeries(text: string): string[] {
  return [...samples(text).keys()].filter((key) => key.startsWith('orderops_')).sort();
}
