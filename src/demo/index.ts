export { hasJurisdiction, loadDemoCity, loadDemoRequests } from './load-demo';
export { prebuiltDemo, prebuiltProblem } from './prebuilt';
