#!/usr/bin/env python3
"""Offline checks of what `hedge azure template` writes, against the resource models of the Azure SDK
for Python (azure-mgmt-network, azure-mgmt-compute: pinned releases that scripts/install-azure-sdk
puts into a venv; run this script with that venv's python).

  validate_arm.py models TEMPLATE [PARAMETERS...]
      The template's skeleton (deploymentTemplate 2019-04-01: top-level keys, parameter types,
      every parameters()/variables() reference and every dependsOn resolving), then each resource
      against the SDK model of its type, from the models of the SDK's API version equal to the
      resource's apiVersion. Strictly: a key the model does not know fails at any depth, a string
      outside the model's enum fails, a required field missing fails, and so does a read-only one
      set. An ARM expression ("[...]") stands for any value; a bare [parameters('p')] is checked
      through p's defaultValue and allowedValues. PARAMETERS files: deploymentParameters 2015-01-01,
      each name declared by the template (or, for azure-er.parameters.json, by the quickstart).

  validate_arm.py joint TEMPLATE PARAMETERS QS_PARAMETERS HEDGE_FACTS [QUICKSTART_JSON]
      TEMPLATE beside the quickstart expressroute-private-peering-vnet, as quickstart_facts.json
      describes it (or as QUICKSTART_JSON, the real file, says): every resourceId in TEMPLATE names a
      resource one of the two creates; the address spaces agree with hedge's azure block; the
      primary and secondary /30s are those of hedge's ExpressRoute paths; the ASNs agree; the
      reflector sits in the VNet; no prefix the local network gateway carries is longer than one
      announced over ExpressRoute. HEDGE_FACTS: {"vnet", "gatewaySubnet", "expressRouteAnnounce",
      "localAS", "expressRouteLinks": [{"path", "priority", "neighbor", "gateway"}] in group order}.

  validate_arm.py facts QUICKSTART_JSON
      quickstart_facts.json against the real quickstart: every fact it states holds there.

Exit status 0 when everything holds; otherwise every problem is printed and the status is 1.
"""
import enum
import importlib
import importlib.metadata
import ipaddress
import json
import os
import re
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
FACTS = os.path.join(HERE, "quickstart_facts.json")

# Provider -> (SDK package, module, the release scripts/install-azure-sdk pins, the API version its
# top-level models are of). A multi-API release also carries older versions as module.vYYYY_MM_DD.
SDK = {
    "Microsoft.Network": ("azure-mgmt-network", "azure.mgmt.network", "30.2.0", "2025-05-01"),
    "Microsoft.Compute": ("azure-mgmt-compute", "azure.mgmt.compute", "37.2.0", "2025-04-01"),
}
MODELS = {
    "Microsoft.Network/virtualNetworkGateways": "VirtualNetworkGateway",
    "Microsoft.Network/localNetworkGateways": "LocalNetworkGateway",
    "Microsoft.Network/connections": "VirtualNetworkGatewayConnection",
    "Microsoft.Network/publicIPAddresses": "PublicIPAddress",
    "Microsoft.Network/networkSecurityGroups": "NetworkSecurityGroup",
    "Microsoft.Network/networkInterfaces": "NetworkInterface",
    "Microsoft.Compute/virtualMachines": "VirtualMachine",
}
# deploymentTemplate.json 2019-04-01: what a template, a parameter declaration, an output and a
# resource may hold besides what the resource's own model says.
TEMPLATE_KEYS = {"$schema", "contentVersion", "apiProfile", "parameters", "variables", "functions",
                 "resources", "outputs", "metadata"}
TEMPLATE_REQUIRED = {"$schema", "contentVersion", "resources"}
TEMPLATE_SCHEMA = "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#"
PARAMETERS_SCHEMA = "https://schema.management.azure.com/schemas/2015-01-01/deploymentParameters.json#"
PARAMETER_TYPES = {"string", "securestring", "int", "bool", "object", "secureObject", "array"}
PARAMETER_KEYS = {"type", "defaultValue", "allowedValues", "metadata", "minValue", "maxValue", "minLength", "maxLength"}
OUTPUT_KEYS = {"type", "value", "condition", "copy", "metadata"}
OUTPUT_TYPES = PARAMETER_TYPES
RESOURCE_META = {"type", "apiVersion", "name", "dependsOn", "condition", "comments", "copy", "scope"}

