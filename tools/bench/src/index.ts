export {
  runBenchmark,
  type BenchmarkOptions,
  type BenchmarkReport,
  type ScenarioReport,
} from './benchmark.js';
export { renderComparison, renderTable } from './table.js';
export { summarize, type LatencySummary } from './percentiles.js';
