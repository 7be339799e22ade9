// A TLS-terminating TCP proxy in front of the sandbox (which speaks plain HTTP), with a
// self-signed certificate for graph.facebook.com made by openssl at run time in a temp dir.
// It listens on port 443 of a loopback address of its own (127.x.y.z), which the DNS preload
// hands to n8n for graph.facebook.com.
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import * as tls from 'node:tls';
import { tempDir } from './pack.mjs';

export function makeCertificate(host = 'graph.facebook.com') {
  const dir = tempDir('bench-tls-');
  const key = path.join(dir, 'key.pem');
  const cert = path.join(dir, 'cert.pem');
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert, '-days', '2', '-subj', `/CN=${host}`, '-addext', `subjectAltName=DNS:${host}`], { stdio: 'ignore' });
  return { key, cert, dir };
}

/** Starts the proxy to 127.0.0.1:`targetPort`; returns { address, port, close() }. */
export async function startTlsProxy({ targetPort, certificate }) {
  const sockets = new Set();
  const server = tls.createServer({ key: fs.readFileSync(certificate.key), cert: fs.readFileSync(certificate.cert) }, (client) => {
    const upstream = net.connect(targetPort, '127.0.0.1');
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
      s.on('error', () => {
        client.destroy();
        upstream.destroy();
      });
    }
    client.pipe(upstream).pipe(client);
  });
  server.on('tlsClientError', () => {});
  // A loopback address of our own, so two runs (or anything on 127.0.0.1:443) never collide.
  for (let attempt = 0; ; attempt++) {
    const address = `127.${20 + Math.floor(Math.random() * 200)}.${Math.floor(Math.random() * 250)}.${1 + Math.floor(Math.random() * 250)}`;
    try {
      await new Promise((resolve, reject) => {
        server.once('error', reject);
        server.listen(443, address, () => {
          server.off('error', reject);
          resolve();
        });
      });
      return {
        address,
        port: 443,
        close: () =>
          new Promise((resolve) => {
            for (const s of sockets) s.destroy();
            server.close(() => resolve());
          }),
      };
    } catch (e) {
      if (e.code === 'EACCES') throw new Error('port 443 needs root (or CAP_NET_BIND_SERVICE) for the TLS proxy in front of the sandbox');
      if (attempt > 5) throw e;
    }
  }
}
