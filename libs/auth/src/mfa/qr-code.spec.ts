import { describe, expect, it } from 'vitest';
import { readQrCodeSvg } from '../../../../test/support/qr.js';
import { qrCodeSvg } from './qr-code.js';

describe('qrCodeSvg', () => {
  const uri = 'otpauth://totp/OrderOps:jdoe?secret=JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP&issuer=OrderOps';

  it('renders a QR code that a decoder reads back as the URI', () => {
    expect(readQrCodeSvg(qrCodeSvg(uri))).toBe(uri);
  });

  it('is plain SVG: no script, link, image or external reference', () => {
    const svg = qrCodeSvg(uri);
    expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
    expect(svg).not.toMatch(/<script|href=|<image|url\(|<foreignObject/i);
  });
});
