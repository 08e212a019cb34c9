export { Catalog } from './catalog';
export { validateAttributes, type AttributeValues } from './attribute-validation';
export type {
  Agency,
  Datatype,
  Jurisdiction,
  Service,
  ServiceAttribute,
  ServiceType,
  SlaUnit,
} from './types';
export { createJurisdiction, loadServices, setJurisdictionBoundary } from './repository';
export { loadResponseLevels, replaceResponseLevels } from './response-levels';
