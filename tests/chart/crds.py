"""JSON schemas for the custom resources the chart renders, checked where kubernetes-validate has no schema.

Each mirrors its CRD's openAPIV3Schema for the fields the chart writes: the CRD's `required` lists, types, enums
and patterns. Fields the chart does not write are left open at the top of `spec`; inside the objects the chart
builds, unknown fields are rejected, because the API server would silently prune them.
Sources: prometheus-operator 0.8x (monitoring.coreos.com/v1 ServiceMonitor, PrometheusRule), RabbitMQ Cluster
Operator 2.x (rabbitmq.com/v1beta1 RabbitmqCluster), CloudNativePG 1.2x (postgresql.cnpg.io/v1 Cluster).
"""

from __future__ import annotations

DURATION = {"type": "string", "pattern": r"^(0|(([0-9]+)y)?(([0-9]+)w)?(([0-9]+)d)?(([0-9]+)h)?(([0-9]+)m)?(([0-9]+)s)?"
                                          r"(([0-9]+)ms)?)$"}
QUANTITY = {"anyOf": [{"type": "integer"}, {"type": "string", "pattern": r"^[0-9.]+([eE][0-9]+|[munkMGTPE]i?)?$"}]}
STRING_MAP = {"type": "object", "additionalProperties": {"type": "string"}}
RESOURCES = {"type": "object", "additionalProperties": False, "properties": {
    "limits": {"type": "object", "additionalProperties": QUANTITY},
    "requests": {"type": "object", "additionalProperties": QUANTITY}}}
LABEL_SELECTOR = {"type": "object", "additionalProperties": False, "properties": {
    "matchLabels": STRING_MAP,
    "matchExpressions": {"type": "array", "items": {
        "type": "object", "required": ["key", "operator"],
        "properties": {"key": {"type": "string"}, "operator": {"type": "string"},
                       "values": {"type": "array", "items": {"type": "string"}}}}}}}
RELABEL = {"type": "object", "additionalProperties": False, "properties": {
    "action": {"type": "string", "enum": ["replace", "Replace", "keep", "Keep", "drop", "Drop", "hashmod", "HashMod",
                                          "labelmap", "LabelMap", "labeldrop", "LabelDrop", "labelkeep", "LabelKeep",
                                          "lowercase", "Lowercase", "uppercase", "Uppercase", "keepequal",
                                          "KeepEqual", "dropequal", "DropEqual"]},
    "modulus": {"type": "integer"}, "regex": {"type": "string"}, "replacement": {"type": "string"},
    "separator": {"type": "string"},
    "sourceLabels": {"type": "array", "items": {"type": "string", "pattern": r"^[a-zA-Z_][a-zA-Z0-9_]*$"}},
    "targetLabel": {"type": "string"}}}


