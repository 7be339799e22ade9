/** Media: upload (checked against Meta's limits), look up, download with auth, delete. */
export { MEDIA_LIMITS, checkMedia, mediaKindOf, baseMimeType, type MediaKind } from './limits';
export { uploadMedia, type UploadMediaInput, type UploadMediaResult } from './upload';
export {
  getMedia,
  deleteMedia,
  downloadMedia,
  type MediaInfo,
  type MediaOptions,
  type DownloadMediaOptions,
  type DownloadedMedia,
} from './download';
