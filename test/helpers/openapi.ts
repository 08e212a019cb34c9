import fs from 'node:fs';
import path from 'node:path';
import Ajv2020 from 'ajv/dist/2020';
import addFormats from 'ajv-formats';
import YAML from 'yaml';

/**
 * Checks responses against spec/openapi.yaml, so the document and the server cannot drift: a response
 * whose body the document does not describe fails the test that produced it.
 */
interface Operation {
  responses: Record<string, { $ref?: string; content?: Record<string, { schema?: unknown }> }>;
}
export const spec = YAML.parse(
  fs.readFileSync(path.resolve(__dirname, '../../spec/openapi.yaml'), 'utf8'),
) as {
  paths: Record<string, Record<string, Operation>>;
  components: { responses: Record<string, { content?: Record<string, { schema?: unknown }> }> };
};

const ajv = new Ajv2020({ strict: false, allErrors: true });
addFormats(ajv);
ajv.addSchema({ $id: 'spec', components: spec.components });

const templates = Object.keys(spec.paths).map((template) => ({
  template,
  regex: new RegExp(`^${template.replace(/\./g, '\\.').replace(/\{[^}]+\}/g, '([^/]+?)')}$`),
}));

const inline = new Map<string, ReturnType<typeof ajv.compile>>();
/** Inline response schemas refer to '#/components/...' of the document: point them at the registered copy. */
function compileInline(key: string, schema: unknown) {
  let v = inline.get(key);
  if (!v) {
    v = ajv.compile(
      JSON.parse(JSON.stringify(schema).replace(/"#\/components\//g, '"spec#/components/')) as object,
    );
    inline.set(key, v);
  }
  return v;
}

export function findOperation(method: string, url: string): { template: string; op: Operation } | null {
  const pathname = url.split('?')[0] as string;
  for (const t of templates) {
    const op = spec.paths[t.template]?.[method.toLowerCase()];
    if (op && t.regex.test(pathname)) return { template: t.template, op };
  }
  return null;
}

/** Throws with the Ajv errors when `body` is not what the document says `method url` answers with `status`. */
export function expectMatchesSpec(method: string, url: string, status: number, body: unknown): void {
  const found = findOperation(method, url);
  if (!found) throw new Error(`${method} ${url} is not in spec/openapi.yaml`);
  let response = found.op.responses[String(status)];
  if (!response)
    throw new Error(`${method} ${found.template} has no ${status} response in spec/openapi.yaml`);
  if (response.$ref)
    response = spec.components.responses[response.$ref.split('/').pop() as string] ?? response;
  const schema = response.content?.['application/json']?.schema as { $ref?: string } | undefined;
  if (!schema) return;
  const validate = schema.$ref
    ? ajv.getSchema(`spec${schema.$ref}`)
    : compileInline(`${method} ${found.template} ${status}`, schema);
  if (!validate) throw new Error(`cannot resolve ${schema.$ref}`);
  if (!validate(body))
    throw new Error(
      `${method} ${url} → ${status} does not match spec/openapi.yaml: ${ajv.errorsText(validate.errors)}`,
    );
}
