// Scores a results file of the HTTP cache test suite (npm http-cache-tests, cache-tests.fyi)
// with the suite's own rules (lib/display.mjs determineTestResult), and checks it against
// the allowed list. Called by tests/conformance/run; runs alone on any results file, e.g.
// the published ones in the package's results/ directory.
//
//   node score.mjs [--failures | --tap] PKGDIR RESULTS.json [ALLOWED]
//
// Prints the counts as one JSON object. --failures then lists the required failures (⛔️),
// one "id: message" a line, "(allowed)" after those in ALLOWED. --tap prints instead one TAP
// line per required test (a required failure not in ALLOWED is "not ok"), one "not ok" per
// allowed entry that no longer fails (stale) or names no test, and one line for the passes
// floor ("min-passes N" in ALLOWED); the exit status is 1 when any line is "not ok".

import fs from 'fs'
import path from 'path'
import { pathToFileURL } from 'url'

const args = process.argv.slice(2)
const mode = args[0] === '--failures' || args[0] === '--tap' ? args.shift() : ''
if (args.length < 2 || args.length > 3 || args[0].startsWith('-')) {
  console.error('usage: node score.mjs [--failures | --tap] PKGDIR RESULTS.json [ALLOWED]')
  process.exit(2)
}
const [pkg, resultsFile, allowedFile] = args
const load = f => import(pathToFileURL(path.resolve(pkg, f)).href)

const suites = [...(await load('tests/index.mjs')).default]
suites.push((await load('tests/surrogate-control.mjs')).default) // as cli.mjs does
const { determineTestResult } = await load('lib/display.mjs')
const results = JSON.parse(fs.readFileSync(resultsFile, 'utf8'))

// the suite's result symbols, in lib/display.mjs's order
const names = {
  '✅': 'passes',
  '⛔️': 'required_failures',
  '⚠️': 'optional_failures',
  Y: 'checks_yes',
  N: 'checks_no',
  '🔹': 'setup_failures',
  '⁉️': 'harness_failures',
  '⚪️': 'dependency_failures',
  '↻': 'retries',
  '-': 'untested'
}
// the same in words, for TAP lines
const words = {
  '✅': 'passes',
  '⛔️': 'fails',
  '⚠️': 'optional, fails',
  Y: 'check: yes',
  N: 'check: no',
  '🔹': 'setup failed',
  '⁉️': 'harness failed',
  '⚪️': 'a test it depends on failed',
  '↻': 'retried',
  '-': 'untested'
}
const counts = { tests: 0 }
for (const n of Object.values(names)) counts[n] = 0

const tests = [] // [test, symbol, message], in the suite's order
for (const suite of suites) {
  for (const test of suite.tests) {
    if (test.browser_only === true) continue // cli.mjs skips these too
    const symbol = determineTestResult(suites, test.id, results)[2]
    const r = results[test.id]
    const message = Array.isArray(r) ? String(r[1]).replace(/\s+/g, ' ').trim() : ''
    tests.push([test, symbol, message])
    counts.tests++
    counts[names[symbol]]++
  }
}

// ALLOWED: "ID # reason" lines, "min-passes N", blank lines and "#" comments
const allowed = new Map()
const bad = [] // lines that are none of these
let minPasses = null
if (allowedFile) {
  fs.readFileSync(allowedFile, 'utf8').split('\n').forEach((line, i) => {
    const t = line.trim()
    if (t === '' || t.startsWith('#')) return
    const m = t.match(/^min-passes\s+(\d+)$/) || []
    const e = t.match(/^(\S+)\s+#\s*(\S.*)$/) || []
    if (m[1] !== undefined) minPasses = Number(m[1])
    else if (e[1] !== undefined) allowed.set(e[1], e[2])
    else bad.push(`${path.basename(allowedFile)} line ${i + 1} is not "ID # reason" nor "min-passes N": ${t}`)
  })
}

console.log(JSON.stringify(counts))

if (mode === '--failures') {
  for (const [test, symbol, message] of tests) {
    if (symbol === '⛔️') console.log(`${test.id}: ${message}${allowed.has(test.id) ? ' (allowed)' : ''}`)
  }
}

if (mode === '--tap') {
  let n = 0
  let failed = 0
  const tap = (ok, text) => {
    console.log(`${ok ? 'ok' : 'not ok'} ${++n} - conformance: ${text}`)
    if (!ok) failed++
  }
  const seen = new Set()
  for (const [test, symbol, message] of tests) {
    if (test.kind !== undefined && test.kind !== 'required') continue
    seen.add(test.id)
    const reason = allowed.get(test.id)
    if (symbol === '⛔️' && reason === undefined) tap(false, `${test.id}: ${message}`)
    else if (symbol === '⛔️') tap(true, `${test.id} # allowed: ${reason}`)
    // an allowed entry must keep failing, or it goes: the list stays what fails today
    else if (reason !== undefined) tap(false, `${test.id}: in the allowed list but no longer fails (${words[symbol]} ${symbol}); remove it`)
    else if (symbol === '✅') tap(true, test.id)
    else tap(true, `${test.id} # ${words[symbol]} ${symbol}${message ? ': ' + message : ''}`)
  }
  for (const id of allowed.keys()) {
    if (!seen.has(id)) tap(false, `${id}: in the allowed list but not a required test of the suite`)
  }
  for (const b of bad) tap(false, b)
  const floor = minPasses === null ? 0 : minPasses
  tap(counts.passes >= floor, `passes: ${counts.passes}, floor (min-passes): ${floor}`)
  process.exit(failed ? 1 : 0)
}
