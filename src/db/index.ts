export {
  type Database,
  DatabaseBusyError,
  type DatabaseTarget,
  embeddedDataExists,
  openDatabase,
} from './connect';
export { migrateLatest, migrateRollback, migrationStatus } from './migrate';
export { hotStatement, runHot, type HotStatement } from './direct';
export { preparedRaw } from './prepared';
export { readReplica, type ReadReplica, type ReplicaState, type ReplicaStatus } from './replica';
