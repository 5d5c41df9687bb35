// The in-memory fake against the shared backend conformance suite: the contract has a second
// implementation, and code written against it (the guard's refusal, episodes) can be tested without root.
import { describeBackendConformance } from '../sandbox/backend-conformance.js';
import { FAKE_PROBES, FakeBackend } from './fake-backend.js';

describeBackendConformance('fake', (observer) => new FakeBackend(observer ? { observer } : {}), FAKE_PROBES);
