export { hasJurisdiction, loadDemoCity } from './load-demo';
