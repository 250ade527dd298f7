// Turns an API-format workflow and the server's node definitions (object_info) into form fields:
// one group per node, one field per widget input (linked inputs are wired, not edited). A workflow
// saved from ComfyUI's editor comes with its layout (shared/workflow-layout.ts): the form then follows
// the person's titles, groups and display order, and shows bypassed and muted nodes as such.
import type { NodeMode, WorkflowLayout } from '../../../shared/workflow-layout';

export type FieldKind = 'int' | 'float' | 'text' | 'textarea' | 'toggle' | 'select' | 'image' | 'color';

export interface Field {
  key: string; // NODE.INPUT
  nodeId: string;
  input: string;
  kind: FieldKind;
  value: unknown;
  min?: number;
  max?: number;
  step?: number;
  /** A select's choices; for an image, the input files the server lists (a local server does). */
  options?: string[];
  /** A choice the server offers nothing for (no model installed): still editable as text. */
  noOptions?: boolean;
  /** Other inputs (NODE.INPUT) that take this value too: a PrimitiveNode or a subgraph's widget feeds several. */
  also?: string[];
}

export interface FieldGroup {
  /** The node in the prompt (or, for one not sent, its id in the editor's graph). */
  nodeId: string;
  title: string;
  classType: string;
  fields: Field[];
  /** From a UI workflow: the node in the editor's graph, its mode, and the subgraph it is in. */
  uiId?: string;
  mode?: NodeMode;
  parent?: string;
}

/** A group of the editor's canvas (or the nodes in none), with its nodes in their order. */
export interface FormSection {
  title: string | null;
  color?: string;
  groups: FieldGroup[];
}

type Spec = [unknown, Record<string, unknown>?];
type NodeInfo = { input?: { required?: Record<string, Spec>; optional?: Record<string, Spec> }; display_name?: string };
type ApiNode = { class_type: string; inputs: Record<string, unknown>; _meta?: { title?: string } };

const isLink = (v: unknown): boolean => Array.isArray(v) && v.length === 2 && typeof v[1] === 'number';

export function fieldsOf(workflow: Record<string, unknown>, objectInfo: Record<string, unknown> | null): FieldGroup[] {
  const groups: FieldGroup[] = [];
  for (const [nodeId, raw] of Object.entries(workflow)) {
    const node = raw as ApiNode;
    const info = objectInfo?.[node.class_type] as NodeInfo | undefined;
    const specs = { ...(info?.input?.required ?? {}), ...(info?.input?.optional ?? {}) };
    const fields: Field[] = [];
    for (const [input, value] of Object.entries(node.inputs ?? {})) {
      if (isLink(value)) continue;
      fields.push(fieldOf(nodeId, input, value, specs[input]));
    }
    if (fields.length > 0) {
      groups.push({
        nodeId,
        title: node._meta?.title ?? nodeDisplayName(node.class_type, objectInfo),
        classType: node.class_type,
        fields,
      });
    }
  }
  return groups;
}

/**
 * The form of a workflow saved from ComfyUI's editor, as its layout says: sections in canvas order,
 * each node with its widgets in display order. A value shown on a subgraph's node (promoted) is not
 * shown again on the node inside it.
 */
export function formOfLayout(
  workflow: Record<string, unknown>,
  layout: WorkflowLayout,
  objectInfo: Record<string, unknown> | null,
): FormSection[] {
  const shown = new Set<string>();
  const sections = layout.sections.map((section) => ({
    title: section.title,
    ...(section.color ? { color: section.color } : {}),
    groups: section.nodes.map((node): FieldGroup => {
      const fields: Field[] = [];
      for (const widget of node.widgets) {
        const dot = widget.key.lastIndexOf('.');
        const nodeId = widget.key.slice(0, dot);
        const target = workflow[nodeId] as ApiNode | undefined;
        if (!target || shown.has(widget.key) || !Object.hasOwn(target.inputs ?? {}, widget.input)) continue;
        const value = target.inputs[widget.input];
        if (isLink(value)) continue;
        shown.add(widget.key);
        const field = fieldOf(nodeId, widget.input, value, specOf(target.class_type, widget.input, objectInfo));
        fields.push(widget.also ? { ...field, also: widget.also } : field);
      }
      return {
        nodeId: node.apiId ?? node.uiId,
        title: node.title,
        classType: node.classType,
        fields,
        uiId: node.uiId,
        mode: node.mode,
        ...(node.parent ? { parent: node.parent } : {}),
      };
    }),
  }));
  return sections;
}

function specOf(classType: string, input: string, objectInfo: Record<string, unknown> | null): Spec | undefined {
  const info = objectInfo?.[classType] as NodeInfo | undefined;
  return info?.input?.required?.[input] ?? info?.input?.optional?.[input];
}

/**
 * A newly converted prompt (a node bypassed or switched back on) with the values edited so far kept,
 * wherever both have the input as a value.
 */
