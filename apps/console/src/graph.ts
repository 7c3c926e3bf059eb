import type { GraphEdge, GraphLayout, GraphNode } from './api-types.js';

/** The parts of an ASL state the drawing reads. */
interface DrawnState {
  readonly Type: string;
  readonly Next?: string;
  readonly Default?: string;
  readonly End?: boolean;
  readonly Choices?: readonly Record<string, unknown>[];
  readonly Catch?: readonly { readonly ErrorEquals?: readonly string[]; readonly Next: string }[];
}

/** A definition as far as drawing goes. */
export interface DrawableDefinition {
  readonly StartAt: string;
  readonly States: Readonly<Record<string, DrawnState>>;
}

const NODE_WIDTH = 168;
const NODE_HEIGHT = 36;
const LAYER_GAP = 44;
const COLUMN_GAP = 28;
const MARGIN = 12;

type EdgeKind = GraphEdge['kind'];
interface Transition {
  readonly from: string;
  readonly to: string;
  kind: EdgeKind;
  label: string;
}

/** Every transition of the definition, one per (from, to) pair, labels merged. */
export function transitions(definition: DrawableDefinition): Transition[] {
  const found = new Map<string, Transition>();
  const add = (from: string, to: string | undefined, kind: EdgeKind, label: string) => {
    if (to === undefined || definition.States[to] === undefined) return;
    const key = `${from}\u0000${to}`;
    const seen = found.get(key);
    if (!seen) found.set(key, { from, to, kind, label });
    else if (label && !seen.label.includes(label))
      seen.label = seen.label ? `${seen.label}; ${label}` : label;
  };
  for (const [name, state] of Object.entries(definition.States)) {
    add(name, state.Next, 'next', '');
    for (const choice of state.Choices ?? [])
      add(name, choice.Next as string, 'choice', describeChoice(choice));
    add(name, state.Default, 'default', 'otherwise');
    for (const c of state.Catch ?? []) add(name, c.Next, 'catch', (c.ErrorEquals ?? []).join(', '));
  }
  return [...found.values()];
}

/**
 * A Choice rule in a few words, e.g. `$.compute = "fargate"`. Type guards (`IsPresent: true`,
 * `IsString`, …) only keep a comparison from failing and are left out; a variable not present reads "absent".
 */
function describeChoice(rule: Record<string, unknown>): string {
  const variable = typeof rule.Variable === 'string' ? rule.Variable : '';
  if (Array.isArray(rule.And) || Array.isArray(rule.Or)) {
    const parts = ((rule.And ?? rule.Or) as Record<string, unknown>[])
      .map(describeChoice)
      .filter((part) => part !== '');
    return parts.join(rule.And ? ' and ' : ' or ') || 'rule';
  }
  if (rule.Not && typeof rule.Not === 'object') {
    const not = rule.Not as Record<string, unknown>;
    if (not.IsPresent === true) return `${String(not.Variable)} absent`;
    return `not (${describeChoice(not)})`;
  }
  for (const [key, value] of Object.entries(rule)) {
    if (key === 'Variable' || key === 'Next') continue;
    if (key === 'IsPresent') return value === false ? `${variable} absent` : '';
    if (/^Is[A-Z]/.test(key)) return '';
    const op = key.replace(/^(String|Numeric|Boolean|Timestamp)/, '').replace(/Path$/, '');
    const symbol: Record<string, string> = {
      Equals: '=',
      LessThan: '<',
      GreaterThan: '>',
      LessThanEquals: '≤',
      GreaterThanEquals: '≥',
    };
    return `${variable} ${symbol[op] ?? op} ${JSON.stringify(value)}`;
  }
  return 'rule';
}

/**
 * Lays the definition out in layers, top to bottom (a small Sugiyama layout): each state sits one layer
 * below the deepest state that leads to it; long edges run through invisible waypoints so they never
 * cross a state; states keep the order a depth-first walk meets them, happy path first, so the path to
 * the Succeed state is the left column and failure branches hang to its right.
 */
