export { adminRouter } from './routes';
