import { brotliCompressSync, brotliDecompressSync, constants } from 'node:zlib';

/**
 * What a stored decision item carries beyond the domain's record, kept in the adapters: the raw
 * payload compressed, and the key of the case index.
 */

/** The raw payload as stored: brotli-compressed UTF-8 (about 40% of the JSON for Toqio's payloads). */
export const packRaw = (json: string): Uint8Array =>
  brotliCompressSync(Buffer.from(json, 'utf8'), {
    params: { [constants.BROTLI_PARAM_MODE]: constants.BROTLI_MODE_TEXT, [constants.BROTLI_PARAM_QUALITY]: 9 },
  });

/** A stored decision item with its raw payload as JSON text again (`rawJson`), whichever way it was stored. */
export const withRawJson = (item: Record<string, unknown> | undefined): Record<string, unknown> | undefined => {
  if (!item || typeof item.rawJson === 'string' || !(item.raw instanceof Uint8Array)) return item;
  const { raw, ...rest } = item;
  return { ...rest, rawJson: brotliDecompressSync(raw).toString('utf8') };
};

/**
 * The case index (byCaseStatus) holds cases only: an item that opened a case carries its status
 * again as `caseStatus`, the index's key; a decision without a case (most of them) is not indexed
 * and costs no index write.
 */
export const indexedAsCase = <T extends Record<string, unknown>>(item: T): T =>
  item.caseOpenedAt ? { ...item, caseStatus: item.status } : item;
