// Properties of ComfyUI's binary WebSocket frames: decoding is total (any bytes give a frame or
// null) and bounded, and what the encoders write decodes back to what went in.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  decodeBinaryFrame,
  encodePreviewFrame,
  encodePreviewWithMetadataFrame,
  encodeTextFrame,
  FRAME_PREVIEW_WITH_METADATA,
  FRAME_TEXT,
} from '../../../shared/comfy-frames';

const encoder = new TextEncoder();

function frame(type: number, length: number, rest: Uint8Array): Uint8Array {
  const head = new Uint8Array(8);
  new DataView(head.buffer).setUint32(0, type);
  new DataView(head.buffer).setUint32(4, length);
  return Buffer.concat([head, rest]);
}

// Full Unicode without lone surrogates (those cannot survive UTF-8 in any encoder).
const text = (maxLength: number) => fc.string({ unit: 'binary', maxLength });
// A frame without image bytes is dropped (it would replace the last good preview): see the unit cases.
const image = fc.uint8Array({ minLength: 1, maxLength: 256 });

describe('decodeBinaryFrame properties', () => {
  it('never throws on random bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 512 }), (bytes) => {
        decodeBinaryFrame(bytes);
      }),
      { numRuns: 2000 },
    );
  });

  it('never throws on frames of known types with any length field and any body', () => {
    const length = fc.oneof(fc.nat({ max: 600 }), fc.nat({ max: 0xffffffff }), fc.constantFrom(0xffffffff, 0xfffffff8));
    const body = fc.oneof(
      fc.uint8Array({ maxLength: 512 }),
      fc.jsonValue({ maxDepth: 4 }).map((v) => encoder.encode(JSON.stringify(v) ?? '')),
      fc
        .record({ node_id: fc.jsonValue(), prompt_id: fc.jsonValue(), image_type: fc.jsonValue() })
        .map((v) => encoder.encode(JSON.stringify(v))),
    );
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 5 }), length, body, fc.boolean(), (type, claimed, rest, honest) => {
        const decoded = decodeBinaryFrame(frame(type, honest ? rest.length : claimed, rest));
        if (decoded?.kind === 'image') {
          expect(['image/png', 'image/jpeg', 'image/webp', 'image/gif']).toContain(decoded.mime);
          expect(decoded.promptId === null || typeof decoded.promptId === 'string').toBe(true);
        }
      }),
      { numRuns: 2000 },
    );
  });

  it('type 1 round-trips the image and its format', () => {
    fc.assert(
      fc.property(image, fc.constantFrom('jpeg' as const, 'png' as const), (bytes, format) => {
        expect(decodeBinaryFrame(encodePreviewFrame(bytes, format))).toEqual({
          kind: 'image',
          type: 1,
          mime: `image/${format}`,
          image: bytes,
          promptId: null,
          nodeId: null,
        });
      }),
      { numRuns: 500 },
    );
  });

  it('type 3 round-trips any node id (up to 1 KiB) and text', () => {
    fc.assert(
      fc.property(text(250), text(2000), (nodeId, body) => {
        expect(decodeBinaryFrame(encodeTextFrame(nodeId, body))).toEqual({ kind: 'text', nodeId, text: body });
      }),
      { numRuns: 1000 },
    );
  });

  it('type 4 round-trips ids, image and type with any other metadata', () => {
    const metadata = fc.record(
      {
        node_id: text(250),
        display_node_id: text(40),
        prompt_id: fc.oneof(fc.uuid(), text(250)),
        image_type: fc.constantFrom('image/png', 'image/jpeg', 'image/webp'),
        extra: fc.jsonValue({ maxDepth: 4 }),
      },
      { requiredKeys: ['image_type'] },
    );
    fc.assert(
      fc.property(image, metadata, (bytes, meta) => {
        expect(decodeBinaryFrame(encodePreviewWithMetadataFrame(bytes, meta))).toEqual({
          kind: 'image',
          type: 4,
          mime: meta.image_type,
          image: bytes,
          promptId: meta.prompt_id ?? null,
          nodeId: meta.node_id ?? null,
        });
      }),
      { numRuns: 1000 },
    );
  });
});

describe('decodeBinaryFrame bounds', () => {
  const png = new Uint8Array([0x89, 0x50, 0x4e, 0x47]);

  it('a length field larger than the frame gives null', () => {
    expect(decodeBinaryFrame(frame(FRAME_TEXT, 100, encoder.encode('short')))).toBeNull();
    expect(decodeBinaryFrame(frame(FRAME_PREVIEW_WITH_METADATA, 0xffffffff, encoder.encode('{}')))).toBeNull();
  });

  it('metadata over 64 KiB, nested too deep, or not an object gives null', () => {
    const big = { prompt_id: 'p', pad: 'x'.repeat(64 * 1024) };
    expect(decodeBinaryFrame(encodePreviewWithMetadataFrame(png, big))).toBeNull();
    const deep = JSON.parse('{"a":'.repeat(1000) + '1' + '}'.repeat(1000)) as Record<string, unknown>;
    expect(decodeBinaryFrame(encodePreviewWithMetadataFrame(png, deep))).toBeNull();
    for (const value of ['null', '[]', '5', '"x"', 'nope']) {
      const bytes = encoder.encode(value);
      expect(decodeBinaryFrame(frame(FRAME_PREVIEW_WITH_METADATA, bytes.length, bytes)), value).toBeNull();
    }
  });

  it('a node id or prompt id over 1 KiB gives null; 1 KiB exactly is fine', () => {
    const long = 'é'.repeat(513); // 1026 bytes in UTF-8
    expect(decodeBinaryFrame(encodeTextFrame(long, 'hi'))).toBeNull();
    expect(decodeBinaryFrame(encodeTextFrame('n'.repeat(1024), 'hi'))).toMatchObject({ kind: 'text' });
    expect(decodeBinaryFrame(encodePreviewWithMetadataFrame(png, { node_id: long }))).toBeNull();
    expect(decodeBinaryFrame(encodePreviewWithMetadataFrame(png, { prompt_id: long }))).toBeNull();
    expect(decodeBinaryFrame(encodePreviewWithMetadataFrame(png, { node_id: 'n'.repeat(1024) }))).toMatchObject({
      nodeId: 'n'.repeat(1024),
    });
  });

  it('only plain picture types are taken from the metadata: anything else is shown as PNG', () => {
    for (const type of ['image/svg+xml', 'text/html', 'image/png; charset=x', 42]) {
      const decoded = decodeBinaryFrame(encodePreviewWithMetadataFrame(png, { image_type: type as string }));
      expect(decoded).toMatchObject({ kind: 'image', mime: 'image/png' });
    }
  });
});
