// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
//
// Checks the Kubernetes manifests and the Dockerfile with real validators
// before any cluster sees them, for tests/e2e/test_deploy_k8s.sh:
//
//   node validate.mjs manifests FILE|- ...   every object against the
//       Kubernetes OpenAPI schema (kubernetes-models' ajv validators), then
//       against its TypeScript interface with excess-property checks (the
//       JSON schemas accept unknown fields, so "hostPid: true" would pass
//       them and silently run without the host's pids), then rules the
//       API server enforces beyond the schema (selector vs labels, named
//       ports, volumes, references between the objects)
//   node validate.mjs dockerfile FILE   dockerfile-utils' linter
//   node validate.mjs get FILE KIND A/B/0/C   one value (JSON) for shell checks
//   node validate.mjs sync-prices CONFIGMAP PRICES   copy the price table in
//
// Exit status 0 when clean, 1 with one line per problem otherwise.
import fs from "node:fs";
import path from "node:path";
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";
import YAML from "yaml";

const require = createRequire(import.meta.url);
const problems = [];
const problem = (where, msg) => problems.push(`${where}: ${msg}`);

function readDocs(file) {
  const text = fs.readFileSync(file === "-" ? 0 : file, "utf8");
  const docs = YAML.parseAllDocuments(text, { prettyErrors: true, uniqueKeys: true });
  const out = [];
  docs.forEach((d, i) => {
    for (const e of [...d.errors, ...d.warnings]) problem(`${file}#${i}`, `YAML: ${e.message}`);
    const obj = d.toJS();
    if (obj !== null && obj !== undefined) out.push({ file, index: i, obj });
  });
  return out;
}

// "apps/v1" + "DaemonSet" -> kubernetes-models/apps/v1/DaemonSet
function modelPath(apiVersion, kind) {
  if (typeof apiVersion !== "string" || typeof kind !== "string") return null;
  return `kubernetes-models/${apiVersion}/${kind}`;
}

function where(d) {
  const m = d.obj.metadata || {};
  return `${d.file}#${d.index} ${d.obj.kind}/${m.name}`;
}

function schemaCheck(d) {
  const mp = modelPath(d.obj.apiVersion, d.obj.kind);
  let mod;
  try {
    mod = require(mp);
  } catch {
    problem(where(d), `unknown apiVersion/kind ${d.obj.apiVersion} ${d.obj.kind}`);
    return false;
  }
  try {
    new mod[d.obj.kind](d.obj).validate();
  } catch (e) {
    problem(where(d), `schema: ${e.message}`);
  }
  return true;
}

// One TypeScript program typing every object as its interface: tsc reports
// unknown fields at any depth (excess property checks on object literals),
// missing required fields and wrong literal types.
async function typeCheck(docs) {
  const ts = (await import("typescript")).default;
  // beside node_modules, so the imports resolve
  const file = path.join(path.dirname(fileURLToPath(import.meta.url)), `.typecheck-${process.pid}.ts`);
  const lines = [];
  const spans = [];
  docs.forEach((d, i) => {
    const mp = modelPath(d.obj.apiVersion, d.obj.kind);
    lines.push(`import type { I${d.obj.kind} as T${i} } from "${mp}";`);
  });
  docs.forEach((d, i) => {
    const start = lines.length;
    lines.push(`export const o${i}: T${i} = ${JSON.stringify(d.obj, null, 1)};`);
    spans.push({ start, end: lines.join("\n").split("\n").length, d });
  });
  fs.writeFileSync(file, lines.join("\n") + "\n");
  try {
    const program = ts.createProgram([file], {
      strict: true,
      noEmit: true,
      skipLibCheck: true,
      module: ts.ModuleKind.NodeNext,
      moduleResolution: ts.ModuleResolutionKind.NodeNext,
      target: ts.ScriptTarget.ES2020,
      types: [],
    });
    for (const diag of ts.getPreEmitDiagnostics(program)) {
      const msg = ts.flattenDiagnosticMessageText(diag.messageText, " ");
      if (!diag.file || diag.file.fileName !== file) {
        problem("typescript", msg);
        continue;
      }
      const { line } = diag.file.getLineAndCharacterOfPosition(diag.start);
      const span = spans.find((s) => line >= s.start && line < s.end);
      const text = diag.file.text.split("\n")[line].trim();
      problem(span ? where(span.d) : "typescript", `type: ${msg} (near ${text.slice(0, 80)})`);
    }
  } finally {
    fs.rmSync(file, { force: true });
  }
}

