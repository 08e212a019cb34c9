export { publicBaseUrl } from './base-url';
export { parseListParams } from './list-params';
export { open311Router } from './routes';
export { parseSubmission, SUBMISSION_SHAPES } from './submission';
export { requestView } from './views';
