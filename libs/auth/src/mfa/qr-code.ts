import { renderSVG } from 'uqr';

/**
 * The QR code of an `otpauth://` URI as a standalone SVG (no script, no external reference):
 * error correction M, the 4-module quiet zone scanners expect. Rendered by the app, so the
 * secret never goes to a third-party QR service.
 */
export function qrCodeSvg(text: string): string {
  return renderSVG(text, { ecc: 'M', border: 4, pixelSize: 8 });
}
