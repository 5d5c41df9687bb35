/* eslint-disable @typescript-eslint/no-unsafe-member-access, @typescript-eslint/no-unsafe-return, @typescript-eslint/no-unsafe-assignment --
   manifests are untyped YAML; each field read here is checked by an assertion */
// deploy/ (kustomize): every manifest validates against the Kubernetes API schemas that the
// kubernetes-models package compiles from Kubernetes' OpenAPI document (ajv validators), and
// every image, port, flag and path it names exists in the project.
import * as assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';
import { parseAllDocuments, parse } from 'yaml';
import { DaemonSet, Deployment } from 'kubernetes-models/apps/v1';
import { Namespace, Secret, Service } from 'kubernetes-models/v1';
import { serveCommand } from '../cli/commands/serve-command.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const DEPLOY = join(ROOT, 'deploy');
const VERSION = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;

type Doc = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any -- manifests are untyped YAML, checked below
const MODELS: Record<string, new (data: Doc) => { validate(): void }> = {
  'apps/v1/DaemonSet': DaemonSet,
  'apps/v1/Deployment': Deployment,
  'v1/Namespace': Namespace,
  'v1/Secret': Secret,
  'v1/Service': Service,
};

function manifests(): { file: string; doc: Doc }[] {
  const kustomization = parse(readFileSync(join(DEPLOY, 'kustomization.yaml'), 'utf8')) as { resources: string[] };
  return kustomization.resources.flatMap((file) => {
    assert.ok(existsSync(join(DEPLOY, file)), `kustomization names ${file}, which is missing`);
    return parseAllDocuments(readFileSync(join(DEPLOY, file), 'utf8')).map((d) => ({ file, doc: d.toJS() as Doc }));
  });
}

const workloads = (): { file: string; doc: Doc }[] => manifests().filter((m) => m.doc.kind === 'DaemonSet' || m.doc.kind === 'Deployment');

describe('deploy/ manifests', () => {
  it('each validates against its Kubernetes API schema, and the validator does refuse a broken one', () => {
    const all = manifests();
    assert.deepEqual(all.map((m) => m.doc.kind).sort(), ['DaemonSet', 'Deployment', 'Namespace', 'Secret', 'Service']);
    for (const { file, doc } of all) {
      const Model = MODELS[`${doc.apiVersion}/${doc.kind}`];
      assert.ok(Model, `${file}: no schema for ${doc.apiVersion} ${doc.kind}`);
      assert.doesNotThrow(() => new Model(doc).validate(), `${file} is not a valid ${doc.kind}`);
    }
    const broken = structuredClone(workloads()[0]?.doc) as Doc;
    broken.spec.template.spec.containers[0].ports[0].containerPort = 'eighty';
    assert.throws(() => new DaemonSet(broken).validate());
  });

  it('names only the image deploy/Dockerfile builds, whose entry point and copied paths exist', () => {
    const dockerfile = readFileSync(join(DEPLOY, 'Dockerfile'), 'utf8');
    assert.match(dockerfile, /ENTRYPOINT \["node", "\/opt\/praetor\/dist\/cli\/main\.js"\]/);
    assert.ok(existsSync(join(ROOT, 'dist/cli/main.js')) && existsSync(join(ROOT, 'src/cli/main.ts')));
    for (const [, from] of dockerfile.matchAll(/^COPY --from=build \/opt\/praetor\/(\S+)/gm)) {
      assert.ok(existsSync(join(ROOT, from ?? '')), `the Dockerfile copies ${from}, which the project does not have`);
    }
    for (const { file, doc } of workloads()) {
      for (const c of doc.spec.template.spec.containers as Doc[]) assert.equal(c.image, `praetor:${VERSION}`, `${file}: ${c.name}`);
    }
  });

  it('passes only flags `praetor serve` has, listens where its ports, probes and scrape annotations say', () => {
    const flags = new Set(serveCommand(VERSION).options.map((o) => o.long));
    for (const { file, doc } of workloads()) {
      const pod = doc.spec.template;
      for (const c of pod.spec.containers as Doc[]) {
        const args = c.args as string[];
        assert.equal(args[0], 'serve', file);
        for (const a of args.filter((x) => x.startsWith('--'))) assert.ok(flags.has(a), `${file}: praetor serve has no ${a}`);
        const listenPort = Number(args[args.indexOf('--listen') + 1]?.split(':')[1]);
        const ports = (c.ports as Doc[]).map((p) => p.containerPort as number);
        assert.deepEqual(ports, [listenPort], `${file}: container port = --listen port`);
        for (const probe of [c.readinessProbe, c.livenessProbe] as Doc[]) {
          assert.equal(probe.httpGet.port, listenPort, file);
          assert.ok(['/healthz', '/readyz'].includes(probe.httpGet.path as string), file);
        }
        assert.equal(Number(pod.metadata.annotations['prometheus.io/port']), listenPort, file);
        assert.equal(pod.metadata.annotations['prometheus.io/path'], '/metrics', file);
        for (const e of (c.env ?? []) as Doc[]) {
          const ref = e.valueFrom?.secretKeyRef as Doc | undefined;
          if (ref) assert.ok(manifests().some((m) => m.doc.kind === 'Secret' && m.doc.metadata.name === ref.name && ref.key in m.doc.stringData), `${file}: secret ${ref.name}/${ref.key}`);
        }
      }
    }
    // every path the probes and scrapes name is served by both the daemon and the front
    const daemonRoutes = readFileSync(join(ROOT, 'src/service/routes/health-routes.ts'), 'utf8');
    const frontRoutes = readFileSync(join(ROOT, 'src/service/fleet/fleet-front.ts'), 'utf8');
    for (const path of ['/healthz', '/readyz', '/metrics']) {
      assert.ok(daemonRoutes.includes(`'${path}'`) && frontRoutes.includes(`'${path}'`), path);
    }
    const service = manifests().find((m) => m.doc.kind === 'Service')?.doc as Doc;
    const front = workloads().find((m) => m.doc.kind === 'Deployment')?.doc as Doc;
    for (const [k, v] of Object.entries(service.spec.selector as Record<string, string>)) assert.equal(front.spec.template.metadata.labels[k], v);
    const names = (front.spec.template.spec.containers as Doc[]).flatMap((c) => (c.ports as Doc[]).map((p) => p.name as string));
    for (const p of service.spec.ports as Doc[]) assert.ok(names.includes(p.targetPort as string), `Service targetPort ${p.targetPort}`);
  });
});
