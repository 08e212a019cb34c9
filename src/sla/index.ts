export {
  defaultCalendar,
  isWorkingTime,
  validateCalendar,
  type BusinessCalendar,
  type ResponseLevel,
  type SlaUnit,
  type WorkingInterval,
} from './business-calendar';
export { addBusinessMs, businessMsBetween, computeDueDate, type Pause } from './due-date';
export { usFederalHolidays, usFederalHolidaysBetween } from './us-federal-holidays';
