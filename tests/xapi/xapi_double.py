#!/usr/bin/env python3
"""A test double of XAPI, the XenServer toolstack, for vsw's tests (README.md beside this file).

It speaks what XAPI speaks on its local Unix socket: XML-RPC over HTTP/1.1, each call's first
parameter a session ref, each reply a struct {Status: Success, Value} or {Status: Failure,
ErrorDescription: [code, params...]}, strings written as bare <value> text as XAPI writes them.
Records come from fixture files (JSON: {"classes": {"<class>": {"<ref>": record}}}); a later
fixture is merged into the earlier ones field by field.

Commands:
  serve --socket PATH --fixture FILE [--fixture FILE...] [--plugin-dir DIR] [--log FILE]
  call --socket PATH [--session] METHOD [ARG...]   one call; each ARG is JSON if it parses as
                                                   JSON, else a string; prints the Value as JSON
                                                   (exit 0) or the ErrorDescription (exit 1)

Besides XAPI's methods it answers sessionless control methods for tests, test.*: fail calls of
a method with a given ErrorDescription, misbehave (answer garbage, a 10 MB reply, a truncated
one, HTTP 500, close the connection, hang), change records, list the calls made. Stopping the
process and starting it again on the same socket is XAPI restarting: sessions are forgotten.
"""
import argparse
import json
import os
import re
import socket
import socketserver
import subprocess
import sys
import threading
import time
import uuid
import xmlrpc.client
from http.server import BaseHTTPRequestHandler
from xml.sax.saxutils import escape

CLASSES = ("host", "pool", "network", "PIF", "VIF", "VM", "Bond", "VLAN", "tunnel")


# ---- XML-RPC as XAPI writes it ----

def value_xml(v):
    if isinstance(v, bool):
        return "<value><boolean>%d</boolean></value>" % v
    if isinstance(v, int):
        return "<value><int>%d</int></value>" % v
    if isinstance(v, float):
        return "<value><double>%r</double></value>" % v
    if isinstance(v, str):
        return "<value>%s</value>" % escape(v).replace("\r", "&#13;")
    if isinstance(v, (list, tuple)):
        return "<value><array><data>%s</data></array></value>" % "".join(value_xml(x) for x in v)
    if isinstance(v, dict):
        return "<value><struct>%s</struct></value>" % "".join(
            "<member><name>%s</name>%s</member>" % (escape(k), value_xml(x)) for k, x in v.items())
    if v is None:
        return "<value><nil/></value>"
    raise TypeError("cannot write %r" % (v,))


def response_xml(value):
    return ("<?xml version=\"1.0\"?>\n<methodResponse><params><param>%s</param></params>"
            "</methodResponse>\n" % value_xml(value))


def success(value):
    return {"Status": "Success", "Value": value}


def failure(f):
    return {"Status": "Failure", "ErrorDescription": f.description}


class PluginCall(Exception):
    """host.call_plugin, to be run without holding the state's lock: the plugin may call XAPI
    (through vsw-hostd) while it runs."""

    def __init__(self, session, args):
        super().__init__()
        self.session, self.args = session, args


class Failure(Exception):
    def __init__(self, *description):
        super().__init__(description)
        self.description = [str(d) for d in description]


# ---- get_all_records_where expressions: field "F" = "V", true, false, not, and, or, () ----

TOKEN = re.compile(r'\s*(?:(")((?:[^"\\]|\\.)*)"|(=|\(|\))|([A-Za-z_]+))')


def tokenize(expr):
    pos, tokens = 0, []
    while expr[pos:].strip():
        m = TOKEN.match(expr, pos)
        if not m:
            raise Failure("SYNTAX_ERROR", expr)
        pos = m.end()
        if m.group(1):
            tokens.append(("str", m.group(2).replace('\\"', '"')))
        elif m.group(3):
            tokens.append((m.group(3), None))
        else:
            tokens.append(("word", m.group(4).lower()))
    return tokens


def field_text(value):
    if isinstance(value, bool):
        return "true" if value else "false"
    return "" if value is None else str(value)


