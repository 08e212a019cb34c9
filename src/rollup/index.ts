export { refreshRollups, type RefreshResult } from './refresh';
export { EXACT_MAX_DAYS, rolledFigures, type RolledFigures } from './figures';
export { SKETCH_ALPHA } from './sketch';
