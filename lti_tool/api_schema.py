"""The OpenAPI 3.1 document of REST API v1 (served at ``/api/v1/openapi.json``)."""

from __future__ import annotations

from typing import Any

from .conf import tool_settings
from .services.api_facts import API_KINDS

ERROR = {"$ref": "#/components/schemas/Error"}


def _json(schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def openapi_document() -> dict[str, Any]:
    """Return the OpenAPI document, with this service's public URL as the server."""
    errors = {"401": _json(ERROR, "Missing, unknown, expired or replayed credentials"),
              "403": _json(ERROR, "The token lacks the scope"), "404": _json(ERROR, "No such course or learner here")}
    return {
        "openapi": "3.1.0",
        "info": {"title": "Accolade API", "version": "1",
                 "description": "Adapters (the Open edX XBlock, the Moodle bridge) post course facts and read badge "
                                "status, acting for one LTI deployment (tenant). Verification is public."},
        "servers": [{"url": f"{tool_settings.public_url}/api/v1"}],
        "components": {
            "securitySchemes": {
                "oauth2": {"type": "oauth2", "flows": {"clientCredentials": {
                    "tokenUrl": f"{tool_settings.public_url}/api/v1/oauth/token",
                    "scopes": {"facts:write": "post facts", "badges:read": "read badges and learner status"}}}},
                "signedJwt": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT",
                              "description": "A JWT the client signs (RS256 or EdDSA): iss = sub = client id, "
                                             "aud = the API base URL, exp within 5 minutes, single-use jti."},
            },
            "schemas": {
                "Error": {"type": "object", "required": ["error"],
                          "properties": {"error": {"type": "string"}, "error_description": {"type": "string"}}},
                "Fact": {"type": "object", "required": ["context_id", "user", "kind", "value"],
                         "additionalProperties": False,
                         "properties": {
                             "context_id": {"type": "string", "maxLength": 255, "description": "LTI context id"},
                             "user": {"type": "object", "required": ["sub"],
                                      "properties": {"sub": {"type": "string", "maxLength": 255},
                                                     "name": {"type": "string"}, "email": {"type": "string"}}},
                             "kind": {"enum": list(API_KINDS)},
                             "key": {"type": "string", "maxLength": 1000,
                                     "description": "line item or activity key; empty for course-level kinds"},
                             "value": {"type": "object", "description": "score: {given, maximum, at}; activity and "
                                       "course_completion: {state: incomplete|complete|complete_pass|complete_fail, "
                                       "at}; course_grade: {given, maximum}; membership: {status, roles, groups}"},
                             "observed_at": {"type": "string", "format": "date-time"}}},
                "FactResult": {"type": "object", "properties": {
                    "index": {"type": "integer"},
                    "outcome": {"enum": ["created", "updated", "duplicate", "stale", "rejected"]},
                    "error": {"type": "string"}}},
                "LearnerBadge": {"type": "object", "properties": {
                    "id": {"type": "string", "format": "uuid"}, "name": {"type": "string"},
                    "earned": {"type": "boolean"}, "credential": {"type": ["string", "null"], "format": "uri"},
                    "progress": {"type": ["object", "null"], "properties": {
                        "status": {"enum": ["met", "not_met", "unknown"]}, "done": {"type": "integer"},
                        "needed": {"type": "integer"}, "requirements": {"type": "array"}}}}},
            },
        },
        "paths": {
            "/oauth/token": {"post": {
                "summary": "Client credentials grant (client secret or private_key_jwt)",
                "requestBody": {"content": {"application/x-www-form-urlencoded": {"schema": {
                    "type": "object", "required": ["grant_type"],
                    "properties": {"grant_type": {"const": "client_credentials"}, "scope": {"type": "string"},
                                   "client_id": {"type": "string"}, "client_secret": {"type": "string"},
                                   "client_assertion_type": {"type": "string"},
                                   "client_assertion": {"type": "string"}}}}}},
                "responses": {"200": _json({"type": "object", "properties": {
                    "access_token": {"type": "string"}, "token_type": {"const": "Bearer"},
                    "expires_in": {"type": "integer"}, "scope": {"type": "string"}}}, "A bearer token"),
                    "400": _json(ERROR, "Bad request or scope"), "401": _json(ERROR, "Unknown client")}}},
            "/facts": {"post": {
                "summary": "Record facts about learners in courses (each fact on its own)",
                "security": [{"oauth2": ["facts:write"]}, {"signedJwt": []}],
                "requestBody": {"required": True, "content": {"application/json": {"schema": {
                    "type": "object", "required": ["facts"], "properties": {"facts": {
                        "type": "array", "minItems": 1, "maxItems": 1000,
                        "items": {"$ref": "#/components/schemas/Fact"}}}}}}},
                "responses": {"200": _json({"type": "object", "properties": {"results": {
                    "type": "array", "items": {"$ref": "#/components/schemas/FactResult"}}}}, "All taken"),
                    "207": _json({"type": "object"}, "Some facts rejected, each with its reason"),
                    "400": _json(ERROR, "Not a list of facts"), "413": _json(ERROR, "Body over 2 MiB"),
                    "415": _json(ERROR, "Not JSON"), **errors}}},
            "/courses/{context_id}/badges": {"get": {
                "summary": "The course's badges with their criteria",
                "security": [{"oauth2": ["badges:read"]}, {"signedJwt": []}],
                "parameters": [{"name": "context_id", "in": "path", "required": True, "schema": {"type": "string"}}],
                "responses": {"200": _json({"type": "object"}, "Badges"), **errors}}},
            "/courses/{context_id}/learners/{sub}/badges": {"get": {
                "summary": "Where one learner stands with each badge of the course",
                "security": [{"oauth2": ["badges:read"]}, {"signedJwt": []}],
                "parameters": [{"name": "context_id", "in": "path", "required": True, "schema": {"type": "string"}},
                               {"name": "sub", "in": "path", "required": True, "schema": {"type": "string"}}],
                "responses": {"200": _json({"type": "object", "properties": {"badges": {
                    "type": "array", "items": {"$ref": "#/components/schemas/LearnerBadge"}}}}, "Badges"),
                    **errors}}},
            "/verify": {"post": {"summary": "Verify a credential (JSON, JWT, baked PNG or SVG); public",
                                 "responses": {"200": _json({"type": "object"}, "The checks")}}},
        },
    }
