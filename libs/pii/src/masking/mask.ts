export type PiiKind = 'name' | 'email' | 'phone' | 'address';

export interface Address {
  line1: string;
  line2?: string;
  city: string;
  postalCode: string;
  country: string;
}

/** `jane.doe@example.com` -> `j***@example.com`. */
export function maskEmail(email: string): string {
  const at = email.lastIndexOf('@');
  if (at < 1) return '***';
  return `${[...email.slice(0, at)][0]}***${email.slice(at)}`;
}

/** Only the last two digits stay: `+44 20 7946 0958` -> `***58`. */
export function maskPhone(phone: string): string {
  const digits = phone.replace(/\D/g, '');
  return `***${digits.slice(-2)}`;
}

/** Initials: `Jane van Doe` -> `J*** V*** D***`. */
export function maskName(name: string): string {
  return name
    .trim()
    .split(/\s+/)
    .filter((part) => part.length > 0)
    .map((part) => `${[...part][0].toUpperCase()}***`)
    .join(' ');
}

/** City and country only. */
export function maskAddress(address: Address): Pick<Address, 'city' | 'country'> {
  return { city: address.city, country: address.country };
}

/** Masks a value of a kind; unknown shapes become null rather than pass through. */
export function maskValue(kind: PiiKind, value: unknown): unknown {
  if (value === null || value === undefined) return value;
  switch (kind) {
    case 'email':
      return typeof value === 'string' ? maskEmail(value) : null;
    case 'phone':
      return typeof value === 'string' ? maskPhone(value) : null;
    case 'name':
      return typeof value === 'string' ? maskName(value) : null;
    case 'address':
      return typeof value === 'object' && 'city' in value && 'country' in value
        ? maskAddress(value as Address)
        : null;
  }
}
