// The front's Prometheus metrics: requests by status, placements by node, nodes up.
import { Counter, Gauge, Registry } from 'prom-client';

export class FrontMetrics {
  readonly registry = new Registry();
  readonly requests = new Counter({ name: 'praetor_front_requests_total', help: 'Requests answered by this front', labelNames: ['method', 'status'], registers: [this.registry] });
  readonly placed = new Counter({ name: 'praetor_front_placements_total', help: 'Sandboxes and environments placed, by node', labelNames: ['node', 'kind'], registers: [this.registry] });
  readonly nodesUp = new Gauge({ name: 'praetor_fleet_nodes_up', help: 'Nodes with a heartbeat within the timeout', registers: [this.registry] });
  readonly lost = new Counter({ name: 'praetor_fleet_nodes_lost_total', help: 'Nodes this front declared lost', registers: [this.registry] });
  readonly contentType = this.registry.contentType;

  text(): Promise<string> {
    return this.registry.metrics();
  }
}
