// A faithful fake Comfy Cloud (and, in local mode, a local ComfyUI server) on loopback, for tests,
// benchmarks and trying the app without an account. Follows ../shared/spec/openapi-cloud.yaml and
// the recorded traffic of a real ComfyUI 0.8.0 server (../shared/traces/): message order, shapes,
// binary frames, 400 node_errors, 302 to signed storage on another origin.
import { createHash, createHmac, randomBytes, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { join } from 'node:path';
import { WebSocketServer, type WebSocket } from 'ws';
import { encodePreviewFrame, encodePreviewWithMetadataFrame, encodeTextFrame } from '../../shared/comfy-frames';
import { makePng, makePreview } from './png';
import { validatePrompt } from './validate';

export interface FakeCloudOptions {
  mode?: 'cloud' | 'local';
  apiKey?: string;
  /** Simulated time per sampler step and per plain node. */
  stepMs?: number;
  steps?: number;
  port?: number;
  signedUrlTtlMs?: number;
  uploadLimitBytes?: number;
  /** How many jobs run at once (Comfy Cloud runs several, by plan; a local server one). */
  parallel?: number;
  /**
   * The model files it has (every model list of object_info, checked on submit). Default: Cloud
   * has the common ones (CLOUD_MODELS); a local server has none listed and accepts any name.
   */
  models?: string[];
  /** Custom node templates a local server offers ({pack: [name, …]}), served at /workflow_templates/PACK/NAME.json. */
  templates?: Record<string, Record<string, unknown>>;
  /** Refuse WebSockets from the start (503), as an unreachable socket endpoint would (see refuseWebSockets). */
  refuseWebSockets?: boolean;
}

/** A file in the user's data (workflows/…): its bytes and its modified time (seconds, as ComfyUI says it). */
export interface UserFile {
  bytes: Buffer;
  modified: number;
}

export interface RequestRecord {
  origin: 'api' | 'signed';
  method: string;
  url: string;
  headers: Record<string, string | string[] | undefined>;
  at: number;
}

export interface FaultRule {
  method?: string;
  /** A prefix of the path (without the query), or a RegExp on path + query. */
  path: string | RegExp;
  /** How many matching requests it applies to (default 1). */
  times?: number;
  status?: number;
  /** Answer with an HTML page (status 200 unless `status` says otherwise). */
  html?: boolean;
  delayMs?: number;
  /** POST /prompt: accept the prompt, but answer this late (the client may give up: an unknown outcome). */
  answerDelayMs?: number;
  /** Send a Content-Length, then cut the connection after this many bytes of the body. */
  truncateAfterBytes?: number;
  /** Send the body slowly. */
  bytesPerSecond?: number;
  /** Close the connection without an answer. */
  dropConnection?: boolean;
  /** Extra response headers (e.g. Retry-After) on a `status` answer. */
  headers?: Record<string, string>;
  /** A `status` answer whose error body quotes the API key the request carried (a careless server). */
  echoKey?: boolean;
  /** Files: no Content-Length, the end marked only by closing the connection (with truncateAfterBytes: cut short). */
  noContentLength?: boolean;
  /** Files: a Range request answered 206 with a matching Content-Range, but the bytes from offset 0. */
  lieRange?: boolean;
  /** Files: one byte every this many ms (each byte resets a naive idle timer). */
  trickleMs?: number;
  /** Files: claim this Content-Length, send the headers, then nothing. */
  stallWithLength?: number;
  /** Files: no Content-Length, and the file's bytes sent again and again: a body that never ends. */
  endless?: boolean;
  /** Take the request and never answer (not even the headers); the connection stays open. */
  noHeaders?: boolean;
  /** Answer with exactly this body (status 200 unless `status` says otherwise): malformed JSON, `{}`, a huge one. */
  body?: string;
}

/** Ways the server's WebSocket and job routes can lie (the hostile server). */
export interface Misbehaviour {
  /** Jobs finish with execution_success but never send `executed`: outputs are only in the job detail. */
  omitExecuted?: boolean;
  /** Job status routes and job detail answer this status name instead of the real one (while running or done). */
  statusName?: string;
}

export interface OutputRef {
  filename: string;
  subfolder: string;
  type: string;
}

type JobStatus = 'pending' | 'in_progress' | 'completed' | 'failed' | 'cancelled';

interface Job {
  promptId: string;
  number: number;
  prompt: Record<string, { class_type: string; inputs: Record<string, unknown>; _meta?: { title?: string } }>;
  extraData: Record<string, unknown>;
  clientId: string | null;
  status: JobStatus;
  createTime: number;
  startTime: number | null;
  endTime: number | null;
  outputs: Record<string, { images: OutputRef[] }>;
  messages: [string, Record<string, unknown>][];
  error: Record<string, unknown> | null;
  interruptRequested: boolean;
}

interface Client {
  ws: WebSocket;
  clientId: string;
  wantsMetadata: boolean;
  firstMessage: boolean;
}

type StoredFile = { bytes: Buffer } | { size: number; seed: number };

export interface FakeCloud {
  url: string;
  signedOrigin: string;
  apiKey: string;
  mode: 'cloud' | 'local';
  requests: RequestRecord[];
  /** How many prompts were accepted per client job id (extra_data.comfy_desk_job_id): proves no double submission. */
  acceptedByClientJob(): Map<string, number>;
  acceptedCount(): number;
  /** Every accepted prompt in the order it arrived, with our job id and its status now. */
  accepted(): {
    clientJobId: string | null;
    prompt: Record<string, { class_type: string; inputs: Record<string, unknown> }>;
    status: JobStatus;
  }[];
  jobStatus(promptId: string): JobStatus | null;
  holdQueue(on: boolean): void;
  dropWebSockets(): void;
  /** Rejects new WebSocket connections while on (a network outage for the socket). */
  refuseWebSockets(on: boolean): void;
  fault(rule: FaultRule): void;
  clearFaults(): void;
  /** Outputs of the next jobs get hostile names (../../evil.png, /etc/passwd) and subfolders. */
  hostileFilenames(on: boolean): void;
  /** A file /api/view serves (for download benchmarks): bytes, or a size generated lazily. */
  addStaticOutput(content: Buffer | number): OutputRef;
  /**
   * Outputs of the next jobs are these bytes, named `<prefix>_00001_.<ext>` (a video or an audio
   * output) instead of a PNG made for the job; null: PNGs again.
   */
  outputFile(file: { bytes: Buffer; ext: string } | null): void;
  /** Every mask upload: its name, the original_ref it named, and its bytes (tests check the alpha). */
  masks: { name: string; originalRef: Record<string, unknown>; bytes: Buffer }[];
  /** Sends a raw text or binary frame to every connected socket (hostile messages). */
  injectWs(frame: string | Uint8Array): void;
  misbehave(how: Misbehaviour): void;
  /** The bytes /api/view serves for an output (tests compare stored files with them). */
  fileBytes(ref: OutputRef): Buffer | null;
  /** The user's data files by path ("workflows/fox.json"): what the web UI saved, and what we saved. */
  userdata: Map<string, UserFile>;
  /** Saves a file as the web UI would (another client): a newer modified time. */
  putUserdata(path: string, content: string | Buffer): UserFile;
  /** A hostile listing: GET /userdata answers exactly these entries (null: the real files again). */
  userdataListing(entries: unknown[] | null): void;
  /** Runs a job from "another client" (the web UI), for sync tests. */
  runForeignJob(prompt: Record<string, unknown>): Promise<string>;
  close(): Promise<void>;
}

const OBJECT_INFO_PATH = join(import.meta.dirname, '../../../shared/traces/comfyui-0.8.0/object_info.full.json');
const SAMPLERS = /Sampler/;
const OUTPUT_CLASSES = /^(SaveImage|PreviewImage|SaveAnimatedWEBP|SaveAnimatedPNG|SaveWEBM|SaveVideo)$/;

let objectInfoCache: { text: string; parsed: Record<string, { output_node?: boolean; output?: unknown[] }> } | null =
  null;
/** The API key a request carried, by header or ?token=. */
function tokenOf(req: IncomingMessage | undefined): string {
  if (!req) return '';
  return new URL(req.url ?? '/', 'http://x').searchParams.get('token') ?? String(req.headers['x-api-key'] ?? '');
}

/**
 * Comfy Cloud has every common model; the recorded object_info comes from a machine with none
 * (its model lists are empty). The fake cloud lists these, as Cloud would; a fake local server
 * keeps the empty lists of a fresh install.
 */
const CLOUD_MODELS = [
  'v1-5-pruned-emaonly.ckpt',
  'v1-5-pruned-emaonly.safetensors',
  '512-inpainting-ema.safetensors',
  'sd_xl_base_1.0.safetensors',
  'flux1-dev.safetensors',
  'wan2.1_t2v_1.3B_bf16.safetensors',
  'wan_2.1_vae.safetensors',
  'umt5_xxl_fp8_e4m3fn_scaled.safetensors',
];

const modelInfoTexts = new Map<string, string>();
/** object_info with every (empty) model list filled with these models: what a server that has them says. */
function objectInfoWithModels(models: readonly string[]): string {
  const key = models.join('\u0000');
  let text = modelInfoTexts.get(key);
  if (!text) {
    const info = JSON.parse(objectInfo().text) as Record<
      string,
      { input?: Record<string, Record<string, [unknown, Record<string, unknown>?]>> }
    >;
    for (const node of Object.values(info)) {
      for (const group of Object.values(node.input ?? {})) {
        for (const spec of Object.values(group)) {
          if (Array.isArray(spec[0]) && spec[0].length === 0 && !spec[1]?.image_upload) spec[0] = [...models];
        }
      }
    }
    modelInfoTexts.set(key, (text = JSON.stringify(info)));
  }
  return text;
}

const modelInfoParsed = new Map<string, unknown>();
function parsedWithModels(models: readonly string[]): unknown {
  const key = models.join('\u0000');
  if (!modelInfoParsed.has(key)) modelInfoParsed.set(key, JSON.parse(objectInfoWithModels(models)));
  return modelInfoParsed.get(key);
}

/**
 * A local ComfyUI lists the files of its input folder as LoadImage's choices (and the recorded
 * machine had no models: its model lists stay empty). Made per request: uploads add to it.
 */
function localObjectInfo(inputs: string[], models: readonly string[] | null): string {
  const info = JSON.parse(models ? objectInfoWithModels(models) : objectInfo().text) as Record<
    string,
    { input?: Record<string, Record<string, [unknown, Record<string, unknown>?]>> }
  >;
  for (const node of Object.values(info)) {
    for (const group of Object.values(node.input ?? {})) {
      for (const spec of Object.values(group)) if (spec[1]?.image_upload) spec[0] = [...inputs];
    }
  }
  return JSON.stringify(info);
}

function objectInfo() {
  if (!objectInfoCache) {
    const text = readFileSync(OBJECT_INFO_PATH, 'utf8');
    objectInfoCache = { text, parsed: JSON.parse(text) as Record<string, { output_node?: boolean }> };
  }
  return objectInfoCache;
}

export async function startFakeCloud(options: FakeCloudOptions = {}): Promise<FakeCloud> {
  const mode = options.mode ?? 'cloud';
  const apiKey = options.apiKey ?? 'test-key-0123456789abcdef';
  const stepMs = options.stepMs ?? 5;
  const steps = options.steps ?? 4;
  const ttl = options.signedUrlTtlMs ?? 60_000;
  const uploadLimit = options.uploadLimitBytes ?? 50 * 1024 * 1024;
  const models = options.models ?? null;
  const signingKey = randomBytes(16);

  const requests: RequestRecord[] = [];
  const jobs = new Map<string, Job>();
  const queue: string[] = [];
  const files = new Map<string, StoredFile>(); // "type/subfolder/filename" → content
  const uploads = new Set<string>();
  const masks: FakeCloud['masks'] = [];
  const counters = new Map<string, number>();
  const clients = new Set<Client>();
  let faults: (FaultRule & { left: number })[] = [];
  let held = false;
  let refuseSockets = options.refuseWebSockets ?? false;
  let hostile = false;
  const userdata = new Map<string, UserFile>();
  let listingOverride: unknown[] | null = null;
  let lastModified = 0;
  /** A modified time that always moves forward (two saves in one millisecond still differ). */
  const nextModified = (): number => (lastModified = Math.max(Date.now() / 1000, lastModified + 0.001));
  const putUserdata = (path: string, content: string | Buffer): UserFile => {
    const file = { bytes: Buffer.isBuffer(content) ? content : Buffer.from(content), modified: nextModified() };
    userdata.set(path, file);
    return file;
  };
  let fixedOutput: { bytes: Buffer; ext: string } | null = null;
  let misbehaviour: Misbehaviour = {};
  /** Jobs executing now (Cloud runs several at once, up to the plan's limit: `parallel`). */
  const running = new Set<Job>();
  const parallel = Math.max(1, options.parallel ?? 1);
  let number = 0;
  let closed = false;
  const sockets = new Set<Socket>();

  const fileKey = (ref: OutputRef): string => `${ref.type}/${ref.subfolder}/${ref.filename}`;

  // ---------- WebSocket ----------
  const broadcast = (job: Job | null, type: string, data: Record<string, unknown>): void => {
    if (job && type !== 'status') job.messages.push([type, data]);
    const text = JSON.stringify({ type, data });
    for (const c of clients) {
      // Cloud ignores clientId: every socket of the account hears every job. Local: the submitter.
      if (mode === 'local' && job && job.clientId && c.clientId !== job.clientId) continue;
      if (c.ws.readyState === c.ws.OPEN) c.ws.send(text);
    }
  };
  const sendBinary = (job: Job, frame: (c: Client) => Uint8Array): void => {
    for (const c of clients) {
      if (mode === 'local' && job.clientId && c.clientId !== job.clientId) continue;
      if (c.ws.readyState === c.ws.OPEN) c.ws.send(frame(c));
    }
  };
  const status = (): void => {
    broadcast(null, 'status', { status: { exec_info: { queue_remaining: queue.length + running.size } } });
  };

  // ---------- execution on a simulated clock ----------
  const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

  function order(job: Job): string[] {
    const seen = new Set<string>();
    const out: string[] = [];
    const visit = (id: string): void => {
      if (seen.has(id) || !job.prompt[id]) return;
      seen.add(id);
      for (const v of Object.values(job.prompt[id]!.inputs)) {
        if (Array.isArray(v) && v.length === 2 && typeof v[1] === 'number') visit(String(v[0]));
      }
      out.push(id);
    };
    for (const [id, node] of Object.entries(job.prompt))
      if (objectInfo().parsed[node.class_type]?.output_node) visit(id);
    return out;
  }

  async function execute(job: Job): Promise<void> {
    running.add(job);
    job.status = 'in_progress';
    job.startTime = Date.now();
    status();
    broadcast(job, 'execution_start', { prompt_id: job.promptId, timestamp: Date.now() });
    broadcast(job, 'execution_cached', { nodes: [], prompt_id: job.promptId, timestamp: Date.now() });
    const nodes = order(job);
    const progress: Record<
      string,
      {
        value: number;
        max: number;
        state: string;
        node_id: string;
        prompt_id: string;
        display_node_id: string;
        parent_node_id: null;
        real_node_id: string;
      }
    > = {};
    const progressState = (): void =>
      broadcast(job, 'progress_state', { prompt_id: job.promptId, nodes: structuredClone(progress) });
    const seed = Number(Object.values(job.prompt).find((n) => typeof n.inputs.seed === 'number')?.inputs.seed ?? 0);
    const executed: string[] = [];
    for (const id of nodes) {
      if (job.interruptRequested) return finishInterrupted(job, id, executed);
      const node = job.prompt[id]!;
      progress[id] = {
        value: 0,
        max: 1,
        state: 'running',
        node_id: id,
        prompt_id: job.promptId,
        display_node_id: id,
        parent_node_id: null,
        real_node_id: id,
      };
      progressState();
      broadcast(job, 'executing', { node: id, display_node: id, prompt_id: job.promptId });
      if (node.class_type === 'EmptyLatentImage' || node.class_type === 'EmptyImage') {
        sendBinary(job, () =>
          encodeTextFrame(id, `width: ${String(node.inputs.width)}, height: ${String(node.inputs.height)}`),
        );
      }
      if (SAMPLERS.test(node.class_type)) {
        for (let step = 1; step <= steps; step++) {
          await sleep(stepMs);
          if (job.interruptRequested) return finishInterrupted(job, id, executed);
          progress[id] = { ...progress[id]!, value: step, max: steps };
          progressState();
          broadcast(job, 'progress', { value: step, max: steps, prompt_id: job.promptId, node: id });
          const preview = makePreview(seed, step);
          sendBinary(job, (c) =>
            c.wantsMetadata
              ? encodePreviewWithMetadataFrame(preview, {
                  node_id: id,
                  prompt_id: job.promptId,
                  display_node_id: id,
                  parent_node_id: null,
                  real_node_id: id,
                  image_type: 'image/png',
                })
              : encodePreviewFrame(preview, 'png'),
          );
        }
      } else {
        await sleep(stepMs);
      }
      if (OUTPUT_CLASSES.test(node.class_type)) {
        const prefix = String(node.inputs.filename_prefix ?? 'ComfyUI');
        if (prefix.includes('FAIL')) return finishFailed(job, id, node.class_type, executed);
        const ref = writeOutput(job, id, prefix, seed, node.class_type === 'PreviewImage' ? 'temp' : 'output');
        job.outputs[id] = { images: [ref] };
        if (!misbehaviour.omitExecuted) {
          broadcast(job, 'executed', {
            node: id,
            display_node: id,
            output: { images: [ref] },
            prompt_id: job.promptId,
          });
        }
      }
      progress[id] = { ...progress[id]!, value: 1, max: 1, state: 'finished' };
      progressState();
      executed.push(id);
    }
    job.status = 'completed';
    job.endTime = Date.now();
    running.delete(job);
    broadcast(job, 'execution_success', { prompt_id: job.promptId, timestamp: Date.now() });
    status();
    broadcast(job, 'executing', { node: null, prompt_id: job.promptId });
  }

  function writeOutput(job: Job, nodeId: string, prefix: string, seed: number, type: string): OutputRef {
    const count = (counters.get(prefix) ?? 0) + 1;
    counters.set(prefix, count);
    const latent = Object.values(job.prompt).find((n) => typeof n.inputs.width === 'number');
    const width = Math.max(8, Math.min(256, Math.round(Number(latent?.inputs.width ?? 512) / 8)));
    const height = Math.max(8, Math.min(256, Math.round(Number(latent?.inputs.height ?? 512) / 8)));
    const text: Record<string, string> = { prompt: JSON.stringify(job.prompt) };
    const pnginfo = job.extraData.extra_pnginfo as { workflow?: unknown } | undefined;
    if (pnginfo?.workflow) text.workflow = JSON.stringify(pnginfo.workflow);
    const bytes = fixedOutput
      ? fixedOutput.bytes
      : makePng(width, height, seed * 7919 + count + Number(nodeId.replace(/\D/g, '') || 0), text);
    const filename = `${prefix}_${String(count).padStart(5, '0')}_.${fixedOutput?.ext ?? 'png'}`;
    files.set(fileKey({ filename, subfolder: '', type }), { bytes });
    if (hostile) {
      const evil = count % 2 ? '../../evil.png' : '/etc/passwd';
      files.set(fileKey({ filename: evil, subfolder: '../..', type }), { bytes });
      return { filename: evil, subfolder: '../..', type };
    }
    return { filename, subfolder: '', type };
  }

  function finishFailed(job: Job, nodeId: string, nodeType: string, executed: string[]): void {
    job.status = 'failed';
    job.endTime = Date.now();
    running.delete(job);
    job.error = {
      prompt_id: job.promptId,
      node_id: nodeId,
      node_type: nodeType,
      executed,
      exception_message: 'Simulated failure: the filename prefix asked for it (FAIL).\n',
      exception_type: 'RuntimeError',
      traceback: ['  File "/srv/comfyui/ComfyUI/execution.py", line 277, in process_inputs\n'],
      current_inputs: {},
      current_outputs: {},
      timestamp: Date.now(),
    };
    broadcast(job, 'execution_error', job.error);
    status();
    broadcast(job, 'executing', { node: null, prompt_id: job.promptId });
  }

  function finishInterrupted(job: Job, nodeId: string, executed: string[]): void {
    job.status = 'cancelled';
    job.endTime = Date.now();
    running.delete(job);
    broadcast(job, 'execution_interrupted', {
      prompt_id: job.promptId,
      node_id: nodeId,
      node_type: job.prompt[nodeId]?.class_type,
      executed,
      timestamp: Date.now(),
    });
    status();
    broadcast(job, 'executing', { node: null, prompt_id: job.promptId });
  }

  function pump(): void {
    while (!closed && !held && running.size < parallel && queue.length > 0) {
      const job = jobs.get(queue.shift()!)!;
      if (job.status !== 'pending') continue;
      void execute(job).finally(() => pump());
    }
  }

  function accept(
    prompt: Job['prompt'],
    extraData: Record<string, unknown>,
    clientId: string | null,
    promptId: string,
  ): Job {
    // The partner-node key is used, never kept.
    const { api_key_comfy_org: _key, ...kept } = extraData;
    const job: Job = {
      promptId,
      number: number++,
      prompt,
      extraData: { ...kept, ...(clientId ? { client_id: clientId } : {}), create_time: Date.now() },
      clientId,
      status: 'pending',
      createTime: Date.now(),
      startTime: null,
      endTime: null,
      outputs: {},
      messages: [],
      error: null,
      interruptRequested: false,
    };
    jobs.set(promptId, job);
    queue.push(promptId);
    status();
    setImmediate(() => pump());
    return job;
  }

  // ---------- HTTP ----------
  const json = (res: ServerResponse, code: number, body: unknown): void => {
    const text = JSON.stringify(body);
    res.writeHead(code, {
      'Content-Type': 'application/json; charset=utf-8',
      'Content-Length': Buffer.byteLength(text),
    });
    res.end(text);
  };
  const error = (res: ServerResponse, code: number, errCode: string, message: string): void =>
    json(res, code, { code: errCode, message });

  async function readBody(req: IncomingMessage, limit: number): Promise<Buffer | null> {
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of req) {
      size += (chunk as Buffer).length;
      if (size > limit) return null;
      chunks.push(chunk as Buffer);
    }
    return Buffer.concat(chunks);
  }

  function applyFault(req: IncomingMessage, res: ServerResponse, path: string): { rule: FaultRule } | null {
    const rule = faults.find(
      (f) =>
        f.left > 0 &&
        (!f.method || f.method === req.method) &&
        (typeof f.path === 'string' ? path.startsWith(f.path) : f.path.test(req.url ?? '')),
    );
    if (!rule) return null;
    rule.left -= 1;
    faults = faults.filter((f) => f.left > 0);
    return { rule };
  }

  function answerFault(rule: FaultRule, res: ServerResponse, req?: IncomingMessage): boolean {
    if (rule.noHeaders) return true; // closed only when the fake cloud closes
    if (rule.dropConnection) {
      res.socket?.destroy();
      return true;
    }
    if (rule.html) {
      res.writeHead(rule.status ?? 200, { 'Content-Type': 'text/html' });
      res.end('<!doctype html><html><body><h1>Welcome to nginx!</h1></body></html>');
      return true;
    }
    if (rule.body !== undefined) {
      res.writeHead(rule.status ?? 200, { 'Content-Type': 'application/json', ...rule.headers }).end(rule.body);
      return true;
    }
    if (rule.status) {
      const messages: Record<number, [string, string]> = {
        401: ['unauthorized', 'Invalid or missing API key'],
        402: ['insufficient_credits', 'Insufficient credits to run this workflow'],
        429: ['subscription_inactive', 'User has not paid: subscription inactive'],
        500: ['internal_error', 'Internal server error'],
        502: ['bad_gateway', 'Bad gateway'],
        503: ['service_unavailable', 'Service temporarily unavailable'],
      };
      const [code, message] = messages[rule.status] ?? ['error', `Error ${rule.status}`];
      for (const [name, value] of Object.entries(rule.headers ?? {})) res.setHeader(name, value);
      const echoed = rule.echoKey ? ` (key ${String(req?.headers['x-api-key'] ?? '')}, token=${tokenOf(req)})` : '';
      error(res, rule.status, code, message + echoed);
      return true;
    }
    return false;
  }

  const api = createServer((req, res) => {
    handleApi(req, res).catch((err: unknown) => {
      if (!res.headersSent) error(res, 500, 'internal_error', String(err));
    });
  });

  async function handleApi(req: IncomingMessage, res: ServerResponse): Promise<void> {
    requests.push({
      origin: 'api',
      method: req.method ?? 'GET',
      url: req.url ?? '/',
      headers: req.headers,
      at: Date.now(),
    });
    const url = new URL(req.url ?? '/', 'http://x');
    let path = url.pathname;
    if (path.startsWith('/api/')) path = path.slice(4);
    else if (mode === 'cloud') return error(res, 404, 'not_found', 'Not found');
    const fault = applyFault(req, res, path);
    if (fault?.rule.delayMs) await sleep(fault.rule.delayMs);
    if (fault && answerFault(fault.rule, res, req)) return;
    if (mode === 'cloud' && req.headers['x-api-key'] !== apiKey) {
      return error(res, 401, 'unauthorized', 'Invalid or missing API key');
    }
    const method = req.method ?? 'GET';
    const route = `${method} ${path}`;
    let m: RegExpExecArray | null;

    if (route === 'POST /prompt') {
      const body = await readBody(req, 20 * 1024 * 1024);
      let parsed: { prompt?: unknown; client_id?: string; prompt_id?: string; extra_data?: Record<string, unknown> };
      try {
        parsed = JSON.parse(body?.toString() ?? '') as typeof parsed;
      } catch {
        return json(res, 400, {
          error: { type: 'invalid_json', message: 'Invalid JSON', details: '', extra_info: {} },
          node_errors: {},
        });
      }
      // A server told its models checks names against them; otherwise an empty list accepts any.
      const info = options.models ? parsedWithModels(options.models) : objectInfo().parsed;
      const problem = validatePrompt(parsed.prompt, info as never, uploads);
      if (problem) return json(res, 400, problem);
      const promptId = mode === 'local' && typeof parsed.prompt_id === 'string' ? parsed.prompt_id : randomUUID();
      if (jobs.has(promptId)) {
        return json(res, 400, {
          error: {
            type: 'duplicate_prompt_id',
            message: 'A prompt with this id exists',
            details: promptId,
            extra_info: {},
          },
          node_errors: {},
        });
      }
      const job = accept(parsed.prompt as Job['prompt'], parsed.extra_data ?? {}, parsed.client_id ?? null, promptId);
      if (fault?.rule.answerDelayMs) await sleep(fault.rule.answerDelayMs);
      return json(res, 200, { prompt_id: job.promptId, number: job.number, node_errors: {} });
    }
    if (route === 'GET /prompt') return json(res, 200, { exec_info: { queue_remaining: queue.length + running.size } });
    if (route === 'GET /queue') {
      const item = (id: string) => {
        const j = jobs.get(id)!;
        const outs = Object.keys(j.prompt).filter((k) => objectInfo().parsed[j.prompt[k]!.class_type]?.output_node);
        return mode === 'cloud'
          ? [j.number, j.promptId, j.prompt, outs, { create_time: j.createTime }]
          : [j.number, j.promptId, j.prompt, j.extraData, outs];
      };
      return json(res, 200, {
        queue_running: [...running].map((j) => item(j.promptId)),
        queue_pending: queue.map(item),
      });
    }
    if (route === 'POST /queue') {
      const body = JSON.parse((await readBody(req, 1 << 20))?.toString() || '{}') as {
        delete?: string[];
        clear?: boolean;
      };
      const deleted: string[] = [];
      for (const id of body.clear ? [...queue] : (body.delete ?? [])) {
        const job = jobs.get(id);
        if (!job) continue;
        if (job.status === 'pending') {
          job.status = 'cancelled';
          job.endTime = Date.now();
          queue.splice(queue.indexOf(id), 1);
          deleted.push(id);
        } else if (job.status === 'in_progress' && mode === 'cloud') {
          job.interruptRequested = true; // Cloud cancels a running job through the queue too
          deleted.push(id);
        }
      }
      status();
      return json(res, 200, mode === 'cloud' ? { deleted, cleared: Boolean(body.clear) } : {});
    }
    if (route === 'POST /interrupt') {
      const body = JSON.parse((await readBody(req, 1 << 20))?.toString() || '{}') as { prompt_id?: string };
      for (const job of running) {
        if (mode === 'cloud' || !body.prompt_id || body.prompt_id === job.promptId) job.interruptRequested = true;
      }
      return json(res, 200, {});
    }
    if ((m = /^GET \/job\/([^/]+)\/status$/.exec(route)) && mode === 'cloud') {
      const job = jobs.get(decodeURIComponent(m[1]!));
      if (!job) return error(res, 404, 'not_found', 'Job not found');
      const names: Record<JobStatus, string> = {
        pending: 'pending',
        in_progress: 'in_progress',
        completed: 'completed',
        failed: 'error',
        cancelled: 'cancelled',
      };
      return json(res, 200, {
        id: job.promptId,
        status: misbehaviour.statusName ?? names[job.status],
        created_at: new Date(job.createTime).toISOString(),
        updated_at: new Date(job.endTime ?? job.startTime ?? job.createTime).toISOString(),
        error_message: job.error ? String(job.error.exception_message) : null,
      });
    }
    if (route === 'GET /jobs') {
      const offset = Number(url.searchParams.get('offset') ?? 0);
      const limit = Math.min(1000, Math.max(1, Number(url.searchParams.get('limit') ?? 100)));
      const wanted = url.searchParams.get('status')?.split(',');
      const all = [...jobs.values()]
        .filter((j) => !wanted || wanted.includes(j.status))
        .sort((a, b) => b.createTime - a.createTime || b.number - a.number);
      return json(res, 200, {
        jobs: all.slice(offset, offset + limit).map((j) => jobEntry(j, false)),
        pagination: { offset, limit, total: all.length, has_more: offset + limit < all.length },
      });
    }
    if ((m = /^GET \/jobs\/([^/]+)$/.exec(route))) {
      const job = jobs.get(decodeURIComponent(m[1]!));
      if (!job) return error(res, 404, 'not_found', 'Job not found');
      return json(res, 200, jobEntry(job, true));
    }
    if (route === 'GET /history_v2' || route === 'GET /history') {
      const max = Number(url.searchParams.get('max_items') ?? 100);
      const done = [...jobs.values()]
        .filter((j) => j.endTime)
        .sort((a, b) => b.createTime - a.createTime)
        .slice(0, max);
      if (route === 'GET /history_v2') {
        return json(res, 200, {
          history: done.map((j) => ({
            prompt_id: j.promptId,
            create_time: j.createTime,
            prompt: { priority: j.number, prompt_id: j.promptId, extra_data: j.extraData },
            outputs: j.outputs,
            status: historyStatus(j),
            meta: {},
          })),
        });
      }
      return json(res, 200, Object.fromEntries(done.map((j) => [j.promptId, historyEntry(j)])));
    }
    if ((m = /^GET \/history(?:_v2)?\/([^/]+)$/.exec(route))) {
      const job = jobs.get(decodeURIComponent(m[1]!));
      return json(res, 200, job?.endTime ? { [job.promptId]: historyEntry(job) } : {});
    }
    if (route === 'GET /features') {
      return json(res, 200, {
        supports_preview_metadata: true,
        max_upload_size: uploadLimit,
        max_image_edge: 16384,
        max_image_pixels: 64 * 1024 * 1024,
      });
    }
    if (route === 'GET /system_stats') {
      return json(res, 200, {
        system: { os: 'linux', comfyui_version: '0.8.0', python_version: '3.11.2', embedded_python: false },
        devices: [{ name: 'cpu', type: 'cpu', vram_total: 0, vram_free: 0 }],
      });
    }
    if (route === 'GET /user')
      return json(res, 200, { status: 'active', id: 'user-1', email: 'ada@example.com', name: 'Ada' });
    if (route === 'GET /object_info') {
      res.writeHead(200, { 'Content-Type': 'application/json; charset=utf-8' });
      res.end(
        mode === 'cloud' ? objectInfoWithModels(models ?? CLOUD_MODELS) : localObjectInfo([...uploads].sort(), models),
      );
      return;
    }
    if (route === 'GET /userdata') {
      const dir = url.searchParams.get('dir') ?? '';
      if (!dir) return text(res, 400, 'Directory not provided');
      if (listingOverride) return json(res, 200, listingOverride);
      const prefix = dir.endsWith('/') ? dir : `${dir}/`;
      const recurse = url.searchParams.get('recurse') === 'true';
      const fullInfo = mode === 'cloud' || url.searchParams.get('full_info') === 'true';
      const inside = [...userdata].filter(
        ([p]) => p.startsWith(prefix) && (recurse || !p.slice(prefix.length).includes('/')),
      );
      if (mode === 'local' && inside.length === 0) return text(res, 404, 'Directory not found');
      return json(
        res,
        200,
        inside.map(([p, f]) =>
          fullInfo
            ? { path: p.slice(prefix.length), size: f.bytes.length, modified: f.modified, created: f.modified }
            : p.slice(prefix.length),
        ),
      );
    }
    if (
      (m = /^(GET|POST|DELETE) \/userdata\/([^/]+)$/.exec(route)) ||
      (m = /^(POST) \/userdata\/([^/]+)\/move\/([^/]+)$/.exec(route))
    ) {
      const file = userPath(m[2]!);
      const dest = m[3] !== undefined ? userPath(m[3]) : undefined;
      if (file === null || dest === null) return text(res, 403, 'Forbidden');
      const overwrite = url.searchParams.get('overwrite') !== 'false';
      const fullInfo = url.searchParams.get('full_info') === 'true';
      const info = (p: string) => {
        const f = userdata.get(p)!;
        return fullInfo ? { path: p, size: f.bytes.length, modified: f.modified, created: f.modified } : p;
      };
      if (method === 'GET') {
        const f = userdata.get(file);
        if (!f) return text(res, 404, 'Not found');
        res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Length': f.bytes.length });
        res.end(f.bytes);
        return;
      }
      if (method === 'DELETE') {
        if (!userdata.delete(file)) return text(res, 404, 'Not found');
        res.writeHead(204).end();
        return;
      }
      if (dest !== undefined) {
        const f = userdata.get(file);
        if (!f) return text(res, 404, 'Not found');
        if (!overwrite && userdata.has(dest)) return text(res, 409, 'File already exists');
        userdata.delete(file);
        userdata.set(dest, f);
        return json(res, 200, info(dest));
      }
      if (!overwrite && userdata.has(file)) return text(res, 409, 'File already exists');
      const body = await readBody(req, 20 * 1024 * 1024);
      if (!body) return text(res, 413, 'Too large');
      putUserdata(file, body);
      return json(res, 200, info(file));
    }
    if (route === 'GET /workflow_templates')
      return json(
        res,
        200,
        mode === 'cloud'
          ? {}
          : Object.fromEntries(Object.entries(options.templates ?? {}).map(([pack, t]) => [pack, Object.keys(t)])),
      );
    if ((m = /^GET \/workflow_templates\/([^/]+)\/([^/]+)\.json$/.exec(route))) {
      const t = options.templates?.[decodeURIComponent(m[1]!)]?.[decodeURIComponent(m[2]!)];
      return t ? json(res, 200, t) : text(res, 404, 'Not found');
    }
    if (route === 'POST /upload/image' || route === 'POST /upload/mask')
      return upload(req, res, path === '/upload/mask');
    if (route === 'GET /view') {
      const ref = {
        filename: url.searchParams.get('filename') ?? '',
        subfolder: url.searchParams.get('subfolder') ?? '',
        type: url.searchParams.get('type') ?? 'output',
      };
      const file = files.get(fileKey(ref));
      if (!file) return error(res, 404, 'not_found', 'File not found');
      if (mode === 'local') return serveFile(req, res, file, fault?.rule);
      const expires = Date.now() + ttl;
      const token = Buffer.from(fileKey(ref)).toString('base64url');
      const sig = sign(`${token}.${expires}`);
      res.writeHead(302, { Location: `${signedOrigin}/signed/${token}?expires=${expires}&sig=${sig}` });
      res.end();
      return;
    }
    return error(res, 404, 'not_found', `No route ${route}`);
  }

  function jobEntry(j: Job, detail: boolean): Record<string, unknown> {
    const first = Object.entries(j.outputs)[0];
    const count = Object.values(j.outputs).reduce((n, o) => n + o.images.length, 0);
    const entry: Record<string, unknown> = {
      id: j.promptId,
      status: misbehaviour.statusName ?? j.status,
      create_time: mode === 'cloud' ? Math.floor(j.createTime / 1000) : j.createTime,
      ...(j.endTime ? { execution_start_time: j.startTime, execution_end_time: j.endTime, outputs_count: count } : {}),
      ...(first && j.endTime
        ? { preview_output: { ...first[1].images[0], nodeId: first[0], mediaType: 'images' } }
        : {}),
      ...(j.error ? { execution_error: j.error } : {}),
    };
    if (detail) {
      entry.update_time = Math.floor((j.endTime ?? j.createTime) / 1000);
      entry.workflow = { prompt: j.prompt, extra_data: j.extraData };
      if (j.endTime) {
        entry.outputs = j.outputs;
        entry.execution_status = historyStatus(j);
      }
    }
    return entry;
  }

  function historyStatus(j: Job): Record<string, unknown> {
    return {
      status_str: j.status === 'completed' ? 'success' : 'error',
      completed: j.status === 'completed',
      messages: j.messages.filter(([t]) => t.startsWith('execution_')),
    };
  }

  function historyEntry(j: Job): Record<string, unknown> {
    const outs = Object.keys(j.outputs);
    return {
      prompt: [j.number, j.promptId, j.prompt, j.extraData, outs],
      outputs: j.outputs,
      status: historyStatus(j),
      meta: {},
    };
  }

  async function upload(req: IncomingMessage, res: ServerResponse, mask: boolean): Promise<void> {
    const body = await readBody(req, uploadLimit + 64 * 1024);
    if (!body) {
      req.resume();
      return error(res, 413, 'file_too_large', `The file is larger than ${uploadLimit} bytes`);
    }
    let form: FormData;
    try {
      form = await new Response(new Uint8Array(body), {
        headers: { 'content-type': req.headers['content-type'] ?? '' },
      }).formData();
    } catch {
      return error(res, 400, 'invalid_request', 'Expected multipart/form-data');
    }
    const file = form.get('image');
    if (!file || typeof file === 'string') return error(res, 400, 'invalid_request', 'No image field');
    const bytes = Buffer.from(await file.arrayBuffer());
    if (bytes.length > uploadLimit)
      return error(res, 413, 'file_too_large', `The file is larger than ${uploadLimit} bytes`);
    const kind =
      bytes[0] === 0x89 && bytes.subarray(1, 4).toString() === 'PNG'
        ? 'png'
        : bytes[0] === 0xff && bytes[1] === 0xd8
          ? 'jpg'
          : bytes.subarray(8, 12).toString() === 'WEBP'
            ? 'webp'
            : null;
    if (!kind) return error(res, 400, 'invalid_image', 'The file is not a PNG, JPEG or WebP image');
    if (kind === 'png') {
      const w = bytes.readUInt32BE(16);
      const h = bytes.readUInt32BE(20);
      if (w > 16384 || h > 16384 || w * h > 64 * 1024 * 1024)
        return error(res, 400, 'image_too_large', `Image ${w}x${h} exceeds the limits`);
    }
    let originalRef: Record<string, unknown> = {};
    if (mask) {
      const ref = form.get('original_ref');
      try {
        const parsed = JSON.parse(String(ref)) as { filename?: string };
        if (!parsed.filename) throw new Error('no filename');
        originalRef = parsed;
      } catch {
        return error(res, 400, 'invalid_request', 'original_ref must be JSON naming the original image');
      }
    }
    const hash = createHash('sha256').update(bytes).digest('hex');
    const subfolder = String(form.get('subfolder') ?? '');
    const type = String(form.get('type') ?? 'input');
    const name = mode === 'cloud' ? `${hash}.${kind}` : (file as File).name || `upload.${kind}`;
    files.set(fileKey({ filename: name, subfolder, type }), { bytes });
    uploads.add(name);
    const answer: Record<string, unknown> = { name, subfolder, type };
    if (mask) {
      answer.metadata = { is_mask: true, original_hash: hash, mask_type: 'painted_masked' };
      masks.push({ name, originalRef, bytes });
    }
    return json(res, 200, answer);
  }

  // ---------- signed storage (another origin) ----------
  const sign = (text: string): string => createHmac('sha256', signingKey).update(text).digest('base64url');
  const storage = createServer((req, res) => {
    requests.push({
      origin: 'signed',
      method: req.method ?? 'GET',
      url: req.url ?? '/',
      headers: req.headers,
      at: Date.now(),
    });
    const url = new URL(req.url ?? '/', 'http://x');
    const fault = applyFault(req, res, url.pathname);
    void (async () => {
      if (fault?.rule.delayMs) await sleep(fault.rule.delayMs);
      if (fault && answerFault(fault.rule, res, req)) return;
      // Signed URLs must be fetched without the API key (a client that leaks it is refused).
      if (req.headers['x-api-key'])
        return error(res, 400, 'invalid_argument', 'Requests to signed URLs must not carry an API key');
      const m = /^\/signed\/([A-Za-z0-9_-]+)$/.exec(url.pathname);
      const expires = Number(url.searchParams.get('expires'));
      if (!m || sign(`${m[1]}.${expires}`) !== url.searchParams.get('sig'))
        return error(res, 403, 'forbidden', 'Bad signature');
      if (Date.now() > expires) return error(res, 403, 'expired', 'The signed URL has expired');
      const file = files.get(Buffer.from(m[1]!, 'base64url').toString());
      if (!file) return error(res, 404, 'not_found', 'No such object');
      serveFile(req, res, file, fault?.rule);
    })();
  });

  function serveFile(req: IncomingMessage, res: ServerResponse, file: StoredFile, rule?: FaultRule): void {
    const total = 'bytes' in file ? file.bytes.length : file.size;
    const range = /^bytes=(\d+)-$/.exec(String(req.headers.range ?? ''));
    const start = range ? Math.min(Number(range[1]), total) : 0;
    const bytesOf = (offset: number, size: number): Buffer =>
      'bytes' in file ? file.bytes.subarray(offset, offset + size) : pattern(file.seed, offset, size);
    if (rule && serveHostile(req, res, rule, total, start, range !== null, bytesOf)) return;
    const headers: Record<string, string | number> = {
      'Content-Type': 'bytes' in file && file.bytes[0] === 0x89 ? 'image/png' : 'application/octet-stream',
      'Content-Length': total - start,
      'Accept-Ranges': 'bytes',
    };
    if (range) headers['Content-Range'] = `bytes ${start}-${total - 1}/${total}`;
    res.writeHead(range ? 206 : 200, headers);
    const cut = rule?.truncateAfterBytes;
    const rate = rule?.bytesPerSecond;
    void (async () => {
      let sent = 0;
      for (let offset = start; offset < total;) {
        const step = rate ? Math.max(1, Math.floor(rate / 10)) : 256 * 1024;
        const size = Math.min(step, total - offset, cut !== undefined ? Math.max(0, cut - sent) : Infinity);
        if (size === 0) {
          res.destroy(); // the connection is cut mid-body
          return;
        }
        const chunk = 'bytes' in file ? file.bytes.subarray(offset, offset + size) : pattern(file.seed, offset, size);
        offset += size;
        sent += size;
        if (!res.write(chunk)) await new Promise((r) => res.once('drain', r));
        if (rate) await sleep((size / rate) * 1000);
        if (res.destroyed) return;
      }
      res.end();
    })();
  }

  /** The file answers of a hostile server; true when it answered. */
  function serveHostile(
    req: IncomingMessage,
    res: ServerResponse,
    rule: FaultRule,
    total: number,
    start: number,
    ranged: boolean,
    bytesOf: (offset: number, size: number) => Buffer,
  ): boolean {
    const socket = req.socket;
    if (rule.noContentLength) {
      // Written by hand: Node would add chunked framing, which marks a cut body as cut.
      const body = bytesOf(0, Math.min(total, rule.truncateAfterBytes ?? total));
      socket.write('HTTP/1.1 200 OK\r\nContent-Type: image/png\r\nConnection: close\r\n\r\n');
      socket.end(body);
      return true;
    }
    if (rule.lieRange && ranged) {
      res.writeHead(206, {
        'Content-Type': 'image/png',
        'Content-Length': total - start,
        'Content-Range': `bytes ${start}-${total - 1}/${total}`,
      });
      res.end(bytesOf(0, total - start));
      return true;
    }
    if (rule.stallWithLength !== undefined) {
      res.writeHead(200, { 'Content-Type': 'image/png', 'Content-Length': rule.stallWithLength });
      res.flushHeaders();
      return true; // and never a byte more; the connection is closed when the fake cloud closes
    }
    if (rule.endless) {
      res.writeHead(200, { 'Content-Type': 'image/png' }); // chunked: no length, no end
      const timer = setInterval(() => {
        if (res.destroyed) return clearInterval(timer);
        res.write(bytesOf(0, total));
      }, 50);
      res.on('close', () => clearInterval(timer));
      return true;
    }
    if (rule.trickleMs !== undefined) {
      res.writeHead(200, { 'Content-Type': 'image/png', 'Content-Length': total });
      let offset = 0;
      const timer = setInterval(() => {
        if (res.destroyed || offset >= total) return clearInterval(timer);
        res.write(bytesOf(offset, 1));
        offset += 1;
      }, rule.trickleMs);
      res.on('close', () => clearInterval(timer));
      return true;
    }
    return false;
  }

  // ---------- WebSocket server ----------
  const wss = new WebSocketServer({ noServer: true });
  api.on('upgrade', (req, socket, head) => {
    const url = new URL(req.url ?? '/', 'http://x');
    const okPath = url.pathname === '/ws' || (mode === 'local' && url.pathname === '/api/ws');
    if (!okPath || refuseSockets || (mode === 'cloud' && url.searchParams.get('token') !== apiKey)) {
      socket.end(
        `HTTP/1.1 ${okPath && !refuseSockets ? '401 Unauthorized' : '503 Service Unavailable'}\r\nConnection: close\r\n\r\n`,
      );
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => {
      const client: Client = {
        ws,
        clientId: url.searchParams.get('clientId') ?? randomUUID(),
        wantsMetadata: false,
        firstMessage: true,
      };
      clients.add(client);
      ws.on('close', () => clients.delete(client));
      ws.on('message', (data) => {
        const first = client.firstMessage;
        client.firstMessage = false;
        try {
          const msg = JSON.parse(String(data)) as { type?: string; data?: { supports_preview_metadata?: boolean } };
          // Only the client's first message may turn on metadata previews (as the real server does).
          if (first && msg.type === 'feature_flags') {
            client.wantsMetadata = msg.data?.supports_preview_metadata === true;
            ws.send(
              JSON.stringify({
                type: 'feature_flags',
                data: { supports_preview_metadata: true, max_upload_size: uploadLimit },
              }),
            );
          }
        } catch {
          // not JSON: ignored, like the real server
        }
      });
      ws.send(
        JSON.stringify({
          type: 'status',
          data: { status: { exec_info: { queue_remaining: queue.length + running.size } }, sid: client.clientId },
        }),
      );
    });
  });

  for (const server of [api, storage])
    server.on('connection', (s: Socket) => (sockets.add(s), s.on('close', () => sockets.delete(s))));
  const listen = (server: Server, port: number): Promise<number> =>
    new Promise((resolve) => server.listen(port, '127.0.0.1', () => resolve((server.address() as AddressInfo).port)));
  const apiPort = await listen(api, options.port ?? 0);
  const signedOrigin = `http://127.0.0.1:${await listen(storage, 0)}`;

  return {
    url: `http://127.0.0.1:${apiPort}`,
    signedOrigin,
    apiKey,
    mode,
    requests,
    masks,
    acceptedByClientJob() {
      const counts = new Map<string, number>();
      for (const job of jobs.values()) {
        const id = job.extraData.comfy_desk_job_id;
        if (typeof id === 'string') counts.set(id, (counts.get(id) ?? 0) + 1);
      }
      return counts;
    },
    acceptedCount: () => jobs.size,
    accepted: () =>
      [...jobs.values()].map((job) => ({
        clientJobId: typeof job.extraData.comfy_desk_job_id === 'string' ? job.extraData.comfy_desk_job_id : null,
        prompt: job.prompt,
        status: job.status,
      })),
    jobStatus: (id) => jobs.get(id)?.status ?? null,
    holdQueue(on) {
      held = on;
      if (!on) pump();
    },
    dropWebSockets() {
      for (const c of clients) c.ws.terminate();
    },
    refuseWebSockets(on) {
      refuseSockets = on;
    },
    fault(rule) {
      faults.push({ ...rule, left: rule.times ?? 1 });
    },
    injectWs(frame) {
      for (const c of clients) if (c.ws.readyState === c.ws.OPEN) c.ws.send(frame);
    },
    misbehave(how) {
      misbehaviour = how;
    },
    fileBytes(ref) {
      const file = files.get(fileKey(ref));
      if (!file) return null;
      return 'bytes' in file ? file.bytes : pattern(file.seed, 0, file.size);
    },
    clearFaults() {
      faults = [];
    },
    hostileFilenames(on) {
      hostile = on;
    },
    outputFile(file) {
      fixedOutput = file;
    },
    addStaticOutput(content) {
      const filename = `static_${randomUUID()}.bin`;
      const ref = { filename, subfolder: '', type: 'output' };
      const seed = files.size;
      if (typeof content === 'number') pattern(seed, 0, 1); // makes its block now, not on the first download
      files.set(fileKey(ref), typeof content === 'number' ? { size: content, seed } : { bytes: content });
      return ref;
    },
    userdata,
    putUserdata,
    userdataListing(entries) {
      listingOverride = entries;
    },
    async runForeignJob(prompt) {
      const job = accept(prompt as Job['prompt'], { client_id: 'web-ui' }, 'web-ui', randomUUID());
      while (!job.endTime) await sleep(stepMs);
      return job.promptId;
    },
    async close() {
      closed = true;
      for (const c of clients) c.ws.terminate();
      wss.close();
      for (const s of sockets) s.destroy();
      await Promise.all([api, storage].map((s) => new Promise((r) => s.close(r))));
    },
  };
}

