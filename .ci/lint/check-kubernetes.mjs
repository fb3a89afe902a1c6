// Validates every object in the given Kubernetes manifests against the API's OpenAPI schema (kubernetes-models,
// generated from the Kubernetes API): unknown fields, wrong types and missing required fields are errors.
// Usage: node check-kubernetes.mjs FILE.yaml...; exit 0 when every object is valid, 1 otherwise.
import {readFileSync} from "node:fs";
import {parseAllDocuments} from "yaml";
import {Job} from "kubernetes-models/batch/v1/Job";
import {PersistentVolumeClaim} from "kubernetes-models/v1/PersistentVolumeClaim";
import {ConfigMap} from "kubernetes-models/v1/ConfigMap";

const models = {
  "batch/v1 Job": Job,
  "v1 PersistentVolumeClaim": PersistentVolumeClaim,
  "v1 ConfigMap": ConfigMap,
};

let failed = false;
for (const file of process.argv.slice(2)) {
  for (const [index, document] of parseAllDocuments(readFileSync(file, "utf8")).entries()) {
    const where = `${file}: document ${index + 1}`;
    if (document.errors.length > 0) {
      console.error(`${where}: not YAML: ${document.errors[0].message}`);
      failed = true;
      continue;
    }
    const object = document.toJS();
    if (object === null) continue;
    const Model = models[`${object.apiVersion} ${object.kind}`];
    if (Model === undefined) {
      console.error(`${where}: ${object.apiVersion} ${object.kind} has no schema here; expected one of ` +
                    Object.keys(models).join(", "));
      failed = true;
      continue;
    }
    try {
      new Model(object).validate();
      console.log(`${where}: ${object.kind} ${object.metadata?.name}: valid`);
    } catch (error) {
      console.error(`${where}: ${object.kind} ${object.metadata?.name}: ${error.message}`);
      failed = true;
    }
  }
}
process.exit(failed ? 1 : 0);