def compile_expr(expr):
    tokens = tokenize(expr)

    def peek():
        return tokens[0] if tokens else (None, None)

    def take(kind, word=None):
        if not tokens or tokens[0][0] != kind or (word and tokens[0][1] != word):
            raise Failure("SYNTAX_ERROR", expr)
        return tokens.pop(0)[1]

    def term():
        kind, word = peek()
        if kind == "(":
            take("(")
            e = disjunction()
            take(")")
            return e
        if kind == "word" and word == "not":
            take("word")
            e = term()
            return lambda r: not e(r)
        if kind == "word" and word in ("true", "false"):
            take("word")
            return lambda r, v=(word == "true"): v
        take("word", "field")
        name = take("str")
        take("=")
        want = take("str")
        return lambda r: field_text(r.get(name)) == want

    def conjunction():
        e = term()
        while peek() == ("word", "and"):
            take("word")
            left, right = e, term()
            e = lambda r, a=left, b=right: a(r) and b(r)
        return e

    def disjunction():
        e = conjunction()
        while peek() == ("word", "or"):
            take("word")
            left, right = e, conjunction()
            e = lambda r, a=left, b=right: a(r) or b(r)
        return e

    e = disjunction()
    if tokens:
        raise Failure("SYNTAX_ERROR", expr)
    return e


# ---- The state: records, sessions, injected faults, the call log ----

class State:
    def __init__(self, fixtures, plugin_dir):
        self.lock = threading.Lock()
        self.records = {c: {} for c in CLASSES}
        for path in fixtures:
            with open(path) as f:
                for cls, recs in json.load(f)["classes"].items():
                    for ref, rec in recs.items():
                        self.records.setdefault(cls, {}).setdefault(ref, {}).update(rec)
        self.plugin_dir = plugin_dir
        self.sessions = {}
        self.failures = {}      # method -> [description, remaining count (-1: always)]
        self.misbehaviours = {}  # method or "*" -> [mode, remaining, argument]
        self.calls = []
        self.connections = 0     # that carried a call of XAPI's, since the start

    def take(self, table, method):
        for key in (method, "*"):
            entry = table.get(key)
            if entry:
                if entry[1] > 0:
                    entry[1] -= 1
                    if entry[1] == 0:
                        del table[key]
                return entry
        return None


def record_of(state, cls, ref):
    rec = state.records.get(cls, {}).get(ref)
    if rec is None:
        raise Failure("HANDLE_INVALID", cls, ref)
    return rec


def class_call(state, cls, op, args):
    recs = state.records.setdefault(cls, {})
    if op == "get_all":
        return list(recs)
    if op == "get_all_records":
        return dict(recs)
    if op == "get_all_records_where":
        match = compile_expr(args[0])
        return {ref: rec for ref, rec in recs.items() if match(rec)}
    if op == "get_record":
        return record_of(state, cls, args[0])
    if op == "get_by_uuid":
        for ref, rec in recs.items():
            if rec.get("uuid") == args[0]:
                return ref
        raise Failure("UUID_INVALID", cls, args[0])
    if op == "add_to_other_config":
        record_of(state, cls, args[0]).setdefault("other_config", {})[args[1]] = args[2]
        return ""
    if op == "remove_from_other_config":
        record_of(state, cls, args[0]).setdefault("other_config", {}).pop(args[1], None)
        return ""
    if op.startswith("get_"):
        rec = record_of(state, cls, args[0])
        field = op[4:]
        if field not in rec:
            raise Failure("MESSAGE_METHOD_UNKNOWN", "%s.%s" % (cls, op))
        return rec[field]
    if op.startswith("set_") and len(args) == 2:
        record_of(state, cls, args[0])[op[4:]] = args[1]
        return ""
    raise Failure("MESSAGE_METHOD_UNKNOWN", "%s.%s" % (cls, op))


def call_plugin(state, session, args):
    """host.call_plugin: XAPI runs /etc/xapi.d/plugins/<plugin> with the methodCall as its one
    argument and reads a methodResponse from its standard output."""
    host, plugin, fn, plugin_args = args
    with state.lock:
        record_of(state, "host", host)
    path = os.path.join(state.plugin_dir or "/nonexistent", plugin)
    if not os.access(path, os.X_OK):
        raise Failure("XENAPI_MISSING_PLUGIN", plugin)
    call = xmlrpc.client.dumps((session, plugin_args), fn)
    proc = subprocess.run([path, call], capture_output=True, text=True, timeout=120)
    if proc.returncode != 0:
        raise Failure("XENAPI_PLUGIN_FAILURE", "non-zero exit", str(proc.returncode),
                      proc.stderr.strip()[-200:])
    try:
        (result,), _ = xmlrpc.client.loads(proc.stdout)
    except Exception as e:
        raise Failure("XENAPI_PLUGIN_FAILURE", "invalid response", str(e), proc.stdout[:200])
    if result.get("Status") == "Success":
        return result.get("Value")
    raise Failure(*result.get("ErrorDescription", ["XENAPI_PLUGIN_FAILURE"]))