export function layoutDefinition(definition: DrawableDefinition): GraphLayout {
  const names = Object.keys(definition.States);
  const edges = transitions(definition);
  const out = new Map<string, Transition[]>(names.map((n) => [n, []]));
  for (const e of edges) out.get(e.from)?.push(e);

  // The happy path: states from which a Succeed state can be reached.
  const succeeds = new Set(names.filter((n) => definition.States[n]?.Type === 'Succeed'));
  for (let grew = true; grew; ) {
    grew = false;
    for (const e of edges) {
      if (succeeds.has(e.to) && !succeeds.has(e.from)) {
        succeeds.add(e.from);
        grew = true;
      }
    }
  }

  // Depth-first order from StartAt, happy path first, then Next, Default, Choices, Catch; edges that
  // close a cycle are drawn but do not count for layering.
  const order = new Map<string, number>();
  const back = new Set<Transition>();
  const onStack = new Set<string>();
  const rank = (e: Transition) =>
    (succeeds.has(e.to) ? 0 : 10) + { next: 0, default: 1, choice: 2, catch: 3 }[e.kind];
  const visit = (name: string) => {
    order.set(name, order.size);
    onStack.add(name);
    const children = [...(out.get(name) ?? [])].sort((a, b) => rank(a) - rank(b));
    for (const e of children) {
      if (onStack.has(e.to)) back.add(e);
      else if (!order.has(e.to)) visit(e.to);
    }
    onStack.delete(name);
  };
  if (definition.States[definition.StartAt]) visit(definition.StartAt);
  for (const n of names) if (!order.has(n)) visit(n);
  const forward = edges.filter((e) => !back.has(e));

  // Longest-path layering over the forward edges (a DAG), in topological order.
  const layer = new Map<string, number>(names.map((n) => [n, 0]));
  const indegree = new Map<string, number>(names.map((n) => [n, 0]));
  for (const e of forward) indegree.set(e.to, (indegree.get(e.to) ?? 0) + 1);
  const queue = names
    .filter((n) => indegree.get(n) === 0)
    .sort((a, b) => (order.get(a) ?? 0) - (order.get(b) ?? 0));
  while (queue.length > 0) {
    const n = queue.shift() as string;
    for (const e of forward.filter((f) => f.from === n)) {
      layer.set(e.to, Math.max(layer.get(e.to) ?? 0, (layer.get(n) ?? 0) + 1));
      const left = (indegree.get(e.to) ?? 0) - 1;
      indegree.set(e.to, left);
      if (left === 0) queue.push(e.to);
    }
  }

  // Items per layer: states and the waypoints of edges spanning several layers.
  interface Item {
    readonly id: string;
    readonly real: boolean;
    readonly key: number;
    x: number;
  }
  const depth = Math.max(0, ...layer.values()) + 1;
  const layers: Item[][] = Array.from({ length: depth }, () => []);
  for (const n of names) layers[layer.get(n) ?? 0]?.push({ id: n, real: true, key: order.get(n) ?? 0, x: 0 });
  const routes = new Map<Transition, string[]>();
  forward.forEach((e, i) => {
    const a = layer.get(e.from) ?? 0;
    const b = layer.get(e.to) ?? 0;
    const waypoints: string[] = [];
    for (let l = a + 1; l < b; l++) {
      const id = `~${i}~${l}`;
      // Waypoints sort just before the state they lead to: a long edge into the happy path runs down
      // its column, one into a failure state runs beside the failure branches.
      layers[l]?.push({ id, real: false, key: (order.get(e.to) ?? 0) - 0.5 + i / 1000, x: 0 });
      waypoints.push(id);
    }
    routes.set(e, waypoints);
  });
  for (const items of layers) items.sort((p, q) => p.key - q.key);

  // x: left to right in order, each item pulled under the items it comes from when there is room.
  const width = (item: Item) => (item.real ? NODE_WIDTH : 0);
  const position = new Map<string, Item>();
  const parents = new Map<string, string[]>();
  for (const e of forward) {
    const chain = [e.from, ...(routes.get(e) ?? []), e.to];
    for (let i = 1; i < chain.length; i++) {
      const list = parents.get(chain[i] as string) ?? [];
      list.push(chain[i - 1] as string);
      parents.set(chain[i] as string, list);
    }
  }
  for (const items of layers) {
    let cursor = 0;
    for (const item of items) {
      const from = (parents.get(item.id) ?? [])
        .map((p) => position.get(p))
        .filter((p): p is Item => p !== undefined);
      // Prefer the parent on the happy path (lowest order) so the main column stays straight.
      const main = from.sort((p, q) => p.key - q.key)[0];
      const wanted = main ? main.x + width(main) / 2 - width(item) / 2 : 0;
      item.x = Math.max(cursor, wanted);
      cursor = item.x + width(item) + COLUMN_GAP;
      position.set(item.id, item);
    }
  }

  const y = (l: number) => MARGIN + l * (NODE_HEIGHT + LAYER_GAP);
  const nodes: GraphNode[] = names.map((n) => {
    const item = position.get(n) as Item;
    return {
      id: n,
      type: definition.States[n]?.Type ?? 'Unknown',
      x: MARGIN + item.x,
      y: y(layer.get(n) ?? 0),
      width: NODE_WIDTH,
      height: NODE_HEIGHT,
    };
  });
  const byId = new Map(nodes.map((n) => [n.id, n]));
  const drawn: GraphEdge[] = edges.map((e) => {
    const from = byId.get(e.from) as GraphNode;
    const to = byId.get(e.to) as GraphNode;
    const points: [number, number][] = [];
    if (back.has(e)) {
      // Up the right-hand side of both states.
      points.push([from.x + from.width, from.y + from.height / 2], [to.x + to.width, to.y + to.height / 2]);
    } else {
      points.push([from.x + from.width / 2, from.y + from.height]);
      for (const w of routes.get(e) ?? []) {
        const item = position.get(w) as Item;
        points.push([MARGIN + item.x, y(layer.get(e.from) ?? 0) + 0]);
      }
      points.push([to.x + to.width / 2, to.y]);
    }
    // Waypoint y: the middle of their layer.
    const fixed = points.map(([px, py], i): [number, number] => {
      if (back.has(e) || i === 0 || i === points.length - 1) return [px, py];
      const l = (layer.get(e.from) ?? 0) + i;
      return [px, y(l) + NODE_HEIGHT / 2];
    });
    return { from: e.from, to: e.to, kind: e.kind, label: e.label, points: fixed };
  });
  const right = Math.max(
    ...nodes.map((n) => n.x + n.width),
    ...[...position.values()].map((i) => MARGIN + i.x),
  );
  return {
    startAt: definition.StartAt,
    width: right + MARGIN,
    height: y(depth - 1) + NODE_HEIGHT + MARGIN,
    nodes,
    edges: drawn,
  };
}
