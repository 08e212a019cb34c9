export { publicBaseUrl } from './base-url';
export { LIST_PARAMS, parseListParams } from './list-params';
export { open311Router } from './routes';
export { parseSubmission, SUBMISSION_SHAPES } from './submission';
export { requestView } from './views';
