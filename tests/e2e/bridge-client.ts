// One contract command on a running host, as another window would send it over the bridge: for
// tests that set up or check what the engine did, and for the screenshot script's scenes.
import WebSocket from 'ws';
import { BRIDGE_PATH, bridgeCookie, requestFrames, type BridgeMessage } from '../../shared/bridge';
import type { CommandName, CommandOutput, InvokeArgs } from '../../shared/contract';

export async function invoke<K extends CommandName>(
  host: { url: string; origin: string },
  name: K,
  ...args: InvokeArgs<K>
): Promise<CommandOutput<K>> {
  const url = new URL(host.url);
  const ws = new WebSocket(`ws://${url.host}${BRIDGE_PATH}`, {
    headers: { Cookie: `${bridgeCookie(Number(url.port))}=${url.searchParams.get('token')}`, Origin: host.origin },
  });
  await new Promise((ok, fail) => ws.once('open', ok).once('error', fail));
  try {
    for (const frame of requestFrames({ type: 'invoke', id: 1, name, input: args[0] }) ?? []) ws.send(frame);
    const message = await new Promise<BridgeMessage>((ok) =>
      ws.on('message', (data) => {
        const m = JSON.parse(String(data)) as BridgeMessage;
        if (m.type === 'result') ok(m);
      }),
    );
    if (message.type !== 'result' || !message.result.ok) throw new Error(`${name} failed: ${JSON.stringify(message)}`);
    return message.result.value as CommandOutput<K>;
  } finally {
    ws.close();
  }
}