problems = []


def problem(msg):
    problems.append(msg)
    print("FAIL: " + msg)


def is_expr(v):
    return isinstance(v, str) and v.startswith("[") and not v.startswith("[[") and v.endswith("]")


# --- the SDK's models -----------------------------------------------------------------------------

def models_module(provider, api):
    package, module, pinned, top_api = SDK[provider]
    have = importlib.metadata.version(package)
    if have != pinned:
        problem("%s %s is installed, the validator is written for %s (scripts/install-azure-sdk)" % (package, have, pinned))
    try:
        return importlib.import_module("%s.v%s.models" % (module, api.replace("-", "_")))
    except ImportError:
        pass
    if api == top_api:
        return importlib.import_module(module + ".models")
    return None


class Model:
    """One SDK model class as a tree of ARM keys: its _attribute_map's flattened keys
    ('properties.gatewayType') split at the unescaped dots, each leaf with its msrest type, its
    enum (from the docstring's `:vartype name: str or ~...models.Enum`) and its _validation."""

    def __init__(self, mod, cls):
        self.mod, self.cls, self.tree = mod, cls, {}
        doc = cls.__doc__ or ""
        enums = {}
        for m in re.finditer(r":vartype (\w+):(.*?)(?=\n\s*:(?:ivar|vartype|keyword)|\Z)", doc, re.S):
            for name in re.findall(r"~azure\.mgmt\.\w+(?:\.v\w+)?\.models\.(\w+)", m.group(2)):
                e = getattr(mod, name, None)
                if isinstance(e, type) and issubclass(e, enum.Enum):
                    enums[m.group(1)] = e
        validation = getattr(cls, "_validation", {})
        for attr, spec in cls._attribute_map.items():
            path = [p.replace("\\.", ".") for p in re.split(r"(?<!\\)\.", spec["key"])]
            node = self.tree
            for p in path[:-1]:
                node = node.setdefault(p, {})
                if not isinstance(node, dict):
                    raise RuntimeError("%s: %s is both a leaf and a parent" % (cls.__name__, p))
            node[path[-1]] = Leaf(attr, spec["type"], enums.get(attr), validation.get(attr, {}))


class Leaf:
    def __init__(self, attr, type_, enum_, validation):
        self.attr, self.type, self.enum, self.validation = attr, type_, enum_, validation


