// What every command module is typed as: the contract's handlers for the names under its prefixes.
// No list of names is written by hand; the compiler says when one is missing or extra.
import type { CommandHandlers, CommandName, EventName, EventPayload } from '../../../shared/contract';

export type HandlersOf<Prefix extends string> = Pick<CommandHandlers, Extract<CommandName, `${Prefix}.${string}`>>;

export type Emit = <E extends EventName>(name: E, payload: EventPayload<E>) => void;
