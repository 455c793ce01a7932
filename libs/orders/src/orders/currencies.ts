/** ISO 4217 codes OrderOps accepts: the currencies its merchants sell in. */
export const CURRENCIES = [
  'AED',
  'AUD',
  'BHD',
  'BRL',
  'CAD',
  'CHF',
  'CNY',
  'CZK',
  'DKK',
  'EUR',
  'GBP',
  'HKD',
  'HUF',
  'IDR',
  'ILS',
  'INR',
  'JOD',
  'JPY',
  'KRW',
  'KWD',
  'MXN',
  'MYR',
  'NOK',
  'NZD',
  'OMR',
  'PHP',
  'PLN',
  'RON',
  'SAR',
  'SEK',
  'SGD',
  'THB',
  'TND',
  'TRY',
  'USD',
  'ZAR',
] as const;
export type Currency = (typeof CURRENCIES)[number];

/** The most decimals any accepted currency has: what a price may carry before its currency is known. */
export const MAX_MINOR_UNITS = 3;

/**
 * ISO 4217 minor units where they are not 2: a price or total in these currencies has
 * exactly this many decimals at most (JPY 1000, KWD 1.250).
 */
const MINOR_UNITS: Readonly<Partial<Record<Currency, 0 | 3>>> = {
  JPY: 0,
  KRW: 0,
  BHD: 3,
  JOD: 3,
  KWD: 3,
  OMR: 3,
  TND: 3,
};

/** How many decimals `currency` has (ISO 4217 minor units): 0, 2 or 3. */
export function minorUnitsOf(currency: string): number {
  return MINOR_UNITS[currency as Currency] ?? 2;
}
