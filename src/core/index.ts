export { AppError, Problems, badRequest, forbidden, notFound, translateDatabaseError } from './errors';
export { formatDateTime, parseDateTime } from './time';