def test_call(state, op, args):
    """The control methods, sessionless."""
    if op == "fail":
        method, description, count = args
        state.failures[method] = [list(description), int(count)]
    elif op == "misbehave":
        method, mode, count = args[:3]
        state.misbehaviours[method] = [mode, int(count), args[3] if len(args) > 3 else None]
    elif op == "clear":
        state.failures.clear()
        state.misbehaviours.clear()
    elif op == "calls":
        return [[m] + list(a) for m, a in state.calls]
    elif op == "reset_calls":
        state.calls.clear()
    elif op == "sessions":
        return len(state.sessions)
    elif op == "connections":
        return state.connections
    elif op == "set_field":
        cls, ref, field, value = args
        record_of(state, cls, ref)[field] = value
    elif op == "set_map_key":
        cls, ref, field, key, value = args
        m = record_of(state, cls, ref).setdefault(field, {})
        if value is None or value == "":
            m.pop(key, None)
        else:
            m[key] = value
    elif op == "add_record":
        cls, ref, rec = args
        state.records.setdefault(cls, {})[ref] = rec
    elif op == "remove_record":
        cls, ref = args
        state.records.get(cls, {}).pop(ref, None)
    elif op == "records":
        return state.records.get(args[0], {})
    else:
        raise Failure("MESSAGE_METHOD_UNKNOWN", "test." + op)
    return ""


def dispatch(state, method, params):
    cls, _, op = method.partition(".")
    if cls == "test":
        return test_call(state, op, params)
    failure = state.take(state.failures, method)
    if failure:
        raise Failure(*failure[0])
    if method in ("session.login_with_password", "session.slave_local_login_with_password"):
        if not 2 <= len(params) <= 4:
            raise Failure("MESSAGE_PARAMETER_COUNT_MISMATCH", method, "2", str(len(params)))
        ref = "OpaqueRef:%s" % uuid.uuid4()
        state.sessions[ref] = params[0]   # any credentials will do, as on the local socket
        return ref
    if not params or params[0] not in state.sessions:
        raise Failure("SESSION_INVALID", params[0] if params else "")
    session, args = params[0], list(params[1:])
    state.calls.append((method, args))
    if method == "session.logout":
        del state.sessions[session]
        return ""
    if method == "host.call_plugin":
        raise PluginCall(session, args)
    if method == "pool.set_vswitch_controller":
        for rec in state.records["pool"].values():
            rec["vswitch_controller"] = args[0]
        return ""
    if cls in state.records:
        try:
            return class_call(state, cls, op, args)
        except IndexError:
            raise Failure("MESSAGE_PARAMETER_COUNT_MISMATCH", method)
    raise Failure("MESSAGE_METHOD_UNKNOWN", method)


# ---- HTTP ----

