import { describe, it } from 'node:test';
import * as assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { sniffClientBytes, sniffServerBytes } from './protocol-sniffer.js';
import { captureClientHello } from './tls-fixtures.js';

const b = (s: string): Buffer => Buffer.from(s, 'utf8');
const WALLET = `4${'A'.repeat(105)}`;

describe('sniffClientBytes', () => {
  it('names TLS by its SNI', async () => {
    assert.deepEqual(sniffClientBytes(await captureClientHello('pool.example.test')), {
      protocol: 'tls',
      detail: 'pool.example.test',
    });
  });

  it('calls a truncated ClientHello unknown', async () => {
    const hello = await captureClientHello('pool.example.test');
    assert.deepEqual(sniffClientBytes(hello.subarray(0, 40)), { protocol: 'unknown', detail: null });
    assert.deepEqual(sniffClientBytes(hello.subarray(0, 3)), { protocol: 'unknown', detail: null });
  });

  it('names HTTP by its Host header, or by an absolute target without one', () => {
    const get = 'GET /x HTTP/1.1\r\nUser-Agent: curl/8.5.0\r\nhost: api.example.test:8080\r\nAccept: */*\r\n\r\n';
    assert.deepEqual(sniffClientBytes(b(get)), { protocol: 'http', detail: 'api.example.test:8080' });
    const post = 'POST /v1/messages HTTP/1.1\r\nHost: llm.example.test\r\nContent-Length: 2\r\n\r\n{}';
    assert.deepEqual(sniffClientBytes(b(post)), { protocol: 'http', detail: 'llm.example.test' });
    assert.deepEqual(sniffClientBytes(b('GET http://old.example.test/a HTTP/1.0\r\n\r\n')), {
      protocol: 'http',
      detail: 'old.example.test',
    });
    assert.deepEqual(sniffClientBytes(b('GET / HTTP/1.1\r\n')), { protocol: 'http', detail: null });
  });

  it('does not take a request line without an HTTP version for HTTP', () => {
    assert.equal(sniffClientBytes(b('GET /\r\n\r\n')).protocol, 'unknown');
    assert.equal(sniffClientBytes(b('get / http/1.1\r\n')).protocol, 'unknown');
  });

  it('names SSH by its banner line', () => {
    assert.deepEqual(sniffClientBytes(b('SSH-2.0-OpenSSH_9.6p1 Ubuntu-3ubuntu13.5\r\n')), {
      protocol: 'ssh',
      detail: 'SSH-2.0-OpenSSH_9.6p1 Ubuntu-3ubuntu13.5',
    });
    assert.deepEqual(sniffClientBytes(b('SSH-1.99-Cisco-1.25\n')), { protocol: 'ssh', detail: 'SSH-1.99-Cisco-1.25' });
    assert.equal(sniffClientBytes(b('SSH-3.0-x\r\n')).protocol, 'unknown');
  });

  it('names Stratum subscribe, authorize, extranonce and submit', () => {
    const subscribe = '{"id": 1, "method": "mining.subscribe", "params": ["cgminer/4.10.0"]}\n';
    assert.deepEqual(sniffClientBytes(b(subscribe)), { protocol: 'stratum', detail: 'mining.subscribe' });
    const both = `${subscribe}{"id": 2, "method": "mining.authorize", "params": ["${WALLET}.rig1", "x"]}\n`;
    const sniffed = sniffClientBytes(b(both));
    assert.equal(sniffed.protocol, 'stratum');
    assert.equal(sniffed.detail, `mining.authorize ${`${WALLET}.rig1`.slice(0, 100)}`);
    const ext = '{"id":3,"method":"mining.extranonce.subscribe","params":[]}\n';
    assert.deepEqual(sniffClientBytes(b(ext)), { protocol: 'stratum', detail: 'mining.extranonce.subscribe' });
    const submit = '{"params":["w.rig1","bf","00000001","504e86ed","b2957c02"],"id":4,"method":"mining.submit"}\n';
    assert.deepEqual(sniffClientBytes(b(submit)), { protocol: 'stratum', detail: 'mining.submit' });
  });

  it("names xmrig's login with its wallet, cut to 100 characters", () => {
    const login = JSON.stringify({
      id: 1,
      jsonrpc: '2.0',
      method: 'login',
      params: { login: WALLET, pass: 'x', agent: 'XMRig/6.21.0 (Linux x86_64) libuv/1.44.2 gcc/11.4.0', algo: ['rx/0'] },
    });
    assert.deepEqual(sniffClientBytes(b(`${login}\n`)), { protocol: 'stratum', detail: `login ${WALLET.slice(0, 100)}` });
  });

  it('still names a Stratum request cut off by the chunk boundary', () => {
    assert.deepEqual(sniffClientBytes(b('{"id":1,"method":"mining.subscribe","params":["cgmin')), {
      protocol: 'stratum',
      detail: 'mining.subscribe',
    });
  });

  it('calls other JSON-RPC unknown', () => {
    const ethCall = '{"jsonrpc":"2.0","id":1,"method":"eth_call","params":[{"to":"0x0"},"latest"]}\n';
    assert.deepEqual(sniffClientBytes(b(ethCall)), { protocol: 'unknown', detail: null });
    assert.equal(sniffClientBytes(b('{"method":"login","params":{"user":"bob"}}\n')).protocol, 'unknown');
    assert.equal(sniffClientBytes(b('{"method":"submit","params":{"text":"hi"}}\n')).protocol, 'unknown');
    assert.equal(sniffClientBytes(b('{not json at all')).protocol, 'unknown');
  });

  it('calls empty, short and random input unknown without throwing', () => {
    assert.deepEqual(sniffClientBytes(Buffer.alloc(0)), { protocol: 'unknown', detail: null });
    assert.equal(sniffClientBytes(Buffer.from([0x16])).protocol, 'unknown');
    for (let i = 0; i < 1000; i++) {
      const chunk = randomBytes(1 + (i % 512));
      assert.doesNotThrow(() => sniffClientBytes(chunk));
      assert.doesNotThrow(() => sniffServerBytes(chunk));
    }
  });
});

