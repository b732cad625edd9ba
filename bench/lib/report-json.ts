/**
 * The report's rows for the JSON shapes (issue #22 point 3), the changes mixed into fan-out
 * (issue #18 point 10) and what the run itself cost: the generator's CPU per delivery (is the
 * generator the limit?) and the server's CPU per handshake (steadier than a rate on a busy machine).
 */
import type { RunData, Workload } from "./report.ts";
import { workload } from "./report.ts";

const ceiling = (r: { ramp: { maxDelivered: number } }): number => r.ramp.maxDelivered;
const isFloor = (r: { ramp: { stoppedBy: string } }): boolean => r.ramp.stoppedBy !== "p99";

export const jsonWorkloads = (run: RunData): Workload[] => [
  workload(
    "fanout-json",
    "highest delivered msgs/s with p99 ≤ 100 ms, JSON v1 clients, each send acked (1,000 in one room, 4 senders)",
    "msgs/s",
    "higher",
    run.fanoutJson,
    run.labels,
    ceiling,
    isFloor,
  ),
  workload(
    "fanout-json-fixed-rate",
    "p99 end-to-end latency at 50,000 deliveries/s, JSON clients",
    "ms",
    "lower",
    run.fanoutJson,
    run.labels,
    (r) => r.fixed?.p99Ms ?? null,
  ),
  workload(
    "fanout-json-ack",
    "p99 from send to its ack at 50 sends/s, JSON clients (Parley: after the store's write)",
    "ms",
    "lower",
    run.fanoutJson,
    run.labels,
    (r) => r.fixed?.ackP99Ms ?? null,
  ),
  workload(
    "fanout-json-cpu",
    "server CPU µs per delivered message at 50,000 deliveries/s, JSON clients",
    "µs",
    "lower",
    run.fanoutJson,
    run.labels,
    (r) => r.fixed?.serverCpuUsPerDelivery ?? null,
  ),
  workload(
    "many-rooms-json",
    "highest delivered msgs/s with p99 ≤ 100 ms, JSON v1 clients, each send acked (10,000 in 1,000 rooms of 10)",
    "msgs/s",
    "higher",
    run.roomsJson,
    run.labels,
    ceiling,
    isFloor,
  ),
  workload(
    "many-rooms-json-fixed-rate",
    "p99 end-to-end latency at 20,000 deliveries/s in 1,000 rooms, JSON clients",
    "ms",
    "lower",
    run.roomsJson,
    run.labels,
    (r) => r.fixed?.p99Ms ?? null,
  ),
  workload(
    "fanout-mix",
    "fanout-json with 1 reaction and 1 edit in every 10 sends: highest delivered events/s with p99 ≤ 100 ms",
    "msgs/s",
    "higher",
    run.fanoutMix,
    run.labels,
    ceiling,
    isFloor,
  ),
  workload(
    "fanout-mix-fixed-rate",
    "p99 of the plain messages at 50 sends/s with reactions and edits mixed in (compare fanout-json-fixed-rate)",
    "ms",
    "lower",
    run.fanoutMix,
    run.labels,
    (r) => r.fixed?.p99Ms ?? null,
  ),
  workload(
    "fanout-mix-cpu",
    "server CPU µs per delivered event at 50 sends/s with reactions and edits mixed in (compare fanout-json-cpu)",
    "µs",
    "lower",
    run.fanoutMix,
    run.labels,
    (r) => r.fixed?.serverCpuUsPerDelivery ?? null,
  ),
];

export const costWorkloads = (run: RunData): Workload[] => [
  workload(
    "generator-cpu",
    "the generator's own CPU µs per delivery, many rooms at 20,000 deliveries/s (its ceiling on its core ≈ 1e6 ÷ this)",
    "µs",
    "lower",
    run.crowd,
    run.labels,
    (r) => r.rooms?.fixed?.generatorCpuUsPerDelivery ?? null,
  ),
  workload(
    "connect-cpu",
    "server CPU µs per WebSocket handshake (10,000 clients, 100 in flight)",
    "µs",
    "lower",
    run.crowd,
    run.labels,
    (r) => r.connect?.serverCpuUsPerConnection ?? null,
  ),
];
