import { hkdfSync, randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  COMMITMENT_LABEL,
  deriveKeys,
  ENVELOPE_OVERHEAD_BYTES,
  EnvelopeError,
  envelopeAad,
  MESSAGE_KEY_LABEL,
  openEnvelope,
  sealEnvelope,
} from '../../packages/core/src/envelope.ts';

const identity = { namespace: 'app:1', key: 'authToken' };

describe('envelope v1', () => {
  it('has the layout 0x01 | salt 32 | iv 12 | commitment 32 | ciphertext | tag 16', () => {
    const plaintext = Buffer.from('{"token":"abc"}');
    const envelope = sealEnvelope(randomBytes(32), plaintext, identity);
    expect(envelope[0]).toBe(0x01);
    expect(ENVELOPE_OVERHEAD_BYTES).toBe(1 + 32 + 12 + 32 + 16);
    expect(envelope.length).toBe(plaintext.length + ENVELOPE_OVERHEAD_BYTES);
  });

  it('binds namespace and key as JSON in the AAD, not the table name', () => {
    expect(envelopeAad(identity).toString()).toBe('["secrets-store/v1","app:1","authToken"]');
  });

  it('never repeats salt or iv for one data key', () => {
    const dataKey = randomBytes(32);
    const envelopes = Array.from({ length: 50 }, () =>
      sealEnvelope(dataKey, Buffer.from('same'), identity),
    );
    const salts = new Set(envelopes.map((envelope) => envelope.subarray(1, 33).toString('hex')));
    const ivs = new Set(envelopes.map((envelope) => envelope.subarray(33, 45).toString('hex')));
    expect(salts.size).toBe(50);
    expect(ivs.size).toBe(50);
  });

  it('refuses another data key at the commitment, before decrypting', () => {
    const envelope = sealEnvelope(randomBytes(32), Buffer.from('x'), identity);
    expect(() => openEnvelope(randomBytes(32), envelope, identity)).toThrow(/commitment/);
  });

  it('refuses another identity', () => {
    const dataKey = randomBytes(32);
    const envelope = sealEnvelope(dataKey, Buffer.from('x'), identity);
    expect(() => openEnvelope(dataKey, envelope, { ...identity, key: 'other' })).toThrow(
      /authentication/,
    );
    expect(() => openEnvelope(dataKey, envelope, { ...identity, namespace: 'app:2' })).toThrow(
      EnvelopeError,
    );
  });

  it('refuses an unknown version and a truncated envelope', () => {
    const dataKey = randomBytes(32);
    const envelope = sealEnvelope(dataKey, Buffer.from('x'), identity);
    const wrongVersion = Buffer.from(envelope);
    wrongVersion[0] = 0x02;
    expect(() => openEnvelope(dataKey, wrongVersion, identity)).toThrow(
      /unknown envelope version 2/,
    );
    expect(() => openEnvelope(dataKey, envelope.subarray(0, 92), identity)).toThrow(/shorter/);
  });

  it('property: seal then open gives the plaintext back', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 32, maxLength: 32 }),
        fc.uint8Array({ maxLength: 2048 }),
        fc.string({ minLength: 1 }),
        (dataKey, plaintext, key) => {
          const target = { namespace: 'ns', key };
          const opened = openEnvelope(dataKey, sealEnvelope(dataKey, plaintext, target), target);
          expect(Buffer.compare(opened, Buffer.from(plaintext))).toBe(0);
        },
      ),
    );
  });

  it('property: any single-bit flip is rejected', () => {
    const dataKey = randomBytes(32);
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 256 }), fc.nat(), fc.nat(7), (plaintext, at, bit) => {
        const envelope = sealEnvelope(dataKey, plaintext, identity);
        const index = at % envelope.length;
        envelope[index] = (envelope[index] as number) ^ (1 << bit);
        expect(() => openEnvelope(dataKey, envelope, identity)).toThrow(EnvelopeError);
      }),
      { numRuns: 500 },
    );
  });
});

describe('deriveKeys', () => {
  it('property: gives exactly the bytes of crypto.hkdfSync for both labels', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 32, maxLength: 32 }),
        fc.uint8Array({ minLength: 32, maxLength: 32 }),
        (dataKey, salt) => {
          const { messageKey, commitment } = deriveKeys(dataKey, salt);
          const reference = (label: Buffer) =>
            Buffer.from(hkdfSync('sha256', dataKey, salt, label, 32));
          expect(messageKey.equals(reference(MESSAGE_KEY_LABEL))).toBe(true);
          expect(commitment.equals(reference(COMMITMENT_LABEL))).toBe(true);
        },
      ),
    );
  });
});
