import { fork, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import type { startSandbox } from '../../../sandbox/src';

/** What the far side received: each request (arrival time, the 130429 it answered) and each accepted message's recipient. */
export interface Received {
  requests: Array<{ method: string; path: string; at: number; errorCode: number | null; to?: string }>;
  messages: string[];
}

export interface SandboxChild {
  url: string;
  accessToken: string;
  phoneNumberId: string;
  received(): Promise<Received>;
  close(): Promise<void>;
}

/** Starts the sandbox in its own process (support/sandbox-process.js says why). */
export async function startSandboxChild(options: Parameters<typeof startSandbox>[0]): Promise<SandboxChild> {
  const child: ChildProcess = fork(join(__dirname, 'sandbox-process.js'), [JSON.stringify(options)], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const next = <T>(type: string) =>
    new Promise<T>((resolve, reject) => {
      const onMessage = (message: { type?: string }) => {
        if (message.type !== type) return;
        child.off('exit', onExit);
        child.off('message', onMessage);
        resolve(message as T);
      };
      const onExit = (code: number | null) => reject(new Error(`the sandbox process exited (${code}) before '${type}'`));
      child.on('message', onMessage);
      child.once('exit', onExit);
    });
  const ready = await next<{ url: string; accessToken: string; phoneNumberId: string }>('ready');
  return {
    url: ready.url,
    accessToken: ready.accessToken,
    phoneNumberId: ready.phoneNumberId,
    async received() {
      const reply = next<Received>('received');
      child.send({ type: 'received' });
      return reply;
    },
    async close() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.send({ type: 'close' });
      await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 5000))]);
      if (child.exitCode === null) child.kill('SIGKILL');
    },
  };
}
