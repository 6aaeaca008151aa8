/**
 * A parser of DynamoDB's expression language: condition, key condition and filter expressions
 * (one grammar), projection and update expressions. `#names` and `:values` are resolved against
 * the request's `ExpressionAttributeNames`/`Values`, and each use is recorded so the request can
 * be refused for a name or value it never used, as DynamoDB does.
 *
 * Precedence, highest first (DynamoDB's): comparators, IN, BETWEEN, functions, parentheses,
 * NOT, AND, OR.
 */
import {
  checkValue,
  compareValues,
  typeOf,
  VALUE_TYPES,
  type WireValue,
} from './attributeValues.ts';
import { validationError } from './dynamoErrors.ts';
import type {
  Comparator,
  Condition,
  ConditionFunction,
  Operand,
  Path,
  PathElement,
  UpdateActions,
} from './expressionSyntax.ts';
import { isReservedWord } from './reservedWords.ts';

export type ExpressionKind =
  | 'ConditionExpression'
  | 'KeyConditionExpression'
  | 'FilterExpression'
  | 'ProjectionExpression'
  | 'UpdateExpression';

/** DynamoDB's limit on the text of one expression. */
const MAX_EXPRESSION_BYTES = 4096;

/** The `#names` and `:values` of one request, shared by all its expressions. */
export class ExpressionScope {
  private readonly names: Readonly<Record<string, string>>;
  private readonly values: Readonly<Record<string, WireValue>>;
  private readonly usedNames = new Set<string>();
  private readonly usedValues = new Set<string>();

  constructor(input: {
    readonly ExpressionAttributeNames?: unknown;
    readonly ExpressionAttributeValues?: unknown;
  }) {
    const names = input.ExpressionAttributeNames;
    const values = input.ExpressionAttributeValues;
    if (names !== undefined) {
      if (typeof names !== 'object' || names === null || Object.keys(names).length === 0) {
        throw validationError('ExpressionAttributeNames must not be empty');
      }
      for (const [name, value] of Object.entries(names)) {
        if (!name.startsWith('#') || typeof value !== 'string' || value === '') {
          throw validationError(
            `ExpressionAttributeNames contains invalid key or value: ${JSON.stringify(name)}`,
          );
        }
      }
    }
    if (values !== undefined) {
      if (typeof values !== 'object' || values === null || Object.keys(values).length === 0) {
        throw validationError('ExpressionAttributeValues must not be empty');
      }
      for (const name of Object.keys(values)) {
        if (!name.startsWith(':')) {
          throw validationError(
            `ExpressionAttributeValues contains invalid key: Syntax error; key: ${JSON.stringify(name)}`,
          );
        }
      }
    }
    this.names = (names ?? {}) as Record<string, string>;
    this.values = Object.fromEntries(
      Object.entries((values ?? {}) as Record<string, unknown>).map(([name, value]) => {
        try {
          return [name, checkValue(value)];
        } catch (error) {
          throw validationError(
            `ExpressionAttributeValues contains invalid value: ${(error as Error).message} for key ${name}`,
          );
        }
      }),
    );
  }

  name(token: string): string {
    const name = this.names[token];
    if (name === undefined) {
      throw validationError(
        `An expression attribute name used in the document path is not defined; attribute name: ${token}`,
      );
    }
    this.usedNames.add(token);
    return name;
  }

  value(token: string): WireValue {
    const value = this.values[token];
    if (value === undefined) {
      throw validationError(
        `An expression attribute value used in expression is not defined; attribute value: ${token}`,
      );
    }
    this.usedValues.add(token);
    return value;
  }