class ModelChecker:
    def __init__(self, template, what):
        self.template, self.what = template, what
        self.params = template.get("parameters", {})
        self.cache = {}

    def model(self, mod, name):
        key = (mod.__name__, name)
        if key not in self.cache:
            cls = getattr(mod, name, None)
            self.cache[key] = Model(mod, cls) if cls is not None and hasattr(cls, "_attribute_map") else None
        return self.cache[key]

    def resource(self, r):
        t, api = r.get("type"), r.get("apiVersion")
        where = "%s: %s %s" % (self.what, t, r.get("name"))
        if t not in MODELS:
            problem("%s: no SDK model is mapped for this type" % where)
            return
        mod = models_module(t.split("/")[0], api)
        if mod is None:
            problem("%s: apiVersion %s is not among the installed SDK's (%s)" % (where, api, SDK[t.split("/")[0]][3]))
            return
        m = self.model(mod, MODELS[t])
        self.node(mod, m, m.tree, r, where, top=True)

    def node(self, mod, m, tree, obj, where, top=False):
        if is_expr(obj):
            return
        if not isinstance(obj, dict):
            problem("%s: an object (%s) was expected, got %r" % (where, m.cls.__name__, obj))
            return
        for k, v in obj.items():
            if top and k in RESOURCE_META and k not in ("type", "name"):
                continue
            sub = tree.get(k)
            if sub is None:
                problem("%s: unknown key %r (%s has no such field)" % (where, k, m.cls.__name__))
            elif isinstance(sub, dict):
                self.node(mod, m, sub, v, "%s/%s" % (where, k))
            elif not (top and k in ("name", "type")):
                self.leaf(mod, sub, v, "%s/%s" % (where, k))
        self.required(m, tree, obj, where)

    def required(self, m, tree, obj, where):
        for k, sub in tree.items():
            if isinstance(sub, Leaf) and sub.validation.get("required") and k not in obj:
                problem("%s: %s requires %r" % (where, m.cls.__name__, k))
            elif isinstance(sub, dict) and k not in obj and self.any_required(sub):
                problem("%s: %s requires %r (a required field is in it)" % (where, m.cls.__name__, k))

    def any_required(self, tree):
        return any(s.validation.get("required") if isinstance(s, Leaf) else self.any_required(s) for s in tree.values())

    def leaf(self, mod, leaf, v, where):
        if leaf.validation.get("readonly"):
            problem("%s: read-only (%s): Azure sets it" % (where, leaf.attr))
            return
        self.typed(mod, leaf.type, leaf, v, where)

    def candidates(self, v):
        """The values an expression may take, where they are known: a bare [parameters('p')]
        takes p's default and allowed values."""
        m = re.fullmatch(r"\[parameters\('(\w+)'\)\]", v) if isinstance(v, str) else None
        if not m:
            return None
        p = self.params.get(m.group(1), {})
        out = list(p.get("allowedValues", []))
        if "defaultValue" in p and not is_expr(p["defaultValue"]):
            out.append(p["defaultValue"])
        return out

    def typed(self, mod, t, leaf, v, where):
        if is_expr(v):
            for c in self.candidates(v) or []:
                self.typed(mod, t, leaf, c, "%s (through %s)" % (where, v))
            return
        if t.startswith("[") and t.endswith("]"):
            if not isinstance(v, list):
                problem("%s: a list (%s) was expected, got %r" % (where, t, v))
                return
            for i, x in enumerate(v):
                self.typed(mod, t[1:-1], leaf, x, "%s[%d]" % (where, i))
        elif t.startswith("{") and t.endswith("}"):
            if not isinstance(v, dict):
                problem("%s: a map (%s) was expected, got %r" % (where, t, v))
                return
            for k, x in v.items():
                self.typed(mod, t[1:-1], leaf, x, "%s/%s" % (where, k))
        elif t in ("str", "iso-8601", "rfc-1123", "duration", "date", "bytearray", "base64", "time"):
            if not isinstance(v, str):
                problem("%s: a string was expected, got %r" % (where, v))
            elif leaf is not None and leaf.enum is not None and v not in [e.value for e in leaf.enum]:
                problem("%s: %r is not a %s (%s)" % (where, v, leaf.enum.__name__, ", ".join(e.value for e in leaf.enum)))
            elif leaf is not None:
                self.bounds(leaf, v, where)
        elif t in ("int", "long", "unix-time"):
            if not isinstance(v, int) or isinstance(v, bool):
                problem("%s: an integer was expected, got %r" % (where, v))
            elif leaf is not None:
                self.bounds(leaf, v, where)
        elif t in ("float", "decimal"):
            if not isinstance(v, (int, float)) or isinstance(v, bool):
                problem("%s: a number was expected, got %r" % (where, v))
        elif t == "bool":
            if not isinstance(v, bool):
                problem("%s: true or false was expected, got %r" % (where, v))
        elif t == "object":
            pass
        else:
            sub = self.model(mod, t)
            if sub is None:
                problem("%s: the SDK has no model %s" % (where, t))
            else:
                self.node(mod, sub, sub.tree, v, where)

    def bounds(self, leaf, v, where):
        val = leaf.validation
        if "maximum" in val and v > val["maximum"] or "minimum" in val and v < val["minimum"]:
            problem("%s: %r is outside %s..%s" % (where, v, val.get("minimum"), val.get("maximum")))
        if isinstance(v, str):
            if "max_length" in val and len(v) > val["max_length"] or "min_length" in val and len(v) < val["min_length"]:
                problem("%s: %r has a length outside %s..%s" % (where, v, val.get("min_length"), val.get("max_length")))
            if "pattern" in val and not re.search(val["pattern"], v):
                problem("%s: %r does not match %s" % (where, v, val["pattern"]))


# --- the template's skeleton ------------------------------------------------------------------------