const podSpecOf = (o) =>
  ["DaemonSet", "Deployment", "StatefulSet", "ReplicaSet", "Job"].includes(o.kind)
    ? o.spec?.template?.spec
    : o.kind === "Pod"
      ? o.spec
      : null;

function matches(selector, labels) {
  return Object.entries(selector || {}).every(([k, v]) => (labels || {})[k] === v);
}

function checkProbePort(w, c, probe, name) {
  const port = c[probe]?.httpGet?.port ?? c[probe]?.tcpSocket?.port;
  if (typeof port === "string" && !(c.ports || []).some((p) => p.name === port))
    problem(w, `${name}.${probe} uses port '${port}', not a named port of the container`);
}

// What the API server rejects although the OpenAPI schema allows it.
function checkPodSpec(w, spec, labels) {
  const vols = new Map();
  for (const v of spec.volumes || []) {
    if (vols.has(v.name)) problem(w, `volume '${v.name}' declared twice`);
    vols.set(v.name, v);
    if (v.hostPath && !path.isAbsolute(v.hostPath.path || ""))
      problem(w, `hostPath of '${v.name}' is not absolute`);
  }
  for (const c of [...(spec.initContainers || []), ...(spec.containers || [])]) {
    const sc = c.securityContext || {};
    const caps = sc.capabilities?.add || [];
    if (sc.allowPrivilegeEscalation === false && (sc.privileged || caps.includes("SYS_ADMIN") || caps.includes("CAP_SYS_ADMIN")))
      problem(w, `${c.name}: allowPrivilegeEscalation false with privileged or SYS_ADMIN is refused by the API server`);
    for (const p of c.ports || []) {
      if (p.name && (p.name.length > 15 || !/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(p.name) || !/[a-z]/.test(p.name)))
        problem(w, `${c.name}: port name '${p.name}' is not an IANA_SVC_NAME`);
      if (p.containerPort < 1 || p.containerPort > 65535) problem(w, `${c.name}: containerPort ${p.containerPort}`);
    }
    for (const m of c.volumeMounts || []) {
      if (!vols.has(m.name)) problem(w, `${c.name}: volumeMount '${m.name}' has no volume`);
      if (!path.isAbsolute(m.mountPath || "")) problem(w, `${c.name}: mountPath '${m.mountPath}' not absolute`);
    }
    for (const probe of ["livenessProbe", "readinessProbe", "startupProbe"]) checkProbePort(w, c, probe, c.name);
  }
  return labels;
}

