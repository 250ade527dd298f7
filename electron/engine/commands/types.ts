// What every command module is typed as: the contract's handlers for the names under its prefixes.
// No list of names is written by hand; the compiler says when one is missing or extra.
import type { CommandHandlers, CommandName, EventName, EventPayload } from '../../../shared/contract';

export type HandlersOf<Prefix extends string> = Pick<CommandHandlers, Extract<CommandName, `${Prefix}.${string}`>>;

export type Emit = <E extends EventName>(name: E, payload: EventPayload<E>) => void;

/** What only the desktop shell can do with a file on this computer (the headless host has none of it). */
export interface DesktopActions {
  /** Shows the file in the system file manager. */
  reveal(path: string): void;
  /** Opens the file with the system's default app for it; rejects with the system's reason. */
  open(path: string): Promise<void>;
  /** A native drag of the files out of the window, with an icon (a thumbnail) when there is one. */
  startDrag(paths: string[], icon: string | null): void;
  /** Asks where to save a copy of the file (a save dialog); false when the person cancelled. */
  saveAs(path: string, suggestedName: string): Promise<boolean>;
}
