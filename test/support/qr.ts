import decodeQR from '@paulmillr/qr/decode.js';

/** The SVG as an RGBA image, read from its markup: a white square and one black square per dark module. */
function rasterize(svg: string): { width: number; height: number; data: Uint8Array } {
  const [, width, height] = /viewBox="0 0 (\d+) (\d+)"/.exec(svg)!.map(Number);
  const data = new Uint8Array(width * height * 4).fill(255);
  const path = /<path fill="black" d="([^"]*)"\/>/.exec(svg)![1];
  for (const [, x, y, size] of path.matchAll(/M(\d+),(\d+)h(\d+)v\d+h-\d+z/g)) {
    for (let row = Number(y); row < Number(y) + Number(size); row++) {
      for (let col = Number(x); col < Number(x) + Number(size); col++) {
        data.fill(0, (row * width + col) * 4, (row * width + col) * 4 + 3);
      }
    }
  }
  return { width, height, data };
}

/** What a QR scanner reads from the app's SVG (an independent decoder, not the app's encoder). */
export function readQrCodeSvg(svg: string): string {
  return decodeQR(rasterize(svg));
}
