// Schema-checks Kubernetes manifests (multi-document YAML files) against the Kubernetes OpenAPI schemas that
// the kubernetes-models package compiles (ajv): unknown fields, wrong types and missing required fields fail.
//   node validate-k8s.mjs FILE...     exit 0 when every document is valid, 1 otherwise (errors on stderr)
import { readFileSync } from "node:fs";
import yaml from "js-yaml";
import * as core from "kubernetes-models/v1";
import * as apps from "kubernetes-models/apps/v1";
import * as policy from "kubernetes-models/policy/v1";

const MODELS = {
  "v1": core,
  "apps/v1": apps,
  "policy/v1": policy,
};

let failures = 0;
let checked = 0;
for (const file of process.argv.slice(2)) {
  for (const doc of yaml.loadAll(readFileSync(file, "utf8"))) {
    if (doc == null) continue;
    const where = `${file}: ${doc.kind}/${doc.metadata?.name}`;
    const Model = MODELS[doc.apiVersion]?.[doc.kind];
    if (!Model) {
      console.error(`${where}: no schema for apiVersion ${doc.apiVersion} kind ${doc.kind}`);
      failures++;
      continue;
    }
    try {
      new Model(doc).validate();
      checked++;
      console.log(`valid ${where}`);
    } catch (e) {
      failures++;
      console.error(`${where}: ${e.message}`);
    }
  }
}
if (checked + failures === 0) {
  console.error("no manifests given");
  process.exit(1);
}
process.exit(failures === 0 ? 0 : 1);
