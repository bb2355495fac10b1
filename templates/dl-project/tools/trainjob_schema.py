"""Write the JSON schema that generated projects vendor for their Kubeflow Trainer TrainJob
manifest (k8s/trainjob.schema.json), from the TrainJob CRD's openAPIV3Schema.

    python tools/trainjob_schema.py CRD.yaml TAG COMMIT > trainjob.schema.json

CRD.yaml: manifests/base/crds/trainer.kubeflow.org_trainjobs.yaml of kubeflow/trainer at TAG.
The conversion is what `kubectl apply` checks, in JSON schema terms: unknown fields are errors
(strict field validation), `x-kubernetes-int-or-string` is an integer or a string, `nullable`
admits null. Descriptions, defaults and formats are dropped; CEL rules
(`x-kubernetes-validations`) cannot be expressed and are left to the API server."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import yaml

DROP = {"description", "default", "format"}


def convert(node: Any) -> Any:
    """One openAPIV3Schema node as JSON schema (draft 7)."""
    if isinstance(node, list):
        return [convert(item) for item in node]
    if not isinstance(node, dict):
        return node
    out: dict[str, Any] = {}
    for key, value in node.items():
        if key in DROP or key.startswith("x-kubernetes-") or key == "nullable":
            continue
        if key in ("properties", "patternProperties"):
            out[key] = {name: convert(sub) for name, sub in value.items()}
        else:
            out[key] = convert(value)
    if node.get("x-kubernetes-int-or-string"):
        out.pop("type", None)
        out.setdefault("anyOf", [{"type": "integer"}, {"type": "string"}])
    if node.get("nullable") and "type" in out:
        out["type"] = [out["type"], "null"]
    closed = "properties" in node and not node.get("x-kubernetes-preserve-unknown-fields")
    if closed and "additionalProperties" not in node:
        out["additionalProperties"] = False
    return out


def main(crd_path: str, tag: str, commit: str) -> None:
    crd = yaml.safe_load(Path(crd_path).read_text(encoding="utf-8"))
    (version,) = [v for v in crd["spec"]["versions"] if v["name"] == "v1alpha1"]
    schema = convert(version["schema"]["openAPIV3Schema"])
    group = crd["spec"]["group"]
    schema["properties"]["apiVersion"] = {"const": f"{group}/v1alpha1"}
    schema["properties"]["kind"] = {"const": crd["spec"]["names"]["kind"]}
    schema["properties"]["metadata"] = {
        "type": "object",
        "required": ["name"],
        "properties": {"name": {"type": "string", "pattern": "^[a-z0-9]([-a-z0-9]*[a-z0-9])?$"}},
    }
    schema["required"] = ["apiVersion", "kind", "metadata", "spec"]
    head = {
        "$schema": "http://json-schema.org/draft-07/schema#",
        "$comment": (
            f"TrainJob {group}/v1alpha1 from kubeflow/trainer {tag} ({commit}), "
            "manifests/base/crds/trainer.kubeflow.org_trainjobs.yaml, Apache-2.0: "
            "the CRD's openAPIV3Schema, strict (unknown fields are errors, as kubectl apply's "
            "field validation), without descriptions, defaults, formats or CEL rules; "
            "apiVersion, kind and metadata.name pinned. Regenerate with "
            "templates/dl-project/tools/trainjob_schema.py in dlgen."
        ),
    }
    json.dump(head | schema, sys.stdout, separators=(",", ":"))
    sys.stdout.write("\n")


if __name__ == "__main__":
    main(*sys.argv[1:])
