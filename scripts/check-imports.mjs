// npm run depcruise: fails on any import cycle between files of src/, or between its top folders.
// Runs dependency-cruiser through its API rather than its CLI: the CLI refuses Node 20, which this project
// supports, while the API it wraps runs on it.
import { createRequire } from 'node:module';
import { cruise } from 'dependency-cruiser';

const require = createRequire(import.meta.url);
const config = require('../.dependency-cruiser.js');

const { output } = await cruise(['src'], { ...config.options, validate: true, ruleSet: { forbidden: config.forbidden } });
const problems = [];
for (const violation of output.summary.violations) {
  const path = violation.cycle ? [violation.from, ...violation.cycle.map((step) => step.name ?? step)].join(' -> ') : `${violation.from} -> ${violation.to}`;
  problems.push(`${violation.rule.name}: ${path}`);
}

// Folder level: src/<folder> (a file directly in src/ is its own node). A cycle is a strongly connected
// component of more than one node, found with Tarjan's algorithm.
const nodeOf = (file) => {
  const parts = file.split('/');
  return parts.length > 2 ? `${parts[0]}/${parts[1]}/` : file;
};
const excepted = (file) => (config.folderCycleExceptions ?? []).some((pattern) => pattern.test(file));
const edges = new Map();
for (const module of output.modules) {
  if (!module.source.startsWith('src/') || excepted(module.source)) continue;
  const from = nodeOf(module.source);
  if (!edges.has(from)) edges.set(from, new Map());
  for (const dependency of module.dependencies) {
    if (!dependency.resolved.startsWith('src/') || excepted(dependency.resolved)) continue;
    const to = nodeOf(dependency.resolved);
    if (to !== from && !edges.get(from).has(to)) edges.get(from).set(to, `${module.source} -> ${dependency.resolved}`);
  }
}
let index = 0;
const indexOf = new Map();
const low = new Map();
const stack = [];
const onStack = new Set();
const components = [];
const connect = (node) => {
  indexOf.set(node, index);
  low.set(node, index);
  index += 1;
  stack.push(node);
  onStack.add(node);
  for (const next of (edges.get(node) ?? new Map()).keys()) {
    if (!indexOf.has(next)) {
      connect(next);
      low.set(node, Math.min(low.get(node), low.get(next)));
    } else if (onStack.has(next)) low.set(node, Math.min(low.get(node), indexOf.get(next)));
  }
  if (low.get(node) === indexOf.get(node)) {
    const component = [];
    let member;
    do {
      member = stack.pop();
      onStack.delete(member);
      component.push(member);
    } while (member !== node);
    if (component.length > 1) components.push(component);
  }
};
for (const node of edges.keys()) if (!indexOf.has(node)) connect(node);
for (const component of components) {
  const members = new Set(component);
  const imports = [];
  for (const from of component) for (const [to, example] of edges.get(from) ?? []) if (members.has(to)) imports.push(`    ${example}`);
  problems.push(`folder cycle between ${component.sort().join(', ')}:\n${imports.join('\n')}`);
}

if (problems.length > 0) {
  console.error(`${problems.length} import problem(s):\n${problems.join('\n')}`);
  process.exit(1);
}
console.log(`imports ok: ${output.summary.totalCruised} modules, no cycle between files or folders of src/`);
