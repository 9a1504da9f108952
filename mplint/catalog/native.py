"""The native flavour of StackQL's `aws` provider (`aws.*` from v26.07): resources, methods, members, columns.

Bundled as mplint/data/aws-native.zip by scripts/gen_native_catalog.py, one member per service, read and
parsed only when a resource of that service is asked for. Everything returned is cached and shared: treat it
as read-only. In the native flavour each StackQL method is one AWS API operation: its request members are the
INSERT columns, SET targets, WHERE keys and `@` EXEC arguments; its response fields (snake_case) are the
SELECT and RETURNING columns; `region` is the server variable, never a member.

Stable API (other modules build on it; extend, do not rename):

    catalog = default_native_catalog()             # or NativeCatalog(zip_path)
    catalog.meta                                   # provenance: registry repo, commit, date, extract sha256
    catalog.services() -> list[str]                # service keys ("sagemaker", "ec2", ...), no service loaded
    catalog.resource_names("ec2") -> list[str]     # resource names of a service, no service loaded
    catalog.service("iam") -> Service | None
    catalog.resource("aws.ec2.security_groups") -> Resource | None
    catalog.iam -> IamTable                        # the IAM action rule's exceptions

    Service:  key, name (serviceName: sigv4 signing name, the usual IAM prefix), protocol (json | rest-json |
              rest-xml | query | ec2), target_prefix, endpoint_prefix, api_version, url, region_default,
              is_global (the URL has no {region}), rebuilt (ec2: from botocore, not the registry),
              resource_names, resource(name), definitions (every shape as JSON Schema, converted once)
    Resource: id, name, service, methods {name: Method}, verbs {verb: (method names in routing order)},
              complete (the method list is StackQL's whole list), grouping ("registry" | "docs" | "hint"),
              certain (grouping is not a guess), bucket(verb) -> tuple[Method], route(verb, supplied) -> Method,
              routing(verb, names as written) -> Routing, method(name)
    Routing:  verb, method (what StackQL runs, None: no method's required params are all supplied), read (the
              method names are read against), members {name: Param | None}, supplied, missing(method, strict)
    Method:   name, op (AWS operation), verbs, params {wire name: Param}, required (StackQL's routing view),
              aws_required_extra (members AWS requires that StackQL does not), all_required, body_required,
              response (Response | None), pagination (Pagination | None), http ((METHOD, path) | None),
              param(name) -> Param | None (wire name, or a snake_case alias re-cased as StackQL does),
              schema (the request as one JSON Schema object, for catalog.validator)
    Param:    name, location (body | query | path | header), schema (JSON Schema)
    Response: columns {snake column: Column(name, native, type)}, object_key, transform, known (the columns
              are the item's fields, not none and not the whole response as one `line_items` column)
    IamTable: rule, catalog, measured, prefix(service_key), http_verb(service_key), no_iam(service_key),
              actions(service_key, op)

Verbs: "select", "insert", "update", "replace", "delete" (VERBS). A method in no bucket is reachable only by
`EXEC aws.<service>.<resource>.<method>`. Within a bucket StackQL takes the first method whose `required`
params are all supplied (`route`).
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterable
from functools import cached_property, lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

from msgspec import Struct

if TYPE_CHECKING:
    import zipfile

DATA_DIR = Path(__file__).resolve().parent.parent / "data"
NATIVE_ZIP = DATA_DIR / "aws-native.zip"
VERBS = ("select", "insert", "update", "replace", "delete")
PROVIDER = "aws"
REGION = "region"  # the server variable accepted by every method
SELF_COLUMN = "line_items"  # the column of a response the generator could not split into fields
_RESERVED = ("_meta", "_index", "_iam")
_NUMERIC = frozenset({"minimum", "maximum", "minLength", "maxLength", "minItems", "maxItems"})

Schema = dict[str, Any]


def pascal(snake: str) -> str:
    """StackQL's re-casing of a snake_case key: `vpc_id` -> `VpcId`, `ipv_6_cidr_block` -> `Ipv6CidrBlock`.

    Lossy for acronyms (`aws_service_name` -> `AwsServiceName`, not `AWSServiceName`), as in StackQL.
    """
    return "".join(part[:1].upper() + part[1:] for part in snake.split("_"))


def to_json_schema(shape: Any) -> Any:
    """One compact shape as JSON Schema: `$ref` names point into `definitions`; a structure with members
    allows no others (a map or an empty structure has no members listed and allows any key)."""
    if isinstance(shape, list):
        return [to_json_schema(item) for item in shape]
    if not isinstance(shape, dict):
        return shape
    out = {}
    for key, value in shape.items():
        if key == "$ref" and isinstance(value, str):
            out[key] = f"#/definitions/{value}"
        elif key == "properties" and isinstance(value, dict):
            out[key] = {name: to_json_schema(sub) for name, sub in value.items()}
        elif key in _NUMERIC and not isinstance(value, (int, float)):
            number = _number(value)  # the source has a bound written as text ("1e-7")
            if number is not None:
                out[key] = number
        else:
            out[key] = to_json_schema(value)
    if out.get("type") == "object" and out.get("properties"):
        out["additionalProperties"] = False
    return out


def _number(value: Any) -> float | None:
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


class Param(NamedTuple):
    name: str  # as StackQL accepts it: PascalCase wire member, snake_case path param, raw header name
    location: str  # body | query | path | header
    schema: Schema


class Column(NamedTuple):
    name: str  # snake_case column
    native: str  # the response field
    type: str


class Token(NamedTuple):
    key: str
    location: str


class Pagination(NamedTuple):
    request_token: Token | None
    response_token: Token | None


class Response(NamedTuple):
    columns: dict[str, Column]
    object_key: str | None = None
    transform: Any = None

    @property
    def known(self) -> bool:
        """The columns are the item's fields: not none, and not only the whole response as `line_items`."""
        return bool(self.columns) and set(self.columns) != {SELF_COLUMN}


