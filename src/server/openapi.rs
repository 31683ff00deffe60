//! The OpenAPI 3.1 document of the decision API, served at `/v1/openapi.json`. [`ROUTES`] is
//! the list of routes the router serves; a test holds the document, the list and the router
//! to each other.

use serde_json::{json, Value};

/// Every route of the API: method and path (path parameters as `{name}`).
pub const ROUTES: &[(&str, &str)] = &[
    ("get", "/healthz"),
    ("get", "/metrics"),
    ("get", "/v1/openapi.json"),
    ("post", "/v1/gate"),
    ("get", "/v1/findings"),
    ("get", "/v1/findings/{id}"),
    ("post", "/v1/findings/{id}/approve"),
    ("post", "/v1/findings/{id}/reject"),
    ("get", "/v1/pending"),
    ("get", "/v1/journal/verify"),
    ("post", "/v1/model/changes"),
];

fn error_responses(auth: bool) -> Value {
    let err = json!({"description": "the request cannot be answered as asked", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}});
    let mut r = json!({ "400": err.clone() });
    if auth {
        r["401"] = json!({"description": "no token, or a token the server does not know (journaled)", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}});
        r["403"] = json!({"description": "the token's role may not do this (journaled)", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}});
    }
    r
}

fn op(summary: &str, auth: bool, ok: Value, extra: Value) -> Value {
    let mut o = json!({
        "summary": summary,
        "responses": error_responses(auth),
    });
    o["responses"]["200"] = ok;
    if !auth {
        o["security"] = json!([]);
    }
    if let (Some(o), Some(extra)) = (o.as_object_mut(), extra.as_object()) {
        for (k, v) in extra {
            o.insert(k.clone(), v.clone());
        }
    }
    o
}

fn ok_json(description: &str) -> Value {
    json!({"description": description, "content": {"application/json": {"schema": {"type": "object"}}}})
}

fn id_param() -> Value {
    json!({"name": "id", "in": "path", "required": true, "schema": {"type": "string"}, "description": "a finding id, e.g. F-dc0dcb7057fb09a2"})
}

fn lang_param() -> Value {
    json!({"name": "lang", "in": "query", "required": false, "schema": {"type": "string", "enum": ["en", "de"]}})
}

fn body(description: &str, schema: Value) -> Value {
    json!({"required": true, "description": description, "content": {"application/json": {"schema": schema}}})
}

/// The document.
pub fn document() -> Value {
    let decide_body = body(
        "why (the journal keeps only its SHA-256), and for an approval optionally the last day it applies",
        json!({"type": "object", "properties": {"reason": {"type": "string"}, "until": {"type": "string", "format": "date"}}, "required": ["reason"], "additionalProperties": false}),
    );
    let filters: Vec<Value> = ["decision", "law", "activity", "subject", "date"]
        .iter()
        .map(|f| json!({"name": f, "in": "query", "required": false, "schema": {"type": "string"}}))
        .chain([lang_param()])
        .collect();
    json!({
        "openapi": "3.1.0",
        "info": {
            "title": "sphere decision API",
            "version": "1",
            "description": "The CRM asks before every interaction (POST /v1/gate) and sends its events (POST /v1/model/changes); the DPO approves or rejects what blocks. See docs/server.md."
        },
        "security": [{"bearer": []}],
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
            "schemas": {
                "Error": {
                    "type": "object",
                    "properties": {"error": {"type": "object", "properties": {
                        "kind": {"type": "string"},
                        "message": {"type": "string"},
                        "hint": {"type": ["string", "null"]},
                        "text": {"type": "string", "description": "the text the command line prints for this error"},
                        "problems": {"type": "array", "items": {"type": "object", "properties": {
                            "code": {"type": ["string", "null"]}, "file": {"type": ["string", "null"]},
                            "path": {"type": ["string", "null"], "description": "JSON path into the request body"},
                            "line": {"type": ["integer", "null"]}, "column": {"type": ["integer", "null"]},
                            "message": {"type": "string"}, "hint": {"type": ["string", "null"]}}}}
                    }}}
                }
            }
        },
        "paths": {
            "/healthz": {"get": op("liveness: ok, or broken when a change could not be journaled", false, ok_json("the server is up"), json!({}))},
            "/metrics": {"get": op("Prometheus metrics (text format 0.0.4)", false,
                json!({"description": "metrics", "content": {"text/plain": {"schema": {"type": "string"}}}}), json!({}))},
            "/v1/openapi.json": {"get": op("this document", false, ok_json("the OpenAPI document"), json!({}))},
            "/v1/gate": {"post": op("gate a planned activity (role crm): allowed, or blocked with the findings that need the DPO", true,
                ok_json("the verdict, as `sphere gate --format json` prints it"),
                json!({"parameters": [lang_param()], "requestBody": body("an activity id of the model, or a planned activity (a model activity object; it becomes part of the model)",
                    json!({"type": "object", "properties": {"activity": {"oneOf": [{"type": "string"}, {"type": "object"}]}}, "required": ["activity"], "additionalProperties": false}))}))},
            "/v1/findings": {"get": op("the findings of the current model (sphere-findings/1, as `sphere check --format json`)", true,
                ok_json("the findings document"), json!({"parameters": filters}))},
            "/v1/findings/{id}": {"get": op("a finding with its explanation (derivation tree, norms, sources) and, when it blocks, its approval status", true,
                ok_json("the explanation"), json!({"parameters": [id_param(), lang_param()], "responses": {"404": {"description": "no such finding"}}}))},
            "/v1/findings/{id}/approve": {"post": op("the DPO approves a blocking finding for its current facts (role dpo, and the model's DPO)", true,
                ok_json("the recorded decision and the journal head"), json!({"parameters": [id_param(), lang_param()], "requestBody": decide_body.clone()}))},
            "/v1/findings/{id}/reject": {"post": op("the DPO rejects a blocking finding for its current facts (role dpo, and the model's DPO)", true,
                ok_json("the recorded decision and the journal head"), json!({"parameters": [id_param(), lang_param()], "requestBody": decide_body}))},
            "/v1/pending": {"get": op("what waits for the DPO, oldest first (as `sphere pending --format json`)", true,
                json!({"description": "the waiting blocks", "content": {"application/json": {"schema": {"type": "array", "items": {"type": "object"}}}}}),
                json!({"parameters": [lang_param()]}))},
            "/v1/journal/verify": {"get": op("verify the journal's hash chain", true, ok_json("intact or the first problem"),
                json!({"parameters": [{"name": "expect_head", "in": "query", "required": false, "schema": {"type": "string"}, "description": "SEQ:HASH the journal must contain"}, lang_param()]}))},
            "/v1/model/changes": {"post": op("the CRM's events: subjects, consents, objections, notices, activities added or replaced; consents withdrawn; records removed (role crm)", true,
                ok_json("the findings that appeared, vanished or changed, and the journal head"),
                json!({"parameters": [lang_param()], "requestBody": body("a model fragment plus `withdraw` and `remove` (docs/server.md)", json!({"type": "object", "properties": {
                    "subjects": {"type": "array"}, "consents": {"type": "array"}, "objections": {"type": "array"},
                    "notices": {"type": "array"}, "activities": {"type": "array"},
                    "withdraw": {"type": "array", "items": {"type": "object", "properties": {"consent": {"type": "string"}, "date": {"type": "string", "format": "date"}}}},
                    "remove": {"type": "array", "items": {"type": "object", "properties": {"section": {"type": "string"}, "id": {"type": "string"}}}}}}))}))}
        }
    })
}
