export { surveysRouter } from './routes';
export { createSurvey } from './surveys';
