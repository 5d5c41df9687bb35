// Bait credentials: files that look like a developer's cloud keys, SSH key and git token, planted
// in each sandbox's home with values made up for that sandbox alone. No honest task needs them
// (they authorize nothing anywhere), so a read of one is credential access by construction; the
// guard watches them with fanotify (monitor/file/). docs/bait.md says what they look like and how
// a task opts out (`bait: false`). The builder is pure (randomness passed in); plantBait writes.
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { chown, mkdir, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';

/** What a watched file is: aws, gcloud and git-token keys read as T1552.001, an ssh-key as T1552.004. */
export type CredentialLabel = 'aws' | 'gcloud' | 'ssh-key' | 'git-token' | 'netrc' | 'pgpass' | 'vault-token' | 'kube' | 'docker';

export interface BaitFile {
  /** Relative to the home directory. */
  readonly path: string;
  readonly label: CredentialLabel;
  readonly content: string;
  /** Whether the guard watches it (a .pub half is planted for looks, and not watched). */
  readonly watched: boolean;
}

/** A planted bait file, as the guard needs it. */
export interface PlantedBait {
  readonly hostPath: string;
  readonly sandboxPath: string;
  readonly label: CredentialLabel;
  /** What praetor wrote: a read of a file that no longer holds it reads the task's own data, not bait. */
  readonly content: string;
}

/** Directories of the home (relative) that hold credentials; the guard also watches what a task puts there. */
export const CREDENTIAL_DIRS: readonly string[] = ['.aws', '.ssh', '.config/gcloud'];

export type RandomBytes = (n: number) => Buffer;

const UPPER = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
const ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

function pick(alphabet: string, n: number, random: RandomBytes): string {
  // modulo bias is irrelevant here: the values only have to be unique and look real
  return [...random(n)].map((b) => alphabet[b % alphabet.length] ?? 'A').join('');
}

function sshString(data: Buffer | string): Buffer {
  const body = typeof data === 'string' ? Buffer.from(data) : data;
  const len = Buffer.alloc(4);
  len.writeUInt32BE(body.length);
  return Buffer.concat([len, body]);
}

/**
 * An unencrypted OpenSSH ed25519 key pair (PROTOCOL.key's openssh-key-v1), written by hand because
 * Node exports ed25519 keys only as PKCS#8/SPKI, and the bait must look like what ssh-keygen writes.
 */
export function openSshEd25519(seed: Buffer, publicKey: Buffer, check: Buffer, comment: string): { privateKey: string; publicKey: string } {
  const pubBlob = Buffer.concat([sshString('ssh-ed25519'), sshString(publicKey)]);
  const parts = [check, check, sshString('ssh-ed25519'), sshString(publicKey), sshString(Buffer.concat([seed, publicKey])), sshString(comment)];
  let priv = Buffer.concat(parts);
  const pad = (8 - (priv.length % 8)) % 8;
  priv = Buffer.concat([priv, Buffer.from(Array.from({ length: pad }, (_, i) => i + 1))]);
  const count = Buffer.alloc(4);
  count.writeUInt32BE(1);
  const body = Buffer.concat([Buffer.from('openssh-key-v1\0'), sshString('none'), sshString('none'), sshString(''), count, sshString(pubBlob), sshString(priv)]);
  const b64 = body.toString('base64');
  const lines = b64.match(/.{1,70}/g) ?? [];
  return {
    privateKey: `-----BEGIN OPENSSH PRIVATE KEY-----\n${lines.join('\n')}\n-----END OPENSSH PRIVATE KEY-----\n`,
    publicKey: `ssh-ed25519 ${pubBlob.toString('base64')} ${comment}\n`,
  };
}

function ed25519(random: RandomBytes): { seed: Buffer; publicKey: Buffer; check: Buffer } {
  const { publicKey, privateKey } = generateKeyPairSync('ed25519');
  const pub = Buffer.from(String(publicKey.export({ format: 'jwk' }).x), 'base64url');
  const seed = Buffer.from(String(privateKey.export({ format: 'jwk' }).d), 'base64url');
  return { seed, publicKey: pub, check: random(4) };
}

/** The bait of one sandbox, every value fresh (a canary names the sandbox it was read in). */
export function buildBait(random: RandomBytes = randomBytes): BaitFile[] {
  const keyId = `AKIA${pick(UPPER, 16, random)}`;
  const secret = random(30).toString('base64');
  const user = `dev-${pick('abcdefghijklmnopqrstuvwxyz', 6, random)}`;
  const key = ed25519(random);
  const ssh = openSshEd25519(key.seed, key.publicKey, key.check, `${user}@build-01`);
  const token = `ghp_${pick(ALNUM, 36, random)}`;
  const gcloud = {
    account: '',
    client_id: `${pick('0123456789', 12, random)}-${pick('abcdefghijklmnopqrstuvwxyz0123456789', 32, random)}.apps.googleusercontent.com`,
    client_secret: `GOCSPX-${pick(ALNUM, 28, random)}`,
    quota_project_id: `${user}-prod`,
    refresh_token: `1//0${pick(ALNUM + '-_', 100, random)}`,
    type: 'authorized_user',
    universe_domain: 'googleapis.com',
  };
  return [
    {
      path: '.aws/credentials',
      label: 'aws',
      watched: true,
      content: `[default]\naws_access_key_id = ${keyId}\naws_secret_access_key = ${secret}\nregion = us-east-1\n`,
    },
    { path: '.ssh/id_ed25519', label: 'ssh-key', watched: true, content: ssh.privateKey },
    { path: '.ssh/id_ed25519.pub', label: 'ssh-key', watched: false, content: ssh.publicKey },
    { path: '.git-credentials', label: 'git-token', watched: true, content: `https://${user}:${token}@github.com\n` },
    {
      path: '.config/gcloud/application_default_credentials.json',
      label: 'gcloud',
      watched: true,
      content: `${JSON.stringify(gcloud, null, 2)}\n`,
    },
  ];
}

/**
 * Writes the bait into a home directory on the host, owned by the sandbox's uid (directories 0700,
 * files 0600, as the real tools leave them), and returns the watched ones.
 */
export async function plantBait(homeDir: string, homeInSandbox: string, uid: number, gid: number, files: readonly BaitFile[] = buildBait()): Promise<PlantedBait[]> {
  const planted: PlantedBait[] = [];
  for (const f of files) {
    const hostPath = `${homeDir}/${f.path}`;
    const rel = dirname(f.path);
    if (rel !== '.') {
      let dir = homeDir;
      for (const part of rel.split('/')) {
        dir = `${dir}/${part}`;
        await mkdir(dir, { mode: 0o700 }).catch((err: NodeJS.ErrnoException) => {
          if (err.code !== 'EEXIST') throw err;
        });
        await chown(dir, uid, gid);
      }
    }
    await writeFile(hostPath, f.content, { mode: f.path.endsWith('.pub') ? 0o644 : 0o600, flag: 'wx' });
    await chown(hostPath, uid, gid);
    if (f.watched) planted.push({ hostPath, sandboxPath: `${homeInSandbox}/${f.path}`, label: f.label, content: f.content });
  }
  return planted;
}