def _resource(api_version: str, kind: str, spec: dict) -> dict:
    return {
        "type": "object",
        "required": ["apiVersion", "kind", "metadata", "spec"],
        "properties": {
            "apiVersion": {"const": api_version},
            "kind": {"const": kind},
            "metadata": {"type": "object", "required": ["name", "namespace"], "properties": {
                "name": {"type": "string", "pattern": r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$", "maxLength": 63},
                "namespace": {"type": "string"}, "labels": STRING_MAP, "annotations": STRING_MAP}},
            "spec": spec,
        },
    }


SERVICE_MONITOR = _resource("monitoring.coreos.com/v1", "ServiceMonitor", {
    "type": "object",
    "required": ["selector"],
    "properties": {
        "selector": LABEL_SELECTOR,
        "namespaceSelector": {"type": "object", "additionalProperties": False, "properties": {
            "any": {"type": "boolean"}, "matchNames": {"type": "array", "items": {"type": "string"}}}},
        "jobLabel": {"type": "string"},
        "targetLabels": {"type": "array", "items": {"type": "string"}},
        "endpoints": {"type": "array", "items": {
            "type": "object", "additionalProperties": False,
            "properties": {
                "port": {"type": "string"}, "targetPort": {"anyOf": [{"type": "integer"}, {"type": "string"}]},
                "path": {"type": "string"}, "scheme": {"type": "string", "enum": ["http", "https"]},
                "interval": DURATION, "scrapeTimeout": DURATION, "honorLabels": {"type": "boolean"},
                "honorTimestamps": {"type": "boolean"},
                "relabelings": {"type": "array", "items": RELABEL},
                "metricRelabelings": {"type": "array", "items": RELABEL}}}},
    },
})

PROMETHEUS_RULE = _resource("monitoring.coreos.com/v1", "PrometheusRule", {
    "type": "object",
    "required": ["groups"],
    "properties": {"groups": {"type": "array", "minItems": 1, "items": {
        "type": "object", "required": ["name", "rules"], "additionalProperties": False,
        "properties": {
            "name": {"type": "string", "minLength": 1}, "interval": DURATION, "labels": STRING_MAP,
            "limit": {"type": "integer"}, "query_offset": DURATION,
            "rules": {"type": "array", "minItems": 1, "items": {
                "type": "object", "required": ["expr"], "additionalProperties": False,
                "oneOf": [{"required": ["record"], "not": {"required": ["alert"]}},
                          {"required": ["alert"], "not": {"required": ["record"]}}],
                "properties": {
                    "record": {"type": "string", "pattern": r"^[a-zA-Z_:][a-zA-Z0-9_:]*$"},
                    "alert": {"type": "string", "pattern": r"^[a-zA-Z_][a-zA-Z0-9_]*$"},
                    "expr": {"anyOf": [{"type": "integer"}, {"type": "string", "minLength": 1}]},
                    "for": DURATION, "keep_firing_for": DURATION,
                    "labels": STRING_MAP, "annotations": STRING_MAP}}}}}}},
})

RABBITMQ_CLUSTER = _resource("rabbitmq.com/v1beta1", "RabbitmqCluster", {
    "type": "object",
    "properties": {
        "replicas": {"type": "integer", "format": "int32"},
        "image": {"type": "string"},
        "resources": RESOURCES,
        "persistence": {"type": "object", "additionalProperties": False, "properties": {
            "storage": QUANTITY, "storageClassName": {"type": "string"}}},
        "rabbitmq": {"type": "object", "additionalProperties": False, "properties": {
            "additionalConfig": {"type": "string", "maxLength": 100000},
            "advancedConfig": {"type": "string", "maxLength": 100000},
            "envConfig": {"type": "string", "maxLength": 100000},
            "additionalPlugins": {"type": "array", "maxItems": 100, "items": {"type": "string"}}}},
    },
})

CNPG_CLUSTER = _resource("postgresql.cnpg.io/v1", "Cluster", {
    "type": "object",
    "required": ["instances"],
    "properties": {
        "instances": {"type": "integer", "minimum": 1},
        "imageName": {"type": "string"},
        "storage": {"type": "object", "additionalProperties": False, "properties": {
            "size": {"type": "string"}, "storageClass": {"type": "string"},
            "resizeInUseVolumes": {"type": "boolean"}}},
        "resources": RESOURCES,
        "bootstrap": {"type": "object", "additionalProperties": False, "properties": {
            "initdb": {"type": "object", "additionalProperties": False, "properties": {
                "database": {"type": "string"}, "owner": {"type": "string"},
                "secret": {"type": "object", "required": ["name"], "properties": {"name": {"type": "string"}}},
                "postInitSQL": {"type": "array", "items": {"type": "string"}},
                "postInitApplicationSQL": {"type": "array", "items": {"type": "string"}},
                "postInitTemplateSQL": {"type": "array", "items": {"type": "string"}}}}}},
    },
})

SCHEMAS = {
    ("monitoring.coreos.com/v1", "ServiceMonitor"): SERVICE_MONITOR,
    ("monitoring.coreos.com/v1", "PrometheusRule"): PROMETHEUS_RULE,
    ("rabbitmq.com/v1beta1", "RabbitmqCluster"): RABBITMQ_CLUSTER,
    ("postgresql.cnpg.io/v1", "Cluster"): CNPG_CLUSTER,
}
