/**
 * The rule for a partner's own order number (`externalRef`, an import's `order_ref`):
 * 1 to 64 printable ASCII characters (letters, digits, punctuation, inner spaces), with no
 * space at either end. Plain ASCII, because partners type and match these numbers in their
 * own systems and a look-alike Unicode character or a trailing space would make two
 * numbers that read the same compare different.
 */
export const EXTERNAL_REF_MAX_LENGTH = 64;
export const EXTERNAL_REF_PATTERN = /^[\x21-\x7e](?:[\x20-\x7e]*[\x21-\x7e])?$/;
export const EXTERNAL_REF_RULE =
  '1-64 printable ASCII characters (letters, digits, punctuation, inner spaces), no space at either end';
