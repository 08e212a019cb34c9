export { bulkRouter } from './routes';