def walk_strings(o, f, path=""):
    if isinstance(o, dict):
        for k, v in o.items():
            walk_strings(v, f, path + "/" + k)
    elif isinstance(o, list):
        for i, v in enumerate(o):
            walk_strings(v, f, "%s[%d]" % (path, i))
    elif isinstance(o, str):
        f(o, path)


def skeleton(t, what):
    if not isinstance(t, dict):
        problem("%s: not a JSON object" % what)
        return
    for k in t:
        if k not in TEMPLATE_KEYS:
            problem("%s: unknown top-level key %r" % (what, k))
    for k in TEMPLATE_REQUIRED - set(t):
        problem("%s: no %r" % (what, k))
    if t.get("$schema") != TEMPLATE_SCHEMA:
        problem("%s: $schema %r is not deploymentTemplate 2019-04-01" % (what, t.get("$schema")))
    if not re.fullmatch(r"\d+\.\d+\.\d+\.\d+", str(t.get("contentVersion", ""))):
        problem("%s: contentVersion %r is not n.n.n.n" % (what, t.get("contentVersion")))
    params, variables = t.get("parameters", {}), t.get("variables", {})
    for name, p in params.items():
        for k in p:
            if k not in PARAMETER_KEYS:
                problem("%s: parameter %s: unknown key %r" % (what, name, k))
        if p.get("type") not in PARAMETER_TYPES:
            problem("%s: parameter %s: type %r is not one of %s" % (what, name, p.get("type"), sorted(PARAMETER_TYPES)))
        if "defaultValue" in p and not is_expr(p["defaultValue"]):
            check_type(p["type"], p["defaultValue"], "%s: parameter %s: defaultValue" % (what, name))
        for a in p.get("allowedValues", []):
            check_type(p["type"], a, "%s: parameter %s: allowedValues" % (what, name))
        if "allowedValues" in p and "defaultValue" in p and p["defaultValue"] not in p["allowedValues"]:
            problem("%s: parameter %s: default %r is not among its allowedValues" % (what, name, p["defaultValue"]))
        if p.get("type") in ("securestring", "secureObject") and "defaultValue" in p:
            problem("%s: parameter %s: a secure parameter with a default value" % (what, name))
    for name, o in t.get("outputs", {}).items():
        for k in o:
            if k not in OUTPUT_KEYS:
                problem("%s: output %s: unknown key %r" % (what, name, k))
        if o.get("type") not in OUTPUT_TYPES:
            problem("%s: output %s: type %r" % (what, name, o.get("type")))

    def refs(s, path):
        if not is_expr(s):
            return
        for name in re.findall(r"\bparameters\('([^']*)'\)", s):
            if name not in params:
                problem("%s: %s: parameters('%s') is not declared" % (what, path, name))
        for name in re.findall(r"\bvariables\('([^']*)'\)", s):
            if name not in variables:
                problem("%s: %s: variables('%s') is not declared" % (what, path, name))
    walk_strings(t, refs)

    ev = Evaluator(t, {})
    ids = {}
    for r in t.get("resources", []):
        for k in ("type", "apiVersion", "name"):
            if k not in r:
                problem("%s: a resource without %r" % (what, k))
        ids[(r.get("type"), tuple(str(ev.value(r.get("name"))).split("/")))] = r
    for r in t.get("resources", []):
        for d in r.get("dependsOn", []):
            ev.resource_ids = []
            v = ev.value(d)
            found = [x for x in ev.resource_ids if x in ids]
            if not found and not any(str(ev.value(o.get("name"))) == v for o in t.get("resources", [])):
                problem("%s: %s %s: dependsOn %r names no resource of this template" % (what, r.get("type"), r.get("name"), d))


def check_type(t, v, what):
    ok = {"string": str, "securestring": str, "int": int, "bool": bool, "object": dict, "secureObject": dict,
          "array": list}.get(t)
    if ok is not None and (not isinstance(v, ok) or (ok is int and isinstance(v, bool))):
        problem("%s: %r is not of type %s" % (what, v, t))


