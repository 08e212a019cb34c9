export { staffRouter } from './routes';
