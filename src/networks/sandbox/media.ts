// Tiny but well-formed media files for sandbox attachments. They are generated
// rather than bundled so every seed yields different, deterministic bytes.
import { deflateSync } from 'node:zlib';
import type { Rng } from './rng.ts';

const CRC_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

/** CRC-32 as used by PNG and zlib. */
function crc32(bytes: Uint8Array): number {
  let c = 0xffffffff;
  for (const b of bytes) c = CRC_TABLE[(c ^ b) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

const ascii = (s: string): Uint8Array => Uint8Array.from(s, (c) => c.charCodeAt(0) & 0xff);

function randomColor(rng: Rng): [number, number, number] {
  return [rng.int(0, 255), rng.int(0, 255), rng.int(0, 255)];
}

// ---------------------------------------------------------------------------- PNG

function pngChunk(type: string, data: Uint8Array): Uint8Array {
  const out = new Uint8Array(12 + data.length);
  const view = new DataView(out.buffer);
  view.setUint32(0, data.length);
  out.set(ascii(type), 4);
  out.set(data, 8);
  view.setUint32(8 + data.length, crc32(out.subarray(4, 8 + data.length)));
  return out;
}

/** A paletted PNG of a simple landscape (sky, ground, sun); flat areas keep it to a few hundred bytes. */
export function makePng(rng: Rng, width: number, height: number): Uint8Array {
  const palette = [randomColor(rng), randomColor(rng), randomColor(rng), randomColor(rng)];
  const horizon = Math.floor(height * (0.45 + rng.next() * 0.3));
  const cx = rng.int(0, width - 1);
  const cy = rng.int(0, Math.max(0, horizon - 1));
  const r = Math.max(2, Math.floor(Math.min(width, height) * (0.08 + rng.next() * 0.12)));
  const stripe = rng.int(2, 9);

  // 2 bits per pixel (four palette entries) keeps the raw data, and deflate's work, small.
  const stride = Math.ceil(width / 4) + 1; // byte 0 of each row is filter type 0
  const raw = new Uint8Array(stride * height);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const dx = x - cx;
      const dy = y - cy;
      let idx = y < horizon ? 0 : (y - horizon) % (stripe * 4) < stripe ? 3 : 1;
      if (dx * dx + dy * dy <= r * r) idx = 2;
      raw[y * stride + 1 + (x >> 2)]! |= idx << (6 - 2 * (x & 3));
    }
  }

  const ihdr = new Uint8Array(13);
  const v = new DataView(ihdr.buffer);
  v.setUint32(0, width);
  v.setUint32(4, height);
  ihdr.set([2, 3, 0, 0, 0], 8); // 2-bit, palette, deflate, adaptive filters, no interlace
  return concat([
    Uint8Array.of(0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a),
    pngChunk('IHDR', ihdr),
    pngChunk('PLTE', Uint8Array.from(palette.flat())),
    pngChunk('IDAT', new Uint8Array(deflateSync(raw))),
    pngChunk('IEND', new Uint8Array(0)),
  ]);
}

// ---------------------------------------------------------------------------- GIF

/** GIF's variable-width LZW, packed into ≤255-byte sub-blocks. */
function gifLzw(pixels: Uint8Array, minCodeSize: number): Uint8Array {
  const clear = 1 << minCodeSize;
  const eoi = clear + 1;
  let codeSize = minCodeSize + 1;
  let nextCode = eoi + 1;
  let table = new Map<number, number>();
  const bytes: number[] = [];
  let acc = 0;
  let bits = 0;
  const emit = (code: number) => {
    acc |= code << bits;
    bits += codeSize;
    while (bits >= 8) {
      bytes.push(acc & 0xff);
      acc >>>= 8;
      bits -= 8;
    }
  };

  emit(clear);
  let prefix = pixels[0] ?? 0;
  for (let i = 1; i < pixels.length; i++) {
    const k = pixels[i]!;
    const key = (prefix << 8) | k;
    const found = table.get(key);
    if (found !== undefined) {
      prefix = found;
      continue;
    }
    emit(prefix);
    if (nextCode === 4096) {
      emit(clear);
      table = new Map();
      codeSize = minCodeSize + 1;
      nextCode = eoi + 1;
    } else {
      // The decoder lags one code behind, so widen before handing out the code that no longer fits.
      if (nextCode >= 1 << codeSize) codeSize++;
      table.set(key, nextCode++);
    }
    prefix = k;
  }
  emit(prefix);
  emit(eoi);
  if (bits > 0) bytes.push(acc & 0xff);

  const out: number[] = [minCodeSize];
  for (let i = 0; i < bytes.length; i += 255) {
    const block = bytes.slice(i, i + 255);
    out.push(block.length, ...block);
  }
  out.push(0);
  return Uint8Array.from(out);
}

/** A looping two-frame GIF89a: a square hopping across a plain background. */
export function makeGif(rng: Rng, width: number, height: number): Uint8Array {
  const colors = [randomColor(rng), randomColor(rng), randomColor(rng), randomColor(rng)];
  const header = new Uint8Array(13);
  const hv = new DataView(header.buffer);
  header.set(ascii('GIF89a'));
  hv.setUint16(6, width, true);
  hv.setUint16(8, height, true);
  header[10] = 0xf1; // global colour table, 4 entries
  const parts: Uint8Array[] = [header, Uint8Array.from(colors.flat())];
  parts.push(Uint8Array.of(0x21, 0xff, 0x0b, ...ascii('NETSCAPE2.0'), 0x03, 0x01, 0x00, 0x00, 0x00));

  const side = Math.max(1, Math.floor(Math.min(width, height) / 3));
  for (let f = 0; f < 2; f++) {
    const x0 = rng.int(0, width - side);
    const y0 = rng.int(0, height - side);
    const fg = rng.int(1, 3);
    const pixels = new Uint8Array(width * height);
    for (let y = y0; y < y0 + side; y++) pixels.fill(fg, y * width + x0, y * width + x0 + side);
    parts.push(Uint8Array.of(0x21, 0xf9, 0x04, 0x00, 50, 0x00, 0x00, 0x00)); // 0.5 s per frame
    const desc = new Uint8Array(10);
    const dv = new DataView(desc.buffer);
    desc[0] = 0x2c;
    dv.setUint16(5, width, true);
    dv.setUint16(7, height, true);
    parts.push(desc, gifLzw(pixels, 2));
  }
  parts.push(Uint8Array.of(0x3b));
  return concat(parts);
}

