// fnurl's Node.js runtime interface client: speaks the Lambda Runtime API
// at AWS_LAMBDA_RUNTIME_API and runs the handler named by _HANDLER
// ("index.handler", "dir/file.fn"), ESM (.mjs, or .js under "type":"module")
// or CommonJS (.js, .cjs), async or callback style. Streaming handlers are
// wrapped with awslambda.streamifyResponse.
import http from 'node:http';
import fs from 'node:fs';
import path from 'node:path';
import util from 'node:util';
import { pathToFileURL } from 'node:url';

const API = process.env.AWS_LAMBDA_RUNTIME_API;
const [HOST, PORT] = [API.slice(0, API.lastIndexOf(':')), Number(API.slice(API.lastIndexOf(':') + 1))];
const BASE = '/2018-06-01/runtime';
const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
const STREAM = Symbol.for('aws.lambda.runtime.handler.streaming');

let currentId = '';

// console.* as Lambda prints it: time, request id, level, message.
for (const [name, level] of [['log', 'INFO'], ['info', 'INFO'], ['warn', 'WARN'], ['error', 'ERROR'], ['debug', 'DEBUG'], ['trace', 'TRACE']]) {
  console[name] = (...args) => {
    const msg = util.format(...args).replace(/\n/g, '\r');
    process.stdout.write(`${new Date().toISOString()}\t${currentId || 'undefined'}\t${level}\t${msg}\n`);
  };
}

function request(method, p, { body, headers } = {}) {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: HOST, port: PORT, path: BASE + p, method, agent, headers }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks) }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}

function errorBody(err) {
  if (err instanceof Error) {
    return {
      errorType: err.name || 'Error',
      errorMessage: err.message,
      trace: String(err.stack || '').split('\n'),
    };
  }
  return { errorType: 'string', errorMessage: typeof err === 'string' ? err : JSON.stringify(err), trace: [] };
}

async function postError(p, err, type) {
  const body = JSON.stringify(errorBody(err));
  await request('POST', p, {
    body,
    headers: { 'Content-Type': 'application/json', 'Lambda-Runtime-Function-Error-Type': type || (err && err.name) || 'Error' },
  });
}

class RuntimeError extends Error {
  constructor(name, message) { super(message); this.name = name; }
}

async function loadHandler() {
  const root = process.env.LAMBDA_TASK_ROOT;
  const h = process.env._HANDLER || '';
  const dot = h.lastIndexOf('.');
  if (dot <= 0) throw new RuntimeError('Runtime.MalformedHandlerName', `Bad handler ${h}: missing module or function name`);
  const modPath = h.slice(0, dot);
  const fnName = h.slice(dot + 1);
  let file;
  for (const ext of ['.js', '.mjs', '.cjs']) {
    const f = path.resolve(root, modPath + ext);
    if (fs.existsSync(f)) { file = f; break; }
  }
  if (!file) {
    throw new RuntimeError('Runtime.ImportModuleError', `Error: Cannot find module '${modPath}'\nRequire stack:\n- ${process.argv[1]}`);
  }
  let mod;
  try {
    mod = await import(pathToFileURL(file).href);
  } catch (e) {
    if (e instanceof SyntaxError) throw new RuntimeError('Runtime.UserCodeSyntaxError', `${e.name}: ${e.message}`);
    throw new RuntimeError('Runtime.ImportModuleError', `${e.name}: ${e.message}`);
  }
  let fn = mod[fnName];
  if (fn === undefined && mod.default && typeof mod.default === 'object') fn = mod.default[fnName];
  if (typeof fn !== 'function') {
    throw new RuntimeError('Runtime.HandlerNotFound', `${h} is undefined or not exported`);
  }
  return fn;
}

// awslambda global, as on Lambda.
class HttpResponseStream {
  static from(stream, prelude) {
    stream.setContentType('application/vnd.awslambda.http-integration-response');
    stream.write(JSON.stringify(prelude));
    stream.write(Buffer.alloc(8));
    return stream;
  }
}
globalThis.awslambda = {
  streamifyResponse(fn) { fn[STREAM] = true; return fn; },
  HttpResponseStream,
};