  /** DynamoDB refuses a request whose maps hold an entry no expression used. */
  checkAllUsed(): void {
    const unusedNames = Object.keys(this.names).filter((name) => !this.usedNames.has(name));
    if (unusedNames.length > 0) {
      throw validationError(
        `Value provided in ExpressionAttributeNames unused in expressions: keys: {${unusedNames.join(', ')}}`,
      );
    }
    const unusedValues = Object.keys(this.values).filter((name) => !this.usedValues.has(name));
    if (unusedValues.length > 0) {
      throw validationError(
        `Value provided in ExpressionAttributeValues unused in expressions: keys: {${unusedValues.join(', ')}}`,
      );
    }
  }
}

type TokenType = 'identifier' | 'name' | 'value' | 'integer' | 'symbol' | 'end';
interface Token {
  readonly type: TokenType;
  readonly text: string;
  readonly position: number;
}

const TOKEN_PATTERNS: readonly [TokenType, RegExp][] = [
  ['identifier', /[A-Za-z_][A-Za-z0-9_]*/y],
  ['name', /#[A-Za-z0-9_]+/y],
  ['value', /:[A-Za-z0-9_]+/y],
  ['integer', /[0-9]+/y],
  ['symbol', /<>|<=|>=|[=<>(),.[\]+-]/y],
];

const COMPARATORS: ReadonlySet<string> = new Set(['=', '<>', '<', '<=', '>', '>=']);
const CONDITION_FUNCTIONS: ReadonlySet<string> = new Set([
  'attribute_exists',
  'attribute_not_exists',
  'attribute_type',
  'begins_with',
  'contains',
]);
const UPDATE_FUNCTIONS: ReadonlySet<string> = new Set(['if_not_exists', 'list_append']);
const ORDERED_TYPES: ReadonlySet<string> = new Set(['N', 'S', 'B']);

class Parser {
  private readonly tokens: Token[] = [];
  private position = 0;

  constructor(
    private readonly kind: ExpressionKind,
    private readonly text: string,
    private readonly scope: ExpressionScope,
  ) {
    if (text.trim() === '') this.fail('The expression can not be empty;');
    if (Buffer.byteLength(text, 'utf8') > MAX_EXPRESSION_BYTES) {
      this.fail('Expression size has exceeded the maximum allowed size;');
    }
    this.tokenize();
  }

  fail(reason: string): never {
    throw validationError(`Invalid ${this.kind}: ${reason}`);
  }

  private tokenize(): void {
    let offset = 0;
    const text = this.text;
    outer: while (offset < text.length) {
      if (/\s/.test(text[offset] as string)) {
        offset += 1;
        continue;
      }
      for (const [type, pattern] of TOKEN_PATTERNS) {
        pattern.lastIndex = offset;
        const match = pattern.exec(text);
        if (match) {
          this.tokens.push({ type, text: match[0], position: offset });
          offset += match[0].length;
          continue outer;
        }
      }
      this.fail(
        `Invalid character encountered; character: ${text[offset]}, near: ${this.near(offset)}`,
      );
    }
    this.tokens.push({ type: 'end', text: '<EOF>', position: text.length });
  }

  private near(offset: number): string {
    return JSON.stringify(this.text.slice(Math.max(0, offset - 10), offset + 10));
  }

  private peek(ahead = 0): Token {
    return this.tokens[Math.min(this.position + ahead, this.tokens.length - 1)] as Token;
  }

  private next(): Token {
    const token = this.peek();
    if (token.type !== 'end') this.position += 1;
    return token;
  }

  private syntaxError(token: Token = this.peek()): never {
    this.fail(
      `Syntax error; token: ${JSON.stringify(token.text)}, near: ${this.near(token.position)}`,
    );
  }

  private isKeyword(word: string, token: Token = this.peek()): boolean {
    return token.type === 'identifier' && token.text.toUpperCase() === word;
  }

  private isSymbol(symbol: string, token: Token = this.peek()): boolean {
    return token.type === 'symbol' && token.text === symbol;
  }

  private expectSymbol(symbol: string): void {
    if (!this.isSymbol(symbol)) this.syntaxError();
    this.next();
  }

  expectEnd(): void {
    if (this.peek().type !== 'end') this.syntaxError();
  }

  // --- paths -------------------------------------------------------------------------------

  private pathName(): string {
    const token = this.next();
    if (token.type === 'name') return this.scope.name(token.text);
    if (token.type !== 'identifier') this.syntaxError(token);
    if (isReservedWord(token.text)) {
      this.fail(`Attribute name is a reserved keyword; reserved keyword: ${token.text}`);
    }
    return token.text;
  }

  path(): Path {
    const elements: PathElement[] = [{ name: this.pathName() }];
    for (;;) {
      if (this.isSymbol('.')) {
        this.next();
        elements.push({ name: this.pathName() });
      } else if (this.isSymbol('[')) {
        this.next();
        const index = this.next();
        if (index.type !== 'integer') this.syntaxError(index);
        this.expectSymbol(']');
        elements.push({ index: Number(index.text) });
      } else return elements;
    }
  }

  paths(): Path[] {
    const paths = [this.path()];
    while (this.isSymbol(',')) {
      this.next();
      paths.push(this.path());
    }
    return paths;
  }

  // --- conditions --------------------------------------------------------------------------

  condition(): Condition {
    let left = this.conjunction();
    while (this.isKeyword('OR')) {
      this.next();
      left = { kind: 'or', left, right: this.conjunction() };
    }
    return left;
  }

  private conjunction(): Condition {
    let left = this.negation();
    while (this.isKeyword('AND')) {
      this.next();
      left = { kind: 'and', left, right: this.negation() };
    }
    return left;
  }

  private negation(): Condition {
    if (this.isKeyword('NOT')) {
      this.next();
      return { kind: 'not', condition: this.negation() };
    }
    return this.primaryCondition();
  }

  private primaryCondition(): Condition {
    if (this.isSymbol('(')) {
      this.next();
      const inner = this.condition();
      this.expectSymbol(')');
      return inner;
    }
    const token = this.peek();
    if (token.type === 'identifier' && this.isSymbol('(', this.peek(1))) {
      const name = token.text;
      if (CONDITION_FUNCTIONS.has(name)) return this.conditionFunction(name as ConditionFunction);
      if (name !== 'size') this.unknownOrMisplacedFunction(name);
    }
    const left = this.conditionOperand();
    const operator = this.peek();
    if (operator.type === 'symbol' && COMPARATORS.has(operator.text)) {
      this.next();
      const right = this.conditionOperand();
      const comparator = operator.text as Comparator;
      if (comparator !== '=' && comparator !== '<>') {
        this.checkOrdered(comparator, left);
        this.checkOrdered(comparator, right);
      }
      return { kind: 'compare', comparator, left, right };
    }
    if (this.isKeyword('BETWEEN')) {
      this.next();
      const low = this.conditionOperand();
      if (!this.isKeyword('AND')) this.syntaxError();
      this.next();
      const high = this.conditionOperand();
      for (const operand of [left, low, high]) this.checkOrdered('BETWEEN', operand);
      if (low.kind === 'value' && high.kind === 'value') this.checkBounds(low.value, high.value);
      return { kind: 'between', operand: left, low, high };
    }
    if (this.isKeyword('IN')) {
      this.next();
      this.expectSymbol('(');
      const list = [this.conditionOperand()];
      while (this.isSymbol(',')) {
        this.next();
        list.push(this.conditionOperand());
      }
      this.expectSymbol(')');
      if (list.length > 100)
        this.fail(
          `The IN operator is provided with too many operands; number of operands: ${list.length}`,
        );
      return { kind: 'in', operand: left, list };
    }
    this.syntaxError();
  }

  private checkBounds(low: WireValue, high: WireValue): void {
    const order = compareValues(low, high);
    if (order !== undefined && order > 0) {
      this.fail(
        `The BETWEEN operator requires upper bound to be greater than or equal to lower bound; lower bound operand: AttributeValue: ${JSON.stringify(low)}, upper bound operand: AttributeValue: ${JSON.stringify(high)}`,
      );
    }
  }

  /** A constant operand of the wrong type is refused before anything is read, as DynamoDB does. */
  private checkConstantType(operator: string, operand: Operand, type: 'N' | 'L'): void {
    if (operand.kind === 'value' && typeOf(operand.value) !== type) {
      this.fail(
        `Incorrect operand type for operator or function; operator or function: ${operator}, operand type: ${typeOf(operand.value)}`,
      );
    }
  }

  private checkOrdered(operator: string, operand: Operand): void {
    if (operand.kind === 'value' && !ORDERED_TYPES.has(typeOf(operand.value))) {
      this.fail(
        `Incorrect operand type for operator or function; operator: ${operator}, operand type: ${typeOf(operand.value)}`,
      );
    }
  }

  private unknownOrMisplacedFunction(name: string): never {
    if (UPDATE_FUNCTIONS.has(name) || CONDITION_FUNCTIONS.has(name) || name === 'size') {
      this.fail(
        `The function is not allowed to be used this way in an expression; function: ${name}`,
      );
    }
    this.fail(`Invalid function name; function: ${name}`);
  }

  private arguments(name: string, count: number): Operand[] {
    this.next(); // the name
    this.expectSymbol('(');
    const args: Operand[] = [];
    if (!this.isSymbol(')')) {
      args.push(this.conditionOperand());
      while (this.isSymbol(',')) {
        this.next();
        args.push(this.conditionOperand());
      }
    }
    this.expectSymbol(')');
    if (args.length !== count) {
      this.fail(
        `Incorrect number of operands for operator or function; operator or function: ${name}, number of operands: ${args.length}`,
      );
    }
    return args;
  }

  private conditionFunction(name: ConditionFunction): Condition {
    const count = name === 'attribute_exists' || name === 'attribute_not_exists' ? 1 : 2;
    const args = this.arguments(name, count);
    const [subject, argument] = args as [Operand, Operand | undefined];
    if (subject.kind !== 'path') {
      this.fail(`Operator or function requires a document path; operator or function: ${name}`);
    }
    if (name === 'attribute_type') {
      const type = argument?.kind === 'value' ? argument.value : undefined;
      if (
        !type ||
        typeOf(type) !== 'S' ||
        !VALUE_TYPES.includes((type as { S: string }).S as never)
      ) {
        this.fail(
          `Invalid attribute type name found; type: ${type ? JSON.stringify(type) : 'not a value'}, valid types: {B,NULL,SS,BOOL,L,BS,N,NS,S,M}`,
        );
      }
    }
    if (name === 'begins_with' && argument?.kind === 'value') {
      const type = typeOf(argument.value);
      if (type !== 'S' && type !== 'B') {
        this.fail(
          `Incorrect operand type for operator or function; operator or function: begins_with, operand type: ${type}`,
        );
      }
    }
    return { kind: 'function', name, args };
  }

  private conditionOperand(): Operand {
    const token = this.peek();
    if (token.type === 'value') {
      this.next();
      return { kind: 'value', value: this.scope.value(token.text) };
    }
    if (token.type === 'identifier' && this.isSymbol('(', this.peek(1))) {
      if (token.text !== 'size') this.unknownOrMisplacedFunction(token.text);
      const [subject] = this.arguments('size', 1) as [Operand];
      if (subject.kind !== 'path') {
        this.fail('Operator or function requires a document path; operator or function: size');
      }
      return { kind: 'size', path: subject.path };
    }
    if (token.type === 'identifier' || token.type === 'name')
      return { kind: 'path', path: this.path() };
    this.syntaxError();
  }

  // --- update expressions ------------------------------------------------------------------

  update(): UpdateActions {
    const actions = { set: [], remove: [], add: [], delete: [] } as {
      set: { path: Path; value: Operand }[];
      remove: Path[];
      add: { path: Path; value: WireValue }[];
      delete: { path: Path; value: WireValue }[];
    };
    const seen = new Set<string>();
    while (this.peek().type !== 'end') {
      const clause = this.next();
      const keyword = clause.type === 'identifier' ? clause.text.toUpperCase() : '';
      if (!['SET', 'REMOVE', 'ADD', 'DELETE'].includes(keyword)) this.syntaxError(clause);
      if (seen.has(keyword)) {
        this.fail(`The "${keyword}" section can only be used once in an update expression;`);
      }
      seen.add(keyword);
      do {
        if (keyword === 'SET') {
          const path = this.path();
          this.expectSymbol('=');
          actions.set.push({ path, value: this.setValue() });
        } else if (keyword === 'REMOVE') {
          actions.remove.push(this.path());
        } else {
          const path = this.path();
          const token = this.next();
          if (token.type !== 'value') this.syntaxError(token);
          const value = this.scope.value(token.text);
          const type = typeOf(value);
          const allowed = keyword === 'ADD' ? ['N', 'SS', 'NS', 'BS'] : ['SS', 'NS', 'BS'];
          if (!allowed.includes(type)) {
            this.fail(
              `Incorrect operand type for operator or function; operator: ${keyword}, operand type: ${type === 'L' ? 'LIST' : type === 'M' ? 'MAP' : type}`,
            );
          }
          (keyword === 'ADD' ? actions.add : actions.delete).push({ path, value });
        }
      } while (this.isSymbol(',') && this.next());
    }
    return actions;
  }

  private setValue(): Operand {
    const left = this.setOperand();
    if (this.isSymbol('+') || this.isSymbol('-')) {
      const operator = this.next().text as '+' | '-';
      const right = this.setOperand();
      for (const operand of [left, right]) this.checkConstantType(operator, operand, 'N');
      return { kind: 'arithmetic', operator, left, right };
    }
    return left;
  }

  private setOperand(): Operand {
    const token = this.peek();
    if (token.type === 'value') {
      this.next();
      return { kind: 'value', value: this.scope.value(token.text) };
    }
    if (token.type === 'identifier' && this.isSymbol('(', this.peek(1))) {
      if (!UPDATE_FUNCTIONS.has(token.text)) this.unknownOrMisplacedFunction(token.text);
      this.next();
      this.expectSymbol('(');
      let operand: Operand;
      if (token.text === 'if_not_exists') {
        const path = this.path();
        this.expectSymbol(',');
        operand = { kind: 'if_not_exists', path, fallback: this.setOperand() };
      } else {
        const left = this.setOperand();
        this.expectSymbol(',');
        const right = this.setOperand();
        for (const side of [left, right]) this.checkConstantType('list_append', side, 'L');
        operand = { kind: 'list_append', left, right };
      }
      this.expectSymbol(')');
      return operand;
    }
    if (token.type === 'identifier' || token.type === 'name')
      return { kind: 'path', path: this.path() };
    this.syntaxError();
  }
}

function parse<T>(
  kind: ExpressionKind,
  text: unknown,
  scope: ExpressionScope,
  rule: (parser: Parser) => T,
): T {
  if (typeof text !== 'string') throw validationError(`${kind} must be a string`);
  const parser = new Parser(kind, text, scope);
  const result = rule(parser);
  parser.expectEnd();
  return result;
}

export function parseCondition(
  kind: 'ConditionExpression' | 'KeyConditionExpression' | 'FilterExpression',
  text: unknown,
  scope: ExpressionScope,
): Condition {
  return parse(kind, text, scope, (parser) => parser.condition());
}

export function parseProjection(text: unknown, scope: ExpressionScope): Path[] {
  return parse('ProjectionExpression', text, scope, (parser) => parser.paths());
}

export function parseUpdate(text: unknown, scope: ExpressionScope): UpdateActions {
  return parse('UpdateExpression', text, scope, (parser) => parser.update());
}
