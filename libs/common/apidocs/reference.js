// Renders the OpenAPI document next to this page: tags, operations, parameters, bodies and responses.
(function () {
  "use strict";
  var METHODS = ["get", "post", "put", "patch", "delete"];

  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) { node.setAttribute(k, attrs[k]); });
    (children || []).forEach(function (c) {
      node.appendChild(typeof c === "string" ? document.createTextNode(c) : c);
    });
    return node;
  }

  function resolve(spec, schema) {
    if (schema && schema.$ref) {
      var parts = schema.$ref.replace(/^#\//, "").split("/");
      return parts.reduce(function (o, p) { return o && o[p]; }, spec);
    }
    return schema;
  }

  function shape(spec, schema, depth) {
    schema = resolve(spec, schema) || {};
    if (depth > 3) { return schema.type || "object"; }
    if (schema.type === "array") { return [shape(spec, schema.items, depth + 1)]; }
    if (schema.properties) {
      var out = {};
      Object.keys(schema.properties).forEach(function (k) { out[k] = shape(spec, schema.properties[k], depth + 1); });
      return out;
    }
    var type = Array.isArray(schema.type) ? schema.type.join("|") : (schema.type || "any");
    return schema.enum ? schema.enum.join("|") : type + (schema.format ? " (" + schema.format + ")" : "");
  }

  function operation(spec, path, method, op) {
    var body = el("div", {"class": "body"}, []);
    if (op.description) { body.appendChild(el("p", {}, [op.description])); }
    var params = (op.parameters || []).map(function (p) { return resolve(spec, p); });
    if (params.length) {
      var rows = params.map(function (p) {
        return el("tr", {}, [el("td", {}, [el("code", {}, [p.name])]), el("td", {}, [p["in"]]),
          el("td", {}, [p.required ? "required" : ""]), el("td", {}, [p.description || ""])]);
      });
      body.appendChild(el("table", {}, [el("tr", {}, [el("th", {}, ["parameter"]), el("th", {}, ["in"]),
        el("th", {}, [""]), el("th", {}, ["description"])])].concat(rows)));
    }
    var request = op.requestBody && resolve(spec, op.requestBody);
    if (request && request.content && request.content["application/json"]) {
      body.appendChild(el("p", {}, ["Request body:"]));
      body.appendChild(el("pre", {}, [JSON.stringify(shape(spec, request.content["application/json"].schema, 0),
        null, 2)]));
    }
    Object.keys(op.responses || {}).forEach(function (status) {
      var response = resolve(spec, op.responses[status]);
      var content = response.content && (response.content["application/json"] ||
        response.content["application/problem+json"]);
      body.appendChild(el("p", {}, [el("strong", {}, [status]), " " + (response.description || "")]));
      if (content && content.schema && status.charAt(0) === "2") {
        body.appendChild(el("pre", {}, [JSON.stringify(shape(spec, content.schema, 0), null, 2)]));
      }
    });
    return el("details", {}, [el("summary", {}, [el("span", {"class": "m " + method}, [method]), path + "  ",
      el("span", {"class": "muted"}, [op.summary || ""])]), body]);
  }

  function render(spec) {
    var byTag = {};
    Object.keys(spec.paths || {}).sort().forEach(function (path) {
      METHODS.forEach(function (method) {
        var op = spec.paths[path][method];
        if (!op) { return; }
        var tag = (op.tags && op.tags[0]) || "other";
        (byTag[tag] = byTag[tag] || []).push(operation(spec, path, method, op));
      });
    });
    var root = document.getElementById("reference");
    var nav = document.getElementById("tags");
    root.textContent = "";
    Object.keys(byTag).sort().forEach(function (tag) {
      nav.appendChild(el("a", {"href": "#tag-" + tag}, [tag]));
      root.appendChild(el("h2", {"id": "tag-" + tag}, [tag]));
      byTag[tag].forEach(function (node) { root.appendChild(node); });
    });
  }

  fetch("openapi.json").then(function (r) { return r.json(); }).then(render).catch(function (err) {
    document.getElementById("reference").textContent = "Could not load openapi.json: " + err;
  });
})();
