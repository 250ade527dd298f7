// Every migration, in order. One file per migration (NNNN-name.ts), each `{ version, name, up(db) }`;
// to add one, write the file and append it here. Versions must be 1, 2, 3, … without gaps.
import type { Database } from 'better-sqlite3';
import m0001 from './0001-settings';
import m0002 from './0002-jobs';
import m0003 from './0003-object-info';
import m0004 from './0004-library';
import m0005 from './0005-referenced-files';
import m0006 from './0006-outbox-wait';
import m0007 from './0007-changes';
import m0008 from './0008-drafts';
import m0009 from './0009-queue';
import m0010 from './0010-organize';
import m0011 from './0011-ui-workflows';
import m0012 from './0012-gallery-scale';
import m0013 from './0013-same-as';
import m0014 from './0014-saved-workflows';
import m0015 from './0015-similar-index';

export interface Migration {
  readonly version: number;
  readonly name: string;
  /** What it does, in a person's words: said while it runs (one over a million rows takes seconds). */
  readonly says?: string;
  up(db: Database): void;
}

export const migrations: readonly Migration[] = [
  m0001,
  m0002,
  m0003,
  m0004,
  m0005,
  m0006,
  m0007,
  m0008,
  m0009,
  m0010,
  m0011,
  m0012,
  m0013,
  m0014,
  m0015,
];
