// Signs a batch of requests with @smithy/signature-v4 (the AWS SDK for
// JavaScript v3 signer) or aws4, for sigv4's differential tests.
//
// Usage: node sign_node.cjs smithy|aws4, with a JSON list of requests on
// stdin. Writes a JSON list of {id, path, query, target, headers}: smithy
// returns the path and the query as decoded pairs (the test encodes them for
// the wire); aws4 returns the full target it rewrote. Modules are resolved
// through NODE_PATH (the project's testtools/node_modules).
"use strict";

const which = process.argv[2];

function readStdin() {
  return new Promise((resolve, reject) => {
    const chunks = [];
    process.stdin.on("data", (c) => chunks.push(c));
    process.stdin.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    process.stdin.on("error", reject);
  });
}

function headerObject(pairs) {
  const h = {};
  for (const [k, v] of pairs || []) {
    if (Object.prototype.hasOwnProperty.call(h, k)) throw new Error("repeated header " + k);
    h[k] = v;
  }
  return h;
}

async function smithy(reqs) {
  const { SignatureV4 } = require("@smithy/signature-v4");
  const { Sha256 } = require("@aws-crypto/sha256-js");
  const out = [];
  for (const r of reqs) {
    try {
      const signer = new SignatureV4({
        credentials: { accessKeyId: r.akid, secretAccessKey: r.secret, sessionToken: r.token || undefined },
        region: r.region,
        service: r.service,
        sha256: Sha256,
        uriEscapePath: true,
        applyChecksum: !!r.apply_checksum,
      });
      const query = {};
      for (const [k, v] of r.query || []) {
        if (Object.prototype.hasOwnProperty.call(query, k)) {
          query[k] = [].concat(query[k], v);
        } else {
          query[k] = v;
        }
      }
      const headers = headerObject(r.headers);
      headers.host = r.host;
      const body = Buffer.from(r.body || "", "base64");
      const req = {
        method: r.method,
        protocol: "http:",
        hostname: r.host,
        path: r.path,
        query,
        headers,
        body: body.length ? body : undefined,
      };
      const opts = { signingDate: new Date(r.time) };
      let signed;
      if (r.presign) {
        opts.expiresIn = r.expires;
        signed = await signer.presign(req, opts);
      } else {
        signed = await signer.sign(req, opts);
      }
      const q = [];
      for (const k of Object.keys(signed.query || {})) {
        for (const v of [].concat(signed.query[k])) q.push([k, String(v)]);
      }
      out.push({ id: r.id, path: signed.path, query: q, headers: Object.entries(signed.headers).map(([k, v]) => [k, String(v)]) });
    } catch (e) {
      out.push({ id: r.id, error: String(e && e.stack || e) });
    }
  }
  return out;
}

async function aws4(reqs) {
  const aws4 = require("aws4");
  const out = [];
  for (const r of reqs) {
    try {
      const headers = headerObject(r.headers);
      let path = r.path;
      let rawQuery = r.raw_query || "";
      if (r.presign) {
        const extra = "X-Amz-Date=" + r.amz_date + "&X-Amz-Expires=" + r.expires;
        rawQuery = rawQuery ? rawQuery + "&" + extra : extra;
      } else {
        headers["X-Amz-Date"] = r.amz_date;
      }
      if (rawQuery) path += "?" + rawQuery;
      const body = Buffer.from(r.body || "", "base64");
      const opts = {
        host: r.host,
        method: r.method,
        path,
        headers,
        service: r.service,
        region: r.region,
        signQuery: !!r.presign,
      };
      if (body.length) opts.body = body;
      const signed = aws4.sign(opts, { accessKeyId: r.akid, secretAccessKey: r.secret, sessionToken: r.token || undefined });
      out.push({ id: r.id, target: signed.path, headers: Object.entries(signed.headers).map(([k, v]) => [k, String(v)]) });
    } catch (e) {
      out.push({ id: r.id, error: String(e && e.stack || e) });
    }
  }
  return out;
}

readStdin()
  .then((s) => {
    const reqs = JSON.parse(s);
    if (which === "smithy") return smithy(reqs);
    if (which === "aws4") return aws4(reqs);
    throw new Error("usage: node sign_node.cjs smithy|aws4");
  })
  .then((out) => process.stdout.write(JSON.stringify(out)))
  .catch((e) => {
    process.stderr.write(String(e && e.stack || e) + "\n");
    process.exit(1);
  });
