export { Catalog, type CatalogCaches, type CatalogEntry } from './catalog';
export {
  forgetValidator,
  validateAttributes,
  type AttributeValues,
  type Validators,
} from './attribute-validation';
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
export { type CatalogInput, importCatalog } from './import';
