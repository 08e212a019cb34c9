export {
  emit,
  emitMany,
  EVENT_RECORDSET,
  EVENT_TYPES,
  eventsParam,
  eventForHistory,
  outboxInsertSql,
  type EventInput,
  type EventType,
} from './outbox';
export { deliverDue, dispatchOutbox } from './webhooks';
export { outboxBacklog, type Backlog } from './backlog';
export {
  createSubscription,
  deactivateSubscription,
  listDeliveries,
  listSubscriptions,
  retryDelivery,
  retrySubscription,
  subscriptionJurisdiction,
} from './subscriptions';