class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def address_string(self):
        return "local"

    counted = False   # this connection carried a call of XAPI's (not a test.* one)

    def log_message(self, fmt, *args):
        if self.server.log:
            self.server.log.write("%.3f %s\n" % (time.time(), fmt % args))
            self.server.log.flush()

    def reply(self, body, status=200, length=None):
        data = body.encode() if isinstance(body, str) else body
        self.send_response(status)
        self.send_header("Content-Type", "text/xml")
        self.send_header("Content-Length", str(len(data) if length is None else length))
        self.end_headers()
        self.wfile.write(data)

    def misbehave(self, mode, argument, good):
        if mode == "hang":
            time.sleep(float(argument or 3600))
            self.reply(good)
        elif mode == "garbage":
            self.reply("<html><body>this is not XML-RPC</body></html>\n")
        elif mode == "not_xapi":
            self.reply(response_xml(["a", "valid", "XML-RPC", "reply", "but", "not", "XAPI's"]))
        elif mode == "wrong_value":
            self.reply(response_xml(success(42)))
        elif mode == "truncated_xml":
            self.reply(good[: len(good) // 2])
        elif mode == "cut_short":
            self.reply(good[: len(good) // 2], length=len(good))
            self.close_connection = True
        elif mode == "huge":
            self.reply(response_xml(success("x" * (10 * 1024 * 1024))))
        elif mode == "http500":
            self.reply("internal error\n", status=500)
        elif mode == "not_http":
            self.wfile.write(b"\x00\x01garbage that is not HTTP\r\n\r\n")
            self.close_connection = True
        elif mode == "close":
            self.close_connection = True
        else:
            raise ValueError("unknown misbehaviour " + mode)

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        try:
            params, method = xmlrpc.client.loads(body.decode("utf-8"))
        except Exception as e:
            self.reply("malformed XML-RPC call: %s\n" % e, status=400)
            return
        state = self.server.state
        plugin = None
        with state.lock:
            try:
                result = success(dispatch(state, method, params))
            except PluginCall as p:
                plugin = p
            except Failure as f:
                result = failure(f)
            except (TypeError, ValueError, KeyError) as e:
                result = failure(Failure("MESSAGE_PARAMETER_COUNT_MISMATCH", method, str(e)))
            bad = None if method.startswith("test.") else state.take(state.misbehaviours, method)
            if not method.startswith("test.") and not self.counted:
                self.counted = True
                state.connections += 1
        if plugin:
            try:
                result = success(call_plugin(state, plugin.session, plugin.args))
            except Failure as f:
                result = failure(f)
            except (TypeError, ValueError, KeyError) as e:
                result = failure(Failure("MESSAGE_PARAMETER_COUNT_MISMATCH", method, str(e)))
        good = response_xml(result)
        if self.server.log:
            self.log_message("%s %s -> %s", method, json.dumps(params)[:300],
                             json.dumps(result)[:300])
        if bad:
            self.misbehave(bad[0], bad[2], good)
        else:
            self.reply(good)

    def do_GET(self):
        self.reply("XAPI double\n", status=404)


class Server(socketserver.ThreadingMixIn, socketserver.UnixStreamServer):
    daemon_threads = True


def serve(args):
    state = State(args.fixture, args.plugin_dir)
    if os.path.exists(args.socket):
        os.unlink(args.socket)
    server = Server(args.socket, Handler)
    os.chmod(args.socket, 0o600)   # as XAPI's: root only
    server.state = state
    server.log = open(args.log, "a") if args.log else None
    try:
        server.serve_forever()
    finally:
        os.unlink(args.socket)


def call(args):
    def parse(a):
        try:
            return json.loads(a)
        except ValueError:
            return a

    params = [parse(a) for a in args.args]
    proxy = UnixProxy(args.socket)
    if args.session:
        session = proxy.call("session.login_with_password", ["", ""])
        params.insert(0, session["Value"])
    result = proxy.call(args.method, params)
    if result.get("Status") == "Success":
        print(json.dumps(result["Value"], sort_keys=True))
        return 0
    print(json.dumps(result.get("ErrorDescription")), file=sys.stderr)
    return 1


class UnixProxy:
    """An XML-RPC client on a Unix socket, for the `call` command."""

    def __init__(self, path):
        self.path = path

    def call(self, method, params):
        body = xmlrpc.client.dumps(tuple(params), method, allow_none=True).encode()
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.connect(self.path)
        s.sendall(b"POST / HTTP/1.1\r\nHost: localhost\r\nContent-Type: text/xml\r\n"
                  b"Connection: close\r\nContent-Length: %d\r\n\r\n%s" % (len(body), body))
        data = b""
        while True:
            chunk = s.recv(65536)
            if not chunk:
                break
            data += chunk
        s.close()
        head, _, payload = data.partition(b"\r\n\r\n")
        (result,), _ = xmlrpc.client.loads(payload.decode())
        return result


def main():
    parser = argparse.ArgumentParser(description="A test double of XAPI on a Unix socket.")
    sub = parser.add_subparsers(dest="command", required=True)
    s = sub.add_parser("serve")
    s.add_argument("--socket", required=True)
    s.add_argument("--fixture", action="append", required=True)
    s.add_argument("--plugin-dir")
    s.add_argument("--log")
    c = sub.add_parser("call")
    c.add_argument("--socket", required=True)
    c.add_argument("--session", action="store_true", help="log in and pass the session first")
    c.add_argument("method")
    c.add_argument("args", nargs="*")
    args = parser.parse_args()
    if args.command == "serve":
        serve(args)
        return 0
    return call(args)


if __name__ == "__main__":
    sys.exit(main())
