// kb's matcher in the browser: the same signals, signatures, BM25F and ranking as kb.match, run on data that
// `kb site build` exports (assets/kb-offline-data.js) with the runbooks' RE2 patterns run by re2js.
// The extractors' syntax is re-implemented here; their vocabularies and every number come from the data.
(function (global) {
  "use strict";

  function Paste(text) {
    this.text = text;
    this.starts = [0];
    for (var i = text.indexOf("\n"); i !== -1; i = text.indexOf("\n", i + 1)) this.starts.push(i + 1);
    var lower = text.toLowerCase();
    this.lower = lower.length === text.length ? lower : null;
  }
  Paste.prototype.lineAt = function (offset) {
    var lo = 0, hi = this.starts.length;
    while (lo < hi) { var mid = (lo + hi) >> 1; if (this.starts[mid] <= offset) lo = mid + 1; else hi = mid; }
    return lo;
  };
  // (offset, line) of every line holding one of the needles, as kb.signals.base.Paste.regions.
  Paste.prototype.regions = function (needles, ignoreCase) {
    var hay = ignoreCase ? this.lower : this.text;
    if (hay === null) return [[0, this.text]];
    var lines = {};
    for (var n = 0; n < needles.length; n++) {
      var at = hay.indexOf(needles[n]);
      while (at !== -1) {
        var start = hay.lastIndexOf("\n", at - 1) + 1;
        if (at === 0) start = 0;
        var end = hay.indexOf("\n", at);
        end = end === -1 ? hay.length : end;
        lines[start] = end;
        at = hay.indexOf(needles[n], end);
      }
    }
    var self = this;
    return Object.keys(lines).map(Number).sort(function (a, b) { return a - b; })
      .map(function (start) { return [start, self.text.slice(start, lines[start])]; });
  };

  function matches(paste, regex, needles, ignoreCase) {
    var out = [];
    var regions = needles && needles.length ? paste.regions(needles, ignoreCase) : [[0, paste.text]];
    regions.forEach(function (region) {
      regex.lastIndex = 0;
      var m;
      while ((m = regex.exec(region[1])) !== null) {
        out.push([paste.lineAt(region[0] + m.index), m]);
        if (m[0].length === 0) regex.lastIndex++;
      }
    });
    return out;
  }
  function findAll(paste, regex, kind, value, needles, ignoreCase) {
    var out = [];
    matches(paste, regex, needles, ignoreCase).forEach(function (pair) {
      var v = value(pair[1]);
      if (v) out.push(sig(kind, v, pair[0]));
    });
    return out;
  }
  function sig(kind, value, line) { return { kind: kind, value: value, line: line }; }
  function firstGroup(m) { for (var i = 1; i < m.length; i++) if (m[i]) return m[i]; return null; }
  function constant(v) { return function () { return v; }; }
  function whole(m) { return m[0]; }
  function escapeRe(s) { return s.replace(/[.*+?^${}()|[\]\\\/-]/g, "\\$&"); }
  // A pattern whose ASCII letters match either case (`port` -> `[pP][oO][rR][tT]`), for the parts of a pattern
  // that Python marks case-insensitive inline: modifier groups are new in JavaScript (Chrome 125, Firefox
  // 132, not Node 20), and an engine without them rejects the whole pattern. Escapes (`\b`) are kept; the
  // pattern's character classes must hold no letters.
  function anyCase(pattern) {
    return pattern.replace(/\\.|[A-Za-z]/g, function (c) {
      return c.length > 1 ? c : "[" + c.toLowerCase() + c.toUpperCase() + "]";
    });
  }
  function pyStrip(s, chars) {
    var a = 0, b = s.length;
    while (a < b && chars.indexOf(s[a]) !== -1) a++;
    while (b > a && chars.indexOf(s[b - 1]) !== -1) b--;
    return s.slice(a, b);
  }
  function isDigits(s) { return /^[0-9]+$/.test(s); }

  // Envoy access-log records (TEXT format) with their line, as kb.signals.access_log.records.
  var HEAD = /(?:\[(\d{4}-\d\d-\d\dT[0-9:.]{1,20}Z)\] )?"([A-Z]{3,10} [^"\s]{1,2048} [A-Z0-9\/.]{3,10}|- - -)" (\d{1,3}) ([A-Z,]{1,64}|-) ([^\n]{0,4096})/g;
  var NEW = ["details", "termination", "transport", "rx", "tx", "duration", "upstream_time", "xff", "agent",
    "request_id", "authority", "upstream_host", "cluster", "upstream_local", "downstream_local",
    "downstream_remote", "sni", "route"];
  var OLD = NEW.slice(3);
  function textRecords(paste) {
    return matches(paste, HEAD, ['" ']).map(function (pair) {
      var m = pair[1];
      var fields = { code: m[3], flags: m[4] };
      var tokens = (m[5].match(/"[^"]*"|\S+/g) || []).map(function (t) { return pyStrip(t, '"'); });
      var names = tokens.length && isDigits(tokens[0]) ? OLD : NEW;
      for (var i = 0; i < names.length && i < tokens.length; i++) fields[names[i]] = tokens[i];
      return [pair[0], fields];
    });
  }
  function toRegExp(p, global) { return new RegExp(p.source, p.flags + (global ? "g" : "")); }
  function exactly(p) { return new RegExp("^(?:" + p.source + ")$", p.flags); }

  function Extractors(v, planes) {
    var list = [];
    // access_log (TEXT format)
    var KINDS = { details: "response_code_details", termination: "connection_termination_details",
      transport: "transport_failure_reason", cluster: "upstream_cluster" };
    function signalsOf(fields, line) {
      var found = [];
      if ((fields.code || "-") !== "-") found.push(sig("http_status", fields.code, line));
      (fields.flags || "-").split(",").forEach(function (f) { if (f && f !== "-") found.push(sig("response_flag", f, line)); });
      Object.keys(KINDS).forEach(function (field) {
        var value = (fields[field] || "-").trim();
        if (value && value !== "-") found.push(sig(KINDS[field], value.replace(/ /g, "_"), line));
      });
      return found;
    }
    list.push(function (paste) {
      var out = [];
      textRecords(paste).forEach(function (pair) { out = out.concat(signalsOf(pair[1], pair[0])); });
      return out;
    });
    // access_log_json
    var JKEYS = { response_code: "code", response_flags: "flags", response_code_details: "details",
      connection_termination_details: "termination", upstream_transport_failure_reason: "transport", upstream_cluster: "cluster" };
    list.push(function (paste) {
      var out = [];
      matches(paste, /^[^\n]{0,16384}"response_(?:code|flags)"[^\n]{0,16384}/gm, ['"response_code"', '"response_flags"'])
        .forEach(function (pair) {
          var text = pair[1][0], start = text.indexOf("{"), end = text.lastIndexOf("}");
          if (start < 0 || end <= start) return;
          var record;
          try { record = JSON.parse(text.slice(start, end + 1)); } catch (e) { return; }
          if (!record || typeof record !== "object" || Array.isArray(record)) return;
          var fields = {};
          Object.keys(JKEYS).forEach(function (key) {
            if (record[key] !== undefined && record[key] !== null && record[key] !== "") fields[JKEYS[key]] = String(record[key]);
          });
          if ("code" in fields || "flags" in fields) out = out.concat(signalsOf(fields, pair[0]));
        });
      return out;
    });
    // analyzer
    list.push(function (paste) { return findAll(paste, /\b(IST[0-9]{4})\b/g, "analyzer_code", firstGroup, ["IST"]); });
    // clusters
    var CLUSTER = /\b((?:outbound|inbound)\|[0-9]{1,5}\|[A-Za-z0-9_.-]{0,63}\|[A-Za-z0-9_.*-]{0,253})|\b(BlackHoleCluster|PassthroughCluster|InboundPassthroughClusterIpv[46]|InboundPassthroughCluster)\b/g;
    list.push(function (paste) { return findAll(paste, CLUSTER, "upstream_cluster", firstGroup, ["bound|", "Cluster"]); });
    // curl
    list.push(function (paste) {
      var found = findAll(paste, /\bcurl: \(([0-9]{1,2})\)/g, "curl_exit", firstGroup, ["curl: ("]);
      if (paste.text.indexOf("curl") !== -1)
        found = found.concat(findAll(paste, /\bcommand terminated with exit code ([0-9]{1,2})\b/g, "curl_exit", firstGroup, ["command terminated"]));
      return found;
    });
    // dial_errors
    var DIAL = [
      ["connection_refused", /connection refused|ECONNREFUSED|connect error: 111\b/gi, ["refused", "connect error: 111"]],
      ["timeout", /\bi\/o timeout|context deadline exceeded|connection timed out|ETIMEDOUT|\bdial tcp [^\s]{1,300}: timeout|Connection timeout/gi, ["timeout", "deadline exceeded", "timed out"]],
      ["no_such_host", /no such host|NXDOMAIN|could not resolve host|name or service not known|temporary failure in name resolution|server misbehaving/gi, ["no such host", "nxdomain", "resolve host", "not known", "name resolution", "misbehaving"]],
      ["connection_reset", /connection reset by peer|ECONNRESET|connection reset\b/gi, ["reset"]],
      ["unreachable", /network is unreachable|no route to host|EHOSTUNREACH|connect error: 113\b/gi, ["unreachable", "no route to host", "connect error: 113"]],
    ];
    list.push(function (paste) {
      var out = [];
      DIAL.forEach(function (d) { out = out.concat(findAll(paste, d[1], "dial_error", constant(d[0]), d[2], true)); });
      return out;
    });
    // envoy_headers
    var ROUTINE = {}; v.routine_headers.forEach(function (h) { ROUTINE[h] = true; });
    list.push(function (paste) {
      var found = findAll(paste, /^[<\s]{0,4}(x-envoy-[a-z0-9-]{1,40})[ \t]{0,4}(?::|$)/gim, "envoy_header", function (m) {
        var h = m[1].toLowerCase(); return ROUTINE[h] ? null : h;
      }, ["x-envoy-"], true);
      paste.regions(["HTTP/"], false).forEach(function (region) {
        var offset = region[0];
        var status = /^[<\s]{0,4}HTTP\/[0-9.]{1,3} [1-5][0-9][0-9]\b/y;
        status.lastIndex = offset;
        if (!status.test(paste.text)) return;
        var rest = paste.text.slice(offset).split("\n", 62).slice(1, 61);
        var headers = [];
        for (var i = 0; i < rest.length; i++) {
          if (!/^[<\s]{0,4}[A-Za-z0-9-]{1,60}:/.test(rest[i])) break;
          headers.push(pyStrip(rest[i], "< \t\r").toLowerCase());
        }
        if (headers.some(function (h) { return h.indexOf("x-envoy-upstream-service-time") === 0; }))
          found.push(sig("replied_by", "upstream", paste.lineAt(offset)));
        else if (headers.some(function (h) { return /^server:\s*(?:istio-)?envoy$/.test(h); }))
          found.push(sig("replied_by", "envoy", paste.lineAt(offset)));
      });
      return found;
    });
    // grpc
    var CODES = v.grpc_codes, CAMEL = { canceled: "CANCELLED" };
    CODES.forEach(function (c) { CAMEL[c.replace(/_/g, "").toLowerCase()] = c; });
    list.push(function (paste) {
      return findAll(paste, /\bcode = ([A-Za-z]{2,20})\b|\bconfig stream closed(?: since [0-9.]{1,12}s ago)?: ([0-9]{1,2})\b|\bgrpc[-_]status"?\s{0,2}[:=]\s{0,2}"?([0-9]{1,2})\b/g,
        "grpc_status", function (m) {
          if (m[1]) return CAMEL[m[1].toLowerCase()] || null;
          var n = parseInt(m[2] || m[3], 10);
          return n < CODES.length ? CODES[n] : null;
        }, ["code = ", "stream closed", "grpc-status", "grpc_status"]);
    });
    // http_status
    var HTTP = new RegExp("\\bHTTP/[0-9.]{1,3} ([1-5][0-9][0-9])\\b|\\bERROR ([1-5][0-9][0-9]): |':status', '([1-5][0-9][0-9])'" +
      "|(?:" + anyCase("\\bstatus[ _-]?code|\\bstatuscode|\\bresponse[ _]code|\\bstatus") + ")\"?\\s{0,2}[:=]?\\s{0,2}([1-5][0-9][0-9])\\b" +
      "|(?<![\\w./:-])([1-5][0-9][0-9]) (?:" + v.http_reasons.map(escapeRe).join("|") + ")\\b", "g");
    var HTTP_NEEDLES = ["http/", "error ", "status", "code"].concat(v.http_reasons.map(function (r) { return r.toLowerCase(); }));
    list.push(function (paste) { return findAll(paste, HTTP, "http_status", firstGroup, HTTP_NEEDLES, true); });
    // istio_log
    var LEVELS = "debug|info|warn|warning|error|fatal|critical|trace|DEBUG|INFO|WARN|WARNING|ERROR|TRACE";
    var TABBED = new RegExp("(?:^|\\t|Z[ \\t])(?:" + LEVELS + ")\\t([A-Za-z][\\w .:-]{0,38}?)\\t", "gm");
    var SPACED = new RegExp("^\\S{0,40}?\\d{4}-\\d\\d-\\d\\dT[0-9:.]{1,20}Z {1,4}(?:" + LEVELS + ") {1,4}(envoy [a-z_]{2,20}|" +
      v.scopes.join("|") + "|[a-z_]{2,20}(?:::[a-z_]{2,20}){1,4})(?= )", "gm");
    list.push(function (paste) {
      var scope = function (m) { return m[1].trim(); };
      return findAll(paste, TABBED, "log_scope", scope, ["\t"]).concat(findAll(paste, SPACED, "log_scope", scope, ["Z "]));
    });
    // k8s_events
    list.push(function (paste) {
      var ev = findAll(paste, /(?:^|[ \t])(?:Normal|Warning)[ \t]{1,20}([A-Z][A-Za-z]{2,40})[ \t]|^[ \t]{0,40}-?[ \t]?reason:[ \t]{0,4}['"]?([A-Z][A-Za-z]{2,40})['"]?[ \t]*$|"reason":[ \t]{0,2}"([A-Z][A-Za-z]{2,40})"/gm,
        "k8s_event_reason", firstGroup, ["Normal", "Warning", "reason"]);
      return ev.concat(findAll(paste, /\b(?:Liveness|Readiness|Startup) probe failed\b/g, "k8s_event_reason", constant("Unhealthy"), ["probe failed"]));
    });
    // k8s_pods
    list.push(function (paste) {
      var found = [];
      matches(paste, /(?:^|\s)([0-9]{1,2})\/([0-9]{1,2})\s{1,40}([A-Z][A-Za-z]{1,30}(?::[A-Za-z0-9\/]{1,30})?)\s{1,40}[0-9]{1,6}\b/g, v.pod_status_words)
        .forEach(function (pair) {
          var r = pair[1];
          if (parseInt(r[1], 10) <= parseInt(r[2], 10)) {
            found.push(sig("ready_containers", r[1] + "/" + r[2], pair[0]));
            found.push(sig("pod_state", r[3], pair[0]));
          }
        });
      return found.concat(findAll(paste, /\b((?:Init:)?(?:CrashLoopBackOff|ImagePullBackOff|ErrImagePull|CreateContainerConfigError|CreateContainerError|RunContainerError|OOMKilled|PodInitializing|ContainerCreating))\b|\bReason:\s{1,30}([A-Z][A-Za-z]{2,40})\s*$/g,
        "pod_state", firstGroup, ["BackOff", "Err", "Error", "OOM", "Pod", "Container", "Reason:"]));
    });
    // links
    var NOT_A_PAGE = /^(?:latest|main|v?[0-9]+(?:\.[0-9x]+){1,2}|zh|en|uk|pt-br)$/i;
    list.push(function (paste) {
      var found = findAll(paste, /https?:\/\/(?:[a-z0-9-]{1,30}\.){0,2}(istio\.io|envoyproxy\.io)(\/[A-Za-z0-9._~%\/-]{0,300})/gi, "link", function (m) {
        var segments = m[2].toLowerCase().split("/").filter(function (p) { return p && !NOT_A_PAGE.test(p); });
        return segments.length < 3 ? null : [m[1].toLowerCase()].concat(segments).join("/");
      }, ["istio.io", "envoyproxy.io"], true);
      return found.concat(findAll(paste, /https?:\/\/github\.com\/((?:istio|envoyproxy)\/[A-Za-z0-9._-]{1,60}\/(?:issues|pull|discussions)\/[0-9]{1,7})\b/gi,
        "link", function (m) { return "github.com/" + m[1].toLowerCase(); }, ["github.com/"], true));
    });
    // local_reply
    var BODY = new RegExp(v.bodies.map(escapeRe).join("|"), "g");
    list.push(function (paste) {
      var found = [];
      matches(paste, /upstream connect error or disconnect\/reset before headers\.?(?: (?:retried and the latest )?reset reason: ([a-z]+(?: [a-z]+){0,5})(?:, transport failure reason: ([^"\n\\]{1,400}))?)?/g, ["upstream connect error"])
        .forEach(function (pair) {
          var m = pair[1], line = pair[0];
          found.push(sig("local_reply", "upstream connect error", line));
          if (m[1]) found.push(sig("reset_reason", m[1], line));
          if (m[2]) {
            var transport = m[2].trim().replace(/\.+$/, "");
            found.push(sig("transport_failure_reason", transport.replace(/ /g, "_"), line));
            var tls = /:([A-Z][A-Z0-9_]{3,63})\s*$/.exec(transport);
            if (tls) found.push(sig("tls_error", tls[1], line));
          }
        });
      return found.concat(findAll(paste, BODY, "local_reply", whole, v.bodies));
    });
    // mesh_ports
    var BEFORE = "(?:[:|,]|" + anyCase("port") + "s?[ =:]{1,3}|" + anyCase("port") + "s?: )", PORTS = v.ports.join("|");
    var PORT = new RegExp(BEFORE + "(" + PORTS + ")(?![\\w.-]|\\.[0-9])|(?<![\\w.-])(" + PORTS + ")/(?:TCP|UDP|tcp|udp)\\b|" +
      BEFORE + "(53)\\b|\\b(53)/(?:UDP|TCP|udp|tcp)\\b", "g");
    list.push(function (paste) { return findAll(paste, PORT, "mesh_port", firstGroup, v.ports.concat(["53"])); });
    // response_details
    var WORDS = v.details.concat(v.termination), TERMINATION = {};
    v.termination.forEach(function (t) { TERMINATION[t] = true; });
    var DETAIL = new RegExp("\\b(upstream_reset_(?:before|after)_response_started\\{[^{}\\s\"]{0,300}\\}" +
      "|rbac_access_denied_matched_policy\\[(?:[^\\[\\]\\s\"]|\\[[^\\[\\]\\s\"]{0,200}\\]){0,300}\\]" +
      "|jwt_authn_access_denied\\{[^{}\\s\"]{0,200}\\}|downstream_local_disconnect\\([^()\\s\"]{0,200}\\)" +
      "|http[12]\\.[a-z0-9_.]{3,80}|" + WORDS.join("|") + ")(?![\\w])", "g");
    var DETAIL_NEEDLES = ["upstream_reset_", "rbac_access", "jwt_authn", "_disconnect", "http1.", "http2."].concat(WORDS);
    list.push(function (paste) {
      var found = [];
      matches(paste, DETAIL, DETAIL_NEEDLES).forEach(function (pair) {
        var value = pair[1][1], line = pair[0];
        if (TERMINATION[value]) { found.push(sig("connection_termination_details", value, line)); return; }
        found.push(sig("response_code_details", value, line));
        if (value.indexOf("upstream_reset_") === 0) {
          var inner = value.slice(value.indexOf("{") + 1, -1), bar = inner.indexOf("|");
          var reason = bar === -1 ? inner : inner.slice(0, bar), transport = bar === -1 ? "" : inner.slice(bar + 1);
          found.push(sig("reset_reason", reason.replace(/_/g, " "), line));
          if (transport) found.push(sig("transport_failure_reason", transport, line));
        }
      });
      return found;
    });
    // response_flags
    var FLAG = v.flags.join("|"), LIST = "(?:" + FLAG + ")(?:,(?:" + FLAG + "))*";
    var CONTEXTS = new RegExp("(?<![\\w./-])(?:[1-5][0-9][0-9]|0) (" + LIST + ")(?!\\w)" +
      "|(?:" + anyCase("response[ _]?flags?|flags?") + ")[\"']?\\s{0,3}[:=]?\\s{0,3}[\"']?(" + LIST + ")(?!\\w)", "g");
    var FLAG_NEEDLES = ["flag", "FLAG", "Flag"].concat(v.flags.map(function (f) { return " " + f; }));
    list.push(function (paste) {
      var found = [];
      matches(paste, CONTEXTS, FLAG_NEEDLES).forEach(function (pair) {
        (pair[1][1] || pair[1][2]).split(",").forEach(function (f) { found.push(sig("response_flag", f, pair[0])); });
      });
      return found;
    });
    // tls
    var TLS_CODE = /(?:SSL routines|OPENSSL_internal)[:_]{1,2}(?:[a-z0-9_]{1,60}:)?([A-Z][A-Z0-9_]{3,63})\b|\b((?:SSLV3|TLSV1(?:_[0-9])?)_ALERT_[A-Z_]{3,40}|SSL_ERROR_[A-Z_]{3,30}|CERTIFICATE_VERIFY_FAILED|WRONG_VERSION_NUMBER|UNKNOWN_PROTOCOL|HTTP_REQUEST|NO_SHARED_CIPHER)\b/g;
    var TLS_WORDS = [
      [/wrong version number/gi, "WRONG_VERSION_NUMBER"], [/\bunknown protocol\b/gi, "UNKNOWN_PROTOCOL"],
      [/certificate verify failed/gi, "CERTIFICATE_VERIFY_FAILED"],
      [/x509: certificate signed by unknown authority|unable to get local issuer certificate|self[- ]signed certificate/g, "UNKNOWN_AUTHORITY"],
      [/x509: certificate has expired|certificate has expired|CERTIFICATE_EXPIRED/g, "CERTIFICATE_EXPIRED"],
      [/x509: certificate is valid for|no alternative certificate subject name matches|doesn't contain any IP SANs|certificate subject name .{0,100} does not match/g, "HOSTNAME_MISMATCH"],
      [/verify error:num=62:hostname mismatch/gi, "HOSTNAME_MISMATCH"],
      [/tls: handshake failure|sslv3 alert handshake failure/gi, "HANDSHAKE_FAILURE"],
      [/tls: first record does not look like a TLS handshake/g, "NOT_TLS"],
    ];
    var CODE_NEEDLES = ["SSL", "TLS", "CERTIFICATE", "WRONG", "UNKNOWN", "HTTP_REQUEST", "CIPHER"];
    var WORD_NEEDLES = ["version number", "protocol", "certificate", "x509", "handshake", "sans", "tls:", "mismatch"];
    var HOST_NEEDLES = ["curl", "openssl", "* host ", "connected to", "proxy tunnel", "matched cert", "subject", "depth=0", " s:"];
    var SECOND = { co: 1, com: 1, net: 1, org: 1, gov: 1, ac: 1, edu: 1 };
    function site(name) {
      var labels = name.split(".");
      var keep = labels.length >= 3 && labels[labels.length - 1].length === 2 && SECOND[labels[labels.length - 2]] ? 3 : 2;
      return labels.slice(-keep).join(".");
    }
    function sameSite(host, name) {
      if (name.indexOf("*.") === 0) name = name.slice(2);
      if (name.indexOf(".") === -1) return host.split(".")[0] === name;
      return site(name) === site(host);
    }
    function commandHost(line) {
      var seen = null;
      if (line.indexOf("s_client") !== -1) seen = /\s-servername[ =]([A-Za-z0-9.-]{1,253})/.exec(line) || /\s-connect[ =]([A-Za-z0-9.-]{1,253})/.exec(line);
      else if (line.indexOf("curl") !== -1) seen = /\bhttps:\/\/([A-Za-z0-9.-]{1,253})/.exec(line);
      return seen ? seen[1].toLowerCase().replace(/\.+$/, "") : null;
    }
    function anotherHost(paste) {
      if (paste.text.indexOf("CN") === -1) return [];
      var found = [], session = [], host = null, named = false;
      paste.regions(HOST_NEEDLES, true).forEach(function (region) {
        var first = paste.lineAt(region[0]);
        region[1].split("\n").forEach(function (line, index) {
          var number = first + index, seen, leaf;
          if (/\b(?:curl|openssl)\s/.test(line)) { found = found.concat(session); session = []; host = commandHost(line); named = host !== null; }
          else if (line.indexOf("matched cert's") !== -1) session = [];
          else if ((seen = /^\* (?:Host|Connected to|Establish HTTP proxy tunnel to) ([A-Za-z0-9.-]{1,253})[ :]/.exec(line)) && !named) host = seen[1].toLowerCase().replace(/\.+$/, "");
          else if ((leaf = /^(?:\*\s+subject:|subject=|depth=0 |\s*0 s:)[^\n]*?\bCN ?= ?([*A-Za-z0-9.-]{1,253})/.exec(line)) && host &&
            host.indexOf(".") !== -1 && !/^(?:[0-9.]+|[0-9a-fA-F:]+)$/.test(host) && !sameSite(host, leaf[1].toLowerCase()))
            session.push(sig("tls_error", "CERTIFICATE_FOR_ANOTHER_HOST", number));
        });
      });
      return found.concat(session);
    }
    list.push(function (paste) {
      var found = findAll(paste, TLS_CODE, "tls_error", firstGroup, CODE_NEEDLES);
      TLS_WORDS.forEach(function (w) { found = found.concat(findAll(paste, w[0], "tls_error", constant(w[1]), WORD_NEEDLES, true)); });
      return found.concat(anotherHost(paste));
    });
    // webhooks
    list.push(function (paste) {
      return findAll(paste, /(?:failed calling webhook|admission webhook) \\?"([a-z0-9][a-z0-9.-]{0,250})\\?"/g, "webhook", firstGroup, ["webhook"]);
    });
    // xds
    list.push(function (paste) {
      return findAll(paste, /type\.googleapis\.com\/envoy\.(?:config|extensions|service)\.[a-z0-9_.]{1,80}\.v3\.([A-Za-z]{3,40})/g, "xds_type", firstGroup, ["type.googleapis.com/"]);
    });
    // data_plane
    planes.forEach(function (p) {
      var re = toRegExp(p.pattern, true);
      list.push(function (paste) { return findAll(paste, re, "data_plane", constant(p.value), p.needles, true); });
    });
    return list;
  }

  // Entities of a paste and filling `$PLACEHOLDER`s with them, as kb.entities (its patterns, exported).
  function Entities(e) {
    var finders = e.finders.map(function (f) { return { name: f.name, re: toRegExp(f.pattern, true), needles: f.needles }; });
    var SERVICE = toRegExp(e.service_host, false), IP = exactly(e.ip), DEPLOYMENT = toRegExp(e.deployment_pod, false);
    var SAFE = exactly(e.safe_value), PLAIN = exactly(e.plain_value), PLACEHOLDER = toRegExp(e.placeholder, true);
    var known = {}; e.placeholders.forEach(function (name) { known[name] = true; });
    function host(value, line, out) {
      if (!value || value === "-" || IP.test(value)) return;
      out.push(["HOST", value, line]);
      var m = SERVICE.exec(value);
      if (m) { out.push(["SERVICE", m[1], line]); out.push(["SERVICE_NAMESPACE", m[2], line]); }
    }
    function pod(name, namespace, line, out) {
      var gateway = e.gateway_pods.some(function (prefix) { return name.indexOf(prefix) === 0; });
      out.push([gateway ? "GATEWAY_POD" : "POD", name, line]);
      var deployment = DEPLOYMENT.exec(name);
      if (deployment && !gateway) out.push(["DEPLOYMENT", deployment[1], line]);
      if (namespace) out.push([gateway ? "GATEWAY_NAMESPACE" : "NAMESPACE", namespace, line]);
    }
    function cluster(value, line, out) {
      out.push(["CLUSTER", value, line]);
      var parts = value.split("|");
      if (parts.length !== 4) return;
      out.push(["PORT", parts[1], line]);
      if (parts[2]) out.push(["SUBSET", parts[2], line]);
      host(parts[3], line, out);
    }
    var YIELD = {
      cluster: function (m, line, out) { cluster(m[1] || m[2], line, out); },
      node: function (m, line, out) { out.push(["IP", m[1], line]); pod(m[2], m[3], line, out); },
      pod: function (m, line, out) {
        var value = m[1] || m[2] || m[3], dot = value.indexOf(".");
        pod(dot < 0 ? value : value.slice(0, dot), dot < 0 ? null : value.slice(dot + 1), line, out);
      },
      pod_row: function (m, line, out) { pod(m[2], m[1], line, out); },
      namespace: function (m, line, out) { if (m[1]) out.push(["NAMESPACE", m[1], line]); },
      istiod: function (m, line, out) { if (m[1]) out.push(["REVISION", m[1], line]); out.push(["ISTIO_NAMESPACE", m[2], line]); },
      url: function (m, line, out) { host(m[1], line, out); if (m[2]) out.push(["PORT", m[2], line]); },
      host_header: function (m, line, out) { host(m[1], line, out); },
      secret: function (m, line, out) { var v = m[1] ? m[1] : m[2]; if (v) out.push(["SECRET", v, line]); },
      ip: function (m, line, out) { if (m[1].indexOf("127.") !== 0 && m[1].indexOf("0.") !== 0) out.push(["IP", m[1], line]); },
    };
    this.find = function (paste) {
      var out = [];
      textRecords(paste).forEach(function (pair) { host((pair[1].authority || "").split(":")[0], pair[0], out); });
      finders.forEach(function (f) {
        matches(paste, f.re, f.needles, false).forEach(function (pair) { YIELD[f.name](pair[1], pair[0], out); });
      });
      var found = out.map(function (item, order) { return { name: item[0], value: item[1], line: item[2], order: order }; });
      found.sort(function (a, b) { return a.line - b.line || a.order - b.order; });
      return found.map(function (x) { return { name: x.name, value: x.value, line: x.line }; });
    };
    this.values = function (found) {
      var values = {};
      found.forEach(function (x) { if (!(x.name in values)) values[x.name] = x.value; });
      return values;
    };
    this.fill = function (command, values) {
      return command.replace(PLACEHOLDER, function (all, name, offset) {
        var value = known[name] && Object.prototype.hasOwnProperty.call(values, name) ? values[name] : undefined;
        if (value === undefined || !SAFE.test(value)) return all;
        var quoted = (command.slice(0, offset).split('"').length - 1) % 2 === 1;
        // shlex.quote: every safe value that is not plain holds a character the shell reads (`|`, `*`, `[`).
        return quoted || PLAIN.test(value) ? value : "'" + value + "'";
      });
    };
  }

  // Steps for the matched causes first, then the paste's data plane's, then the rest (kb.matcher.order_steps).
  function orderSteps(steps, causes, plane) {
    return steps.map(function (step, index) {
      var forCause = causes.length;
      step.causes.forEach(function (c) { var at = causes.indexOf(c); if (at >= 0 && at < forCause) forCause = at; });
      var forPlane = plane !== null && step.data_planes.indexOf(plane) >= 0 ? 0 : 1;
      return { step: step, key: [forCause, forPlane, index] };
    }).sort(function (a, b) { return a.key[0] - b.key[0] || a.key[1] - b.key[1] || a.key[2] - b.key[2]; })
      .map(function (x) { return x.step; });
  }

  function cmp(a, b) { return a < b ? -1 : a > b ? 1 : 0; }
  function dedupe(signals, maxLines) {
    var seen = {}, unique = [];
    signals.forEach(function (s) { var k = s.line + "\u0000" + s.kind + "\u0000" + s.value; if (!seen[k]) { seen[k] = 1; unique.push(s); } });
    unique.sort(function (a, b) { return a.line - b.line || cmp(a.kind, b.kind) || cmp(a.value, b.value); });
    var count = {}, kept = [];
    unique.forEach(function (s) { var k = s.kind + "\u0000" + s.value; count[k] = (count[k] || 0) + 1; if (count[k] <= maxLines) kept.push(s); });
    return kept;
  }

  function Matcher(data, RE2JS) {
    this.data = data;
    this.c = data.constants;
    this.meshWords = toRegExp(data.calibration.mesh_words);
    this.namesSidecars = toRegExp(data.calibration.names_sidecars);
    this.extractors = Extractors(data.vocabulary, data.data_plane);
    this.entities = new Entities(data.entities);
    this.RE2JS = RE2JS;
    this.compiled = {};
    var generic = {};
    data.generic_kinds.forEach(function (k) { generic[k] = true; });
    var genericSignals = {};
    data.generic_signals.forEach(function (pair) { genericSignals[pair[0] + "\u0000" + pair[1]] = true; });
    this.generic = function (kind, value) { return !!generic[kind] || (value !== undefined && !!genericSignals[kind + "\u0000" + value]); };
    var boiler = {}; data.boilerplate.forEach(function (w) { boiler[w] = true; });
    this.boilerplate = boiler;
    var fields = data.index.fields;
    this.zhWords = fields.zh.postings;
  }
  Matcher.prototype.re = function (pattern) {
    var hit = this.compiled[pattern];
    if (hit === undefined) hit = this.compiled[pattern] = this.RE2JS.compile(pattern);
    return hit;
  };
  Matcher.prototype.signals = function (paste) {
    var all = [];
    this.extractors.forEach(function (extract) { all = all.concat(extract(paste)); });
    return dedupe(all, this.c.MAX_LINES_PER_SIGNAL);
  };
  Matcher.prototype.judge = function (paste, signals) {
    var self = this, byKind = {}, offsets = {};
    signals.forEach(function (s) { (byKind[s.kind] = byKind[s.kind] || []).push(s); });
    var judgements = {}, order = [];
    this.data.rules.forEach(function (rule) {
      var lines = {}, holds = rule.when.every(function (c) {
        if (c.pattern !== undefined) {
          if (!(c.pattern in offsets)) {
            var m = self.re(c.pattern).matcher(paste.text);
            offsets[c.pattern] = m.find() ? m.start() : -1;
          }
          if (offsets[c.pattern] < 0) return false;
          lines[paste.lineAt(offsets[c.pattern])] = true;
          return true;
        }
        var found = (byKind[c.signal] || []).filter(function (s) {
          if (c.equals !== undefined) return s.value.toLowerCase() === c.equals.toLowerCase();
          if (c.matches !== undefined) return self.re(c.matches).matcher(s.value).find();
          return true;
        });
        found.forEach(function (s) { lines[s.line] = true; });
        return found.length > 0;
      });
      if (!holds) return;
      var j = judgements[rule.runbook];
      if (!j) { j = judgements[rule.runbook] = { evidence: [], excluded: null }; order.push(rule.runbook); }
      if (rule.excludes) { j.excluded = j.excluded || rule.name; return; }
      j.evidence.push({
        signature: rule.name, weight: rule.weight, note: rule.note, cause: rule.cause,
        lines: Object.keys(lines).map(Number).sort(function (a, b) { return a - b; }),
        matched: rule.when.map(describe),
        specific: rule.when.some(function (c) { return c.signal !== undefined && !self.generic(c.signal, c.equals); }),
        // Every condition a signal any client or cluster prints (kb.rank.Evidence.generic).
        generic: rule.when.every(function (c) { return c.signal !== undefined && self.generic(c.signal, c.equals); }),
      });
    });
    return { byId: judgements, order: order };
  };
  function describe(c) {
    if (c.pattern !== undefined) return "pattern /" + c.pattern + "/";
    if (c.equals !== undefined) return c.signal + " = " + c.equals;
    if (c.matches !== undefined) return c.signal + " ~ /" + c.matches + "/";
    return c.signal + " present";
  }
  Matcher.prototype.df = function (field, term) {
    var p = this.data.index.fields[field].postings[term];
    return p ? p.length / 2 : 0;
  };
  // The browser has no Snowball stemmer: words the runbooks contain are looked up, others lose a suffix.
  Matcher.prototype.stem = function (word) {
    var stems = this.data.stems;
    if (Object.prototype.hasOwnProperty.call(stems, word)) return stems[word];
    var suffixes = ["s", "es", "ed", "ing", "ly", "er", "ers"];
    for (var i = 0; i < suffixes.length; i++) {
      var s = suffixes[i];
      if (word.length > s.length + 2 && word.slice(-s.length) === s) {
        var base = word.slice(0, -s.length);
        if (Object.prototype.hasOwnProperty.call(stems, base)) return stems[base];
      }
    }
    return null;
  };
  Matcher.prototype.englishTerms = function (text) {
    var self = this, counts = new Map();
    (text.toLowerCase().match(/[\p{L}\p{N}_]+(?:\.?[\p{L}\p{N}_]+)*/gu) || []).forEach(function (w) { counts.set(w, (counts.get(w) || 0) + 1); });
    var abbreviations = this.data.abbreviations;
    Array.from(counts.keys()).filter(function (w) { return Object.prototype.hasOwnProperty.call(abbreviations, w); }).forEach(function (short) {
      abbreviations[short].split(" ").forEach(function (w) { counts.set(w, (counts.get(w) || 0) + counts.get(short)); });
    });
    var stems = new Map();
    counts.forEach(function (count, word) {
      if (self.boilerplate[word] || (/[0-9]/.test(word) && !/^[1-5][0-9][0-9]$/.test(word))) return;
      var stem = self.stem(word);
      if (stem) stems.set(stem, (stems.get(stem) || 0) + count);
    });
    var total = Math.max(this.data.index.documents, 1), scored = [];
    stems.forEach(function (_, stem) {
      var f = self.data.english_fields.reduce(function (sum, field) { return sum + self.df(field, stem); }, 0);
      if (f) scored.push([Math.log(1 + total / f), stem]);
    });
    scored.sort(function (a, b) { return b[0] - a[0] || cmp(a[1], b[1]); });
    return scored.slice(0, this.c.ENGLISH_TERMS).map(function (p) { return p[1]; });
  };
  Matcher.prototype.chineseTerms = function (text) {
    var runs = text.match(/[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+/g) || [];
    var self = this, found = new Map(), max = this.c.MAX_ZH_WORD;
    runs.forEach(function (run) {
      for (var s = 0; s < run.length; s++)
        for (var e = s + 1; e <= Math.min(run.length, s + max); e++) {
          var w = run.slice(s, e);
          if (Object.prototype.hasOwnProperty.call(self.zhWords, w)) found.set(w, (found.get(w) || 0) + 1);
        }
    });
    var words = Array.from(found.keys()).filter(function (w) { return w.length > 1; });
    words.sort(function (a, b) { return b.length - a.length || self.df("zh", a) - self.df("zh", b) || cmp(a, b); });
    return words.slice(0, this.c.ZH_TERMS);
  };
  Matcher.prototype.terms = function (text, signals) {
    var self = this, pairs = [], seen = {};
    signals.forEach(function (s) {
      var token = s.kind + "=" + s.value.trim().split(/\s+/).join("_");
      if (!seen[token]) { seen[token] = 1; if (self.df("exact", token)) pairs.push(["exact", token]); }
    });
    this.englishTerms(text).forEach(function (term) {
      self.data.english_fields.forEach(function (field) { if (self.df(field, term)) pairs.push([field, term]); });
    });
    this.chineseTerms(text).forEach(function (term) { pairs.push(["zh", term]); });
    return pairs;
  };
  Matcher.prototype.search = function (pairs, limit) {
    var index = this.data.index, n = index.documents, B = this.c.BM25_B, K1 = this.c.BM25_K1;
    var scores = {}, held = {};
    pairs.forEach(function (pair) {
      var field = index.fields[pair[0]], postings = field.postings[pair[1]];
      if (!postings) return;
      var df = postings.length / 2, idf = Math.log(n / (df + 1)) + 1, avg = field.average || 1;
      for (var i = 0; i < postings.length; i += 2) {
        var doc = postings[i], weight = postings[i + 1], score;
        if (field.scorable) {
          var length = field.lengths[doc] || 1;
          score = idf * ((weight * (K1 + 1)) / (weight + K1 * ((1 - B) + B * length / avg)));
        } else score = weight;
        scores[doc] = (scores[doc] || 0) + score;
        (held[doc] = held[doc] || {})[pair[1]] = true;
      }
    });
    var docs = Object.keys(scores).map(Number);
    docs.sort(function (a, b) { return scores[b] - scores[a] || a - b; });
    var forTerms = this.c.TERMS_FOR;
    return docs.slice(0, limit).map(function (doc, rank) {
      return { id: index.ids[doc], score: scores[doc], terms: rank < forTerms ? Object.keys(held[doc]).sort() : [] };
    });
  };
  Matcher.prototype.confidence = function (weight, specific, share, terms, lead, mesh) {
    var c = this.c;
    if (weight >= c.HIGH_EVIDENCE && (specific || mesh)) return "high";
    if (weight >= c.MEDIUM_EVIDENCE) return "medium";
    if (share === 1.0 && terms >= c.BM25_ONLY_MIN_TERMS && lead >= c.BM25_ONLY_LEAD) return "medium";
    return "low";
  };
  // kb.calibration: whether a paste is about a mesh at all, and when one clear winner is a high answer.
  Matcher.prototype.clearWinner = function (evidence, score, runnerUp, agreed) {
    var c = this.c;
    if (evidence >= c.STRONG_WINNER_EVIDENCE && score >= c.STRONG_WINNER_LEAD * runnerUp) return true;
    if (agreed && evidence >= c.AGREED_WINNER_EVIDENCE && score >= c.AGREED_WINNER_LEAD * runnerUp) return true;
    return evidence >= c.WINNER_EVIDENCE && score >= c.WINNER_LEAD * runnerUp;
  };
  Matcher.prototype.sidecarOnly = function (id) {
    var planes = (this.data.runbooks[id] || {}).data_planes || [];
    return planes.indexOf("ambient") < 0;
  };
  // The best-scored medium result becomes high when it is a clear winner and nothing else is high (kb.matcher).
  Matcher.prototype.promote = function (results, mesh, ambient) {
    if (!results.length || results.some(function (r) { return r.confidence === "high"; })) return;
    var ranked = results.slice().sort(function (a, b) { return b.score - a.score; });
    var best = ranked[0], runnerUp = ranked.length > 1 ? ranked[1].score : 0;
    var evidence = best.evidence.reduce(function (sum, e) { return sum + e.weight; }, 0);
    var shown = mesh || best.evidence.some(function (e) { return e.specific; });
    var most = Math.max.apply(null, results.map(function (r) { return r.bm25; }));
    var agreed = shown && most > 0 && best.bm25 >= most;
    if (ambient && this.sidecarOnly(best.id)) return;
    if (best.confidence === "medium" && this.clearWinner(evidence, best.score, runnerUp, agreed)) best.confidence = "high";
  };
  Matcher.prototype.match = function (raw, limit) {
    var self = this, c = this.c;
    var text = raw.replace(/\r\n/g, "\n").replace(/\r/g, "\n").replace(/[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]/g, "");
    var paste = new Paste(text), signals = this.signals(paste);
    var judged = this.judge(paste, signals);
    var hits = this.search(this.terms(text, signals), c.BM25_CANDIDATES);
    var mesh = signals.some(function (s) { return !self.generic(s.kind, s.value); });
    var aboutMesh = mesh || this.meshWords.test(text);
    var byId = {}; hits.forEach(function (h) { byId[h.id] = h; });
    var top = hits.length ? hits[0].score : 0, runnerUp = hits.length > 1 ? hits[1].score : 0;
    var ids = judged.order.slice();
    hits.forEach(function (h) { if (!judged.byId[h.id]) ids.push(h.id); });
    var values = this.entities.values(this.entities.find(paste));
    var planes = signals.filter(function (s) { return s.kind === "data_plane"; }).map(function (s) { return s.value; });
    var plane = planes.indexOf("ambient") >= 0 ? "ambient" : planes.length ? planes[0] : null;
    // An ambient-only paste (ztunnel or waypoint output, no sidecar shown or named) lowers sidecar-only runbooks.
    var ambient = planes.length > 0 && planes.every(function (p) { return p === "ambient"; }) && !this.namesSidecars.test(text);
    var tiers = { high: 0, medium: 1, low: 2 }, results = [];
    ids.forEach(function (id) {
      var j = judged.byId[id] || { evidence: [], excluded: null };
      if (j.excluded) return;
      var hit = byId[id], share = hit && top > 0 ? hit.score / top : 0;
      var lead = hit ? (runnerUp > 0 ? hit.score / runnerUp : Infinity) : 0;
      var weight = j.evidence.reduce(function (sum, e) { return sum + e.weight; }, 0);
      var specific = j.evidence.some(function (e) { return e.specific; });
      var terms = hit ? hit.terms : [];
      var causes = [];
      j.evidence.forEach(function (e) { if (e.cause && causes.indexOf(e.cause) < 0) causes.push(e.cause); });
      var confidence = self.confidence(weight, specific, share, terms.length, lead, mesh);
      var beyondGeneric = j.evidence.reduce(function (sum, e) { return e.generic ? sum : sum + e.weight; }, 0);
      if (!aboutMesh && beyondGeneric < c.HIGH_EVIDENCE) confidence = "low";
      var score = weight + c.BM25_WEIGHT * share;
      if (ambient && self.sidecarOnly(id)) {
        score *= c.SIDECAR_ONLY_IN_AMBIENT;
        if (confidence === "high") confidence = "medium";
      }
      results.push({
        causes: causes,
        id: id, score: score, bm25: hit ? hit.score : 0, terms: terms,
        confidence: confidence,
        evidence: j.evidence.slice().sort(function (a, b) { return b.weight - a.weight || cmp(a.signature, b.signature); }),
      });
    });
    if (aboutMesh) this.promote(results, mesh, ambient);
    results.sort(function (a, b) { return tiers[a.confidence] - tiers[b.confidence] || b.score - a.score || cmp(a.id, b.id); });
    var shown = results.slice(0, limit || c.DEFAULT_LIMIT);
    shown.forEach(function (r) { r.commands = self.commands(r.id, r.causes, plane, values); });
    return { results: shown, signals: signals, entities: values };
  };
  // The first diagnosis and fix step's commands (for the matched causes first), placeholders filled.
  Matcher.prototype.commands = function (id, causes, plane, values) {
    var shown = this.data.runbooks[id] || {}, entities = this.entities, out = {};
    ["diagnosis", "fix"].forEach(function (part) {
      var first = orderSteps(shown[part] || [], causes, plane)[0];
      out[part] = first ? first.commands.map(function (command) { return entities.fill(command, values); }) : [];
    });
    return out;
  };

  global.KBMatcher = Matcher;
})(window);
