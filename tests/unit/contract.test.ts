// The contract table drives the handler type (exactly one handler per command) and dispatch()
// (unknown commands, validation naming the field, errors as data with secrets redacted).
import { describe, expect, expectTypeOf, it } from 'vitest';
import {
  commandNames,
  type CommandHandlers,
  type CommandName,
  type CommandOutput,
  type ServerCheck,
} from '../../shared/contract';
import { DeskError } from '../../shared/errors';
import { dispatch } from '../../electron/engine/dispatch';
import { Redactor } from '../../electron/engine/log';

type Handler = (input: never) => unknown;

function fakeHandlers(overrides: Partial<Record<CommandName, Handler>> = {}): CommandHandlers {
  const base: Record<string, Handler> = {};
  for (const name of commandNames) base[name] = () => ({ name });
  return { ...base, ...overrides } as unknown as CommandHandlers;
}

describe('CommandHandlers type', () => {
  it('has exactly the commands of the table', () => {
    expectTypeOf<keyof CommandHandlers>().toEqualTypeOf<CommandName>();
    expectTypeOf<CommandOutput<'key.test'>>().toEqualTypeOf<ServerCheck>();
    expectTypeOf<{ profileId: string; key: string }>().toExtend<Parameters<CommandHandlers['key.set']>[0]>();
    expectTypeOf<{ profileId: string }>().not.toExtend<Parameters<CommandHandlers['key.set']>[0]>();
    expect(commandNames).toContain('key.set');
  });

  it('refuses a missing handler and an extra one at compile time', () => {
    const complete = fakeHandlers();
    const { 'key.test': _removed, ...missing } = complete;
    void _removed;
    // @ts-expect-error: 'key.test' is missing
    const incomplete: CommandHandlers = missing;
    // @ts-expect-error: 'key.explode' is not a command of the table
    const extra: CommandHandlers = { ...complete, 'key.explode': () => null };
    // @ts-expect-error: the output of settings.get must be Settings
    const wrongOutput: CommandHandlers = { ...complete, 'settings.get': () => 42 };
    expect(Object.keys(incomplete)).not.toContain('key.test');
    expect(Object.keys(extra)).toContain('key.explode');
    expect(wrongOutput['settings.get']()).toBe(42);
    // The object literal form with `satisfies` (how the engine declares its handlers) also rejects extras.
    const literal = {
      ...complete,
      // @ts-expect-error: an extra property in a `satisfies CommandHandlers` literal
      'jobs.nope': () => null,
    } satisfies CommandHandlers;
    expect(literal).toBeDefined();
  });
});

describe('dispatch', () => {
  const log = { errors: [] as { message: string; fields?: Record<string, unknown> }[] };
  const sink = {
    error: (message: string, fields?: Record<string, unknown>) => void log.errors.push({ message, fields }),
  };

  it('refuses an unknown command', async () => {
    const result = await dispatch(fakeHandlers(), 'rm.rf', undefined, sink, (s) => s);
    expect(result).toEqual({ ok: false, error: { code: 'unknown_command', message: 'Unknown command: rm.rf' } });
  });

  it('refuses invalid input and names the field', async () => {
    let called = false;
    const handlers = fakeHandlers({ 'settings.set': () => ((called = true), {}) });
    const result = await dispatch(handlers, 'settings.set', { downloadConcurrency: 0 }, sink, (s) => s);
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.error.code).toBe('invalid_input');
    expect(result.error.message).toContain('downloadConcurrency');
    expect(called).toBe(false);
    const extra = await dispatch(handlers, 'key.status', { profileId: 'cloud', sneaky: 1 }, sink, (s) => s);
    expect(extra.ok ? '' : extra.error.message).toContain('sneaky');
  });

  it('a UI workflow must be a JSON object; a node to switch is an id of the graph, nothing else', async () => {
    let called = 0;
    const handlers = fakeHandlers({
      'workflows.setNodeMode': () => ((called += 1), {}),
      'jobs.submit': () => ((called += 1), []),
    });
    const refused = [
      ['workflows.setNodeMode', { workflow: { nodes: [], links: [] }, uiId: '__proto__', mode: 'bypass' }, 'uiId'],
      ['workflows.setNodeMode', { workflow: { nodes: [], links: [] }, uiId: '1:', mode: 'bypass' }, 'uiId'],
      ['workflows.setNodeMode', { workflow: { nodes: [], links: [] }, uiId: '3', mode: 'sometimes' }, 'mode'],
      ['workflows.setNodeMode', { workflow: [1, 2], uiId: '3', mode: 'mute' }, 'workflow'],
      ['jobs.submit', { workflow: {}, name: 'x', uiWorkflow: 'nodes' }, 'uiWorkflow'],
      ['jobs.submit', { workflow: {}, name: 'x', uiWorkflow: [{}] }, 'uiWorkflow'],
      ['jobs.submit', { workflow: {}, name: 'x', uiWorkflow: { n: 1 / 0 } }, 'uiWorkflow'],
    ] as const;
    for (const [name, input, field] of refused) {
      const result = await dispatch(handlers, name, input, sink, (s) => s);
      expect(result.ok ? '' : result.error.message).toContain(field);
    }
    expect(called).toBe(0);
    const nested = await dispatch(
      handlers,
      'workflows.setNodeMode',
      { workflow: { nodes: [], links: [] }, uiId: '-1:75:3', mode: 'always' },
      sink,
      (s) => s,
    );
    expect(nested.ok).toBe(true);
  });

  it('passes validated input to the handler and returns its value', async () => {
    const handlers = fakeHandlers({ 'profiles.save': (input: never) => ({ saved: input }) });
    const result = await dispatch(
      handlers,
      'profiles.save',
      { name: 'Box', kind: 'local', url: 'http://10.0.0.2:8188/' },
      sink,
      (s) => s,
    );
    expect(result).toEqual({ ok: true, value: { saved: { name: 'Box', kind: 'local', url: 'http://10.0.0.2:8188' } } });
  });

  it('returns a DeskError as data with its code and status', async () => {
    const handlers = fakeHandlers({
      'key.test': () => {
        throw new DeskError('unauthorized', 'The key was refused', { status: 401 });
      },
    });
    const result = await dispatch(handlers, 'key.test', { profileId: 'cloud' }, sink, (s) => s);
    expect(result).toEqual({ ok: false, error: { code: 'unauthorized', message: 'The key was refused', status: 401 } });
  });

  it('redacts a secret from an unexpected error, in the result and in the log', async () => {
    const redactor = new Redactor();
    const secret = 'comfyui-5f3b2a1c9d8e7f6a';
    redactor.add(secret);
    const handlers = fakeHandlers({
      'key.set': () => {
        throw new Error(`request to https://x.test/?token=abc123 failed with key ${secret}`);
      },
    });
    log.errors.length = 0;
    const result = await dispatch(handlers, 'key.set', { profileId: 'cloud', key: secret }, sink, redactor.redact);
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.error.code).toBe('internal');
    expect(result.error.message).not.toContain(secret);
    expect(result.error.message).not.toContain('abc123');
    expect(result.error.message).toContain('[redacted]');
    expect(JSON.stringify(log.errors)).not.toContain(secret);
    expect(log.errors).toHaveLength(1);
  });
});
