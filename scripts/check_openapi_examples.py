"""Checks every `example` in openapi.yaml against the schema beside it.

openapi-spec-validator checks the document's structure but not that its examples obey their
own schemas; a wrong example misleads readers and client generators alike.
Run by scripts/validate-openapi.sh with the validator's virtual environment.
"""
import sys

import yaml
from jsonschema.validators import Draft202012Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

DOCUMENT_URI = "urn:nnserve:openapi"


def walk(node, path):
    """Yields (path, schema, example) for each media type or parameter with both."""
    if isinstance(node, dict):
        if "schema" in node and "example" in node:
            yield path, node["schema"], node["example"]
        for key, value in node.items():
            yield from walk(value, f"{path}/{key}")
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from walk(value, f"{path}/{index}")


def main(file_name):
    with open(file_name, encoding="utf-8") as handle:
        document = yaml.safe_load(handle)
    registry = Registry().with_resource(DOCUMENT_URI, Resource.from_contents(document, default_specification=DRAFT202012))
    failures = 0
    checked = 0
    for path, schema, example in walk(document, "#"):
        if not isinstance(schema, dict):
            continue
        # Local references resolve against the whole document, registered under one URI.
        root = {"$ref": DOCUMENT_URI + schema["$ref"]} if "$ref" in schema else schema
        validator = Draft202012Validator(root, registry=registry)
        checked += 1
        for error in validator.iter_errors(example):
            failures += 1
            print(f"{path}: {error.message} at {list(error.absolute_path)}", file=sys.stderr)
    print(f"examples checked: {checked}, failures: {failures}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1] if len(sys.argv) > 1 else "openapi.yaml"))