function crossCheck(docs) {
  const byKind = (k) => docs.filter((d) => d.obj.kind === k);
  const names = (k) => new Set(byKind(k).map((d) => d.obj.metadata?.name));
  const pods = [];
  for (const d of docs) {
    const o = d.obj;
    const w = where(d);
    if (!o.metadata?.name) problem(w, "metadata.name missing");
    const spec = podSpecOf(o);
    if (!spec) continue;
    const labels = o.spec?.template?.metadata?.labels || o.metadata?.labels;
    if (o.spec?.selector && !matches(o.spec.selector.matchLabels, labels))
      problem(w, "spec.selector does not match the template's labels");
    checkPodSpec(w, spec, labels);
    pods.push({ d, spec, labels, ns: o.metadata?.namespace });
    const sa = spec.serviceAccountName;
    if (sa && byKind("ServiceAccount").length && !names("ServiceAccount").has(sa))
      problem(w, `serviceAccountName '${sa}' is not among the manifests`);
    for (const v of spec.volumes || []) {
      const cm = v.configMap;
      if (!cm || !byKind("ConfigMap").length) continue;
      const found = byKind("ConfigMap").find((c) => c.obj.metadata?.name === cm.name);
      if (!found) problem(w, `volume '${v.name}': ConfigMap '${cm.name}' is not among the manifests`);
      for (const it of cm.items || [])
        if (found && !(it.key in (found.obj.data || {}))) problem(w, `ConfigMap '${cm.name}' has no key '${it.key}'`);
    }
  }
  for (const d of byKind("Service")) {
    const sel = d.obj.spec?.selector;
    const target = pods.filter((p) => matches(sel, p.labels) && p.ns === d.obj.metadata?.namespace);
    if (!target.length) {
      problem(where(d), "selector matches no pod template in the manifests");
      continue;
    }
    for (const port of d.obj.spec.ports || []) {
      const tp = port.targetPort;
      const named = (p) => p.spec.containers.some((c) => (c.ports || []).some((q) => q.name === tp));
      if (typeof tp === "string" && !target.every(named))
        problem(where(d), `targetPort '${tp}' is not a named port of the selected pods`);
    }
  }
  const nsNames = names("Namespace");
  for (const d of docs) {
    const ns = d.obj.metadata?.namespace;
    if (ns && nsNames.size && !nsNames.has(ns)) problem(where(d), `namespace '${ns}' is not among the manifests`);
  }
}

async function manifests(files) {
  const docs = files.flatMap(readDocs).filter((d) => d.obj.kind !== "Kustomization");
  const known = docs.filter(schemaCheck);
  if (known.length) await typeCheck(known);
  crossCheck(docs);
  console.log(`checked ${docs.length} objects: ${docs.map((d) => d.obj.kind).join(" ")}`);
}

async function dockerfile(file) {
  const du = await import("dockerfile-utils");
  const text = fs.readFileSync(file, "utf8");
  const diags = du.validate(text, {});
  for (const d of diags) {
    const sev = d.severity === 1 ? "error" : d.severity === 2 ? "warning" : "info";
    problem(`${file}:${d.range.start.line + 1}`, `${sev}: ${d.message}`);
  }
  console.log(`linted ${file}: ${diags.length} diagnostic(s)`);
}

function get(file, kind, pointer) {
  const d = readDocs(file).find((x) => x.obj.kind === kind);
  if (!d) throw new Error(`no ${kind} in ${file}`);
  let v = d.obj;
  // JSON-pointer style: "a/b/0/c", "~1" for a "/" inside a key
  for (const raw of pointer.split("/")) {
    const part = raw.replace(/~1/g, "/").replace(/~0/g, "~");
    v = v?.[/^\d+$/.test(part) ? Number(part) : part];
  }
  console.log(typeof v === "string" ? v : JSON.stringify(v));
}

// Rewrites data."model_prices.json" from the price table, comments kept.
function syncPrices(cmFile, pricesFile) {
  const doc = YAML.parseDocument(fs.readFileSync(cmFile, "utf8"));
  const prices = fs.readFileSync(pricesFile, "utf8");
  JSON.parse(prices);
  const node = doc.createNode(prices.endsWith("\n") ? prices : prices + "\n");
  node.type = "BLOCK_LITERAL";
  doc.setIn(["data", "model_prices.json"], node);
  fs.writeFileSync(cmFile, doc.toString({ lineWidth: 0 }));
}

const [cmd, ...args] = process.argv.slice(2);
try {
  if (cmd === "manifests") await manifests(args);
  else if (cmd === "dockerfile") await dockerfile(args[0]);
  else if (cmd === "get") get(args[0], args[1], args[2]);
  else if (cmd === "sync-prices") syncPrices(args[0], args[1]);
  else throw new Error("usage: validate.mjs manifests|dockerfile|get|sync-prices ...");
} catch (e) {
  problem(cmd || "validate", e.message);
}
for (const p of problems) console.log(`ERROR ${p}`);
process.exit(problems.length ? 1 : 0);