function makeContext(headers) {
  const deadline = Number(headers['lambda-runtime-deadline-ms']);
  const ctx = {
    callbackWaitsForEmptyEventLoop: true,
    functionName: process.env.AWS_LAMBDA_FUNCTION_NAME,
    functionVersion: process.env.AWS_LAMBDA_FUNCTION_VERSION,
    invokedFunctionArn: headers['lambda-runtime-invoked-function-arn'],
    memoryLimitInMB: process.env.AWS_LAMBDA_FUNCTION_MEMORY_SIZE,
    awsRequestId: headers['lambda-runtime-aws-request-id'],
    logGroupName: process.env.AWS_LAMBDA_LOG_GROUP_NAME,
    logStreamName: process.env.AWS_LAMBDA_LOG_STREAM_NAME,
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
  };
  if (headers['lambda-runtime-client-context']) {
    try { ctx.clientContext = JSON.parse(headers['lambda-runtime-client-context']); } catch { /* ignored */ }
  }
  if (headers['lambda-runtime-cognito-identity']) {
    try { ctx.identity = JSON.parse(headers['lambda-runtime-cognito-identity']); } catch { /* ignored */ }
  }
  return ctx;
}

function runBuffered(fn, event, ctx) {
  return new Promise((resolve, reject) => {
    let settled = false;
    const done = (err, result) => {
      if (settled) return;
      settled = true;
      if (err !== undefined && err !== null) reject(err); else resolve(result);
    };
    ctx.done = done;
    ctx.succeed = (r) => done(null, r);
    ctx.fail = (e) => done(e ?? new Error('handled'));
    try {
      const r = fn(event, ctx, done);
      if (r && typeof r.then === 'function') r.then((v) => done(null, v), (e) => done(e ?? new Error('rejected')));
      else if (fn.length < 3) done(null, r);
    } catch (e) { done(e); }
  });
}

function runStreaming(fn, event, ctx, id) {
  return new Promise((resolve) => {
    const req = http.request({
      host: HOST, port: PORT, path: `${BASE}/invocation/${id}/response`, method: 'POST', agent,
      headers: {
        'Lambda-Runtime-Function-Response-Mode': 'streaming',
        'Transfer-Encoding': 'chunked',
        'Trailer': 'Lambda-Runtime-Function-Error-Type, Lambda-Runtime-Function-Error-Body',
        'Content-Type': 'application/octet-stream',
      },
    }, (res) => { res.resume(); res.on('end', resolve); });
    req.on('error', () => resolve());
    req.setContentType = (t) => { if (!req.headersSent) req.setHeader('Content-Type', t); };
    const fail = (e) => {
      const b = errorBody(e);
      req.addTrailers({
        'Lambda-Runtime-Function-Error-Type': b.errorType,
        'Lambda-Runtime-Function-Error-Body': Buffer.from(JSON.stringify(b)).toString('base64'),
      });
      req.end();
    };
    try {
      const r = fn(event, req, ctx);
      Promise.resolve(r).then(() => { if (!req.writableEnded) req.end(); }, fail);
    } catch (e) { fail(e); }
  });
}

async function main() {
  let handler;
  try {
    handler = await loadHandler();
  } catch (e) {
    console.error(`${e.name}: ${e.message}`);
    await postError('/init/error', e, e.name);
    process.exit(1);
  }
  for (;;) {
    const next = await request('GET', '/invocation/next');
    const id = next.headers['lambda-runtime-aws-request-id'];
    currentId = id;
    const traceId = next.headers['lambda-runtime-trace-id'];
    if (traceId) process.env._X_AMZN_TRACE_ID = traceId; else delete process.env._X_AMZN_TRACE_ID;
    const ctx = makeContext(next.headers);
    let event;
    try {
      event = JSON.parse(next.body.toString('utf8') || 'null');
    } catch (e) {
      await postError(`/invocation/${id}/error`, e, 'Runtime.UnmarshalError');
      continue;
    }
    if (handler[STREAM]) {
      await runStreaming(handler, event, ctx, id);
      continue;
    }
    try {
      const result = await runBuffered(handler, event, ctx);
      const body = result === undefined ? 'null' : JSON.stringify(result);
      await request('POST', `/invocation/${id}/response`, { body, headers: { 'Content-Type': 'application/json' } });
    } catch (e) {
      const b = errorBody(e);
      console.error(`Invoke Error \t${JSON.stringify(b)}`);
      await postError(`/invocation/${id}/error`, e, b.errorType);
    }
  }
}

main().catch((e) => { console.error(e); process.exit(1); });
