// A node type's widgets as ComfyUI's frontend (1.35.9) builds them from object_info, and how a saved
// node's `widgets_values` map onto them. The frontend creates one widget per widget-typed input in
// `input_order` (required, then optional, then inputs the frontend itself added), plus hidden extra
// widgets that take a slot in `widgets_values` but are never sent: "control after generate" after
// seed-like numbers (and a filter after a combo with one), and the upload button after media pickers.
// Sources: litegraphService.ts (addInputs), nodeDefOrderingUtil.ts, useIntWidget.ts / useFloatWidget.ts
// / useComboWidget.ts, widgets.ts (addValueControlWidgets), uploadImage.ts, uploadAudio.ts,
// litegraphUtil.ts (migrateWidgetsValues), LGraphNode.configure.
import { isObject, own, LIMITS } from './graph';

export interface InputDef {
  name: string;
  /** "INT", "COMBO", "IMAGE"…: the type litegraph gives the input slot. */
  type: string;
  optional: boolean;
  /** A widget (a value in the node) rather than a socket for a link. */
  widget: boolean;
  forceInput: boolean;
  options: Record<string, unknown>;
  comboValues: unknown[] | null;
}

export type SlotKind = 'value' | 'control' | 'filter' | 'button';

/** One entry of `widgets_values`, in order. Only `value` slots are sent. */
export interface WidgetSlot {
  input: string;
  kind: SlotKind;
}

export interface NodeSchema {
  type: string;
  displayName: string;
  inputs: Map<string, InputDef>;
  /** The widgets in display order, one entry per `widgets_values` slot. */
  slots: WidgetSlot[];
  /** The inputs as the frontend's node holds them at run time: sockets first, then widget inputs. */
  runtimeInputs: { name: string; type: string }[];
  outputs: string[];
  /** For legacy files whose values include a slot for each forceInput input (before frontend 1.16). */
  legacyCount: number;
  /** The widget and forceInput inputs in definition order (the legacy list's order). */
  legacyOrder: string[];
  hasForceInput: boolean;
}

/** Input types the frontend draws as widgets (ComfyWidgets plus the core extensions' custom widgets). */
const WIDGET_TYPES = new Set([
  'INT',
  'FLOAT',
  'BOOLEAN',
  'STRING',
  'MARKDOWN',
  'COMBO',
  'IMAGEUPLOAD',
  'COLOR',
  'IMAGECOMPARE',
  'CHART',
  'GALLERIA',
  'TEXTAREA',
  'COMFY_DYNAMICCOMBO_V3',
  'LOAD_3D',
  'PREVIEW_3D',
  'AUDIO_UI',
  'AUDIOUPLOAD',
  'AUDIO_RECORD',
  'WEBCAM',
]);

/** Widgets the frontend adds that are buttons (no value sent) or not saved at all. */
const BUTTON_TYPES = new Set(['IMAGEUPLOAD', 'AUDIOUPLOAD']);
const UNSAVED_TYPES = new Set(['AUDIO_UI']);
const AUDIO_UI_NODES = new Set(['LoadAudio', 'SaveAudio', 'PreviewAudio', 'SaveAudioMP3', 'SaveAudioOpus']);

function plain(value: unknown): Record<string, unknown> {
  if (!isObject(value)) return Object.create(null) as Record<string, unknown>;
  const out = Object.create(null) as Record<string, unknown>;
  for (const [k, v] of Object.entries(value)) out[k] = v;
  return out;
}

function inputDef(name: string, spec: unknown, optional: boolean): InputDef | null {
  if (!Array.isArray(spec) || spec.length === 0) return null;
  const head: unknown = spec[0];
  const options = plain(spec[1]);
  let type: string;
  let comboValues: unknown[] | null = null;
  if (Array.isArray(head)) {
    type = 'COMBO';
    comboValues = head;
  } else if (typeof head === 'string') {
    type = head;
    if (head === 'COMBO') comboValues = Array.isArray(options.options) ? options.options : [];
  } else return null;
  const widgetType = typeof options.widgetType === 'string' ? options.widgetType : type;
  const forceInput = options.forceInput === true;
  return {
    name,
    type,
    optional,
    widget: WIDGET_TYPES.has(widgetType) && !forceInput,
    forceInput,
    options,
    comboValues,
  };
}

