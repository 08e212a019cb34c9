export { Catalog, sameJurisdictionId, type CatalogCaches, type CatalogEntry } from './catalog';
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
export {
  assertLevelsReachable,
  jurisdictionLevels,
  loadResponseLevels,
  replaceResponseLevels,
  unreachableLevels,
} from './response-levels';
export { type CatalogInput, importCatalog } from './import';
export {
  CATALOG_SHAPES,
  DATATYPES,
  Findings,
  isPrivateService,
  PRIVATE_KEYWORD,
  serviceCodeProblems,
  parseAgency,
  parseCatalog,
  parseJurisdiction,
  parseService,
  type AgencyDoc,
  type AttributeDoc,
  type CatalogDoc,
  type CatalogPlaces,
  type JurisdictionDoc,
  type ServiceDoc,
} from './document';
export {
  agencyRow,
  agencyUse,
  deleteAgency,
  deleteJurisdiction,
  insertAgency,
  insertJurisdiction,
  jurisdictionAddedWarnings,
  jurisdictionDoc,
  listAgencyDocs,
  listJurisdictionDocs,
  removeMergedAgency,
  requireJurisdiction,
  updateAgency,
  updateJurisdiction,
} from './admin-store';
export {
  agencyIds,
  attributeDoc,
  deleteService,
  saveService,
  serviceDocOf,
  serviceHasRequests,
  serviceVersions,
  type ServiceVersion,
} from './service-store';
export { applyCatalog, checkCatalogDoc, exportCatalog, type ApplyOptions, type CatalogPlan } from './sync';
export { catalogFromCsv, catalogFromOpen311, csvCatalog } from './csv-source';
export {
  fetchOpen311Services,
  geoReportServiceDocs,
  readGeoReportServices,
  type RemoteFormat,
} from './open311-source';
export { diffService } from './diff';
export { importCatalogFrom, type CatalogSource } from './import-source';
export { guardPublishing, type MadePublic, type PublishingOptions } from './publishing';
