/**
 * A deliberately small JSON Schema validator for the tests, written straight from the JSON Schema 2020-12
 * validation spec for the keywords the constraint supports, and nothing shared with the code under test
 * (no validator package is installed). Returns the first violation found, or null.
 */
type S = boolean | Record<string, unknown>;

export function validate(schema: unknown, value: unknown, root: unknown = schema, path = "#"): string | null {
  const s = schema as S;
  if (s === true) return null;
  if (s === false) return `${path}: schema false`;
  if (typeof s.$ref === "string") {
    const target = (s.$ref.slice(2) === "" ? [] : s.$ref.slice(2).split("/")).reduce<unknown>(
      (node, tok) => (node as Record<string, unknown>)[tok.replace(/~1/g, "/").replace(/~0/g, "~")],
      root,
    );
    const r = validate(target, value, root, path);
    if (r) return r;
  }
  if (s.type !== undefined) {
    const types = Array.isArray(s.type) ? s.type : [s.type];
    if (!types.some((t) => typeOk(t as string, value))) return `${path}: not of type ${JSON.stringify(s.type)}`;
  }
  if (Array.isArray(s.enum) && !s.enum.some((e) => deepEqual(e, value))) return `${path}: not in enum`;
  if ("const" in s && !deepEqual(s.const, value)) return `${path}: not the const`;
  if (Array.isArray(s.anyOf) && !s.anyOf.some((x) => validate(x, value, root, path) === null)) return `${path}: no anyOf branch`;
  if (Array.isArray(s.oneOf) && s.oneOf.filter((x) => validate(x, value, root, path) === null).length !== 1) return `${path}: not exactly one oneOf branch`;
  if (typeof value === "number") {
    if (typeof s.minimum === "number" && !(value >= s.minimum)) return `${path}: below minimum`;
    if (typeof s.maximum === "number" && !(value <= s.maximum)) return `${path}: above maximum`;
    if (typeof s.exclusiveMinimum === "number" && !(value > s.exclusiveMinimum)) return `${path}: not above exclusiveMinimum`;
    if (typeof s.exclusiveMaximum === "number" && !(value < s.exclusiveMaximum)) return `${path}: not below exclusiveMaximum`;
  }
  if (typeof value === "string") {
    const length = [...value].length;
    if (typeof s.minLength === "number" && length < s.minLength) return `${path}: shorter than minLength`;
    if (typeof s.maxLength === "number" && length > s.maxLength) return `${path}: longer than maxLength`;
    if (typeof s.pattern === "string" && !new RegExp(s.pattern, "u").test(value)) return `${path}: does not match pattern`;
  }
  if (Array.isArray(value)) {
    if (typeof s.minItems === "number" && value.length < s.minItems) return `${path}: fewer than minItems`;
    if (typeof s.maxItems === "number" && value.length > s.maxItems) return `${path}: more than maxItems`;
    const prefix = Array.isArray(s.prefixItems) ? s.prefixItems : [];
    for (let i = 0; i < value.length; i++) {
      const sub = i < prefix.length ? prefix[i] : s.items;
      if (sub === undefined) continue;
      const r = validate(sub, value[i], root, `${path}/${i}`);
      if (r) return r;
    }
  }
  if (isObject(value)) {
    const props = isObject(s.properties) ? s.properties : {};
    for (const name of Array.isArray(s.required) ? s.required : []) if (!(name in value)) return `${path}: missing ${name}`;
    for (const [k, v] of Object.entries(value)) {
      const sub = k in props ? props[k] : s.additionalProperties;
      if (sub === undefined) continue;
      const r = validate(sub, v, root, `${path}/${k}`);
      if (r) return r;
    }
  }
  return null;
}

function typeOk(t: string, v: unknown): boolean {
  switch (t) {
    case "null":
      return v === null;
    case "boolean":
      return typeof v === "boolean";
    case "number":
      return typeof v === "number";
    case "integer":
      return typeof v === "number" && Number.isInteger(v);
    case "string":
      return typeof v === "string";
    case "array":
      return Array.isArray(v);
    case "object":
      return isObject(v);
  }
  return false;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function deepEqual(a: unknown, b: unknown): boolean {
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((x, i) => deepEqual(x, b[i]));
  if (isObject(a) && isObject(b)) {
    const ka = Object.keys(a);
    return ka.length === Object.keys(b).length && ka.every((k) => k in b && deepEqual(a[k], b[k]));
  }
  return a === b;
}