/** Deterministic bytes for large generated files, made chunk by chunk (never held whole). */
const BLOCK = 1 << 20;
const blocks = new Map<number, Buffer>();
function pattern(seed: number, offset: number, size: number): Buffer {
  let block = blocks.get(seed);
  if (!block) {
    const parts: Buffer[] = [createHash('sha256').update(String(seed)).digest()];
    for (let made = 32; made < BLOCK; made += 32)
      parts.push(
        createHash('sha256')
          .update(parts[parts.length - 1]!)
          .digest(),
      );
    block = Buffer.concat(parts);
    blocks.set(seed, block);
  }
  const out = Buffer.alloc(size);
  for (let done = 0; done < size;) {
    const at = (offset + done) % BLOCK;
    const n = Math.min(size - done, BLOCK - at);
    block.copy(out, done, at, at + n);
    done += n;
  }
  return out;
}

/** A user-data path from the route (URL-encoded, slashes as %2F); null when it would leave the user's folder. */
function userPath(encoded: string): string | null {
  let path: string;
  try {
    path = decodeURIComponent(encoded);
  } catch {
    return null;
  }
  if (path.startsWith('/') || path.split('/').some((p) => p === '..') || path.includes('\\')) return null;
  return path;
}

function text(res: ServerResponse, status: number, body: string): void {
  res.writeHead(status, { 'Content-Type': 'text/plain; charset=utf-8' }).end(body);
}
