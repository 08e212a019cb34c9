export { reportBase } from './base';
export { toCsv } from './csv';
export { type GroupBy, PERFORMANCE_COLUMNS, type PerformanceRow, performance } from './performance';
export {
  SATISFACTION_COLUMNS,
  type SatisfactionRow,
  satisfaction,
  satisfactionBy,
  satisfactionRows,
  satisfactionSql,
} from './satisfaction';
