/** The V8 heap caps a NODE_OPTIONS string sets, in MiB (undefined when a flag is missing). */
export function heapCapsOf(nodeOptions: string | undefined): { oldSpaceMiB?: number; semiSpaceMiB?: number } {
  const flag = (name: string): number | undefined => {
    const match = new RegExp(`(?:^|\\s)--${name}=([0-9]+)(?=\\s|$)`).exec(nodeOptions ?? '');
    return match ? Number(match[1]) : undefined;
  };
  return { oldSpaceMiB: flag('max-old-space-size'), semiSpaceMiB: flag('max-semi-space-size') };
}

const UNITS: Record<string, number> = {
  '': 1,
  k: 1e3,
  M: 1e6,
  G: 1e9,
  Ki: 1024,
  Mi: 1024 ** 2,
  Gi: 1024 ** 3,
};

/** A Kubernetes memory quantity (`512Mi`, `1G`, `536870912`) in MiB, or undefined. */
export function memoryMiB(quantity: string | number | undefined): number | undefined {
  const match = /^([0-9]+(?:\.[0-9]+)?)(k|M|G|Ki|Mi|Gi)?$/.exec(String(quantity ?? ''));
  if (!match) return undefined;
  return (Number(match[1]) * UNITS[match[2] ?? '']) / 1024 ** 2;
}