function isMediaUpload(def: InputDef): boolean {
  const o = def.options;
  return (
    (o.image_upload === true || o.video_upload === true || o.animated_image_upload === true) && def.type === 'COMBO'
  );
}

/** The widgets_values slots a widget input takes: its value, then the frontend's extra widgets. */
function slotsOf(def: InputDef): WidgetSlot[] {
  if (!def.widget || UNSAVED_TYPES.has(def.type)) return [];
  const slots: WidgetSlot[] = [{ input: def.name, kind: BUTTON_TYPES.has(def.type) ? 'button' : 'value' }];
  const control = def.options.control_after_generate;
  if (def.type === 'INT' && (control ?? (def.name === 'seed' || def.name === 'noise_seed'))) {
    slots.push({ input: def.name, kind: 'control' });
  } else if (def.type === 'FLOAT' && control) {
    slots.push({ input: def.name, kind: 'control' });
  } else if (def.type === 'COMBO' && control) {
    slots.push({ input: def.name, kind: 'control' }, { input: def.name, kind: 'filter' });
  }
  return slots;
}

function stringList(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : [];
}

const cache = new WeakMap<object, Map<string, NodeSchema | null>>();

/** The schema of `type` in this object_info, or null when the server does not have it. Cached per object_info. */
export function schemaOf(objectInfo: Record<string, unknown>, type: string): NodeSchema | null {
  let byType = cache.get(objectInfo);
  if (!byType) cache.set(objectInfo, (byType = new Map()));
  if (byType.has(type)) return byType.get(type)!;
  const schema = buildSchema(type, Object.hasOwn(objectInfo, type) ? objectInfo[type] : undefined);
  byType.set(type, schema);
  return schema;
}

