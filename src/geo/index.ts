export { readAddressCsv } from './address-csv';
export { assertDistrictLayer, districtLayers } from './district-layers';
export { nearestAddresses, searchAddresses } from './address-search';
export { ADDRESS_POINT_ACCURACY_M, geocode, type LocationMatch } from './geocode';
export {
  type FeatureCollection,
  importAddresses,
  importBoundary,
  importDistricts,
  importIntersections,
  type IntersectionRecord,
} from './import';
export { importLayerStream, parseLayer, type LayerSpec } from './import-file';
export { ImportRefused, isPointLayer, layerNoun, type ImportReport } from './import-run';
export {
  type AddressMatch,
  addressById,
  pointFacts,
  pointFactsBindings,
  pointFactsSql,
  readPointFacts,
  type PointFacts,
} from './locate';
export {
  type AreaTest,
  type LatLong,
  type Bbox,
  geographyPoint,
  bboxUsesIndex,
  withinBbox,
  withinRadius,
  latOf,
  longOf,
} from './postgis';
