export type ServiceType = 'realtime' | 'batch' | 'blackbox';
export type Datatype = 'string' | 'number' | 'datetime' | 'text' | 'singlevaluelist' | 'multivaluelist';
export type SlaUnit = 'hours' | 'business_hours' | 'business_days' | 'calendar_days';

export interface Jurisdiction {
  id: string;
  name: string;
  timeZone: string;
  email: string | null;
  phone: string | null;
  website: string | null;
  hasBoundary: boolean;
}

export interface Agency {
  id: number;
  code: string;
  name: string;
}

export interface ServiceAttribute {
  code: string;
  variable: boolean;
  datatype: Datatype;
  required: boolean;
  datatypeDescription: string | null;
  order: number;
  description: string;
  values: Array<{ key: string; name: string }>;
}

export interface Service {
  id: number;
  jurisdictionId: string;
  serviceCode: string;
  serviceName: string;
  description: string;
  type: ServiceType;
  keywords: string[];
  groups: string[];
  agency: Agency | null;
  sla: { value: number; unit: SlaUnit } | null;
  /** Per-priority overrides of `sla` (service_response_levels), keyed by priority. */
  levels?: Partial<Record<string, { value: number; unit: SlaUnit }>>;
  isPrivate: boolean;
  active: boolean;
  version: number;
  attributes: ServiceAttribute[];
  /** Whether a resident (client key) may reopen a closed request of this service with REOPEN (absent: yes). */
  residentsCanReopen?: boolean;
}
