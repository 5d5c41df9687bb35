import * as assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { after, before, describe, it } from 'node:test';
import { forward } from './node-proxy.js';

describe('forward (a call passed on to a fleet node)', () => {
  let server: Server;
  let address = '';
  before(async () => {
    server = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        if (req.url === '/gone') return void res.writeHead(204).end();
        res.writeHead(201, { 'content-type': 'application/json', 'x-node': 'n1' });
        res.end(JSON.stringify({ method: req.method, url: req.url, body, auth: req.headers.authorization ?? null, length: req.headers['content-length'] ?? null }));
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const a = server.address();
    address = `http://127.0.0.1:${typeof a === 'object' && a !== null ? a.port : 0}`;
  });
  after(() => server.close());

  it('passes method, path, query, key and body, and brings status, headers and body back', async () => {
    const request = new Request('http://front/v1/sandboxes/sb-1/exec?x=1', { method: 'POST', headers: { authorization: 'Bearer pk_x', connection: 'close' }, body: '{"command":"true"}' });
    const response = await forward(request, address, 'n1');
    assert.equal(response.status, 201);
    assert.equal(response.headers.get('x-node'), 'n1');
    assert.deepEqual(await response.json(), { method: 'POST', url: '/v1/sandboxes/sb-1/exec?x=1', body: '{"command":"true"}', auth: 'Bearer pk_x', length: '18' });
  });

  it('answers an empty 204 as it came', async () => {
    const response = await forward(new Request('http://front/gone', { method: 'DELETE' }), address, 'n1');
    assert.equal(response.status, 204);
    assert.equal(await response.text(), '');
  });

  it('answers 503 node-unreachable when the node does not answer', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const a = closed.address();
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const response = await forward(new Request('http://front/v1/sandboxes'), `http://127.0.0.1:${typeof a === 'object' && a !== null ? a.port : 0}`, 'n9');
    assert.equal(response.status, 503);
    assert.match(JSON.stringify(await response.json()), /node-unreachable.*n9/);
  });
});
