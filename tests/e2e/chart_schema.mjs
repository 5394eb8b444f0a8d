// chart_schema.mjs - validate rendered Kubernetes objects (helm template output) against schemas.
//
//   node chart_schema.mjs --modules DIR --istio-crds FILE MANIFEST.yaml
//
// DIR is the node_modules that scripts/setup-helm fills; FILE is Istio's CRD file (crd-all.gen.yaml).
// Prints one JSON report ({objects: [...], errors: N}) and exits 1 when any object fails. Per object:
//   - a kind nobody knows is an error (neither a kubernetes-models built-in nor an Istio kind);
//   - built-in kinds: kubernetes-models' validator (types, required fields, formats, enums), plus an
//     unknown-field walk over kubernetes-models' declarations (the validator itself accepts unknown
//     fields, which is how a typo such as `mountPropogation` would slip through);
//   - Istio kinds: @kubernetes-models/istio's validator, and ajv against the openAPIV3Schema of the
//     served version in Istio's own CRD file, with unknown fields rejected as the API server prunes
//     them (CEL rules and defaults are not evaluated by either);
//   - CustomResourceDefinitions: also compared with the same CRD in Istio's file (the chart must pass
//     Istio's definitions through unchanged apart from metadata).
import fs from "node:fs";
import path from "node:path";
import { createRequire } from "node:module";
import { pathToFileURL } from "node:url";
import util from "node:util";

const { values: opts, positionals } = util.parseArgs({
  options: { modules: { type: "string" }, "istio-crds": { type: "string" } },
  allowPositionals: true,
});
if (!opts.modules || !opts["istio-crds"] || positionals.length !== 1) {
  console.error("usage: node chart_schema.mjs --modules DIR --istio-crds FILE MANIFEST.yaml");
  process.exit(2);
}
const MODULES = path.resolve(opts.modules);
const require = createRequire(path.join(MODULES, "noop.js"));
const yaml = require("js-yaml");
const Ajv = require("ajv");

// ------------------------------------------------------------------ built-in kinds (kubernetes-models)
function builtinDir(apiVersion) {
  // "v1" -> kubernetes-models/v1, "apps/v1" -> kubernetes-models/apps/v1
  return path.join(MODULES, "kubernetes-models", apiVersion);
}

function loadBuiltin(apiVersion, kind) {
  const file = path.join(builtinDir(apiVersion), `${kind}.js`);
  if (!/^[A-Za-z0-9]+$/.test(kind) || !fs.existsSync(file)) return null;
  const Model = require(file)[kind];
  return Model && Model.kind === kind && Model.apiVersion === apiVersion ? { Model, dts: file.replace(/\.js$/, ".d.ts") } : null;
}

// Field declarations: interface name -> Map(field -> TypeScript type text), from the generated .d.ts files.
const dtsCache = new Map();
function parseDts(file) {
  if (dtsCache.has(file)) return dtsCache.get(file);
  const text = fs.readFileSync(file, "utf8").replace(/\/\*[\s\S]*?\*\//g, "");
  const imports = new Map();
  for (const m of text.matchAll(/import \{([^}]+)\} from "([^"]+)";/g))
    for (const name of m[1].split(",").map((s) => s.trim()).filter(Boolean)) imports.set(name, m[2]);
  const aliases = new Map();
  for (const m of text.matchAll(/export (?:type )?\{([^}]+)\};/g))
    for (const part of m[1].split(",")) {
      const [from, to] = part.trim().split(/\s+as\s+/);
      if (to) aliases.set(to, from);
    }
  const interfaces = new Map();
  for (const m of text.matchAll(/export interface (\w+)(?: extends [^{]+)? \{\n([\s\S]*?)\n\}/g)) {
    const fields = new Map();
    const body = m[2];
    const re = /^ {4}"([^"]+)"\??: /gm;
    let f;
    while ((f = re.exec(body))) {
      let depth = 0, i = re.lastIndex;
      for (; i < body.length; i++) {
        const c = body[i];
        if (c === "{" || c === "<" || c === "(") depth++;
        else if (c === "}" || c === ">" || c === ")") depth--;
        else if (c === ";" && depth === 0) break;
      }
      fields.set(f[1], body.slice(re.lastIndex, i).replace(/\s+/g, " ").trim());
    }
    interfaces.set(m[1], fields);
  }
  const parsed = { file, imports, aliases, interfaces };
  dtsCache.set(file, parsed);
  return parsed;
}

