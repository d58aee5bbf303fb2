"""deploy/helm/values.yaml against the official Dagster chart's values.schema.json, and the jobsched API
manifests against Kubernetes' own JSON schemas (both kept under deploy/schemas/: the tests run offline)."""

from __future__ import annotations

import copy
import json
import tomllib
from typing import Any

import jsonschema
import pytest
import yaml
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT7, DRAFT202012

from jobsched_tests.deploy.files import DEPLOY, REPO, SCHEMAS, manifests, role_of, schema

K8S = SCHEMAS / "kubernetes" / "v1.32.0-local-strict"
KIND_FILES = {
    ("apps/v1", "Deployment"): "deployment-apps-v1.json",
    ("v1", "Service"): "service-v1.json",
    ("batch/v1", "Job"): "job-batch-v1.json",
    ("policy/v1", "PodDisruptionBudget"): "poddisruptionbudget-policy-v1.json",
}
# the chart's schema points its Kubernetes objects at kubernetesjsonschema.dev; resolve them locally
CHART_K8S_REFS = "https://kubernetesjsonschema.dev/v1.18.0/_definitions.json"
API_MANIFEST = DEPLOY / "helm" / "jobsched-api.yaml"


def k8s_registry() -> Registry:
    definitions = json.loads((K8S / "_definitions.json").read_text())
    registry = Registry().with_resource(definitions["$id"], DRAFT202012.create_resource(definitions))
    # same definitions under the chart's old address and key name (`definitions`, not `$defs`)
    both = {"$defs": definitions["$defs"], "definitions": definitions["$defs"]}
    return registry.with_resource(CHART_K8S_REFS, Resource(contents=both, specification=DRAFT202012))


def without_required(node: Any) -> Any:
    """User values are merged over the chart's defaults before Helm checks `required`; check the rest."""
    if isinstance(node, dict):
        return {k: without_required(v) for k, v in node.items() if k != "required"}
    if isinstance(node, list):
        return [without_required(v) for v in node]
    return node


def chart_validator() -> jsonschema.Validator:
    chart = without_required(schema("dagster-chart-values.schema.json"))
    registry = k8s_registry().with_resource("urn:dagster-chart", DRAFT7.create_resource(chart))
    return jsonschema.Draft7Validator(chart, registry=registry)


def values() -> dict[str, Any]:
    return yaml.safe_load((DEPLOY / "helm" / "values.yaml").read_text())


def unknown_keys(value: Any, node: dict[str, Any], root: dict[str, Any], path: str = "") -> list[str]:
    """Keys the chart does not declare (its schema leaves many objects open, so a typo or an invented key
    such as a user deployment's `replicaCount` would otherwise pass silently)."""
    while "$ref" in node and node["$ref"].startswith("#/definitions/"):
        node = root["definitions"][node["$ref"].rsplit("/", 1)[1]]
    if "$ref" in node:
        return []  # a Kubernetes object: the registry's strict Kubernetes schema checks it
    options = [node] + [o for o in node.get("anyOf", []) if isinstance(o, dict)]
    found: list[str] = []
    if isinstance(value, dict):
        declared = {k: v for o in options for k, v in o.get("properties", {}).items()}
        if not declared:
            return []
        for key, item in value.items():
            if key not in declared:
                found.append(f"{path}.{key}".lstrip("."))
            else:
                found += unknown_keys(item, declared[key], root, f"{path}.{key}")
    elif isinstance(value, list):
        items = next((o["items"] for o in options if isinstance(o.get("items"), dict)), None)
        if items is not None:
            for index, item in enumerate(value):
                found += unknown_keys(item, items, root, f"{path}[{index}]")
    return found


def test_helm_values_match_the_official_chart_schema() -> None:
    chart_validator().validate(values())
    assert (
        unknown_keys(
            values(), schema("dagster-chart-values.schema.json"), schema("dagster-chart-values.schema.json")
        )
        == []
    )


def test_the_chart_checks_would_catch_mistakes() -> None:
    root = schema("dagster-chart-values.schema.json")
    invented = copy.deepcopy(values())
    invented["dagster-user-deployments"]["deployments"][0]["replicaCount"] = 2
    assert unknown_keys(invented, root, root) == ["dagster-user-deployments.deployments[0].replicaCount"]
    wrong_type = copy.deepcopy(values())
    wrong_type["dagsterWebserver"]["replicaCount"] = "two"
    with pytest.raises(jsonschema.ValidationError):
        chart_validator().validate(wrong_type)
    bad_resources = copy.deepcopy(values())  # resolved through the Kubernetes schema
    bad_resources["dagsterWebserver"]["resources"] = {"requests": {"cpu": 1}, "limitz": {}}
    with pytest.raises(jsonschema.ValidationError):
        chart_validator().validate(bad_resources)


def test_chart_pinned_to_the_dagster_version_with_credentials_from_a_secret() -> None:
    pinned = yaml.safe_load((DEPLOY / "helm" / "chart.yaml").read_text())
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    assert f"dagster=={pinned['version']}" in project["dependencies"]
    config = values()
    assert config["generatePostgresqlPasswordSecret"] is False
    assert config["global"]["postgresqlSecretName"]
    assert "postgresqlPassword" not in config["postgresql"]
    assert config["runLauncher"]["type"] == "K8sRunLauncher"
    assert config["dagsterDaemon"]["enabled"] is True and "replicaCount" not in config["dagsterDaemon"]


def validate_manifest(document: dict[str, Any]) -> None:
    kind_schema = json.loads((K8S / KIND_FILES[(document["apiVersion"], document["kind"])]).read_text())
    jsonschema.Draft202012Validator(kind_schema, registry=k8s_registry()).validate(document)


def test_api_manifests_are_valid_kubernetes_objects() -> None:
    documents = manifests(API_MANIFEST)
    assert {d["kind"] for d in documents} == {"Deployment", "Service", "PodDisruptionBudget"}
    for document in documents:
        validate_manifest(document)
    broken = copy.deepcopy(documents[0])
    broken["spec"]["template"]["spec"]["containers"][0]["readinesProbe"] = {}  # strict: unknown field
    with pytest.raises(jsonschema.ValidationError):
        validate_manifest(broken)


def test_api_pods_migrate_first_probe_right_and_are_locked_down() -> None:
    deployment = next(d for d in manifests(API_MANIFEST) if d["kind"] == "Deployment")
    pod = deployment["spec"]["template"]["spec"]
    (init,) = pod["initContainers"]
    (api,) = pod["containers"]
    assert role_of(init["command"]) == "migrate" and role_of(api["command"]) == "api"
    assert init["image"] == api["image"]
    assert api["readinessProbe"]["httpGet"]["path"] == "/ready"
    assert api["livenessProbe"]["httpGet"]["path"] == "/live"
    assert pod["securityContext"]["runAsNonRoot"] is True
    for container in (init, api):
        assert {"requests", "limits"} <= set(container["resources"])
        assert container["securityContext"]["allowPrivilegeEscalation"] is False
        assert container["securityContext"]["readOnlyRootFilesystem"] is True
        assert {"secretRef": {"name": "jobsched-db"}} in container["envFrom"]
    assert deployment["spec"]["replicas"] >= 2