class Method(Struct, eq=False, dict=True, weakref=True):  # cached properties; a weak key in context.py
    """One StackQL method: its AWS operation, verbs, params, required members, response and HTTP route."""

    name: str
    op: str
    verbs: tuple[str, ...]
    params: dict[str, Param]
    required: tuple[str, ...]
    aws_required_extra: tuple[str, ...]
    body_required: bool
    response: Response | None
    pagination: Pagination | None
    http: tuple[str, str] | None
    service: Service
    _lower: dict[str, str] | None = None

    @property
    def all_required(self) -> tuple[str, ...]:
        """What the call needs to succeed: StackQL's required params, then the ones only AWS requires."""
        return self.required + tuple(m for m in self.aws_required_extra if m not in self.required)

    @property
    def columns(self) -> dict[str, Column]:
        return self.response.columns if self.response else {}

    def param(self, name: str) -> Param | None:
        """The param a column, SET target, WHERE key or `@` argument names: exact, else re-cased snake_case."""
        found = self.params.get(name)
        if found is None and name.islower():
            found = self.params.get(pascal(name))
        return found

    def similar(self, name: str) -> str | None:
        """A param spelled like ``name`` up to case and underscores (`aws_service_name` -> `AWSServiceName`)."""
        if self._lower is None:
            self._lower = {p.replace("_", "").replace("-", "").lower(): p for p in self.params}
        return self._lower.get(name.replace("_", "").replace("-", "").lower())

    @cached_property
    def schema(self) -> Schema:
        """The request as a JSON Schema object: one property per param, the service's shapes as definitions."""
        return {
            "type": "object",
            "properties": {name: param.schema for name, param in self.params.items()},
            "additionalProperties": False,
            "definitions": self.service.definitions,
        }


def _knows(method: Method, names: list[str]) -> tuple[int, int]:
    """How many of ``names`` the method takes, exactly and up to case and underscores."""
    return sum(method.param(n) is not None for n in names), sum(method.similar(n) is not None for n in names)


class Routing(NamedTuple):
    """Which method a statement reaches and which member each of its names is (a tuple: cheap to define)."""

    verb: str
    method: Method | None  # the method StackQL runs: the first in the bucket whose required params are supplied
    read: Method | None  # the method names are read against: ``method``, else the one that knows most of them
    members: dict[str, Param | None]  # name as written -> the member of ``read`` (None: not a member)
    supplied: frozenset[str]  # the wire names the statement supplies

    def missing(self, method: Method, strict: bool = False) -> tuple[str, ...]:
        """The required members of ``method`` not supplied (``strict``: also those only AWS requires)."""
        needed = method.all_required if strict else method.required
        return tuple(m for m in needed if m not in self.supplied)