export function keepValues(fresh: Record<string, unknown>, edited: Record<string, unknown>): Record<string, unknown> {
  const copy = structuredClone(fresh) as Record<string, ApiNode>;
  for (const [id, node] of Object.entries(copy)) {
    const before = (edited as Record<string, ApiNode | undefined>)[id];
    if (!before || before.class_type !== node.class_type) continue;
    for (const [input, value] of Object.entries(node.inputs ?? {})) {
      const old = before.inputs?.[input];
      if (old !== undefined && !isLink(value) && !isLink(old)) node.inputs[input] = old;
    }
  }
  return copy;
}

/** A node class as ComfyUI shows it (object_info's display_name: "Save Image" for SaveImage). */
export function nodeDisplayName(classType: string, objectInfo: Record<string, unknown> | null): string {
  return (objectInfo?.[classType] as NodeInfo | undefined)?.display_name || classType;
}

/** The largest colour an INT holds as 0xRRGGBB. */
const MAX_COLOR = 0xffffff;
const COLOR_NAME = /(^|_)colou?r$/i;

function fieldOf(nodeId: string, input: string, value: unknown, spec: Spec | undefined): Field {
  const base = { key: `${nodeId}.${input}`, nodeId, input, value };
  const [type, rules = {}] = spec ?? [
    typeof value === 'number' ? 'FLOAT' : typeof value === 'boolean' ? 'BOOLEAN' : 'STRING',
  ];
  const num = (k: string) => (typeof rules[k] === 'number' ? (rules[k] as number) : undefined);
  if (Array.isArray(type) || type === 'COMBO') {
    const options = (Array.isArray(type) ? type : ((rules.options as unknown[]) ?? [])).map(String);
    if (rules.image_upload) return { ...base, kind: 'image', options };
    // A model list the server could not fill (nothing installed) is still editable as text, and said so.
    return options.length > 0 ? { ...base, kind: 'select', options } : { ...base, kind: 'text', noOptions: true };
  }
  if (type === 'INT') {
    const [min, max] = [num('min'), num('max')];
    // ComfyUI keeps colours as 0xRRGGBB integers; shown as a number they mean nothing to a person.
    const color =
      rules.display === 'color' || (COLOR_NAME.test(input) && (min ?? 0) >= 0 && max === MAX_COLOR && isColor(value));
    return { ...base, kind: color ? 'color' : 'int', min, max, step: num('step') ?? 1 };
  }
  // Without the server's definitions, a whole number named like a colour is one.
  if (!spec && COLOR_NAME.test(input) && isColor(value)) return { ...base, kind: 'color', min: 0, max: MAX_COLOR };
  if (type === 'FLOAT') return { ...base, kind: 'float', min: num('min'), max: num('max'), step: num('step') ?? 0.01 };
  if (type === 'BOOLEAN') return { ...base, kind: 'toggle' };
  const long = rules.multiline === true || (typeof value === 'string' && value.length > 60) || input === 'text';
  return { ...base, kind: long ? 'textarea' : 'text' };
}

/** A problem with an edited value, before anything is sent; null when fine. */
export function fieldProblem(field: Field): string | null {
  if (field.kind === 'int' || field.kind === 'float' || field.kind === 'color') {
    const v = field.value;
    if (typeof v !== 'number' || !Number.isFinite(v)) return 'Enter a number.';
    if (field.kind !== 'float' && !Number.isInteger(v)) return 'Enter a whole number.';
    if (field.min !== undefined && v < field.min) return `At least ${field.min}.`;
    if (field.max !== undefined && v > field.max) return `At most ${field.max}.`;
  }
  if (field.kind === 'select' && field.options && !field.options.includes(String(field.value)))
    return 'Choose one of the options.';
  return null;
}

function isColor(value: unknown): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value >= 0 && value <= MAX_COLOR;
}

/** 16746496 as "#ff8800", for <input type=color>. */
export function colorToHex(value: unknown): string {
  return `#${(isColor(value) ? value : 0).toString(16).padStart(6, '0')}`;
}

/** "#ff8800" as 16746496, as the workflow keeps it. */
export function hexToColor(hex: string): number {
  return parseInt(hex.replace('#', ''), 16) || 0;
}

/** The workflow with the edited values applied (a copy). */
export function applyFields(workflow: Record<string, unknown>, groups: FieldGroup[]): Record<string, unknown> {
  const copy = structuredClone(workflow) as Record<string, ApiNode>;
  for (const group of groups)
    for (const f of group.fields) {
      copy[f.nodeId]!.inputs[f.input] = f.value;
      for (const key of f.also ?? []) {
        const dot = key.lastIndexOf('.');
        const node = copy[key.slice(0, dot)];
        if (node) node.inputs[key.slice(dot + 1)] = f.value;
      }
    }
  return copy;
}

/** Whether a workflow has a seed to vary: the engine's rule, from shared/. */
export { hasSeedInput } from '../../../shared/seeds';
