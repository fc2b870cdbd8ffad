// A compiled nft table as data: declarations (counters, maps) and chains. Rendering it gives the ruleset
// text; comparing two of them tells whether a change is only map elements and service-chain rules,
// which can be updated in place (keeping dynamic maps such as affinity) instead of swapping the table.

export interface NftDecl {
  readonly kind: 'counter' | 'map';
  readonly name: string;
  /** The declaration lines before the elements ("typeof ... : ...; flags interval;"). */
  readonly head: readonly string[];
  /** Static elements; a dynamic map (filled by the packet path) has none. */
  readonly elements: readonly string[];
}

export interface NftChain {
  readonly name: string;
  /** Base chains: "type nat hook prerouting priority dstnat; policy accept;". */
  readonly hook?: string;
  readonly rules: readonly string[];
}

export interface NftTable {
  readonly family: 'ip' | 'ip6' | 'netdev';
  readonly name: string;
  readonly decls: readonly NftDecl[];
  /** In the order written: a base chain's jumps may name chains that follow it. */
  readonly chains: readonly NftChain[];
}

/** `elements = { ... }` over as many lines as needed, each at most `width` characters after `indent`. */
export function elementsBlock(elements: readonly string[], indent: string, width = 100): string {
  if (elements.length === 0) return '';
  const lines: string[] = [];
  let line = '';
  for (const e of elements) {
    const next = line === '' ? e : `${line}, ${e}`;
    if (line !== '' && next.length > width) {
      lines.push(`${line},`);
      line = e;
    } else line = next;
  }
  lines.push(line);
  return `elements = {\n${lines.map((l) => `${indent}  ${l}`).join('\n')}\n${indent}}`;
}

function renderDecl(d: NftDecl): string {
  const body = [...d.head, ...(d.elements.length > 0 ? [elementsBlock(d.elements, '    ')] : [])];
  return [`  ${d.kind} ${d.name} {`, ...body.map((l) => `    ${l}`), '  }'].join('\n');
}

function renderChain(c: NftChain): string {
  const lines = [...(c.hook !== undefined ? [c.hook] : []), ...c.rules];
  return [`  chain ${c.name} {`, ...lines.map((l) => `    ${l}`), '  }'].join('\n');
}

export function renderTable(t: NftTable): string {
  const parts = [...t.decls.map(renderDecl), ...t.chains.map(renderChain)];
  return `table ${t.family} ${t.name} {\n${parts.join('\n')}\n}\n`;
}

/**
 * What must be equal for an in-place update: every object with its type, and the base chains' rules.
 * A slot count is part of a map's `typeof` text but not of its kernel type, so it is left out.
 */
function shape(tables: readonly NftTable[]): string {
  return JSON.stringify(
    tables.map((t) => [
      t.family,
      t.name,
      t.decls.map((d) => [d.kind, d.name, d.head.map((h) => h.replace(/ mod \d+/g, ' mod N'))]),
      t.chains.map((c) => [c.name, c.hook ?? '', c.hook !== undefined ? c.rules : []]),
    ]),
  );
}

function sameList(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

/**
 * The commands that take `prev` (as loaded) to `next` in one `nft -f` transaction without replacing
 * the tables: static map elements and non-base chain rules are flushed and written again. Undefined
 * when the change is structural (objects or base-chain rules differ), or when nothing changed ('').
 */
export function renderUpdate(prev: readonly NftTable[], next: readonly NftTable[]): string | undefined {
  if (shape(prev) !== shape(next)) return undefined;
  const out: string[] = [];
  next.forEach((t, i) => {
    const old = prev[i];
    if (old === undefined) return;
    const where = `${t.family} ${t.name}`;
    t.decls.forEach((d, j) => {
      const before = old.decls[j];
      if (d.kind !== 'map' || before === undefined || sameList(before.elements, d.elements)) return;
      // A dynamic map has no static elements on either side, so it is never flushed here.
      out.push(`flush map ${where} ${d.name}`);
      if (d.elements.length > 0) out.push(`add element ${where} ${d.name} { ${d.elements.join(', ')} }`);
    });
    t.chains.forEach((c, j) => {
      const before = old.chains[j];
      if (c.hook !== undefined || before === undefined || sameList(before.rules, c.rules)) return;
      out.push(`flush chain ${where} ${c.name}`, ...c.rules.map((r) => `add rule ${where} ${c.name} ${r}`));
    });
  });
  return out.length === 0 ? '' : `${out.join('\n')}\n`;
}
