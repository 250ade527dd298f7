// The single door from the renderer into the engine, shared by ipcMain and the host bridge:
// the command must exist in the table, its input must pass the table's validator, and
// every failure comes back as a DeskErrorInfo with secrets redacted.
import { commands, isCommandName, type CommandHandlers } from '../../shared/contract';
import { DeskError, type WireResult } from '../../shared/errors';
import { ValidationError } from '../../shared/schema';

export interface DispatchLog {
  error(message: string, fields?: Record<string, unknown>): void;
}

export async function dispatch(
  handlers: CommandHandlers,
  name: unknown,
  input: unknown,
  log: DispatchLog,
  redact: (text: string) => string,
): Promise<WireResult<unknown>> {
  if (!isCommandName(name)) {
    return { ok: false, error: { code: 'unknown_command', message: `Unknown command: ${String(name).slice(0, 80)}` } };
  }
  try {
    const parsed: unknown = commands[name].input.parse(input);
    const handler = handlers[name] as (input: unknown) => unknown;
    return { ok: true, value: await handler(parsed) };
  } catch (err) {
    if (err instanceof ValidationError) {
      return { ok: false, error: { code: 'invalid_input', message: `${name}: ${err.message}` } };
    }
    if (err instanceof DeskError) {
      const info = err.toInfo();
      return { ok: false, error: { ...info, message: redact(info.message) } };
    }
    const message = redact(err instanceof Error ? err.message : String(err));
    log.error('command failed', { command: name, error: message });
    return { ok: false, error: { code: 'internal', message: `Something went wrong in ${name}: ${message}` } };
  }
}
