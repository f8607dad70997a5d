import { describe, expect, it } from 'vitest';
import { RequestMetrics } from '../../src/metrics.js';

describe('request metrics', () => {
  it('counts each request once, in the first bucket its duration fits, by method, route and status', () => {
    const metrics = new RequestMetrics();
    metrics.observe('GET', '/api/v1/datasets/:id', 200, 0.005);
    metrics.observe('GET', '/api/v1/datasets/:id', 200, 0.0051);
    metrics.observe('GET', '/api/v1/datasets/:id', 200, 12);
    metrics.observe('GET', '/api/v1/datasets/:id', 404, 0.001);
    const lines = metrics.text().split('\n');
    const value = (line: string) => Number(lines.find((l) => l.startsWith(`${line} `))?.slice(line.length + 1));
    const ok = 'method="GET",route="/api/v1/datasets/:id",status="200"';
    expect(value(`tessera_http_requests_total{${ok}}`)).toBe(3);
    expect(value(`tessera_http_request_duration_seconds_bucket{le="0.005",${ok}}`)).toBe(1);
    expect(value(`tessera_http_request_duration_seconds_bucket{le="0.01",${ok}}`)).toBe(2);
    expect(value(`tessera_http_request_duration_seconds_bucket{le="10",${ok}}`)).toBe(2);
    expect(value(`tessera_http_request_duration_seconds_bucket{le="+Inf",${ok}}`)).toBe(3);
    expect(value(`tessera_http_request_duration_seconds_count{${ok}}`)).toBe(3);
    expect(value(`tessera_http_request_duration_seconds_sum{${ok}}`)).toBeCloseTo(12.0101, 10);
    expect(value('tessera_http_requests_total{method="GET",route="/api/v1/datasets/:id",status="404"}')).toBe(1);
    expect(lines).toContain('# TYPE tessera_http_requests_total counter');
    expect(lines).toContain('# TYPE tessera_http_request_duration_seconds histogram');
  });

  it('escapes what the text format cannot hold in a label value', () => {
    const metrics = new RequestMetrics();
    metrics.observe('GET', 'a"b\\c\nd', 200, 0.001);
    expect(metrics.text()).toContain('tessera_http_requests_total{method="GET",route="a\\"b\\\\c\\nd",status="200"} 1');
  });
});
