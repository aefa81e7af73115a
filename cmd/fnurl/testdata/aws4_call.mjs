// Calls a URL signed by the npm aws4 package (the signer behind Postman's
// "AWS Signature" auth) and prints the status and the body.
// Usage: node aws4_call.mjs METHOD URL REGION [BODY]
// Credentials: AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN.
import { createRequire } from 'node:module'
import http from 'node:http'
import https from 'node:https'

const require = createRequire(process.env.FNURL_NODE_MODULES + '/')
const aws4 = require('aws4')

const [method, raw, region, body] = process.argv.slice(2)
const u = new URL(raw)
const opts = {
  host: u.host, path: u.pathname + u.search, method, service: 'lambda', region,
  headers: body ? { 'Content-Type': 'application/json' } : {},
  body: body || undefined,
}
aws4.sign(opts, {
  accessKeyId: process.env.AWS_ACCESS_KEY_ID,
  secretAccessKey: process.env.AWS_SECRET_ACCESS_KEY,
  sessionToken: process.env.AWS_SESSION_TOKEN || undefined,
})
const lib = u.protocol === 'https:' ? https : http
const req = lib.request({ hostname: u.hostname, port: u.port, path: opts.path, method, headers: opts.headers }, (res) => {
  let data = ''
  res.on('data', (c) => { data += c })
  res.on('end', () => { process.stdout.write(JSON.stringify({ status: res.statusCode, body: data })) })
})
req.on('error', (e) => { console.error(e); process.exit(1) })
if (body) req.write(body)
req.end()
