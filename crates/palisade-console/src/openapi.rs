//! The OpenAPI document of the API (`GET /api/v1/openapi.json`).

/// OpenAPI 3.1, written by hand next to the routes in `api`.
pub const DOCUMENT: &str = r##"{
  "openapi": "3.1.0",
  "info": {"title": "Palisade console", "version": "1"},
  "components": {
    "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
    "schemas": {
      "Error": {"type": "object", "required": ["error"], "properties": {"error": {"type": "string"}, "line": {"type": "integer"}}},
      "Accepted": {"type": "object", "required": ["accepted"], "properties": {"accepted": {"type": "integer"}}},
      "Alert": {"type": "object", "properties": {"id": {"type": "integer"}, "rule": {"type": "string"}, "priority": {"type": "string"}, "count": {"type": "integer"}, "first_seen": {"type": "string", "format": "date-time"}, "last_seen": {"type": "string", "format": "date-time"}, "output": {"type": "string"}, "fields": {"type": "object"}, "cluster": {"type": "string"}, "routed": {"enum": ["oncall", "review"]}}},
      "Decision": {"type": "object", "required": ["time", "uid", "kind", "allowed", "verdict"], "properties": {"id": {"type": "integer", "description": "served only"}, "cluster": {"type": "string", "description": "served only"}, "time": {"type": "string", "format": "date-time"}, "uid": {"type": "string"}, "operation": {"type": "string"}, "kind": {"type": "string"}, "namespace": {"type": "string"}, "name": {"type": "string"}, "allowed": {"type": "boolean"}, "verdict": {"enum": ["allowed", "denied", "error", "timeout"]}, "dry_run": {"type": "boolean"}, "policies": {"type": "array", "items": {"type": "object", "required": ["policy", "action"], "properties": {"policy": {"type": "string"}, "action": {"enum": ["deny", "warn", "dryrun", "error"]}, "message": {"type": "string", "maxLength": 4096}}}}}},
      "Exception": {"type": "object", "required": ["fields", "values"], "properties": {"fields": {"type": "array", "items": {"type": "string"}}, "comps": {"type": "array", "items": {"type": "string"}}, "values": {"type": "array", "items": {"type": "array", "items": {"type": "string"}}}}}
    }
  },
  "security": [{"bearer": []}],
  "paths": {
    "/api/v1/events": {"post": {"summary": "Runtime events as JSON lines, matched by the loaded Falco rules", "parameters": [{"name": "cluster", "in": "query", "schema": {"type": "string"}}], "requestBody": {"content": {"application/x-ndjson": {}}}, "responses": {"200": {"description": "stored", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Accepted"}}}}, "400": {"description": "a bad line; nothing stored", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}, "413": {"description": "body too large"}, "429": {"description": "rate limited; nothing stored"}}}},
    "/api/v1/falco": {"post": {"summary": "Falco JSON alerts (http_output), one object or JSON lines", "parameters": [{"name": "cluster", "in": "query", "schema": {"type": "string"}}], "responses": {"200": {"description": "stored"}, "400": {"description": "a bad line; nothing stored"}, "429": {"description": "rate limited"}}}},
    "/api/v1/audit": {"post": {"summary": "Kubernetes audit events (the API server's audit webhook: an EventList of audit.k8s.io/v1 events, or Event JSON lines), matched by the loaded rules of source k8s_audit", "parameters": [{"name": "cluster", "in": "query", "schema": {"type": "string"}}], "requestBody": {"content": {"application/json": {}}}, "responses": {"200": {"description": "stored", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Accepted"}}}}, "400": {"description": "a value that is not an audit event; nothing stored", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}, "413": {"description": "body too large"}, "429": {"description": "rate limited; nothing stored"}}}},
    "/api/v1/flows": {"post": {"summary": "Hubble flows (hubble observe -o json), one a line, judged against the loaded policies (and ClientIntents); records with a finding are stored as network findings", "parameters": [{"name": "cluster", "in": "query", "schema": {"type": "string"}}], "requestBody": {"content": {"application/x-ndjson": {}}}, "responses": {"200": {"description": "{accepted, judged, findings: {drift, declared-but-dropped, undeclared}, problems: [string]}"}, "400": {"description": "a line that is not a flow record; nothing stored", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}, "413": {"description": "body too large"}, "429": {"description": "rate limited; nothing stored"}}}, "get": {"summary": "Stored flow findings: the Finding with its cluster, count, first_seen, last_seen and flow {finding, direction, observed, verdict, declared, decided_by}", "parameters": [{"name": "cluster", "in": "query"}, {"name": "layer", "in": "query"}, {"name": "severity", "in": "query"}, {"name": "namespace", "in": "query"}, {"name": "policy", "in": "query", "schema": {"enum": ["network/flow-drift", "network/flow-declared-but-dropped", "network/flow-undeclared"]}}, {"name": "since", "in": "query", "schema": {"type": "string", "format": "date-time"}}, {"name": "limit", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": 1000}}, {"name": "cursor", "in": "query"}], "responses": {"200": {"description": "{items: [FlowFinding], next}"}}}},
    "/api/v1/admission": {"post": {"summary": "Admission decisions as JSON lines of Decision, as palisade admission serve --console forwards them", "parameters": [{"name": "cluster", "in": "query", "schema": {"type": "string"}}], "requestBody": {"content": {"application/x-ndjson": {"schema": {"$ref": "#/components/schemas/Decision"}}}}, "responses": {"200": {"description": "stored", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Accepted"}}}}, "400": {"description": "a bad line; nothing stored", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}, "413": {"description": "body too large"}, "429": {"description": "rate limited; nothing stored"}}}},
    "/api/v1/decisions": {"get": {"summary": "Stored admission decisions", "parameters": [{"name": "cluster", "in": "query"}, {"name": "namespace", "in": "query"}, {"name": "kind", "in": "query"}, {"name": "verdict", "in": "query", "schema": {"enum": ["allowed", "denied", "error", "timeout"]}}, {"name": "policy", "in": "query"}, {"name": "since", "in": "query", "schema": {"type": "string", "format": "date-time"}}, {"name": "limit", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": 1000}}, {"name": "cursor", "in": "query"}], "responses": {"200": {"description": "{items: [Decision], next}"}}}},
    "/api/v1/alerts": {"get": {"summary": "Deduplicated alerts", "parameters": [{"name": "rule", "in": "query"}, {"name": "priority", "in": "query"}, {"name": "cluster", "in": "query"}, {"name": "since", "in": "query", "schema": {"type": "string", "format": "date-time"}}, {"name": "limit", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": 1000}}, {"name": "cursor", "in": "query"}], "responses": {"200": {"description": "{items: [Alert], next}"}}}},
    "/api/v1/rules": {"get": {"summary": "Rules with state", "responses": {"200": {"description": "{items: [{name, enabled, mode, tags, priority}]}"}}}},
    "/api/v1/rules/{name}": {"put": {"summary": "Enable, disable, observe", "requestBody": {"content": {"application/json": {"schema": {"type": "object", "properties": {"enabled": {"type": "boolean"}, "mode": {"enum": ["alert", "observe"]}}}}}}, "responses": {"200": {"description": "the new state"}, "404": {"description": "unknown rule"}}}},
    "/api/v1/rules/{name}/exceptions": {"post": {"summary": "Add an exception", "requestBody": {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/Exception"}}}}, "responses": {"201": {"description": "added"}, "400": {"description": "invalid"}, "404": {"description": "unknown rule"}}}},
    "/api/v1/tags": {"get": {"summary": "Every tag of the loaded rules: whether it is on, how many rules carry it", "responses": {"200": {"description": "{items: [{name, enabled, rules}]}"}}}},
    "/api/v1/tags/{name}": {"put": {"summary": "Switch a tag on or off: a rule with a tag that is off does not alert (as Falco's -T)", "requestBody": {"content": {"application/json": {"schema": {"type": "object", "required": ["enabled"], "properties": {"enabled": {"type": "boolean"}}}}}}, "responses": {"200": {"description": "{name, enabled, rules}"}, "400": {"description": "invalid"}, "404": {"description": "no loaded rule has the tag"}}}},
    "/api/v1/exceptions/export": {"get": {"summary": "The exceptions as a Falco rules file (override: exceptions: append)", "responses": {"200": {"description": "YAML"}}}},
    "/api/v1/posture": {"get": {"summary": "The posture (as palisade score --format json)", "responses": {"200": {"description": "{score, pillars, questions, form_score}"}}}},
    "/api/v1/coverage": {"get": {"summary": "Policy coverage", "responses": {"200": {"description": "{items: [{policy, layer, applies_to, of, share}]}"}}}},
    "/api/v1/findings": {"get": {"summary": "Findings of the latest audit, then the stored flow findings (cursor: an id, then flow:ID)", "parameters": [{"name": "layer", "in": "query"}, {"name": "severity", "in": "query"}, {"name": "namespace", "in": "query"}, {"name": "policy", "in": "query"}, {"name": "cluster", "in": "query"}, {"name": "limit", "in": "query"}, {"name": "cursor", "in": "query"}], "responses": {"200": {"description": "{items: [Finding], next}"}}}},
    "/api/v1/summary": {"get": {"summary": "Score, findings by layer and severity (the audit's and the flows'), alert counts, admission decisions by verdict, flow judging totals, last audit; of every cluster or the one named", "parameters": [{"name": "cluster", "in": "query"}], "responses": {"200": {"description": "{score, findings, alerts: {total, oncall, review}, admission: {total, verdicts: {allowed, denied, error, timeout}}, flows: {records, judged, allowed, denied, drift, ...}, last_audit}"}}}},
    "/api/v1/policies": {"get": {"summary": "Loaded input files and what they became", "responses": {"200": {"description": "{items: [{file, kind, items}]}"}}}},
    "/api/v1/policies/export": {"get": {"summary": "The active policy set as one Kubernetes List (policies, and the Falco rules with the console's exceptions as a ConfigMap) for kubectl apply or GitOps", "responses": {"200": {"description": "a v1 List"}}}},
    "/api/v1/openapi.json": {"get": {"summary": "This document", "responses": {"200": {"description": "OpenAPI 3.1 JSON"}}}},
    "/metrics": {"get": {"summary": "Prometheus metrics", "responses": {"200": {"description": "OpenMetrics text"}}}},
    "/readyz": {"get": {"summary": "Readiness: the store answers (no token needed)", "security": [], "responses": {"200": {"description": "ready"}, "503": {"description": "the store does not answer"}}}},
    "/healthz": {"get": {"summary": "Liveness (no token needed)", "security": [], "responses": {"200": {"description": "ok"}}}}
  }
}"##;

#[cfg(test)]
mod tests {
    /// The document is JSON and names every route `api::router` serves.
    #[test]
    fn the_document_parses_and_names_every_route() {
        let doc: serde_json::Value = serde_json::from_str(super::DOCUMENT).unwrap();
        let routes = include_str!("api.rs")
            .lines()
            .filter_map(|l| l.trim().strip_prefix(".route(\""))
            .filter_map(|l| l.split('"').next())
            .map(|p| {
                if p.starts_with("/api") || ["/metrics", "/healthz", "/readyz"].contains(&p) {
                    p.to_owned()
                } else {
                    format!("/api/v1{p}")
                }
            })
            .collect::<Vec<_>>();
        assert!(routes.len() > 15, "{routes:?}");
        for route in routes {
            assert!(
                doc["paths"].get(&route).is_some(),
                "`{route}` is not documented"
            );
        }
    }
}