// Node's resolution: relative to the file, or the nearest node_modules above it (kubernetes-models
// and @kubernetes-models/istio each bring their own @kubernetes-models/apimachinery).
function resolveImport(fromFile, spec) {
  const dts = (base) => { const f = base.replace(/\.js$/, "") + ".d.ts"; return fs.existsSync(f) ? f : null; };
  if (spec.startsWith(".")) return dts(path.resolve(path.dirname(fromFile), spec));
  for (let dir = path.dirname(fromFile); dir.startsWith(MODULES); dir = path.dirname(dir)) {
    const f = dts(path.join(dir, path.basename(dir) === "node_modules" ? "" : "node_modules", spec));
    if (f) return f;
  }
  return dts(path.join(MODULES, spec));
}

// The declared fields of type `name` as seen from `file`, or null for a non-interface type.
function fieldsOf(file, name) {
  const d = parseDts(file);
  const local = d.aliases.get(name) || name;
  if (d.interfaces.has(local)) return { file, fields: d.interfaces.get(local) };
  const spec = d.imports.get(name);
  if (!spec) return null;
  const target = resolveImport(file, spec);
  return target ? fieldsOf(target, name) : null;
}

function unknownFields(value, type, file, at, out) {
  if (value === null || typeof value !== "object") return;
  type = type.trim();
  let m;
  if ((m = /^Array<(.+)>$/.exec(type))) {
    if (Array.isArray(value)) value.forEach((v, i) => unknownFields(v, m[1], file, `${at}[${i}]`, out));
    return;
  }
  if ((m = /^\{ \[key: string\]: (.+); \}$/.exec(type))) {
    for (const [k, v] of Object.entries(value)) unknownFields(v, m[1], file, `${at}.${k}`, out);
    return;
  }
  if (!/^\w+$/.test(type)) return;  // primitives, unions, literals
  const decl = fieldsOf(file, type);
  if (!decl || decl.fields.size === 0 || Array.isArray(value)) return;  // e.g. IntOrString, Quantity, JSON
  for (const [k, v] of Object.entries(value)) {
    if (!decl.fields.has(k)) out.push(`${at}.${k}: unknown field`);
    else unknownFields(v, decl.fields.get(k), decl.file, `${at}.${k}`, out);
  }
}

function checkBuiltin(obj, found) {
  const errors = [];
  try {
    new found.Model(obj).validate();
  } catch (e) {
    errors.push(...(e.errors || [{ message: String(e.message || e) }]).map(
      (x) => `${x.instancePath || ""} ${x.message || x.keyword} ${x.params ? JSON.stringify(x.params) : ""}`.trim()));
  }
  const iface = [...parseDts(found.dts).interfaces.keys()][0];
  unknownFields(obj, iface, found.dts, "", errors);
  return errors;
}

// ------------------------------------------------------------------ Istio kinds (CRD schemas + models)
const crdSource = yaml.loadAll(fs.readFileSync(opts["istio-crds"], "utf8")).filter(
  (d) => d && d.kind === "CustomResourceDefinition");
const crdByGvk = new Map();
const crdByName = new Map(crdSource.map((c) => [c.metadata.name, c]));
for (const crd of crdSource)
  for (const v of crd.spec.versions || [])
    if (v.served) crdByGvk.set(`${crd.spec.group}/${v.name}/${crd.spec.names.kind}`, v.schema.openAPIV3Schema);

// Structural schema -> JSON schema that rejects what the API server would prune: objects with
// declared properties and no x-kubernetes-preserve-unknown-fields get additionalProperties: false.
function strict(s) {
  if (!s || typeof s !== "object") return s;
  const out = {};
  for (const [k, v] of Object.entries(s)) {
    if (k.startsWith("x-kubernetes-")) continue;
    if (k === "properties") out.properties = Object.fromEntries(Object.entries(v).map(([p, ps]) => [p, strict(ps)]));
    else if (k === "items" || k === "additionalProperties" || k === "not") out[k] = typeof v === "object" ? strict(v) : v;
    else if (k === "allOf" || k === "anyOf" || k === "oneOf") out[k] = v.map(strict);
    else out[k] = v;
  }
  if (s.properties && !s["x-kubernetes-preserve-unknown-fields"] && s.additionalProperties === undefined)
    out.additionalProperties = false;
  if (s["x-kubernetes-int-or-string"]) { delete out.type; out.anyOf = [{ type: "integer" }, { type: "string" }]; }
  return out;
}

