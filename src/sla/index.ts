export {
  defaultCalendar,
  isWorkingTime,
  validateCalendar,
  weeklyWorkingTime,
  type BusinessCalendar,
  type ResponseLevel,
  type SlaUnit,
  type WorkingInterval,
} from './business-calendar';
export {
  addBusinessMs,
  businessMsBetween,
  computeDueDate,
  dueDateOrNull,
  levelProblem,
  UnreachableDueDate,
  type Pause,
} from './due-date';
export {
  canonicalTimeZone,
  isUsTimeZone,
  usFederalHolidays,
  usFederalHolidaysBetween,
} from './us-federal-holidays';
export {
  levelFor,
  LEVEL_COLUMNS,
  LEVEL_JOIN,
  LEVEL_VALUE,
  PRIORITIES,
  raisedPriority,
  type Priority,
} from './levels';
export { Calendars, readCalendar, saveCalendar } from './calendar-store';
export { MAX_LEVEL_VALUE, parseResponseLevels, SLA_UNITS, type ResponseLevels } from './response-levels';
