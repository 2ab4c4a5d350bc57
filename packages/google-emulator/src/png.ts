/**
 * Procedural pictures for the demo library, encoded as PNG in plain
 * JavaScript (node:zlib does the deflate and the CRC). Each item is a
 * function of normalised coordinates, so a resized or cropped rendering shows
 * the same picture, as Google's image parameters would.
 */
import { crc32, deflateSync } from 'node:zlib';

const SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

function chunk(type: string, data: Buffer): Buffer {
  const head = Buffer.alloc(8);
  head.writeUInt32BE(data.length, 0);
  head.write(type, 4, 'ascii');
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(data, crc32(Buffer.from(type, 'ascii'))) >>> 0, 0);
  return Buffer.concat([head, data, crc]);
}

/** RGB pixels (3 bytes each, row-major) to a PNG file. */
export function encodePng(width: number, height: number, rgb: Uint8Array): Buffer {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 2; // truecolour RGB
  const stride = width * 3;
  const raw = Buffer.alloc((stride + 1) * height);
  for (let y = 0; y < height; y++) {
    raw[y * (stride + 1)] = 0; // filter: none
    raw.set(rgb.subarray(y * stride, (y + 1) * stride), y * (stride + 1) + 1);
  }
  return Buffer.concat([SIGNATURE, chunk('IHDR', ihdr), chunk('IDAT', deflateSync(raw, { level: 4 })), chunk('IEND', Buffer.alloc(0))]);
}

/** Reads width and height back from a PNG's IHDR (tests use it). */
export function pngSize(png: Buffer): { width: number; height: number } {
  return { width: png.readUInt32BE(16), height: png.readUInt32BE(20) };
}

export interface Box {
  width?: number;
  height?: number;
  crop?: boolean;
}

/** Output size and the visible part of the original (normalised), per Google's =w/=h/-c rules. Never upscales. */
export function fit(original: { width: number; height: number }, box: Box) {
  const { width: ow, height: oh } = original;
  if (box.crop && box.width && box.height) {
    const width = Math.min(box.width, ow);
    const height = Math.min(box.height, oh);
    const scale = Math.max(width / ow, height / oh);
    const visibleW = width / scale / ow;
    const visibleH = height / scale / oh;
    return { width, height, u0: (1 - visibleW) / 2, v0: (1 - visibleH) / 2, du: visibleW, dv: visibleH };
  }
  const scales = [box.width ? box.width / ow : Infinity, box.height ? box.height / oh : Infinity, 1];
  const scale = Math.min(...scales);
  return { width: Math.max(1, Math.round(ow * scale)), height: Math.max(1, Math.round(oh * scale)), u0: 0, v0: 0, du: 1, dv: 1 };
}

function hueToRgb(h: number, s: number, l: number): [number, number, number] {
  const k = (n: number) => (n + h * 12) % 12;
  const a = s * Math.min(l, 1 - l);
  const f = (n: number) => l - a * Math.max(-1, Math.min(k(n) - 3, Math.min(9 - k(n), 1)));
  return [Math.round(f(0) * 255), Math.round(f(8) * 255), Math.round(f(4) * 255)];
}

/** Renders item `seed` (a landscape-ish scene; a dark frame with a play mark for video posters). */
export function renderPicture(seed: number, original: { width: number; height: number }, box: Box, poster = false): Buffer {
  const view = fit(original, box);
  const { width, height } = view;
  const rgb = new Uint8Array(width * height * 3);
  const hue = (seed * 0.137) % 1;
  const sky = hueToRgb(hue, 0.55, poster ? 0.25 : 0.62);
  const ground = hueToRgb((hue + 0.35) % 1, 0.5, poster ? 0.18 : 0.38);
  const sun = hueToRgb((hue + 0.12) % 1, 0.9, 0.6);
  const sunU = 0.25 + ((seed * 0.29) % 0.5);
  const aspect = original.width / original.height;
  for (let y = 0; y < height; y++) {
    const v = view.v0 + ((y + 0.5) / height) * view.dv;
    const horizon = 0.62 + 0.06 * Math.sin(seed + 0); // per-item horizon line
    for (let x = 0; x < width; x++) {
      const u = view.u0 + ((x + 0.5) / width) * view.du;
      const hill = horizon + 0.05 * Math.sin(u * 9 + seed);
      let [r, g, b] = v < hill ? sky : ground;
      const shade = v < hill ? 1 - v * 0.35 : 0.8 + 0.2 * Math.sin(u * 40 + v * 25);
      r *= shade; g *= shade; b *= shade;
      const du = (u - sunU) * aspect;
      const dv = v - 0.3;
      if (du * du + dv * dv < 0.012) [r, g, b] = sun;
      if (poster) {
        // A play triangle in the middle.
        const px = (u - 0.45) * aspect;
        const py = v - 0.5;
        if (px > 0 && px < 0.15 * Math.min(aspect, 1) && Math.abs(py) < (0.15 * Math.min(aspect, 1) - px) * 0.6) [r, g, b] = [240, 240, 240];
      }
      const i = (y * width + x) * 3;
      rgb[i] = r; rgb[i + 1] = g; rgb[i + 2] = b;
    }
  }
  return encodePng(width, height, rgb);
}
