import { Counter, Histogram, type Registry } from "prom-client";
import type { DeliveryObserver } from "./dispatcher.ts";

/** One endpoint's attempts from this node since it started. */
export interface EndpointFigures {
  delivered: number;
  failed: number;
  /** Mean time to an answer (or to the failure) over every attempt, ms; null before the first. */
  meanMs: number | null;
  maxMs: number | null;
}

/**
 * Per-endpoint attempts, on Parley's Prometheus registry (labelled by endpoint id: endpoints are
 * made by an administrator, so the labels are bounded) and as figures for the admin API and page.
 */
export class WebhookStats implements DeliveryObserver {
  private readonly figures = new Map<string, { delivered: number; failed: number; totalMs: number; maxMs: number }>();
  private readonly attempts: Counter;
  private readonly latency: Histogram;

  constructor(registry: Registry) {
    this.attempts = new Counter({
      name: "parley_webhook_attempts_total",
      help: "Webhook delivery attempts by endpoint id and result (delivered: 2xx; failed: another status, timeout, refused)",
      labelNames: ["endpoint", "result"],
      registers: [registry],
    });
    this.latency = new Histogram({
      name: "parley_webhook_attempt_seconds",
      help: "Time from sending a webhook to its answer (or its failure), by endpoint id",
      labelNames: ["endpoint"],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers: [registry],
    });
  }

  attempted(endpointId: string, ok: boolean, ms: number): void {
    let figures = this.figures.get(endpointId);
    if (!figures) {
      figures = { delivered: 0, failed: 0, totalMs: 0, maxMs: 0 };
      this.figures.set(endpointId, figures);
    }
    if (ok) figures.delivered++;
    else figures.failed++;
    figures.totalMs += ms;
    figures.maxMs = Math.max(figures.maxMs, ms);
    this.attempts.inc({ endpoint: endpointId, result: ok ? "delivered" : "failed" });
    this.latency.observe({ endpoint: endpointId }, ms / 1000);
  }

  of(endpointId: string): EndpointFigures {
    const f = this.figures.get(endpointId);
    if (!f) return { delivered: 0, failed: 0, meanMs: null, maxMs: null };
    const count = f.delivered + f.failed;
    return {
      delivered: f.delivered,
      failed: f.failed,
      meanMs: Math.round(f.totalMs / count),
      maxMs: Math.round(f.maxMs),
    };
  }

  /** A removed endpoint's labels go too. */
  forget(endpointId: string): void {
    this.figures.delete(endpointId);
    for (const result of ["delivered", "failed"]) this.attempts.remove({ endpoint: endpointId, result });
    this.latency.remove({ endpoint: endpointId });
  }
}