// ---------------------------------------------------------------------------- Ogg/Opus

const OGG_CRC_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n << 24;
    for (let k = 0; k < 8; k++) c = c & 0x80000000 ? (c << 1) ^ 0x04c11db7 : c << 1;
    t[n] = c >>> 0;
  }
  return t;
})();

function oggCrc(bytes: Uint8Array): number {
  let c = 0;
  for (const b of bytes) c = ((c << 8) ^ OGG_CRC_TABLE[((c >>> 24) ^ b) & 0xff]!) >>> 0;
  return c;
}

function oggPage(packets: Uint8Array[], flags: number, granule: number, serial: number, seq: number): Uint8Array {
  const lacing: number[] = [];
  for (const p of packets) {
    for (let n = p.length; ; n -= 255) {
      lacing.push(Math.min(n, 255));
      if (n < 255) break;
    }
  }
  const head = new Uint8Array(27 + lacing.length);
  const v = new DataView(head.buffer);
  head.set(ascii('OggS'));
  head[5] = flags;
  v.setBigUint64(6, BigInt(granule), true);
  v.setUint32(14, serial, true);
  v.setUint32(18, seq, true);
  head[26] = lacing.length;
  head.set(lacing, 27);
  const page = concat([head, ...packets]);
  new DataView(page.buffer).setUint32(22, oggCrc(page), true);
  return page;
}

/** An Ogg Opus-shaped voice note: real headers, filler audio packets (not decodable sound). */
export function makeOggVoice(rng: Rng, durationSeconds: number): Uint8Array {
  const serial = rng.int(1, 0x7fffffff);
  const preSkip = 312;
  const opusHead = new Uint8Array(19);
  const hv = new DataView(opusHead.buffer);
  opusHead.set(ascii('OpusHead'));
  opusHead[8] = 1; // version
  opusHead[9] = 1; // mono
  hv.setUint16(10, preSkip, true);
  hv.setUint32(12, 48000, true);
  const vendor = ascii('switchboard-sandbox');
  const tags = new Uint8Array(8 + 4 + vendor.length + 4);
  tags.set(ascii('OpusTags'));
  new DataView(tags.buffer).setUint32(8, vendor.length, true);
  tags.set(vendor, 12);

  const pages = [oggPage([opusHead], 0x02, 0, serial, 0), oggPage([tags], 0x00, 0, serial, 1)];
  const audioPages = 3;
  const total = Math.round(durationSeconds * 48000) + preSkip;
  for (let i = 0; i < audioPages; i++) {
    const packets = Array.from({ length: 8 }, () => {
      const p = Uint8Array.from({ length: rng.int(20, 60) }, () => rng.int(0, 255));
      p[0] = 0x78; // TOC byte: SILK-only wideband, 20 ms frame
      return p;
    });
    const last = i === audioPages - 1;
    pages.push(oggPage(packets, last ? 0x04 : 0, last ? total : Math.round((total * (i + 1)) / audioPages), serial, i + 2));
  }
  return concat(pages);
}

// ---------------------------------------------------------------------------- PDF

/** A one-page PDF with a title and a few lines of text; non-ASCII is folded for the base font. */
export function makePdf(rng: Rng, title: string): Uint8Array {
  const clean = (s: string) =>
    s
      .normalize('NFD')
      .replace(/[\u0300-\u036f]/g, '')
      .replace(/[^\x20-\x7e]/g, '?')
      .replace(/[\\()]/g, (c) => `\\${c}`);
  const lines = [`Reference ${rng.int(10000, 99999)}`, `Total: ${rng.int(20, 900)}.${String(rng.int(0, 99)).padStart(2, '0')} EUR`, 'Generated by the Switchboard sandbox.'];
  const text = [`BT /F1 20 Tf 72 720 Td (${clean(title)}) Tj ET`, ...lines.map((l, i) => `BT /F1 12 Tf 72 ${680 - i * 18} Td (${clean(l)}) Tj ET`)].join('\n');
  const objects = [
    '<< /Type /Catalog /Pages 2 0 R >>',
    '<< /Type /Pages /Kids [3 0 R] /Count 1 >>',
    '<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>',
    `<< /Length ${text.length} >>\nstream\n${text}\nendstream`,
    '<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>',
  ];
  let pdf = '%PDF-1.4\n';
  const offsets: number[] = [];
  objects.forEach((body, i) => {
    offsets.push(pdf.length);
    pdf += `${i + 1} 0 obj\n${body}\nendobj\n`;
  });
  const xref = pdf.length;
  pdf += `xref\n0 ${objects.length + 1}\n0000000000 65535 f \n`;
  for (const o of offsets) pdf += `${String(o).padStart(10, '0')} 00000 n \n`;
  pdf += `trailer\n<< /Size ${objects.length + 1} /Root 1 0 R >>\nstartxref\n${xref}\n%%EOF\n`;
  return ascii(pdf);
}
