// The local backend against the shared backend conformance suite (needs root: CI is root).
import { describeBackendConformance, POSIX_PROBES } from '../backend-conformance.js';
import { newBackend } from '../invariants/harness.js';

describeBackendConformance('local', (observer) => newBackend(observer ? { observer } : {}), POSIX_PROBES);