function buildSchema(type: string, info: unknown): NodeSchema | null {
  if (!isObject(info)) return null;
  const input = own(info, 'input');
  const required =
    isObject(input) && isObject(own(input, 'required')) ? (own(input, 'required') as Record<string, unknown>) : {};
  const optional =
    isObject(input) && isObject(own(input, 'optional')) ? (own(input, 'optional') as Record<string, unknown>) : {};
  const inputs = new Map<string, InputDef>();
  const requiredNames: string[] = [];
  const optionalNames: string[] = [];
  for (const [name, spec] of Object.entries(required)) {
    if (name.length > LIMITS.nameChars) continue;
    const def = inputDef(name, spec, false);
    if (def && !inputs.has(name)) {
      inputs.set(name, def);
      requiredNames.push(name);
    }
  }
  for (const [name, spec] of Object.entries(optional)) {
    if (name.length > LIMITS.nameChars) continue;
    const def = inputDef(name, spec, true);
    if (def && !inputs.has(name)) {
      inputs.set(name, def);
      optionalNames.push(name);
    }
  }
  // What the core extensions add to the definition before the node type is registered: the audio
  // player (never saved), then the upload button after the first media picker (uploadImage.ts, uploadAudio.ts).
  if (AUDIO_UI_NODES.has(type) && !inputs.has('audioUI')) {
    inputs.set('audioUI', {
      name: 'audioUI',
      type: 'AUDIO_UI',
      optional: false,
      widget: true,
      forceInput: false,
      options: plain(null),
      comboValues: null,
    });
    requiredNames.push('audioUI');
  }
  // The 3D preview of SaveGLB / Preview3D (saveMesh.ts, load3d.ts): a widget whose value is sent.
  if ((type === 'SaveGLB' || type === 'Preview3D') && !inputs.has('image')) {
    inputs.set('image', {
      name: 'image',
      type: 'PREVIEW_3D',
      optional: false,
      widget: true,
      forceInput: false,
      options: plain(null),
      comboValues: null,
    });
    requiredNames.push('image');
  }
  const media = requiredNames.map((n) => inputs.get(n)!).find(isMediaUpload);
  const audio = inputs.get('audio');
  const upload = media
    ? 'IMAGEUPLOAD'
    : audio && !audio.optional && audio.options.audio_upload === true
      ? 'AUDIOUPLOAD'
      : null;
  if (upload) {
    inputs.set('upload', {
      name: 'upload',
      type: upload,
      optional: false,
      widget: true,
      forceInput: false,
      options: plain(null),
      comboValues: null,
    });
    if (!requiredNames.includes('upload')) requiredNames.push('upload');
  }

  // Order: input_order.required, input_order.optional, then the rest in definition order (nodeDefOrderingUtil.ts).
  const order = own(info, 'input_order');
  let ordered: string[] = [...requiredNames, ...optionalNames];
  if (isObject(order)) {
    const seen = new Set<string>();
    const out: string[] = [];
    const take = (names: string[], optional: boolean | null) => {
      for (const n of names) {
        const d = inputs.get(n);
        if (!d || seen.has(n) || (optional !== null && d.optional !== optional)) continue;
        seen.add(n);
        out.push(n);
      }
    };
    take(stringList(own(order, 'required')), false);
    take(stringList(own(order, 'optional')), true);
    take(ordered, null);
    ordered = out;
  }

  const slots: WidgetSlot[] = [];
  const sockets: { name: string; type: string }[] = [];
  const widgetInputs: { name: string; type: string }[] = [];
  let legacyCount = 0;
  const legacyOrder: string[] = [];
  let hasForceInput = false;
  for (const name of ordered) {
    const def = inputs.get(name)!;
    if (def.widget) {
      slots.push(...slotsOf(def));
      if (!UNSAVED_TYPES.has(def.type) && !BUTTON_TYPES.has(def.type)) widgetInputs.push({ name, type: def.type });
    } else sockets.push({ name, type: def.type });
    if (def.widget || def.forceInput) {
      const control = def.options.control_after_generate || name === 'seed' || name === 'noise_seed';
      if (!UNSAVED_TYPES.has(def.type)) {
        legacyCount += control ? 2 : 1;
        legacyOrder.push(name);
      }
    }
    if (def.forceInput) hasForceInput = true;
  }
  const rawOutputs = own(info, 'output');
  const outputs = Array.isArray(rawOutputs) ? rawOutputs.map((o) => (typeof o === 'string' ? o : 'COMBO')) : [];
  const displayName = own(info, 'display_name');
  return {
    type,
    displayName: typeof displayName === 'string' && displayName.length > 0 ? displayName : type,
    inputs,
    slots,
    runtimeInputs: [...sockets, ...widgetInputs],
    outputs,
    legacyCount,
    legacyOrder,
    hasForceInput,
  };
}

/** The value a widget starts with when the file has none for it (its declared default, as the frontend picks it). */
export function defaultOf(def: InputDef | undefined, kind: SlotKind = 'value'): unknown {
  if (kind === 'control') return def?.type === 'INT' ? 'randomize' : 'fixed';
  if (kind === 'filter') return '';
  if (kind === 'button') return def?.type === 'IMAGEUPLOAD' ? 'image' : '';
  if (!def) return undefined;
  const d = def.options.default;
  switch (def.type) {
    case 'INT':
    case 'FLOAT':
      return d ?? 0;
    case 'BOOLEAN':
      return d ?? false;
    case 'STRING':
    case 'TEXTAREA':
    case 'MARKDOWN':
    case 'PREVIEW_3D':
      return d ?? '';
    case 'COMBO':
      if (d) return d;
      return def.comboValues && def.comboValues.length > 0 ? def.comboValues[0] : undefined;
    default:
      return d;
  }
}

/** Where a value the prompt holds came from in the file, to write it back there. */
export interface Source {
  raw: Record<string, unknown>;
  /** Index in the array form of `widgets_values`, or key of its object form. */
  index?: number;
  key?: string;
  /** The node's default for every slot: fills the array when the file's is shorter than the index. */
  pad?: unknown[];
}

/**
 * The widget values of a saved node, by slot. Array form: slot by slot in widget order
 * (LGraphNode.configure; extra values are ignored, missing ones keep their defaults), after dropping
 * the pre-1.16 slots of forceInput inputs when the count says the file has them
 * (migrateWidgetsValues). Object form: by name. A value set by a PrimitiveNode or a group node
 * remembers where it came from; the node's own sources are made only when asked for (writing back).
 */
