export { OutputStore, assertHash, assertKey, syncDir, type StoredFile, type MediaFile } from './store';
export { downloadTo, type OpenedSource, type DownloadOptions } from './download';
export { makeThumbnail, perceptualHash, hammingDistance, THUMB_EDGE } from './thumbs';
export { createLimiter, type Limiter } from './limiter';
export { sniffMime } from './mime';
export { verifyMediaFile, checkImageWhole, checkPngChunks, PngChunkWalker, type VerifyResult } from './verify';
export {
  probeMedia,
  makePoster,
  makePreview,
  makeWaveform,
  makeMediaThumbnail,
  ensurePreview,
  runTool,
  bundledTool,
  PREVIEW_EDGE,
  PREVIEW_SECONDS,
  WAVEFORM_SIZE,
  MEDIA_LIMITS,
  type MediaProbe,
  type MediaResult,
  type ProbeResult,
  type ToolOptions,
  type RunLimits,
  type RunResult,
} from './media-probe';
