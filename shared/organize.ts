// What the gallery knows beyond the files: the person's ratings, tags and albums, how outputs
// are related (one used as an input of a later job), and how two outputs were made differently.
import type { GalleryItem, JobSummary } from './jobs';

export const MAX_TAG_LENGTH = 64;

/** A tag as it is kept: trimmed, inner spaces collapsed, at most MAX_TAG_LENGTH characters. */
export function normalizeTag(tag: string): string {
  return tag.normalize('NFKC').trim().replace(/\s+/g, ' ').slice(0, MAX_TAG_LENGTH);
}

export interface TagCount {
  tag: string;
  count: number;
}

export interface Album {
  id: string;
  name: string;
  /** A smart album is a saved search: its outputs are whatever matches the filter now. */
  smart: boolean;
  /** The saved search of a smart album (a gallery filter), null for one chosen by hand. */
  filter: Record<string, unknown> | null;
  count: number;
  coverHash: string | null;
  createdAt: number;
}

/** An image like another, and how far (0 = the same picture, up to 64; under 10 looks alike). */
export interface SimilarItem extends GalleryItem {
  distance: number;
}

export interface Lineage {
  /** Outputs this output's job took as input images or masks. */
  madeFrom: GalleryItem[];
  /** Later jobs that took this output as an input, and what they made. */
  usedIn: { job: JobSummary; outputs: GalleryItem[] }[];
}

/** An input whose value differs between the compared outputs' jobs. */
export interface InputChange {
  nodeId: string;
  classType: string;
  /** The node's title from the workflow's _meta, if any. */
  title: string | null;
  input: string;
  /** Its value in each compared job, in the order of the outputs (undefined: the input is absent). */
  values: unknown[];
}

/** A difference in the graph itself, relative to the first output's workflow. */
export interface GraphChange {
  kind: 'node_added' | 'node_removed' | 'node_type_changed' | 'link_changed';
  nodeId: string;
  /** The class type (for a type change: the first job's, then the other's). */
  classType: string;
  /** Which of the compared outputs (index) differs from the first. */
  index: number;
  /** The node's title in its workflow, if it has one. */
  title?: string | null;
  detail: string;
}

export interface Comparison {
  items: GalleryItem[];
  /** Each item's job id (the same job for two outputs of one run). */
  jobIds: string[];
  inputs: InputChange[];
  graph: GraphChange[];
  /** Outputs of different workflows: nodes matched by title and class, only those compared. */
  differentWorkflows?: true;
}
