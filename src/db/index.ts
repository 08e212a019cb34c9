export { type Database, DatabaseBusyError, type DatabaseTarget, openDatabase } from './connect';
export { migrateLatest, migrateRollback, migrationStatus } from './migrate';
export { preparedRaw } from './prepared';