export class NodeValues {
  private readonly values: unknown[];
  private overrides: (Source | undefined)[] | null = null;
  private readonly indices: number[] | null;

  constructor(
    readonly schema: NodeSchema,
    private readonly saved: unknown[] | Record<string, unknown> | null,
    private readonly raw: Record<string, unknown>,
  ) {
    const slots = schema.slots;
    const isArray = Array.isArray(saved);
    this.indices =
      isArray && schema.hasForceInput && saved.length === schema.legacyCount && saved.length !== slots.length
        ? legacyIndices(schema)
        : null;
    this.values = new Array<unknown>(slots.length);
    for (let i = 0; i < slots.length; i++) {
      const slot = slots[i]!;
      if (slot.kind !== 'value') continue;
      if (isArray) {
        const at = this.indices ? this.indices[i]! : i;
        this.values[i] = at < saved.length ? saved[at] : defaultOf(schema.inputs.get(slot.input));
      } else if (saved && Object.hasOwn(saved, slot.input)) {
        this.values[i] = saved[slot.input];
      } else {
        this.values[i] = defaultOf(schema.inputs.get(slot.input));
      }
    }
  }

  has(input: string): boolean {
    return valueSlots(this.schema).has(input);
  }

  get(input: string): unknown {
    const i = valueSlots(this.schema).get(input);
    return i === undefined ? undefined : this.values[i];
  }

  /** Sets a value that came from elsewhere (a PrimitiveNode, a group node): `source` says where. */
  set(input: string, value: unknown, source: Source): void {
    const i = valueSlots(this.schema).get(input);
    if (i === undefined) return;
    this.values[i] = value;
    (this.overrides ??= [])[i] = source;
  }

  /** Where a value set from elsewhere came from; undefined when it is the node's own. */
  override(input: string): Source | undefined {
    const i = valueSlots(this.schema).get(input);
    return i === undefined || !this.overrides ? undefined : this.overrides[i];
  }

  /** Where the value is, or would go, in the node's own widgets_values. */
  ownSource(input: string): Source | undefined {
    const i = valueSlots(this.schema).get(input);
    if (i === undefined) return undefined;
    if (this.saved && !Array.isArray(this.saved)) return { raw: this.raw, key: input };
    return { raw: this.raw, index: this.indices ? this.indices[i]! : i, pad: padOf(this.schema) };
  }

  source(input: string): Source | undefined {
    return this.override(input) ?? this.ownSource(input);
  }
}

const valueSlotCache = new WeakMap<NodeSchema, Map<string, number>>();

/** Input name → its value slot's index, per node type. */
function valueSlots(schema: NodeSchema): Map<string, number> {
  const known = valueSlotCache.get(schema);
  if (known) return known;
  // A loop, not a closure: a closure over the map would cost a context at every call, hit or not.
  const map = new Map<string, number>();
  for (let i = 0; i < schema.slots.length; i++) {
    const slot = schema.slots[i]!;
    if (slot.kind === 'value' && !map.has(slot.input)) map.set(slot.input, i);
  }
  valueSlotCache.set(schema, map);
  return map;
}

const pads = new WeakMap<NodeSchema, unknown[]>();

/** The defaults of every slot of a node type (one array per type: nodes share it, nobody writes to it). */
export function padOf(schema: NodeSchema): unknown[] {
  let pad = pads.get(schema);
  if (!pad) pads.set(schema, (pad = schema.slots.map((slot) => defaultOf(schema.inputs.get(slot.input), slot.kind))));
  return pad;
}

/**
 * For a pre-1.16 file: the index in `widgets_values` of each widget slot. The frontend drops the
 * values at the positions of forceInput inputs, counting one position per input (its zip), and
 * then fills the widgets in order; we keep the same positions.
 */
function legacyIndices(schema: NodeSchema): number[] {
  const dropped = new Set<number>();
  let i = 0;
  for (const name of schema.legacyOrder) {
    if (schema.inputs.get(name)!.forceInput) dropped.add(i);
    i++;
  }
  const out: number[] = [];
  let at = 0;
  for (let s = 0; s < schema.slots.length; s++) {
    while (dropped.has(at)) at++;
    out.push(at++);
  }
  return out;
}
