// The local backend against the shared backend conformance suite (needs root: CI is root).
import { describeBackendConformance } from '../backend-conformance.js';
import { newBackend } from '../invariants/harness.js';

describeBackendConformance('local', () => newBackend());
