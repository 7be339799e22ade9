import { connect, createServer, type AddressInfo, type Server, type Socket } from 'node:net';

/**
 * A TCP proxy in front of a real service (Redis), so a test can take the service away mid-run:
 * `cut()` closes the listener and drops every open connection (the client sees the connection
 * close, and new connections are refused); `restore()` listens again on the same port.
 */
export class TcpProxy {
  private server: Server | undefined;
  private readonly sockets = new Set<Socket>();
  port = 0;

  constructor(
    private readonly upstreamHost: string,
    private readonly upstreamPort: number,
  ) {}

  /** Starts listening on 127.0.0.1 (a free port the first time, the same port afterwards). */
  async restore(): Promise<void> {
    if (this.server) return;
    const server = createServer((client) => {
      const upstream = connect(this.upstreamPort, this.upstreamHost);
      for (const socket of [client, upstream]) {
        this.sockets.add(socket);
        socket.on('close', () => this.sockets.delete(socket));
        socket.on('error', () => undefined); // a reset is the point of this proxy
      }
      client.on('close', () => upstream.destroy());
      upstream.on('close', () => client.destroy());
      client.pipe(upstream);
      upstream.pipe(client);
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.port, '127.0.0.1', () => {
        server.off('error', reject);
        resolve();
      });
    });
    this.port = (server.address() as AddressInfo).port;
    this.server = server;
  }

  /** Stops listening and destroys every connection in both directions. */
  async cut(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    for (const socket of this.sockets) socket.destroy();
    this.sockets.clear();
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  /** Number of client connections currently open through the proxy. */
  get connections(): number {
    return this.sockets.size / 2;
  }
}

/** Starts a proxy to `url` (a `redis://host:port` URL) and returns it with the URL to use instead. */
export async function proxyFor(url: string): Promise<{ proxy: TcpProxy; url: string }> {
  const parsed = new URL(url);
  const proxy = new TcpProxy(parsed.hostname || '127.0.0.1', Number(parsed.port || 6379));
  await proxy.restore();
  const proxied = new URL(url);
  proxied.hostname = '127.0.0.1';
  proxied.port = String(proxy.port);
  return { proxy, url: proxied.toString() };
}