// Istio's oneOf/anyOf branches only say which fields may be set together (`required`), on a schema
// whose properties are declared once at the top: give them no additionalProperties of their own.
function relaxBranches(s) {
  if (!s || typeof s !== "object") return s;
  for (const k of ["oneOf", "anyOf", "allOf"])
    if (Array.isArray(s[k])) s[k].forEach((b) => { if (!b.properties) delete b.additionalProperties; relaxBranches(b); });
  for (const v of Object.values(s)) if (v && typeof v === "object") relaxBranches(v);
  return s;
}

const ajv = new Ajv({ strict: false, allErrors: true, logger: false });
const compiled = new Map();
function istioValidator(gvk) {
  if (!compiled.has(gvk)) {
    const schema = crdByGvk.get(gvk);
    compiled.set(gvk, schema ? ajv.compile(relaxBranches(strict(schema))) : null);
  }
  return compiled.get(gvk);
}

async function checkIstio(obj) {
  const [group, version] = obj.apiVersion.split("/");
  const gvk = `${group}/${version}/${obj.kind}`;
  const validate = istioValidator(gvk);
  if (!validate) return null;
  const errors = [];
  const { metadata, apiVersion, kind, ...body } = obj;
  // The CRD schema covers spec/status; metadata is the API server's ObjectMeta (checked as built-in).
  if (!validate(body)) errors.push(...validate.errors.map((e) => `${e.instancePath} ${e.message} ${JSON.stringify(e.params)}`));
  const modelFile = path.join(MODULES, "@kubernetes-models/istio", group, version, `${obj.kind}.js`);
  if (fs.existsSync(modelFile)) {
    const Model = (await import(pathToFileURL(modelFile).href))[obj.kind];
    try {
      new Model(obj).validate();
    } catch (e) {
      errors.push(...(e.errors || [{ message: String(e.message || e) }]).map((x) => `${x.instancePath || ""} ${x.message}`));
    }
  } else {
    errors.push(`@kubernetes-models/istio has no model for ${gvk}`);
  }
  unknownFields(metadata, "IObjectMeta", path.join(MODULES, "@kubernetes-models/apimachinery/apis/meta/v1/ObjectMeta.d.ts"),
                ".metadata", errors);
  return errors;
}

function sameCrd(obj) {
  const src = crdByName.get(obj.metadata?.name);
  if (!src) return [`CRD ${obj.metadata?.name} is not in ${opts["istio-crds"]}`];
  return util.isDeepStrictEqual(obj.spec, src.spec) ? [] : [`spec differs from ${opts["istio-crds"]}`];
}

// ------------------------------------------------------------------ main
const docs = yaml.loadAll(fs.readFileSync(positionals[0], "utf8")).filter((d) => d !== null && d !== undefined);
const report = { objects: [], errors: 0 };
for (const obj of docs) {
  const id = `${obj.kind}/${obj.metadata?.namespace ? obj.metadata.namespace + "/" : ""}${obj.metadata?.name}`;
  let errors;
  let checker;
  if (typeof obj !== "object" || !obj.apiVersion || !obj.kind) {
    errors = ["not a Kubernetes object (apiVersion and kind required)"];
  } else if (crdByGvk.has(`${obj.apiVersion}/${obj.kind}`)) {
    checker = "istio-crd";
    errors = await checkIstio(obj);
  } else {
    const found = loadBuiltin(obj.apiVersion, obj.kind);
    if (!found) {
      errors = [`unknown kind ${obj.apiVersion} ${obj.kind}`];
    } else {
      checker = "kubernetes-models";
      errors = checkBuiltin(obj, found);
      if (obj.kind === "CustomResourceDefinition") errors.push(...sameCrd(obj));
    }
  }
  report.objects.push({ id, apiVersion: obj.apiVersion, kind: obj.kind, checker, errors });
  report.errors += errors.length;
}
console.log(JSON.stringify(report, null, 1));
process.exit(report.errors ? 1 : 0);
