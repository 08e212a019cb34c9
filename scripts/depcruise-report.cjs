/**
 * dependency-cruiser reporter for `npm run lint`: prints every rule violation, then checks what its rules
 * cannot express, that the folders of src/ form no cycle (each top-level file counts as a folder of its own).
 * Exit code: the number of problems.
 */
const unit = (p) => {
  const parts = p.split('/');
  return parts.length > 2 ? `src/${parts[1]}/` : p;
};

module.exports = function report(result) {
  const lines = [];
  for (const v of result.summary.violations) {
    const via = v.cycle
      ? ` (cycle: ${v.cycle.map((c) => (typeof c === 'string' ? c : c.name)).join(' -> ')})`
      : '';
    lines.push(`${v.rule.name}: ${v.from} -> ${v.to}${via}`);
  }
  // The folder graph, with one example import per edge.
  const edges = new Map();
  for (const m of result.modules) {
    if (!m.source.startsWith('src/')) continue;
    for (const d of m.dependencies) {
      if (!d.resolved.startsWith('src/')) continue;
      const a = unit(m.source);
      const b = unit(d.resolved);
      if (a === b) continue;
      if (!edges.has(a)) edges.set(a, new Map());
      if (!edges.get(a).has(b)) edges.get(a).set(b, `${m.source} -> ${d.resolved}`);
    }
  }
  // Tarjan's strongly connected components: any component of more than one folder is a cycle.
  let index = 0;
  const idx = new Map();
  const low = new Map();
  const stack = [];
  const on = new Set();
  const components = [];
  const visit = (v) => {
    idx.set(v, index);
    low.set(v, index);
    index += 1;
    stack.push(v);
    on.add(v);
    for (const w of (edges.get(v) ?? new Map()).keys()) {
      if (!idx.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v), low.get(w)));
      } else if (on.has(w)) low.set(v, Math.min(low.get(v), idx.get(w)));
    }
    if (low.get(v) === idx.get(v)) {
      const c = [];
      let w;
      do {
        w = stack.pop();
        on.delete(w);
        c.push(w);
      } while (w !== v);
      if (c.length > 1) components.push(c);
    }
  };
  for (const v of edges.keys()) if (!idx.has(v)) visit(v);
  for (const c of components) {
    lines.push(`folder-cycle: ${c.sort().join(', ')} depend on each other:`);
    for (const a of c)
      for (const [b, example] of edges.get(a) ?? []) if (c.includes(b)) lines.push(`    ${example}`);
  }
  const problems = result.summary.violations.length + components.length;
  lines.push(
    problems === 0
      ? `dependencies: ${result.summary.totalCruised} modules, no cycle between files or folders, every folder entered through its index.ts`
      : `dependencies: ${problems} problem(s)`,
  );
  return { output: `${lines.join('\n')}\n`, exitCode: Math.min(problems, 100) };
};
