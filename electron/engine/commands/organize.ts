// The contract's albums and tags commands: albums chosen by hand or saved searches, and the tags
// in use (for autocomplete and filter chips).
import type { GalleryFilter } from '../../../shared/contract';
import type { EngineParts } from '../parts';
import type { Emit, HandlersOf } from './types';

export function organizeCommands(
  { gallery, organizer }: Pick<EngineParts, 'gallery' | 'organizer'>,
  emit: Emit,
): HandlersOf<'albums' | 'tags'> {
  /** What an album holds now: its count and the newest image for a cover. */
  const countOf = (filter: Record<string, unknown>) => {
    const query = filter as GalleryFilter;
    const first = gallery.page({ ...query, kinds: ['image'], limit: 1 }).items[0];
    return { count: gallery.count(query), coverHash: first?.hash ?? null };
  };
  const album = (id: string) => organizer.album(id, countOf);
  const changed = (ids: number[]): void => {
    for (const id of ids) {
      const tile = gallery.tile(id);
      if (tile) emit('output.changed', tile);
    }
  };
  return {
    'tags.list': ({ prefix, limit }) => organizer.tags(prefix ?? '', limit ?? 20),
    'albums.list': () => organizer.albums(countOf),
    'albums.save': ({ id, name, filter }) =>
      album(organizer.saveAlbum({ ...(id ? { id } : {}), name, filter: filter ?? null })),
    'albums.delete': ({ id }) => organizer.deleteAlbum(id),
    'albums.add': ({ id, ids }) => {
      organizer.setInAlbum(id, ids, true);
      changed(ids);
      return album(id);
    },
    'albums.remove': ({ id, ids }) => {
      organizer.setInAlbum(id, ids, false);
      changed(ids);
      return album(id);
    },
  };
}