describe('sniffServerBytes', () => {
  it("names a pool's subscribe reply and its job pushes", () => {
    const reply =
      '{"id":1,"result":[[["mining.set_difficulty","731ec5e0649606ff"],["mining.notify","731ec5e0649606ff"]],"e9695791",4],"error":null}\n' +
      '{"id":null,"method":"mining.set_difficulty","params":[65536]}\n';
    assert.deepEqual(sniffServerBytes(b(reply)), { protocol: 'stratum', detail: 'mining.notify' });
    const notify = '{"id":null,"method":"mining.notify","params":["bf","4d16b6f8",[],"00000002","1c2ac4af","504e86b9",false]}\n';
    assert.deepEqual(sniffServerBytes(b(notify)), { protocol: 'stratum', detail: 'mining.notify' });
  });

  it("names xmrig's login reply and job push", () => {
    const job = { blob: '0707f7', job_id: 'Y9Kfu0', target: 'b88d0600', algo: 'rx/0', height: 3_100_000 };
    const reply = JSON.stringify({ id: 1, jsonrpc: '2.0', error: null, result: { id: 'a1', job, status: 'OK' } });
    assert.deepEqual(sniffServerBytes(b(`${reply}\n`)), { protocol: 'stratum', detail: 'job' });
    const push = JSON.stringify({ jsonrpc: '2.0', method: 'job', params: job });
    assert.deepEqual(sniffServerBytes(b(`${push}\n`)), { protocol: 'stratum', detail: 'job' });
  });

  it('names an SSH server by its banner, even after other lines', () => {
    assert.deepEqual(sniffServerBytes(b('SSH-2.0-dropbear_2022.83\r\n')), {
      protocol: 'ssh',
      detail: 'SSH-2.0-dropbear_2022.83',
    });
    assert.equal(sniffServerBytes(b('Welcome\r\nSSH-2.0-OpenSSH_8.9\r\n')).protocol, 'ssh');
  });

  it('calls a plain JSON answer unknown', () => {
    assert.equal(sniffServerBytes(b('{"jsonrpc":"2.0","id":1,"result":"0x1"}\n')).protocol, 'unknown');
  });
});
