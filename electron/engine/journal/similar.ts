// Look-alikes by perceptual hash (64 bits, 16 hex digits), found through the index of each quarter
// of the hash (migration 0015). Two hashes within d bits of each other have at least one quarter
// within ⌊d/4⌋ bits (were all four further, they would differ in more than d), so the candidates are
// the outputs with a quarter among the values that near their own; only those are measured.
import type { Database } from 'better-sqlite3';

/** The widest quarter radius looked up (2,517 values a quarter); a wider search measures every image. */
const MAX_RADIUS = 4;

/** Every 16-bit value within `radius` bits of `value`, as four lowercase hex digits. */
export function quarterNeighbours(value: number, radius: number): string[] {
  const found: string[] = [];
  const flip = (from: number, bit: number, left: number): void => {
    found.push(from.toString(16).padStart(4, '0'));
    if (left === 0) return;
    for (let b = bit; b < 16; b++) flip(from ^ (1 << b), b + 1, left - 1);
  };
  flip(value & 0xffff, 0, radius);
  return found;
}

/** The statement and parameters that find the outputs within `maxDistance` bits of `phash`. */
export function similarQuery(
  phash: string,
  outputId: number,
  maxDistance: number,
  limit: number,
): { sql: string; params: unknown[] } {
  const end = `ORDER BY distance, id DESC LIMIT ?`;
  const radius = Math.floor(maxDistance / 4);
  if (radius > MAX_RADIUS || !/^[0-9a-f]{16}$/.test(phash))
    return {
      sql: `SELECT id, hamming(phash, ?) AS distance FROM outputs
            WHERE phash IS NOT NULL AND phash <> '' AND deleted_at IS NULL AND id <> ? AND distance <= ? ${end}`,
      params: [phash, outputId, maxDistance, limit],
    };
  const quarters = [0, 1, 2, 3].map((part) => phash.slice(4 * part, 4 * part + 4));
  // One lookup of each quarter's index (an OR of the four would be a scan), measured from the index.
  const candidates = quarters.map(
    (_, part) => `SELECT id, hamming(phash, ?) AS distance FROM outputs INDEXED BY outputs_phash_${part}
       WHERE phash IS NOT NULL AND deleted_at IS NULL
         AND substr(phash, ${1 + 4 * part}, 4) IN (SELECT value FROM json_each(?)) AND distance <= ?`,
  );
  return {
    sql: `SELECT id, distance FROM (${candidates.join(' UNION ')}) WHERE id <> ? ${end}`,
    params: [
      ...quarters.flatMap((q) => [phash, JSON.stringify(quarterNeighbours(parseInt(q, 16), radius)), maxDistance]),
      outputId,
      limit,
    ],
  };
}

/** SQLite's plan for it (a test asserts the outputs are not scanned). */
export function explainSimilar(db: Database, phash: string, maxDistance: number): string[] {
  const { sql, params } = similarQuery(phash, 0, maxDistance, 60);
  return (db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all(...params) as { detail: string }[]).map((r) => r.detail);
}