class Resource(Struct, eq=False, dict=True):  # cached properties
    """One native `aws.<service>.<resource>`: its methods, and for each verb the methods in routing order."""

    id: str  # aws.<service>.<resource>
    name: str
    service: Service
    methods: dict[str, Method]
    verbs: dict[str, tuple[str, ...]]  # verb -> method names in StackQL's routing order
    complete: bool  # the method list is StackQL's whole list
    grouping: str  # registry | docs | hint

    @property
    def certain(self) -> bool:
        """Which operations belong to this resource is known, not guessed from the operation's name."""
        return self.grouping != "hint"

    def method(self, name: str) -> Method | None:
        return self.methods.get(name)

    def bucket(self, verb: str) -> tuple[Method, ...]:
        return tuple(self.methods[name] for name in self.verbs.get(verb, ()))

    def route(self, verb: str, supplied: set[str] | frozenset[str]) -> Method | None:
        """The method StackQL runs for ``verb`` given the supplied params (wire names): the first in the bucket
        whose required params are all supplied, else None."""
        return next((m for m in self.bucket(verb) if set(m.required) <= supplied), None)

    def routing(self, verb: str, names: Iterable[str]) -> Routing:
        """StackQL's choice for a statement with ``verb`` that names ``names`` (as written, `region` left out)."""
        candidates = self.bucket(verb)
        written = [n for n in names if n.lower() != REGION]
        supplied: set[str] = set()
        for name in written:
            param = next((p for m in candidates if (p := m.param(name)) is not None), None)
            if param is not None:
                supplied.add(param.name)
        routed = self.route(verb, supplied)
        read = routed or max(candidates, key=lambda m: _knows(m, written), default=None)
        members = {name: read.param(name) if read else None for name in written}
        return Routing(verb, routed, read, members, frozenset(supplied))


class Service:
    """One service member of the bundle; its resources are built on first use."""

    def __init__(self, key: str, data: dict[str, Any]) -> None:
        info = data.get("info", {})
        self.key = key
        self.name: str = info.get("serviceName", key)
        self.protocol: str = info.get("protocol", "")
        self.target_prefix: str | None = info.get("targetPrefix")
        self.endpoint_prefix: str | None = info.get("endpointPrefix")
        self.api_version: str | None = info.get("apiVersion")
        self.title: str | None = info.get("title")
        self.url: str = info.get("url", "")
        self.region_default: str = info.get("regionDefault", "us-east-1")
        self.rebuilt = any(r.get("grouping") != "registry" for r in data.get("resources", {}).values())
        self._raw_resources: dict[str, dict] = data.get("resources", {})
        self._shapes: dict[str, Any] = data.get("shapes", {})
        self._resources: dict[str, Resource] = {}

    @property
    def is_global(self) -> bool:
        """One endpoint for every region (IAM, ...): the `region` variable does not choose where it acts."""
        return "{region}" not in self.url

    @property
    def resource_names(self) -> list[str]:
        return sorted(self._raw_resources)

    @cached_property
    def definitions(self) -> dict[str, Schema]:
        return {name: to_json_schema(shape) for name, shape in self._shapes.items()}

    def resource(self, name: str) -> Resource | None:
        if name not in self._resources:
            raw = self._raw_resources.get(name)
            if raw is None:
                return None
            self._resources[name] = self._build(name, raw)
        return self._resources[name]

    def _build(self, name: str, raw: dict[str, Any]) -> Resource:
        methods = {m: self._method(m, spec) for m, spec in sorted(raw.get("methods", {}).items())}
        verbs = {v: tuple(raw.get("sqlVerbs", {}).get(v, ())) for v in VERBS if raw.get("sqlVerbs", {}).get(v)}
        return Resource(
            id=raw.get("id", f"{PROVIDER}.{self.key}.{name}"),
            name=name,
            service=self,
            methods=methods,
            verbs=verbs,
            complete=bool(raw.get("complete", True)),
            grouping=raw.get("grouping", "registry"),
        )

    def _method(self, name: str, spec: dict[str, Any]) -> Method:
        params = {
            pname: Param(pname, p.get("in", "body"), to_json_schema({k: v for k, v in p.items() if k != "in"}))
            for pname, p in spec.get("params", {}).items()
        }
        http = spec.get("http")
        return Method(
            name=name,
            op=spec.get("op", ""),
            verbs=tuple(spec.get("verbs", ())),
            params=params,
            required=tuple(spec.get("required", ())),
            aws_required_extra=tuple(spec.get("awsRequiredExtra", ())),
            body_required=bool(spec.get("bodyRequired", False)),
            response=_response(spec.get("response")),
            pagination=_pagination(spec.get("pagination")),
            http=(http[0], http[1]) if isinstance(http, list) and len(http) == 2 else None,
            service=self,
        )


