/** Free TCP ports on 127.0.0.1 for the runtimes started by the harness. */
import * as net from 'net';

/** Ports handed out by this process, so two calls in one worker never return the same port. */
const handedOut = new Set<number>();

function listenOnce(): Promise<net.Server> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.once('error', reject);
    server.listen({ host: '127.0.0.1', port: 0, exclusive: true }, () => resolve(server));
  });
}

/**
 * Returns `count` distinct ports that were free a moment ago (all are held open at the same time
 * while being chosen, so they differ from each other). The OS hands out ephemeral ports in
 * sequence, so a clash with another jest worker in the short gap until the runtime binds is unlikely.
 */
export async function getFreePorts(count: number): Promise<number[]> {
  const servers: net.Server[] = [];
  const ports: number[] = [];
  try {
    while (ports.length < count) {
      const server = await listenOnce();
      servers.push(server);
      const port = (server.address() as net.AddressInfo).port;
      if (handedOut.has(port)) continue;
      ports.push(port);
    }
  } finally {
    await Promise.all(servers.map((s) => new Promise<void>((r) => s.close(() => r()))));
  }
  for (const p of ports) handedOut.add(p);
  return ports;
}

/** One free port on 127.0.0.1. */
export async function getFreePort(): Promise<number> {
  return (await getFreePorts(1))[0];
}
