// Test fixture: a real ClientHello from node's own TLS client, generated rather than recorded so
// it follows whatever extensions the running OpenSSL sends.
import { once } from 'node:events';
import { createServer, type AddressInfo } from 'node:net';
import { connect } from 'node:tls';

/** The first chunk node's TLS client sends, caught by a plain TCP server that never answers. */
export async function captureClientHello(servername?: string): Promise<Buffer> {
  const server = createServer();
  const first = new Promise<Buffer>((resolve) => {
    server.on('connection', (socket) => socket.once('data', (chunk: Buffer) => { resolve(chunk); socket.destroy(); }));
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  const client = connect({ host: '127.0.0.1', port, ...(servername === undefined ? {} : { servername }) });
  client.on('error', () => undefined); // the server hangs up mid-handshake on purpose
  try {
    return await first;
  } finally {
    client.destroy();
    server.close();
  }
}
