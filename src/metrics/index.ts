export { createMetrics, type Metrics, type MetricSources } from './metrics';
