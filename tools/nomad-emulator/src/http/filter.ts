import { HttpError } from './errors.js';

/*
 * The part of go-bexpr (Nomad's `?filter=` language) that list queries commonly use:
 * `Selector == "v"`, `!=`, `contains`, `not contains`, `matches`, `not matches`, `"v" in Selector`,
 * `"v" not in Selector`, `Selector is empty`, `Selector is not empty`, combined with `and`, `or`,
 * `not` and parentheses. Selectors are dotted paths (`TaskStates.web.State`, `Meta["k"]`).
 */

type Predicate = (item: unknown) => boolean;

const TOKEN = /\s*(\(|\)|==|!=|"(?:[^"\\]|\\.)*"|`[^`]*`|[A-Za-z_][\w.-]*(?:\["[^"]*"\][\w.]*)*|[^\s()]+)/y;

function tokenize(text: string): string[] {
  const tokens: string[] = [];
  TOKEN.lastIndex = 0;
  while (TOKEN.lastIndex < text.length) {
    const match = TOKEN.exec(text);
    if (!match) break;
    tokens.push(match[1]!);
    if (/^\s*$/.test(text.slice(TOKEN.lastIndex))) break;
  }
  return tokens;
}

function literal(token: string): string {
  if (token.startsWith('"')) return JSON.parse(token) as string;
  if (token.startsWith('`')) return token.slice(1, -1);
  return token;
}

function select(item: unknown, selector: string): unknown {
  const path = selector.replace(/\["([^"]*)"\]/g, '.$1').split('.');
  let value = item;
  for (const key of path) {
    if (typeof value !== 'object' || value === null) return undefined;
    value = (value as Record<string, unknown>)[key];
  }
  return value;
}

function asText(value: unknown): string {
  return typeof value === 'string' ? value : JSON.stringify(value ?? '');
}

function contains(container: unknown, needle: string): boolean {
  if (Array.isArray(container)) return container.some(element => asText(element) === needle);
  if (typeof container === 'string') return container.includes(needle);
  if (typeof container === 'object' && container !== null) return needle in container;
  return false;
}

function isEmpty(value: unknown): boolean {
  if (value === undefined || value === null || value === '') return true;
  if (Array.isArray(value)) return value.length === 0;
  return typeof value === 'object' && Object.keys(value).length === 0;
}

class Parser {
  private position = 0;

  constructor(private readonly tokens: string[]) {}

  parse(): Predicate {
    const predicate = this.or();
    if (this.position < this.tokens.length) this.fail(`unexpected "${this.tokens[this.position]}"`);
    return predicate;
  }

  private peek(offset = 0): string | undefined {
    return this.tokens[this.position + offset];
  }

  private next(): string {
    const token = this.tokens[this.position++];
    if (token === undefined) this.fail('unexpected end of expression');
    return token;
  }

  private fail(message: string): never {
    throw new HttpError(400, `failed to read filter expression: ${message}`);
  }

  private or(): Predicate {
    let left = this.and();
    while (this.peek() === 'or') {
      this.position++;
      const first = left;
      const second = this.and();
      left = item => first(item) || second(item);
    }
    return left;
  }

  private and(): Predicate {
    let left = this.unary();
    while (this.peek() === 'and') {
      this.position++;
      const first = left;
      const second = this.unary();
      left = item => first(item) && second(item);
    }
    return left;
  }

  private unary(): Predicate {
    if (this.peek() === 'not') {
      this.position++;
      const inner = this.unary();
      return item => !inner(item);
    }
    if (this.peek() === '(') {
      this.position++;
      const inner = this.or();
      if (this.next() !== ')') this.fail('missing ")"');
      return inner;
    }
    return this.match();
  }

  private match(): Predicate {
    const first = this.next();
    if (first.startsWith('"') || first.startsWith('`')) {
      const value = literal(first);
      const negated = this.peek() === 'not';
      if (negated) this.position++;
      if (this.next() !== 'in') this.fail('expected "in"');
      const selector = this.next();
      return item => contains(select(item, selector), value) !== negated;
    }
    const selector = first;
    let operator = this.next();
    if (operator === 'is') {
      const negated = this.peek() === 'not';
      if (negated) this.position++;
      if (this.next() !== 'empty') this.fail('expected "empty"');
      return item => isEmpty(select(item, selector)) !== negated;
    }
    const negated = operator === 'not';
    if (negated) operator = this.next();
    const value = literal(this.next());
    switch (operator) {
      case '==':
        return item => asText(select(item, selector)) === value;
      case '!=':
        return item => asText(select(item, selector)) !== value;
      case 'contains':
        return item => contains(select(item, selector), value) !== negated;
      case 'matches': {
        const pattern = new RegExp(value);
        return item => pattern.test(asText(select(item, selector))) !== negated;
      }
      default:
        return this.fail(`unknown operator "${operator}"`);
    }
  }
}

/** Compiles a filter expression; a malformed one is a 400, as Nomad answers it. */
export function compileFilter(expression: string): Predicate {
  return new Parser(tokenize(expression)).parse();
}