def parameters_file(path, declared, what_declares):
    with open(path) as f:
        p = json.load(f)
    for k in p:
        if k not in ("$schema", "contentVersion", "parameters"):
            problem("%s: unknown top-level key %r" % (path, k))
    if p.get("$schema") != PARAMETERS_SCHEMA:
        problem("%s: $schema %r is not deploymentParameters 2015-01-01" % (path, p.get("$schema")))
    if not re.fullmatch(r"\d+\.\d+\.\d+\.\d+", str(p.get("contentVersion", ""))):
        problem("%s: contentVersion %r" % (path, p.get("contentVersion")))
    for name, v in p.get("parameters", {}).items():
        if not isinstance(v, dict) or set(v) - {"value", "reference", "metadata"} or ("value" in v) == ("reference" in v):
            problem("%s: parameter %s: must hold one of value or reference, got %r" % (path, name, v))
            continue
        if name not in declared:
            problem("%s: parameter %s is not one %s declares" % (path, name, what_declares))
        elif "value" in v:
            check_type(declared[name], v["value"], "%s: parameter %s" % (path, name))


def models_check(template_path, parameter_paths):
    with open(template_path) as f:
        t = json.load(f)
    skeleton(t, template_path)
    mc = ModelChecker(t, template_path)
    for r in t.get("resources", []):
        mc.resource(r)
    ours = {k: v.get("type") for k, v in t.get("parameters", {}).items()}
    qs = load_facts()
    theirs = {k: "int" if isinstance(v, int) else "string" for k, v in qs["parameters"].items()}
    for p in parameter_paths:
        if os.path.basename(p) == "azure-er.parameters.json":
            parameters_file(p, theirs, "the quickstart")
        else:
            parameters_file(p, ours, "the template")


# --- ARM expressions: a small evaluator of the functions these templates use ----------------------

TOKEN = re.compile(r"\s*(?:(?P<str>'(?:[^']|'')*')|(?P<num>-?\d+)|(?P<name>[A-Za-z_][A-Za-z0-9_]*)|(?P<p>[(),.\[\]]))")


class Opaque:
    """A value known only at deployment (reference(), a location)."""
    def __init__(self, what):
        self.what = what

    def __repr__(self):
        return "<%s>" % self.what


class Evaluator:
    def __init__(self, template, values, symbolic=False):
        self.template = template
        self.params = {}
        self.symbolic = symbolic
        for k, p in template.get("parameters", {}).items():
            if symbolic:
                self.params[k] = "\x00%s\x00" % k
            else:
                self.params[k] = values.get(k, p.get("defaultValue", Opaque("parameter " + k)))
        self.resource_ids = []   # (type, (names...)) of every resourceId() evaluated

    def value(self, v):
        if is_expr(v):
            return self.expr(v[1:-1])
        return v

    def expr(self, text):
        self.toks = [m for m in TOKEN.finditer(text)]
        self.i = 0
        v = self.parse()
        if self.i != len(self.toks):
            raise ValueError("trailing tokens in " + text)
        return v

    def peek(self):
        return self.toks[self.i] if self.i < len(self.toks) else None

    def take(self):
        t = self.toks[self.i]
        self.i += 1
        return t

    def parse(self):
        t = self.take()
        if t.group("str") is not None:
            v = t.group("str")[1:-1].replace("''", "'")
        elif t.group("num") is not None:
            v = int(t.group("num"))
        elif t.group("name") is not None:
            name = t.group("name")
            assert self.take().group("p") == "("
            args = []
            while self.peek().group("p") != ")":
                args.append(self.parse())
                if self.peek().group("p") == ",":
                    self.take()
            self.take()
            v = self.call(name, args)
        else:
            raise ValueError("unexpected " + t.group(0))
        while self.peek() is not None and self.peek().group("p") in (".", "["):
            if self.take().group("p") == ".":
                prop = self.take().group("name")
                v = v.get(prop, Opaque(prop)) if isinstance(v, dict) else Opaque("%r.%s" % (v, prop))
            else:
                idx = self.parse()
                self.take()
                v = Opaque("%r[%r]" % (v, idx))
        return v

    def call(self, name, a):
        if name == "parameters":
            return self.params.get(a[0], Opaque("missing parameter " + a[0]))
        if name == "variables":
            if self.symbolic:
                return "\x01"   # a variable's value: no parameter's name alone
            return self.value(self.template.get("variables", {}).get(a[0]))
        if name == "format":
            return re.sub(r"\{(\d+)\}", lambda m: str(a[1 + int(m.group(1))]), a[0])
        if name == "concat":
            return "".join(str(x) for x in a)
        if name == "resourceId":
            self.resource_ids.append((a[0], tuple(str(x) for x in a[1:])))
            return "/providers/%s/%s" % (a[0], "/".join(str(x) for x in a[1:]))
        if name == "resourceGroup":
            return {"location": Opaque("location")}
        if name == "if":
            # Both branches are read: a guard's resourceId must resolve whichever way it goes.
            return a[2] if isinstance(a[1], str) and not a[1].startswith("/providers/") else a[1]
        return Opaque(name + "()")


