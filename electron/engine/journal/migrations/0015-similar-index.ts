// "Similar images" driven by an index: each quarter of an image's perceptual hash (16 of its 64
// bits, four hex digits) is indexed, so the look-alikes of one are found by looking up the quarters
// near its own (journal/similar.ts) instead of measuring the distance to every output. The index
// holds the whole hash too: the candidates are measured from it, without reading their rows.
import type { Database } from 'better-sqlite3';

export default {
  version: 15,
  name: 'similar-index',
  says: 'Indexing the images for "similar"',
  up(db: Database): void {
    for (const part of [0, 1, 2, 3])
      db.exec(
        `CREATE INDEX outputs_phash_${part} ON outputs(substr(phash, ${1 + 4 * part}, 4), phash)
         WHERE phash IS NOT NULL AND deleted_at IS NULL`,
      );
  },
};
