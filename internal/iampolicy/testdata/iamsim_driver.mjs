// Differential-test driver for @cloud-copilot/iam-simulate (AGPL; installed
// at test time under testtools/node_modules and run as a separate process —
// none of its code or fixtures is part of fnurl).
//
// Reads one JSON case per line on stdin:
//   {"id": "...", "simulation": {...runSimulation input...}}
// and writes one JSON line per case on stdout:
//   {"id", "resultType", "overallResult", "blockedBy", "sameAccount",
//    "ignoredContextKeys", "errors"}
//
// Usage: node iamsim_driver.mjs <path to iam-simulate's package directory>
import { createInterface } from 'node:readline'
import { pathToFileURL } from 'node:url'
import path from 'node:path'

const pkgDir = process.argv[2]
if (!pkgDir) {
  console.error('usage: node iamsim_driver.mjs <iam-simulate package dir>')
  process.exit(2)
}
const { runSimulation } = await import(pathToFileURL(path.join(pkgDir, 'dist/esm/index.js')).href)

const rl = createInterface({ input: process.stdin, crlfDelay: Infinity })
const out = []
const flush = () => {
  if (out.length > 0) {
    process.stdout.write(out.join('\n') + '\n')
    out.length = 0
  }
}
for await (const line of rl) {
  if (line.trim() === '') continue
  let c
  try {
    c = JSON.parse(line)
  } catch (e) {
    out.push(JSON.stringify({ id: null, resultType: 'error', errors: { message: 'bad input line: ' + e.message } }))
    continue
  }
  let r
  try {
    r = await runSimulation(c.simulation, { simulationMode: 'Strict' })
  } catch (e) {
    out.push(JSON.stringify({ id: c.id, resultType: 'error', errors: { message: 'exception: ' + e.message } }))
    continue
  }
  const res = { id: c.id, resultType: r.resultType, overallResult: r.overallResult }
  if (r.resultType === 'error') {
    res.errors = r.errors
  } else if (r.resultType === 'single') {
    res.blockedBy = r.result.analysis.blockedBy ?? []
    res.sameAccount = r.result.analysis.sameAccount
    res.ignoredContextKeys = r.result.ignoredContextKeys ?? []
  }
  out.push(JSON.stringify(res))
  if (out.length >= 256) flush()
}
flush()