# --- the quickstart as facts --------------------------------------------------------------------------

def load_facts():
    with open(FACTS) as f:
        return json.load(f)


def facts_from_template(path):
    """The facts quickstart_facts.json states, read off the real quickstart template."""
    with open(path) as f:
        t = json.load(f)
    ev = Evaluator(t, {}, symbolic=True)

    def part(s):
        m = re.fullmatch("\x00(\\w+)\x00", s)
        if m:
            return m.group(1)
        return "?" if ("\x00" in s or "\x01" in s) else "'" + s

    out = {"parameters": {k: p.get("defaultValue") for k, p in t.get("parameters", {}).items()}, "resources": []}
    for r in t.get("resources", []):
        props = r.get("properties", {})
        f = {"type": r["type"], "name": [part(x) for x in str(ev.value(r["name"])).split("/")]}
        if "peeringType" in props:
            f["peeringType"] = props["peeringType"]
            f["uses"] = {k: part(str(ev.value(v))) for k, v in props.items() if is_expr(v)}
        if "gatewayType" in props:
            f["gatewayType"] = props["gatewayType"]
        if r["type"] == "Microsoft.Network/virtualNetworks":
            f["addressPrefixes"] = [part(str(ev.value(x))) for x in props.get("addressSpace", {}).get("addressPrefixes", [])]
            f["subnets"] = {part(str(ev.value(s["name"]))): part(str(ev.value(s["properties"]["addressPrefix"])))
                            for s in props.get("subnets", [])}
        out["resources"].append(f)
    return out


def facts_check(qs_path):
    """Every fact in quickstart_facts.json holds in the real file."""
    ours, real = load_facts(), facts_from_template(qs_path)
    for k, v in ours["parameters"].items():
        if k not in real["parameters"]:
            problem("facts: the quickstart has no parameter %s" % k)
        elif real["parameters"][k] != v:
            problem("facts: parameter %s defaults to %r there, %r here" % (k, real["parameters"][k], v))
    for f in ours["resources"]:
        match = [r for r in real["resources"] if r["type"] == f["type"]]
        if not match:
            problem("facts: the quickstart creates no %s" % f["type"])
            continue
        ok = [r for r in match if all(r.get(k) == f[k] for k in f if k != "name")
              and (f["name"] == ["?"] or r["name"] == f["name"])]
        if not ok:
            problem("facts: %s %s is not as stated (the quickstart has %s)" % (f["type"], f, match))


# --- the joint check ------------------------------------------------------------------------------------

def quickstart_created(facts, values):
    """(type, names) -> fact of what the quickstart creates, subnets included, names resolved
    with the values it is deployed with."""
    def name(parts):
        out = []
        for p in parts:
            if p == "?":
                return None
            out.append(p[1:] if p.startswith("'") else str(values[p]))
        return tuple(out)

    created = {}
    for f in facts["resources"]:
        n = name(f["name"])
        if n is None:
            continue
        created[(f["type"], n)] = f
        for s, prefix in f.get("subnets", {}).items():
            created[("Microsoft.Network/virtualNetworks/subnets", n + name([s]))] = {"prefix": prefix}
    return created


def net(v, what):
    try:
        return ipaddress.ip_network(v)
    except (ValueError, TypeError):
        problem("%s: %r is not a prefix" % (what, v))
        return None