def _response(raw: Any) -> Response | None:
    if not isinstance(raw, dict):
        return None
    columns = {snake: Column(snake, spec[0], spec[1]) for snake, spec in sorted(raw.get("columns", {}).items())}
    return Response(columns, raw.get("objectKey"), raw.get("transform"))


def _pagination(raw: Any) -> Pagination | None:
    if not isinstance(raw, dict):
        return None

    def token(part: Any) -> Token | None:
        return Token(part.get("key", ""), part.get("location", "")) if isinstance(part, dict) else None

    return Pagination(token(raw.get("requestToken")), token(raw.get("responseToken")))


class IamTable:
    """The IAM action rule (`<prefix>:<Operation>`) and its measured exceptions, keyed by service key."""

    def __init__(self, data: dict[str, Any]) -> None:
        self.rule: str = data.get("rule", "")
        self.catalog: dict[str, Any] = data.get("catalog", {})
        self.measured: dict[str, Any] = data.get("measured", {})
        self._prefix: dict[str, str] = data.get("prefix", {})
        self._http_verb: dict[str, str] = data.get("http_verb", {})
        self._no_iam: dict[str, str] = data.get("no_iam", {})
        self._actions: dict[str, dict[str, list[str]]] = data.get("actions", {})

    def prefix(self, service: str, default: str | None = None) -> str:
        """The IAM prefix of a service key: the table's exception, else ``default`` (the serviceName)."""
        return self._prefix.get(service) or default or service

    def http_verb(self, service: str) -> bool:
        """Actions of this service are `<prefix>:<HTTP method>` (apigateway)."""
        return service in self._http_verb

    def no_iam(self, service: str) -> str | None:
        """Why the service's calls are not authorised by IAM actions, or None."""
        return self._no_iam.get(service)

    def actions(self, service: str, op: str) -> tuple[str, ...] | None:
        """The listed actions for an operation that does not follow the rule, or None."""
        found = self._actions.get(service, {}).get(op)
        return tuple(found) if found is not None else None


class NativeCatalog:
    """Lazy access to the bundle: the zip is opened on first use, each service parsed when first asked for."""

    def __init__(self, zip_path: Path = NATIVE_ZIP) -> None:
        self._zip_path = Path(zip_path)
        self._zip: zipfile.ZipFile | None = None
        self._lock = threading.Lock()
        self._services: dict[str, Service | None] = {}
        self._index: dict[str, list[str]] | None = None
        self._meta: dict[str, Any] | None = None
        self._iam: IamTable | None = None

    def _read(self, member: str) -> Any | None:
        with self._lock:
            if self._zip is None:
                import zipfile  # deferred: a plain import of this module stays cheap

                self._zip = zipfile.ZipFile(self._zip_path)
            try:
                raw = self._zip.read(member)
            except KeyError:
                return None
        return json.loads(raw)

    @property
    def meta(self) -> dict[str, Any]:
        """Provenance: source, repo, commit, commit_date, extract_sha256, services, resources, methods."""
        if self._meta is None:
            sidecar = self._zip_path.with_name(self._zip_path.name.replace(".zip", ".meta.json"))
            if sidecar.is_file():
                self._meta = json.loads(sidecar.read_text(encoding="utf-8"))
            else:
                self._meta = self._read("_meta.json") or {}
        return self._meta

    def _index_data(self) -> dict[str, list[str]]:
        if self._index is None:
            self._index = self._read("_index.json") or {}
        return self._index

    def services(self) -> list[str]:
        return sorted(self._index_data())

    def resource_names(self, service: str) -> list[str]:
        return list(self._index_data().get(service, ()))

    def service(self, key: str) -> Service | None:
        if key in _RESERVED or not key or "/" in key:
            return None
        if key not in self._services:
            raw = self._read(f"{key}.json")
            self._services[key] = Service(key, raw) if isinstance(raw, dict) else None
        return self._services[key]

    def resource(self, stackql_name: str) -> Resource | None:
        """`aws.<service>.<resource>` (case-insensitive, as StackQL reads names), or None."""
        parts = stackql_name.strip().lower().split(".")
        if len(parts) != 3 or parts[0] != PROVIDER:
            return None
        service = self.service(parts[1])
        return service.resource(parts[2]) if service else None

    @property
    def iam(self) -> IamTable:
        if self._iam is None:
            self._iam = IamTable(self._read("_iam.json") or {})
        return self._iam

    def close(self) -> None:
        with self._lock:
            if self._zip is not None:
                self._zip.close()
                self._zip = None


@lru_cache(maxsize=1)
def default_native_catalog() -> NativeCatalog:
    return NativeCatalog()