def joint_check(template_path, params_path, qs_params_path, hedge_path, qs_path=None):
    load = lambda p: json.load(open(p))
    ours, hedge = load(template_path), load(hedge_path)
    facts = facts_from_template(qs_path) if qs_path else load_facts()
    values = {k: v["value"] for k, v in load(params_path)["parameters"].items()}
    qs_given = {k: v["value"] for k, v in load(qs_params_path)["parameters"].items()}
    for k in qs_given:
        if k not in facts["parameters"]:
            problem("azure-er.parameters.json: %s is no parameter of the quickstart" % k)
    qv = dict(facts["parameters"])
    qv.update(qs_given)
    ev = Evaluator(ours, values)

    # Shared parameter names: same defaults, and the same values once deployed.
    for name in ["vnetName", "gatewayName", "subnet1Name", "location"]:
        if name in ours["parameters"]:
            a, b = ours["parameters"][name].get("defaultValue"), facts["parameters"].get(name)
            if a != b:
                problem("parameter %s: default %r here, %r in the quickstart" % (name, a, b))
            if name != "location" and ev.params[name] != qv.get(name):
                problem("parameter %s: %r deployed here, %r in the quickstart" % (name, ev.params[name], qv.get(name)))

    mine = {}
    for r in ours["resources"]:
        mine[(r["type"], tuple(str(ev.value(r["name"])).split("/")))] = r
    theirs = quickstart_created(facts, qv)
    walk_strings(ours, lambda s, _: ev.value(s))
    needed = set()
    for t, names in ev.resource_ids:
        if (t, names) in mine:
            continue
        if (t, names) in theirs:
            needed.add((t, names))
            continue
        problem("resourceId(%s, %s) names nothing this template or the quickstart creates" % (t, "/".join(names)))
    gs_key = ("Microsoft.Network/virtualNetworks/subnets", (str(qv["vnetName"]), "GatewaySubnet"))
    er_key = ("Microsoft.Network/virtualNetworkGateways", (str(qv["gatewayName"]),))
    for key, what in [(gs_key, "the GatewaySubnet"), (er_key, "the ExpressRoute gateway")]:
        if key not in needed:
            problem("the template does not reference %s the quickstart creates (%s)" % (what, "/".join(key[1])))
    if theirs.get(er_key, {}).get("gatewayType") != "ExpressRoute":
        problem("%s is not an ExpressRoute gateway in the quickstart" % "/".join(er_key[1]))
    for key in mine:
        if key in theirs:
            problem("the template creates %s %s, which the quickstart creates already" % key)

    # Address spaces: the quickstart's, as deployed, against hedge's azure block.
    vnet_fact = next(f for f in facts["resources"] if f["type"] == "Microsoft.Network/virtualNetworks")
    vnet = net(qv[vnet_fact["addressPrefixes"][0]], "the VNet")
    gs = net(qv[vnet_fact["subnets"]["'GatewaySubnet"]], "the GatewaySubnet")
    subnet1 = net(qv[vnet_fact["subnets"]["subnet1Name"]], "subnet1")
    if None in (vnet, gs, subnet1):
        return
    if str(vnet) != hedge["vnet"]:
        problem("the quickstart's VNet %s is not hedge's vnet %s" % (vnet, hedge["vnet"]))
    if str(gs) != hedge["gatewaySubnet"]:
        problem("the quickstart's GatewaySubnet %s is not hedge's gateway-subnet %s" % (gs, hedge["gatewaySubnet"]))
    if gs.prefixlen > 27 or not gs.subnet_of(vnet):
        problem("GatewaySubnet %s: must be /27 or larger, inside %s" % (gs, vnet))
    if not subnet1.subnet_of(vnet) or subnet1.overlaps(gs):
        problem("subnet1 %s: must be inside %s and apart from the GatewaySubnet" % (subnet1, vnet))

    # The private peering: its two /30s are those of hedge's ExpressRoute paths, primary first.
    # Azure gives the MSEE the second address of each /30 and the customer's router the first.
    peering = next(f for f in facts["resources"] if f.get("peeringType") == "AzurePrivatePeering")
    links = hedge["expressRouteLinks"]
    best = [l for l in links if l["priority"] == min(x["priority"] for x in links)] if links else []
    if len(links) >= 2 and len(best) < 2:
        problem("hedge's ExpressRoute paths %s do not share the best priority: one link would idle" % [l["path"] for l in links])
    for l, which in zip(links, ["primaryPeerAddressPrefix", "secondaryPeerAddressPrefix"]):
        p = net(qv[peering["uses"][which]], which)
        if p is None:
            continue
        msee = ipaddress.ip_address(l["neighbor"])
        if p.prefixlen != 30 or msee not in p or int(msee) - int(p.network_address) != 2:
            problem("%s %s: path %s's MSEE %s is not its second address" % (which, p, l["path"], msee))
        if l.get("gateway") not in (None, l["neighbor"]):
            problem("path %s: gateway %s is not the MSEE %s" % (l["path"], l["gateway"], msee))
    if len(links) >= 2:
        a, b = (net(qv[peering["uses"][w]], w) for w in ("primaryPeerAddressPrefix", "secondaryPeerAddressPrefix"))
        if a is not None and b is not None and a.overlaps(b):
            problem("the primary %s and secondary %s /30s overlap" % (a, b))
    if qv[peering["uses"]["peerASN"]] != hedge["localAS"]:
        problem("the peering's peerASN %s is not hedge's local-as %s" % (qv[peering["uses"]["peerASN"]], hedge["localAS"]))

    er_announce = [ipaddress.ip_network(p) for p in hedge["expressRouteAnnounce"]]
    for r in ours["resources"]:
        props = r.get("properties", {})
        if r["type"] == "Microsoft.Network/virtualNetworkGateways":
            bgp = props.get("bgpSettings", {})
            if "asn" in bgp and bgp["asn"] != 65515:
                problem("the VPN gateway's ASN is %s: beside an ExpressRoute gateway it must be 65515" % bgp["asn"])
            for pa in bgp.get("bgpPeeringAddresses", []):
                for a in pa.get("customBgpIpAddresses", []):
                    if not any(ipaddress.ip_address(a) in ipaddress.ip_network(n) for n in ("169.254.21.0/24", "169.254.22.0/24")):
                        problem("custom BGP address %s is outside 169.254.21.0-169.254.22.255" % a)
        if r["type"] == "Microsoft.Network/localNetworkGateways":
            for p in props.get("localNetworkAddressSpace", {}).get("addressPrefixes", []):
                p = ipaddress.ip_network(p)
                for e in er_announce:
                    if p.version == e.version and p.subnet_of(e) and p.prefixlen > e.prefixlen:
                        problem("the local network gateway carries %s, longer than %s announced over ExpressRoute" % (p, e))
                if p.overlaps(vnet):
                    problem("the local network gateway carries %s, inside the VNet %s" % (p, vnet))
            asn = props.get("bgpSettings", {}).get("asn")
            if asn is not None:
                if asn == 12076 or 65515 <= asn <= 65520:
                    problem("the local network gateway's ASN %s is Microsoft's or Azure's" % asn)
                if asn != qv[peering["uses"]["peerASN"]]:
                    problem("the local network gateway's ASN %s is not the private peering's %s" % (asn, qv[peering["uses"]["peerASN"]]))
        if r["type"] == "Microsoft.Network/networkInterfaces":
            for c in props.get("ipConfigurations", []):
                a = ipaddress.ip_address(c["properties"]["privateIPAddress"])
                if a not in subnet1 or a not in vnet:
                    problem("the reflector's address %s is not in subnet1 %s of the VNet %s" % (a, subnet1, vnet))
                elif int(a) - int(subnet1.network_address) < 4 or a == subnet1.broadcast_address:
                    problem("the reflector's address %s is one Azure reserves in %s" % (a, subnet1))


def main(argv):
    if len(argv) >= 3 and argv[1] == "models":
        models_check(argv[2], argv[3:])
    elif len(argv) in (6, 7) and argv[1] == "joint":
        joint_check(*argv[2:])
    elif len(argv) == 3 and argv[1] == "facts":
        facts_check(argv[2])
    else:
        print(__doc__)
        return 2
    if problems:
        print("%d problem(s)" % len(problems))
        return 1
    print("OK")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
